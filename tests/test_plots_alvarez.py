"""Alvarez-Melis & Jaakkola (2018) Figs. 4-7 on small synthetic inputs: each figure function
draws what the workflow writes, and refuses non-finite explanations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attrobust.plots import alvarez_melis as am
from attrobust.plots import save

METHODS = ["lime", "saliency", "occlusion"]


def _chunk(rng, n, method_scale):
    X = rng.uniform(size=(n, 1, 8, 8)).astype(np.float32)
    p = rng.dirichlet(np.ones(10), size=n)
    return {"X": X, "x_max": np.clip(X + 0.05, 0, 1), "f_x": rng.normal(size=X.shape) * method_scale,
            "f_max": rng.normal(size=X.shape) * method_scale, "L": rng.uniform(1, 5, n) * method_scale,
            "outputs": p, "outputs_max": p * 0.99, "noise_floor": np.zeros(n)}


def _png(fig, tmp_path):
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "f.png").stat().st_size > 5_000


def test_fig6_sorts_by_median_and_colours_perturbation_methods(tmp_path):
    rows = [{"method": m, "L": L, "noise_floor": 0.01 if m == "lime" else 0.0}
            for m, scale in zip(METHODS, (10, 1, 5)) for L in np.linspace(1, 2, 5) * scale]
    fig = am.fig6(pd.DataFrame(rows), methods=METHODS, eps=0.1, n_calls=40, model="cnn_small",
                  dataset="digits")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Saliency", "Occlusion", "LIME"]
    colours = [p.get_facecolor()[:3] for p in ax.patches if hasattr(p, "get_path")][:3]
    assert colours[0] != colours[1] and colours[1] == colours[2]  # gradient vs perturbation
    _png(fig, tmp_path)


def test_fig2_and_fig6_one_panel_per_randomness_setting_on_one_axis(tmp_path):
    rows = [{"dataset": d, "method": m, "randomness": r, "L": L * (10 if r == "fresh" and m == "lime" else 1),
             "noise_floor": 0.01 if m == "lime" else 0.0}
            for d in ("wine", "iris") for m in METHODS for r in ("fresh", "common") for L in np.linspace(1, 2, 4)]
    t = pd.DataFrame(rows)
    fig = am.fig6(t[t["dataset"] == "wine"], methods=METHODS, eps=0.1, n_calls=40, model="cnn_small",
                  dataset="digits", randomness=["fresh", "common"], output="logit")
    assert len(fig.axes) == 2 and "fresh" in fig.axes[0].get_title() and "common" in fig.axes[1].get_title()
    assert "explains the logit" in fig._suptitle.get_text()
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
    # sorted by median within each panel: LIME last under fresh draws, not under common numbers
    assert fig.axes[0].get_xticklabels()[-1].get_text() == "LIME"
    assert fig.axes[1].get_xticklabels()[-1].get_text() == "Occlusion"
    _png(fig, tmp_path)
    two = t[t["method"].isin(["lime", "occlusion"])]
    fig2 = am.fig2(two, datasets=["wine", "iris"], methods=["lime", "occlusion"], eps=0.1, n_calls=40,
                   model="random_forest", randomness=["common"])
    assert len(fig2.axes) == 1 and "common random numbers" in fig2.axes[0].get_title()
    _png(fig2, tmp_path)


def test_fig6_refuses_nan():
    table = pd.DataFrame({"method": ["lime"], "L": [np.nan], "noise_floor": [0.0]})
    with pytest.raises(ValueError, match="non-finite"):
        am.fig6(table, methods=["lime"], eps=0.1, n_calls=4, model="m", dataset="d")


def test_fig7_three_rows_per_image(tmp_path):
    chunks = {m: [_chunk(np.random.default_rng(0), 2, 1), _chunk(np.random.default_rng(1), 1, 1)]
              for m in METHODS}
    fig = am.fig7(chunks, n_show=2, class_names=[str(i) for i in range(10)])
    assert len(fig.axes) == 3 * 2 * (len(METHODS) + 1)
    assert fig.axes[0].get_title().startswith("x, P(")
    _png(fig, tmp_path)


def test_fig5_titles_carry_probabilities_and_ratios(tmp_path):
    rng = np.random.default_rng(0)
    S, M = 3, len(METHODS)
    noise = {"methods": np.array(METHODS), "x": rng.uniform(size=(1, 8, 8)),
             "x_noisy": rng.uniform(size=(S, 1, 8, 8)), "sigmas": np.array([0.05, 0.1, 0.2]),
             "probs": rng.dirichlet(np.ones(10), size=S + 1), "target": np.array(3),
             "A": rng.normal(size=(M, S + 1, 1, 8, 8)), "ratio": np.array([[1.5, 2.0, 2.5]] * M)}
    fig = am.fig5(noise)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("x, P(3) = ") and "σ = 0.2" in titles[3 * (M + 1)]
    assert "δ = 2.5" in titles[3 * (M + 1) + 1]
    _png(fig, tmp_path)


def _pair(X, L):
    N, D = X.shape
    rng = np.random.default_rng(0)
    return {"methods": np.array(["lime", "kernel_shap"]), "X": X, "A": rng.normal(size=(2, N, D)),
            "L": L, "argmax": np.array([[1, 0, 0], [1, 0, 0]]),
            "outputs": rng.dirichlet(np.ones(2), size=N), "feature_names": np.array([f"f{i}" for i in range(D)])}


def test_fig4_shows_the_maximising_pair(tmp_path):
    X = np.array([[0.0, 0.0, 0.0], [0.05, 0.0, 0.0], [3.0, 3.0, 3.0]])
    L = np.array([[2.0, 2.0, np.nan], [1.0, 1.0, np.nan]])
    fig = am.fig4(_pair(X, L), dataset="breast_cancer", model="logistic_regression", eps=0.1,
                  stand_in="COMPAS")
    assert "test point 0" in fig.axes[0].get_title() and "test point 1" in fig.axes[2].get_title()
    assert "COMPAS" in fig._suptitle.get_text()
    _png(fig, tmp_path)


def test_fig4_without_neighbours_says_so():
    X = np.eye(3)
    fig = am.fig4(_pair(X, np.full((2, 3), np.nan)), dataset="d", model="m", eps=0.1)
    assert "raise eps" in " ".join(t.get_text() for t in fig.axes[0].texts)


def test_fig8_shows_both_images_probabilities_and_ratio(tmp_path):
    chunk = _chunk(np.random.default_rng(2), 3, 1)
    chunk["X"] = np.repeat(chunk["X"], 3, axis=1)  # RGB, as ImageNet
    chunk["x_max"], chunk["f_x"], chunk["f_max"] = (np.repeat(chunk[k], 3, axis=1) for k in ("x_max", "f_x", "f_max"))
    chunk["outputs"][1], chunk["outputs_max"][1] = np.eye(10)[4] * 0.7 + 0.03, np.eye(10)[4] * 0.69 + 0.031
    fig = am.fig8(chunk, row=1, point=11, method="saliency", dataset="imagenet_val", model="resnet50", eps=0.1,
                  n_calls=200, estimator="random", class_names=[f"c{i}" for i in range(10)])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "x: P(c4) = 0.7300" and titles[1] == "x': P(c4) = 0.7210"
    assert titles[3] == "Saliency at x" and titles[4] == "Saliency at x'"
    sup = fig._suptitle.get_text()
    assert "test image 11" in sup and f"{chunk['L'][1]:.3g}" in sup and "200 calls (random)" in sup
    _png(fig, tmp_path)


def test_fig8_rejects_a_row_outside_the_chunk_and_nan():
    chunk = _chunk(np.random.default_rng(0), 2, 1)
    with pytest.raises(ValueError, match="not in this chunk"):
        am.fig8(chunk, row=2)
    chunk["f_max"][0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        am.fig8(chunk, row=0)
