"""Ghorbani et al. (2019) Figs. 1 and 5-7 on synthetic attack files: each attack perturbs
the image differently for each method, so every saliency map drawn must sit next to the
image it was computed for (issue #16 item 6: the IG and DeepLIFT maps of the bottom row
were drawn beside the Simple Gradient attack's image)."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from attrobust.metrics import saliency_map
from attrobust.plots import ghorbani as gh
from attrobust.plots import save

matplotlib.use("Agg")

METHODS = ["simple_gradient", "integrated_gradients", "deeplift"]
ATTACKS = ["random_sign", "topk", "mass_center"]
N = 4


def _weights(method):
    """Each method's 'attribution' is the image times a fixed weight map of its own, so a
    map can be traced back to the image it was computed for."""
    return np.random.default_rng(METHODS.index(method) + 100).uniform(0.5, 2.0, (1, 8, 8))


def _file(method, attack, seed):
    rng = np.random.default_rng(0)  # the same test images in every file
    x = rng.uniform(size=(N, 1, 8, 8)).astype(np.float32)
    own = np.random.default_rng(seed)  # each (method, attack) its own perturbation
    x_adv = np.clip(x + own.uniform(-0.4, 0.4, x.shape), 0, 1).astype(np.float32)
    p = np.full((N, 10), 0.05)
    p[:, 3] = 0.55
    return {"x": x, "x_adv": x_adv, "A": x * _weights(method), "A_adv": x_adv * _weights(method),
            "probs": p, "probs_adv": p * 0.9 + 0.01}


def _pairs(fig, n_methods):
    """(image shown, map shown) per row and method: axes come in (image, map) pairs."""
    cbars = [a for a in fig.axes if not a.get_images()]  # one colour bar per method: its maps' scale
    assert len(cbars) == n_methods, len(cbars)
    axes = np.array([a for a in fig.axes if a.get_images()]).reshape(-1, 2 * n_methods)
    return [[(row[2 * j].get_images()[0].get_array(), row[2 * j + 1].get_images()[0].get_array())
             for j in range(n_methods)] for row in axes]


def _assert_each_map_is_the_shown_images(pairs, index):
    for row in pairs:
        for m, (img, shown) in zip(METHODS, row):
            img = np.asarray(img)[None, None]
            np.testing.assert_allclose(np.asarray(shown), saliency_map(img * _weights(m))[0],
                                       rtol=1e-5, err_msg=m)


@pytest.mark.parametrize("index", [0, 2])
def test_fig1_shows_each_methods_own_attacked_image(index, tmp_path):
    examples = {m: _file(m, "mass_center", 10 + i) for i, m in enumerate(METHODS)}
    fig = gh.fig1(examples, index=index, class_names=[str(c) for c in range(10)])
    pairs = _pairs(fig, len(METHODS))
    assert len(pairs) == 2
    for j, m in enumerate(METHODS):
        np.testing.assert_array_equal(pairs[0][j][0], examples[m]["x"][index, 0])
        np.testing.assert_array_equal(pairs[1][j][0], examples[m]["x_adv"][index, 0])
    _assert_each_map_is_the_shown_images(pairs, index)
    # the attacked images differ between methods: one image for all would not pass
    assert not np.array_equal(pairs[1][0][0], pairs[1][1][0])
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")


def test_appendix_example_rows_show_each_methods_own_attacked_image():
    files = {(m, a): _file(m, a, 20 + 3 * i + j) for i, m in enumerate(METHODS)
             for j, a in enumerate(ATTACKS)}
    fig = gh.appendix_example(files, index=1, eps=16)
    pairs = _pairs(fig, len(METHODS))
    assert len(pairs) == 1 + len(ATTACKS)
    for r, a in enumerate(ATTACKS, start=1):
        for j, m in enumerate(METHODS):
            np.testing.assert_array_equal(pairs[r][j][0], files[(m, a)]["x_adv"][1, 0])
    _assert_each_map_is_the_shown_images(pairs, 1)


# ------------------------------------ influence figures: the numbers they print (Figs. 3, 4, 10, 11)
def _influence_inputs():
    """A synthetic influence file and table: 5 test images, 12 training images, eps 4 and 16;
    the targeted attack scales image i's influences by c_i (plus noise), random sign barely."""
    import pandas as pd

    rng = np.random.default_rng(3)
    n, n_train, eps = 5, 12, np.array([4.0, 16.0])
    S0 = rng.normal(size=(n, n_train))
    c = np.array([0.02, 0.05, 0.1, 0.04, 0.5])
    S_adv = np.empty((2, 2, n, n_train))
    S_adv[0] = S0 * c[:, None] + rng.normal(scale=0.01, size=(2, n, n_train))  # targeted
    S_adv[1] = S0 + rng.normal(scale=0.05, size=(2, n, n_train))  # random sign
    res = {"x": rng.uniform(size=(n, 1, 8, 8)), "y": np.array([0, 1, 0, 1, 0]), "scores": S0,
           "x_adv": rng.uniform(size=(2, 2, n, 1, 8, 8)), "scores_adv": S_adv,
           "attacks": np.array(["targeted", "random_sign"]), "eps": eps}
    rows = []
    for a, name in enumerate(["targeted", "random_sign"]):
        for j, e in enumerate(eps):
            rows.append(pd.DataFrame({
                "attack": name, "eps": e, "image": np.arange(n),
                "spearman": rng.uniform(0.5, 1, n), "topk_overlap": rng.uniform(0.5, 1, n),
                "loss_factor": c * (1 + 0.1 * j) if name == "targeted" else np.full(n, 0.97),
                "top_before": np.full(n, 3.0), "top_after": 3.0 * c * rng.uniform(0.8, 1.2, n),
                "label_kept": True, "label_unchanged": True}))
    return res, pd.concat(rows, ignore_index=True)


