"""Alvarez-Melis & Jaakkola (2018), "On the Robustness of Interpretability Methods"."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import check_finite, label, style


def spread_points(X: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` rows of ``X`` chosen greedily far apart (farthest-point order).

    Starts at row 0, so the choice is deterministic; used to place non-overlapping
    bar inserts.
    """
    n = min(n, len(X))
    chosen = [0]
    dist = np.linalg.norm(X - X[0], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(X - X[i], axis=1))
    return np.array(chosen)


def fig1(
    ds: Mapping, fitted: Mapping, expl: Mapping, *, n_show: int = 12, resolution: int = 200
):
    """Alvarez-Melis & Jaakkola (2018), Fig. 1.

    One row per model, one column per explainer: the heatmap is the model's
    positive-class probability over the 2-D input plane, and each bar insert shows
    the explainer's attribution to feature x (green) and y (purple) at a test point.
    ``expl[(model, method)]`` holds the explanation file's arrays (``X``, ``A``).
    """
    style()
    import matplotlib.pyplot as plt

    from .. import models as armodels

    model_names = list(fitted)
    methods = list(dict.fromkeys(meth for _, meth in expl))
    X_all = np.concatenate([ds["X_train"], ds["X_test"]])
    lo, hi = X_all.min(0) - 0.3, X_all.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)

    fig, axes = plt.subplots(
        len(model_names), len(methods), figsize=(4.2 * len(methods), 3.9 * len(model_names)),
        squeeze=False, constrained_layout=True,
    )
    size = 0.085 * (hi - lo)  # bar insert size in data units
    for r, mname in enumerate(model_names):
        proba = armodels.predict_proba(fitted[mname], grid)[:, 1].reshape(gx.shape)
        for c, meth in enumerate(methods):
            ax = axes[r, c]
            cs = ax.contourf(gx, gy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.85)
            e = expl[(mname, meth)]
            X, A = e["X"], e["A"]
            check_finite(A, f"{meth} explanations of {mname}")
            idx = spread_points(X, n_show)
            scale = np.abs(A[idx]).max() or 1.0
            ax.scatter(X[idx, 0], X[idx, 1], s=6, c="k", zorder=3)
            for i in idx:
                ins = ax.inset_axes(
                    [X[i, 0] - size[0] / 2, X[i, 1] + 0.1 * size[1], size[0], size[1]],
                    transform=ax.transData,
                )
                ins.bar([0, 1], A[i, :2], color=["#2ca02c", "#9467bd"], width=0.8)
                ins.set_ylim(-scale, scale)
                ins.axhline(0, color="k", lw=0.4)
                ins.set_xticks([])
                ins.set_yticks([])
                ins.patch.set_alpha(0.75)
                for s in ins.spines.values():
                    s.set_linewidth(0.4)
            ax.set_xlim(lo[0], hi[0])
            ax.set_ylim(lo[1], hi[1])
            ax.set_title(f"{label(meth)} — {label(mname)}")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
    fig.colorbar(cs, ax=axes, shrink=0.6, label="P(class 1)")
    return fig
