"""Paper-style figures from the workflow's results: one function per figure.

Each function takes arrays the workflow wrote (prepared data, fitted models,
explanation files as dicts of arrays) and returns a matplotlib Figure; :func:`save`
writes it as PDF and PNG. Nothing is computed here that a figure does not need.
"""
from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from . import utils

#: Display names of methods, as the papers write them.
LABELS = {
    "saliency": "Saliency",
    "gradient_x_input": "Gradient*Input",
    "integrated_gradients": "Integrated Gradients",
    "smoothgrad": "SmoothGrad",
    "deeplift": "DeepLIFT",
    "lrp_epsilon": "ε-LRP",
    "occlusion": "Occlusion",
    "guided_backprop": "Guided Backprop",
    "deconvolution": "DeconvNet",
    "gradcam": "Grad-CAM",
    "guided_gradcam": "Guided Grad-CAM",
    "gradient_shap": "Gradient SHAP",
    "lime": "LIME",
    "kernel_shap": "SHAP",
    "clime": "C-LIME",
    "linear_svm": "Linear SVM",
    "mlp_sklearn": "Two-layer neural network",
    "cnn_small": "CNN",
}


def label(name: str) -> str:
    return LABELS.get(name, name)


def _style() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    sns.set_theme(style="white", context="paper")


def save(fig, pdf: str | os.PathLike, png: str | os.PathLike, dpi: int = 150) -> None:
    """Write ``fig`` to ``pdf`` and ``png`` (through temporary files) and close it."""
    import matplotlib.pyplot as plt

    for path in (pdf, png):
        with utils.atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=str(path).rsplit(".", 1)[-1])
    plt.close(fig)


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


def alvarez_melis_fig1(
    ds: Mapping, fitted: Mapping, expl: Mapping, *, n_show: int = 12, resolution: int = 200
):
    """Alvarez-Melis & Jaakkola (2018), Fig. 1.

    One row per model, one column per explainer: the heatmap is the model's
    positive-class probability over the 2-D input plane, and each bar insert shows
    the explainer's attribution to feature x (green) and y (purple) at a test point.
    ``expl[(model, method)]`` holds the explanation file's arrays (``X``, ``A``).
    """
    _style()
    import matplotlib.pyplot as plt

    from . import models as armodels

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
            _check_finite(A, f"{meth} explanations of {mname}")
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


def saliency_map(A: np.ndarray) -> np.ndarray:
    """Absolute attribution summed over channels (Ghorbani et al. 2019, Sec. 2.1): (N, H, W)."""
    return np.abs(A).sum(axis=1)


def gallery(expl: Mapping, *, n_images: int = 4):
    """Test images x attribution methods, one shared colour scale per column.

    Nielsen et al. (2022), Fig. 1. ``expl[method]`` holds an explanation file's arrays
    (``X`` images (N, C, H, W), ``A`` attributions, ``y`` labels, ``outputs``).
    """
    _style()
    import matplotlib.pyplot as plt

    methods = list(expl)
    first = expl[methods[0]]
    X, y = first["X"][:n_images], first["y"][:n_images]
    pred = first["outputs"][:n_images].argmax(1)
    n = len(X)
    fig, axes = plt.subplots(
        n, len(methods) + 1, figsize=(1.25 * (len(methods) + 1), 1.35 * n + 0.4), squeeze=False
    )
    for i in range(n):
        img = X[i].transpose(1, 2, 0)
        axes[i, 0].imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray_r")
        axes[i, 0].set_ylabel(f"y={y[i]}, ŷ={pred[i]}", fontsize=7)
    axes[0, 0].set_title("Input", fontsize=7)
    for c, meth in enumerate(methods, start=1):
        A = expl[meth]["A"][:n_images]
        _check_finite(A, f"{meth} explanations")
        maps = saliency_map(A)
        vmax = maps.max() or 1.0
        for i in range(n):
            axes[i, c].imshow(maps[i], cmap="inferno", vmin=0, vmax=vmax)
        axes[0, c].set_title(label(meth), fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(pad=0.3)
    return fig


def _check_finite(A: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(A)):
        raise ValueError(f"refusing to plot non-finite values in {what}; rerun the job that produced them")
