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


def fig2(table, *, datasets, methods, eps: float, n_calls: int, model: str):
    """Fig. 2: distribution of the local Lipschitz estimate (eq. 1) over test points, one box
    per (dataset, explainer); grey ticks: the median noise floor (seed-to-seed spread of the
    explanation at x) divided by eps, the ratio that sampling noise alone would give."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_finite(table["L"].to_numpy(), "Lipschitz estimates (results/metrics/alvarez_melis)")
    t = table.assign(explainer=table["method"].map(label))
    order, hue_order = list(datasets), [label(m) for m in methods]
    fig, ax = plt.subplots(figsize=(1.9 * len(datasets) + 1.5, 3.4), constrained_layout=True)
    sns.boxplot(t, x="dataset", y="L", hue="explainer", order=order, hue_order=hue_order, ax=ax,
                palette=["#2ca02c", "#9467bd"], fliersize=2)
    floor = t.groupby(["dataset", "explainer"])["noise_floor"].median() / eps
    width = 0.8 / len(hue_order)
    for i, d in enumerate(order):
        for j, h in enumerate(hue_order):
            if (d, h) in floor.index and floor[(d, h)] > 0:
                xpos = i - 0.4 + width * (j + 0.5)
                ax.hlines(floor[(d, h)], xpos - width / 3, xpos + width / 3, color="0.4", lw=2)
    ax.set_yscale("log")
    ax.set_ylabel("local Lipschitz estimate L(x)")
    ax.set_xlabel("")
    ax.set_title(f"{label(model)}: eq. (1), ε = {eps:g}, {n_calls} calls per point")
    return fig


def fig3(example, *, dataset: str):
    """Fig. 3: the test point whose explanation is least robust (largest L of the first
    explainer), its explanations (top) and the explanations at the maximiser x' (bottom)."""
    style()
    import matplotlib.pyplot as plt

    methods = list(example)
    first = {k: np.concatenate([c[k] for c in example[methods[0]]]) for k in ("L",)}
    i = int(np.argmax(first["L"]))
    names = [str(n) for n in example[methods[0]][0]["feature_names"]]
    fig, axes = plt.subplots(2, len(methods), figsize=(3.4 * len(methods), 5.6), squeeze=False,
                             constrained_layout=True)
    for c, m in enumerate(methods):
        r = {k: np.concatenate([ch[k] for ch in example[m]]) for k in ("f_x", "f_max", "L", "outputs", "outputs_max")}
        check_finite(r["f_x"], f"{m} explanations")
        lim = np.abs(np.concatenate([r["f_x"][i], r["f_max"][i]])).max() * 1.1 or 1.0
        for row, (key, out, what) in enumerate([("f_x", "outputs", "x"), ("f_max", "outputs_max", "x'")]):
            ax = axes[row, c]
            vals = r[key][i].ravel()
            ax.barh(range(len(vals)), vals, color=np.where(vals >= 0, "#2ca02c", "#d62728"))
            ax.set_yticks(range(len(vals)), names, fontsize=6)
            ax.invert_yaxis()
            ax.set_xlim(-lim, lim)
            pred = np.atleast_1d(r[out][i])
            shown = f"{pred[0]:.1f}" if pred.size == 1 else f"p = {pred.max():.2f}"
            ax.set_title(f"{label(m)} at {what} (prediction {shown})" + (f"\nL = {r['L'][i]:.2f}" if row else ""),
                         fontsize=8)
    fig.suptitle(f"{dataset}: test point {i} and its Lipschitz maximiser", fontsize=9)
    return fig
