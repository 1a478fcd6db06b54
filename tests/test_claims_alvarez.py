"""Alvarez-Melis & Jaakkola (2018) image claims (Figs. 5-7) on hand-made tables."""
import pandas as pd

from attrobust import claims


def _table(medians, pred=0.01, expl=0.5):
    return pd.DataFrame([{"method": m, "point": i, "L": L * f, "noise_floor": 0.0, "explanation_change": expl,
                          "prediction_change": pred, "explanation_norm": 1.0}
                         for m, L in medians.items() for i, f in enumerate((0.5, 1.0, 1.5))])


def _ledger(table):
    led = claims.evaluate({"alvarez_melis_images": table}, {"alvarez_melis_images": {"eps": 0.1}})
    return led.set_index("claim")


def test_perturbation_ordering_decided_on_paired_medians():
    led = _ledger(_table({"lime": 10, "occlusion": 6, "saliency": 5, "integrated_gradients": 1}))
    row = led.loc["alvarez-images-perturbation-less-robust"]
    # scale-free L * eps / ||f(x)||: 10 * 0.1 / 1 minus 5 * 0.1 / 1
    assert row["verdict"] == "holds" and "median scale-free L lime minus saliency = 0.5 [" in row["measured"]
    assert "lime: median L = 10" in row["measured"]
    led = _ledger(_table({"lime": 10, "occlusion": 4, "saliency": 5}))
    assert led.loc["alvarez-images-perturbation-less-robust", "verdict"] == "contradicted"


def test_perturbation_ordering_is_scale_free():
    """A method whose maps are 16x larger (a segment's weight repeated on its 16 pixels instead
    of shared) has a 16x larger raw L but the same scale-free L: the verdict follows the latter."""
    t = _table({"lime": 16, "saliency": 5})
    t.loc[t["method"] == "lime", "explanation_norm"] = 16.0
    led = _ledger(t)
    assert led.loc["alvarez-images-perturbation-less-robust", "verdict"] == "contradicted"


def test_maximiser_claim_needs_small_probability_change():
    assert _ledger(_table({"lime": 1}))["verdict"]["alvarez-images-maximiser-moves-explanation"] == "holds"
    led = _ledger(_table({"lime": 1}, pred=0.3, expl=0.5))
    assert led.loc["alvarez-images-maximiser-moves-explanation", "verdict"] == "contradicted"


def _fig1(medians, n=5):
    """Rows of the Fig. 1 table: L spread around each (model, method) median; one NaN point each."""
    rows = [{"dataset": "synthetic2d", "model": mo, "method": me, "point": i,
             "L": L * (0.5 + 0.25 * i) if i < n - 1 else float("nan"), "n_neighbours": int(i < n - 1), "eps": 0.5}
            for (mo, me), L in medians.items() for i in range(n)]
    return pd.DataFrame(rows)


def _fig1_ledger(table, models=("linear_svm", "mlp_sklearn")):
    led = claims.evaluate({"alvarez_melis_fig1": table},
                          {"alvarez_melis_fig1": {"eps": 0.5, "models": list(models)}})
    return led.set_index("claim").loc["alvarez-fig1-linear-more-stable"]


def test_fig1_claim_needs_the_linear_model_stabler_for_both_methods():
    stable = {("linear_svm", "lime"): 0.1, ("linear_svm", "kernel_shap"): 0.2,
              ("mlp_sklearn", "lime"): 1.0, ("mlp_sklearn", "kernel_shap"): 3.0}
    row = _fig1_ledger(_fig1(stable))
    assert row["verdict"] == "holds"
    # medians over the points with a neighbour: L * (0.5, 0.75, 1.0, 1.25) -> 0.875 L
    assert "lime/linear_svm: median L (points with a neighbour) = 0.0875 (4 of 5)" in row["measured"]
    assert "kernel_shap: network / linear = 15" in row["measured"]
    row = _fig1_ledger(_fig1({**stable, ("linear_svm", "kernel_shap"): 30.0}))
    assert row["verdict"] == "contradicted"
    # 4 points each, unpaired: medians 5 vs 3 times the same spread are not told apart
    row = _fig1_ledger(_fig1({**stable, ("linear_svm", "kernel_shap"): 5.0}))
    assert row["verdict"] == "inconclusive"


def test_fig1_claim_not_evaluated_without_neighbours_or_a_model():
    t = _fig1({("linear_svm", "lime"): 0.1, ("linear_svm", "kernel_shap"): 0.2,
               ("mlp_sklearn", "lime"): 1.0, ("mlp_sklearn", "kernel_shap"): 3.0})
    t.loc[t["model"] == "linear_svm", "L"] = float("nan")
    row = _fig1_ledger(t)
    assert row["verdict"] == "not evaluated" and "figures.alvarez_melis_fig1.eps" in row["measured"]
    row = _fig1_ledger(t, models=("logistic_regression", "mlp_sklearn"))
    assert row["verdict"] == "not evaluated" and "figures.alvarez_melis_fig1.models" in row["measured"]
