"""Kamath et al. (2023): the LENS-objective attack (Appendix E.1), the claims and the figures
on a small synthetic results table (the metrics themselves: tests/test_lens.py)."""
import numpy as np
import pandas as pd
import pytest

from attrobust import attacks, metrics

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def net_and_images():
    from sklearn.datasets import load_digits

    from attrobust import models

    d = load_digits()
    X = (d.data / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    data = dict(X_train=X[:600], y_train=d.target[:600], X_test=X[600:700], y_test=d.target[600:700])
    net = models.build("cnn_small", (1, 8, 8), 10, seed=0, epochs=3)
    models.train(net, data, seed=0)
    return net, data["X_test"][:6]


def test_lens_attack_keeps_budget_label_and_reports_one_minus_lens_prec(net_and_images):
    net, x = net_and_images
    kw = dict(method="simple_gradient", eps=8 / 255, k=8, n_iter=10, step=1 / 255, softplus_beta=10)
    r = attacks.attack("lens", net, x, w=1, **kw)
    assert np.abs(r["x_adv"] - x).max() <= 8 / 255 + 1e-6
    assert r["label_kept"].all()
    # the returned dissimilarity is 1 - 1-LENS-prec@k of the attack's own (normalised) maps
    a1 = attacks.saliency(net, x, None, "simple_gradient", create_graph=False).numpy()
    a2 = attacks.saliency(net, r["x_adv"], torch.as_tensor(r["label"]), "simple_gradient",
                          create_graph=False).numpy()
    want = 1 - metrics.lens_prec(metrics.saliency_map(a1), metrics.saliency_map(a2), 8, 1)
    np.testing.assert_allclose(r["dissimilarity"], want, atol=1e-9)
    assert (r["dissimilarity"] >= 0).all()
    with pytest.raises(attacks.AttackError, match="w must be an int"):
        attacks.attack("lens", net, x, w=-1, **kw)
    with pytest.raises(attacks.AttackError, match="needs k"):
        attacks.attack("lens", net, x, **{**kw, "k": None})


def test_soft_lens_prec_approaches_the_exact_one():
    """The relaxed objective tends to w-LENS-prec@k as tau -> 0 (maps without ties)."""
    rng = np.random.default_rng(0)
    R0, R = rng.random((4, 8, 8)), rng.random((4, 8, 8))
    obj = attacks._Objective(("lens", 1, 1e-4), torch.as_tensor(R0), 8)
    soft = obj._lens_prec(torch.as_tensor(R), soft=True).numpy()
    hard = obj._lens_prec(torch.as_tensor(R), soft=False).numpy()
    np.testing.assert_allclose(hard, metrics.lens_prec(R0, R, 8, 1))
    np.testing.assert_allclose(soft, hard, atol=0.05)


def _table():
    """A results table as kamath_metrics.py writes it, from random maps."""
    rng = np.random.default_rng(1)
    rows = []
    for model, regime, noise in (("cnn", "natural", 1.0), ("cnn_pgd", "pgd", 0.2), ("cnn_igsn", "ig_sum_norm", 0.3)):
        for method in ("simple_gradient", "integrated_gradients"):
            for attack in ("random_sign", "topk", "mass_center", "lens"):
                for eps in (4, 8):
                    a1 = rng.random((5, 8, 8))
                    a2 = a1 + noise * (eps / 8) * (0.5 if attack == "lens" else 1) * rng.random((5, 8, 8))
                    vals = {("topk_intersection", 0): metrics.topk_intersection(a1, a2, 8)}
                    for w in (0, 1, 2):
                        for m in ("lens_prec", "lens_recall", "lens_prec_div", "lens_recall_div"):
                            vals[(m, w)] = metrics.compute(m, a1, a2, k=8, w=w, **({"w_div": 1} if "div" in m else {}))
                        vals[("coverage", w)] = metrics.lens_coverage(a1, 8, w)
                    for (m, w), v in vals.items():
                        rows.append(pd.DataFrame({"image": range(5), "metric": m, "w": w, "value": v,
                                                  "label_kept": True, "dataset": "digits", "model": model,
                                                  "regime": regime, "method": method, "attack": attack,
                                                  "eps": eps}))
    return pd.concat(rows, ignore_index=True)


def test_claims_on_a_synthetic_table():
    from attrobust import claims

    ctx = {"kamath": {"dataset": "digits", "model": "cnn", "robust_models": ["cnn_pgd", "cnn_igsn"],
                      "budget": 8, "ws": [0, 1, 2]}}
    ledger = claims.evaluate({"kamath": _table()}, ctx).set_index("claim")
    assert ledger.loc["kamath-lens-above-topk", "verdict"] == "holds"  # Prop. 1: a code check, passes
    assert ledger.loc["kamath-lens-above-topk", "kind"] == "code check"
    # less noise: more robust; on 5 images the top-k parts are decided, the LENS parts are too close
    row = ledger.loc["kamath-robust-training"]
    assert row["verdict"] == "inconclusive" and "top-k: cnn_pgd (pgd) minus cnn = 0.425 [" in row["measured"]
    assert row["measured"].count("holds)") == 2 and "contradicted" not in row["measured"]
    assert ledger.loc["kamath-lens-attack-weaker", "verdict"] in ("holds", "inconclusive")
    assert ledger.loc["kamath-diversity-raises-lens", "verdict"] in ("holds", "contradicted", "inconclusive")
    none = claims.evaluate({"kamath": _table()}, {"kamath": {**ctx["kamath"], "robust_models": []}})
    assert none.set_index("claim").loc["kamath-robust-training", "verdict"] == "not evaluated"


def test_figures_and_table2(tmp_path):
    pytest.importorskip("matplotlib")
    from attrobust.plots import kamath, save

    t = _table()
    base = dict(dataset="digits", k=8)
    figs = [kamath.fig2(t, model="cnn", methods=["simple_gradient", "integrated_gradients"],
                        attacks=["random_sign", "topk", "mass_center"], w=1, **base),
            kamath.fig4(t, datasets=["digits"], model="cnn", budgets={"digits": 8}, k=8),
            kamath.fig5(t, model="cnn", attacks=["random_sign", "topk"], budget=8, ws=[0, 1, 2], w_div=1, **base),
            kamath.fig8(t, models=["cnn", "cnn_pgd", "cnn_igsn"], budget=8, **base),
            kamath.fig_e1(t, model="cnn", budget=8, **base)]
    rng = np.random.default_rng(0)
    ex = {"x": rng.random((2, 1, 8, 8)), "x_adv": rng.random((2, 1, 8, 8)),
          "A": rng.normal(size=(2, 1, 8, 8)), "A_adv": rng.normal(size=(2, 1, 8, 8))}
    figs += [kamath.fig3(ex, index=1, k=8), kamath.fig6(ex, index=1, k=8, w_div=1),
             kamath.fig7({"PGD-trained": ex, "IG-SUM-NORM-trained": ex}, index=0, k=8)]
    # Figs. 2 and 5 draw LENS's chance level, the measured share of the image in N_w(S_k)
    chance = [ln for ln in figs[2].axes[0].get_lines() if ln.get_label().startswith("chance")]
    assert len(chance) == 1
    cov = t[(t["metric"] == "coverage") & (t["model"] == "cnn") & (t["method"] == "integrated_gradients")
            & (t["eps"] == 8) & t["attack"].isin(["random_sign", "topk"])].groupby("w")["value"].mean()
    np.testing.assert_allclose(chance[0].get_ydata(), cov.to_numpy())
    assert cov.loc[0] == 8 / 64 and 0 < cov.loc[1] <= 72 / 64
    assert any(ln.get_label().startswith("chance: N_1(S_k) covers") for ln in figs[0].axes[2].get_lines())  # row 2: 1-LENS-recall
    # Fig. 7 reports each pair's top-k intersection: the same maps give 1
    same = {**ex, "A_adv": ex["A"]}
    f7 = kamath.fig7({"PGD-trained": same}, index=0, k=8)
    assert f7.axes[2].get_xlabel() == "top-8 intersection 1.00"
    for i, f in enumerate(figs):
        save(f, tmp_path / f"{i}.pdf", tmp_path / f"{i}.png")
    t2 = kamath.table2(t, models=["cnn", "cnn_pgd"], methods=["simple_gradient"], budget=8, w=1, **base)
    assert list(t2["training"]) == ["natural", "PGD-trained"]
    assert "| cnn_pgd | PGD-trained | Simple Gradient |" in kamath.table_markdown(t2, "Table 2")


def test_fig2_and_fig8_print_this_runs_coverage_and_recall_saturation():
    """Fig. 2 prints, above its panels, the mean (and largest) share of the image N_w(S_k)
    covers and in how many (method, attack, eps) cells whose top-k set changed w-LENS-recall@k
    is exactly 1, computed from the table it draws (the captions quote no run's numbers)."""
    pytest.importorskip("matplotlib")
    from attrobust.plots import kamath

    t = _table()
    methods, attacks = ["simple_gradient", "integrated_gradients"], ["random_sign", "topk", "mass_center"]
    rows = t[(t["model"] == "cnn") & t["method"].isin(methods) & t["attack"].isin(attacks)]
    # one cell saturates on purpose: its 2-LENS-recall set to 1 although its top-k set changed
    cell = ((rows["method"] == "integrated_gradients") & (rows["attack"] == "topk") & (rows["eps"] == 8))
    t.loc[rows.index[(cell & (rows["metric"] == "lens_recall") & (rows["w"] == 2)).to_numpy()], "value"] = 1.0
    rows = t.loc[rows.index]
    cov = rows[(rows["metric"] == "coverage") & (rows["w"] > 0)].groupby("w")["value"].agg(["mean", "max"])
    keys = ["method", "attack", "eps"]
    topk = rows[rows["metric"] == "topk_intersection"].groupby(keys)["value"].mean()
    fig = kamath.fig2(t, dataset="digits", model="cnn", methods=methods, attacks=attacks, k=8, w=1)
    title = fig._suptitle.get_text()
    for w, (m, mx) in cov.iterrows():
        assert f"N_{w}(S_k) covers a mean {m:.0%} of the image (at most {mx:.0%})" in title, title
    for w in (1, 2):
        rec = rows[(rows["metric"] == "lens_recall") & (rows["w"] == w)].groupby(keys)["value"].mean()
        changed = rec[topk < 1]
        n_one = int((changed == 1).sum())
        assert w == 1 or n_one >= 1
        assert (f"{w}-LENS-recall@8: {rec.min():.2f}-{rec.max():.2f} over {len(rec)} (method, attack, ε) cells; "
                f"exactly 1 in {n_one} of the {len(changed)} whose top-8 set changed") in title, title
    # Fig. 8 names the chance level of its 1-LENS bars
    f8 = kamath.fig8(t, dataset="digits", models=["cnn", "cnn_pgd", "cnn_igsn"], budget=8, k=8)
    c8 = t[(t["metric"] == "coverage") & (t["w"] == 1) & (t["method"] == "integrated_gradients")
           & (t["attack"] == "topk") & (t["eps"] == 8)]["value"].mean()
    assert f"N_1(S_k) covers a mean {c8:.0%} of the image" in f8.axes[0].get_title()
