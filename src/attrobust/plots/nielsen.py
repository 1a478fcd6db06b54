"""Nielsen et al. (2022), "Robust Explainability: a Tutorial on Gradient-Based Attribution Methods"."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import check_finite, label, style


def saliency_map(A: np.ndarray) -> np.ndarray:
    """Absolute attribution summed over channels (Ghorbani et al. 2019, Sec. 2.1): (N, H, W)."""
    return np.abs(A).sum(axis=1)


def gallery(expl: Mapping, *, n_images: int = 4):
    """Test images x attribution methods, one shared colour scale per column.

    Nielsen et al. (2022), Fig. 1. ``expl[method]`` holds an explanation file's arrays
    (``X`` images (N, C, H, W), ``A`` attributions, ``y`` labels, ``outputs``).
    """
    style()
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
        check_finite(A, f"{meth} explanations")
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