def test_influence_figures_print_this_runs_factors():
    """Figs. 3, 4 and 10 print, above their panels, what the targeted attack does at the largest
    eps, computed from the table and influence file they draw (the captions quote no run's
    numbers): the median factor by which sigma - y falls, that of the summed |influence| of all
    training images and of the attacked ones, and the mean Spearman / top-k overlap per attack."""
    res, t = _influence_inputs()
    last = t[t["eps"] == 16.0]
    tg, rs = last[last["attack"] == "targeted"], last[last["attack"] == "random_sign"]
    f = tg["loss_factor"].to_numpy()
    total = np.abs(res["scores"]).sum(1) / np.abs(res["scores_adv"][0, 1]).sum(1)
    top = (tg["top_before"] / tg["top_after"]).to_numpy()
    s = gh.influence_summary(res, t)
    assert s["eps"] == 16.0 and s["n"] == 5
    np.testing.assert_allclose([s["sigma_factor"], s["f"], s["total_factor"], s["top_factor"]],
                               [np.median(1 / f), np.median(f), np.median(total), np.median(top)])
    expected = [f"ε = 16, 5 test images", f"median factor {np.median(1 / f):.3g} (f = {np.median(f):.3g})",
                f"Σ|influence| of all training images falls by {np.median(total):.3g}",
                f"that of the 3 attacked by {np.median(top):.3g}",
                f"targeted {tg['spearman'].mean():.2f}, {tg['topk_overlap'].mean():.2f}",
                f"random sign {rs['spearman'].mean():.2f}, {rs['topk_overlap'].mean():.2f}"]
    X_train = np.random.default_rng(0).uniform(size=(12, 1, 8, 8))
    for fig in (gh.fig3_influence(res, X_train, t, n_top=3, k=5), gh.fig4_influence(t, k=5, res=res, n_top=3),
                gh.fig10_influence(res, t, n_show=2, n_top=3, k=5)):
        title = fig._suptitle.get_text()
        for e in expected:
            assert e in title, (e, title)
    # without the influence file, Fig. 4 still prints what the table holds
    title = gh.fig4_influence(t, k=5)._suptitle.get_text()
    assert expected[1] in title and "Σ|influence|" not in title


def test_fig11_prints_the_confidence_ratio_and_its_spread():
    ratio = np.array([2.0, 4.0, 9.0, 10.0, 30.0, np.nan])
    fig = gh.fig11_hessian({"angle": np.full(4, 45.0)}, np.full(6, 5.0), ratio)
    text = " ".join(t.get_text() for t in fig.axes[1].texts)
    lo, med, hi = np.nanpercentile(ratio, [10, 50, 90])
    assert f"median {med:.3g}" in text and f"(10th-90th percentile {lo:.3g}-{hi:.3g})" in text
