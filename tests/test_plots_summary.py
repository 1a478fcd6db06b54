"""The robustness matrix (attrobust.plots.summary): the table it is drawn from, and the figure."""
import numpy as np
import pandas as pd
import pytest

from attrobust.plots import summary


def lipschitz_rows():
    return pd.DataFrame({"dataset": ["wine"] * 4 + ["digits"] * 2, "model": ["rf"] * 4 + ["cnn"] * 2,
                         "method": ["lime", "lime", "kernel_shap", "kernel_shap", "saliency", "saliency"],
                         "L": [1.0, 3.0, 5.0, 7.0, 0.5, 0.7]})


def attack_rows():
    rows = []
    for attack, tk, lp in [("random_sign", 0.9, 0.95), ("topk", 0.2, 0.5), ("mass_center", 0.4, 0.6)]:
        for eps, shrink in [(4, 0.0), (8, 0.1)]:
            for img in range(2):
                rows.append(dict(dataset="digits", model="cnn", method="simple_gradient", attack=attack,
                                 eps=eps, image=img, topk_intersection=tk - shrink + 0.02 * img,
                                 lens_prec=lp - shrink))
    return pd.DataFrame(rows)


def test_table_medians_and_strongest_attack():
    t = summary.table(lipschitz_rows(), attack_rows())
    v = t.set_index(["method", "dataset", "quantity"])["value"]
    assert v[("lime", "wine", "lipschitz")] == 2.0 and v[("kernel_shap", "wine", "lipschitz")] == 6.0
    # Simple Gradient is filed under Saliency; the strongest attack at eps=8 is top-k
    assert v[("saliency", "digits", "topk_intersection")] == pytest.approx(0.11)
    assert v[("saliency", "digits", "one_minus_lens_prec")] == pytest.approx(1 - 0.4)
    assert set(t.loc[t["quantity"] != "lipschitz", "detail"]) == {"topk, eps=8"}


def test_table_needs_some_results():
    with pytest.raises(ValueError, match="figures.ghorbani"):
        summary.table(None, None)
    only = summary.table(lipschitz_rows(), None)
    assert set(only["quantity"]) == {"lipschitz"}


def test_matrix_draws_three_panels_and_refuses_nan():
    t = summary.table(lipschitz_rows(), attack_rows())
    fig = summary.matrix(t)
    assert len(fig.axes) == 3
    assert len(fig.axes[1].get_xticklabels()) == 1  # attacks ran on digits only: one column
    assert len(summary.matrix(summary.table(lipschitz_rows(), None)).axes) == 1
    texts = [x.get_text() for x in fig.axes[1].texts]
    assert "0.11" in texts
    bad = t.copy()
    bad.loc[0, "value"] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        summary.matrix(bad)


def test_lipschitz_panels_per_explained_output_and_rows_per_randomness():
    """Issue #16: a regression output and probabilities never share a colour scale; stochastic
    explainers are shown under both randomness settings, deterministic ones once."""
    rows = []
    for r in ("fresh", "common"):
        for ds, out, m, L in [("wine", "prob", "lime", 0.1), ("diabetes", "regression", "lime", 48.0),
                              ("digits", "logit", "lime", 3.0), ("digits", "logit", "saliency", 8.5)]:
            rows.append(dict(dataset=ds, model="m", method=m, L=L * (10 if r == "fresh" and m == "lime" else 1),
                             output=out, randomness=r))
    t = summary.table(pd.DataFrame(rows), None)
    assert set(t["quantity"]) == {"lipschitz_prob", "lipschitz_regression", "lipschitz_logit"}
    v = t.set_index(["method", "dataset"])["value"]
    assert v[("lime (fresh)", "wine")] == pytest.approx(1.0) and v[("lime (common)", "wine")] == pytest.approx(0.1)
    assert (t["method"] == "saliency").sum() == 1
    fig = summary.matrix(t)
    assert len(fig.axes) == 3
    # each panel its own colour scale: the regression panel's 48 and 480 do not set the probability panel's
    norms = {ax.get_title().split("\n")[1]: ax.collections[0].norm for ax in fig.axes}
    assert norms["estimate, probability"].vmax == pytest.approx(1.0)
    assert norms["estimate, regression"].vmax == pytest.approx(480.0)


def test_figure_labels_are_the_registry_labels():
    """plots.LABELS writes out the methods' and attacks' spec labels (figure jobs do not import
    the registries); every registered method, alias and attack has its spec's label there."""
    from attrobust import attacks, explain, plots

    want = {**{n: m.label for n, m in explain.METHODS.items()},
            **{a: label for a, (_, label) in explain.ALIASES.items()},
            **{n: a.label for n, a in attacks.ATTACKS.items()}}
    assert {n: plots.LABELS.get(n) for n in want} == want
