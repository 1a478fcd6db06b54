"""Ghorbani, Abid & Zou (2019), "Interpretation of Neural Networks is Fragile": Figs. 1, 2
and 8 from the attack files and their tidy metrics (columns method, attack, eps, image,
topk_intersection, spearman, center_shift, label_kept)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import check_finite, style

METHOD_LABELS = {"simple_gradient": "Simple Gradient", "integrated_gradients": "Integrated Gradients",
                 "deeplift": "DeepLIFT"}
ATTACK_LABELS = {"random_sign": "Random sign perturbation", "topk": "Top-k attack",
                 "mass_center": "Center attack"}
ATTACK_COLORS = {"Random sign perturbation": "#7f7f7f", "Top-k attack": "#d62728",
                 "Center attack": "#1f77b4"}


def _by_eps(ax, table, y, ylabel):
    import seaborn as sns

    t = table.assign(attack=table["attack"].map(ATTACK_LABELS))
    sns.lineplot(t, x="eps", y=y, hue="attack", palette=ATTACK_COLORS, marker="o",
                 errorbar="se", ax=ax)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(t["eps"].unique()), [f"{e:g}" for e in sorted(t["eps"].unique())])
    ax.set_xlabel("L∞ norm of perturbation ε (of 255)")
    ax.set_ylabel(ylabel)


def _grid(table, rows: Mapping[str, str], methods: Sequence[str]):
    style()
    import matplotlib.pyplot as plt

    check_finite(table[list(rows)].to_numpy(dtype=float), "attack metrics")
    fig, axes = plt.subplots(len(rows), len(methods), figsize=(3.6 * len(methods), 3.0 * len(rows)),
                             squeeze=False, constrained_layout=True)
    for c, m in enumerate(methods):
        for r, (col, ylabel) in enumerate(rows.items()):
            ax = axes[r, c]
            _by_eps(ax, table[table["method"] == m], col, ylabel)
            ax.set_title(METHOD_LABELS.get(m, m))
            if (r, c) != (0, 0):
                ax.get_legend().remove()
    return fig


def fig2(table, *, methods: Sequence[str], k: int):
    """Top-k intersection and Spearman rank correlation between original and perturbed
    saliency maps against eps, three attacks x the methods (mean over test images)."""
    return _grid(table, {"topk_intersection": f"top-{k} intersection",
                         "spearman": "Spearman's rank correlation"}, methods)


def fig8(table, *, methods: Sequence[str]):
    """Center-of-mass shift (pixels) of the saliency map against eps."""
    return _grid(table, {"center_shift": "center shift (pixels)"}, methods)


def fig1(examples: Mapping[str, Mapping], *, index: int = 0, class_names: Sequence[str] = ()):
    """One test image and its saliency maps (top row) and the center-attacked image with its
    maps (bottom row); ``examples[method]`` is the center attack's file at the largest eps."""
    style()
    import matplotlib.pyplot as plt

    from ..metrics import saliency_map

    methods = list(examples)
    first = examples[methods[0]]
    fig, axes = plt.subplots(2, len(methods) + 1, figsize=(2.1 * (len(methods) + 1), 4.6),
                             constrained_layout=True)
    for r, (xk, ak, pk) in enumerate([("x", "A", "probs"), ("x_adv", "A_adv", "probs_adv")]):
        img = first[xk][index].transpose(1, 2, 0)
        axes[r, 0].imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray_r", vmin=0, vmax=1)
        p = first[pk][index]
        c = int(p.argmax())
        name = class_names[c] if len(class_names) > c else str(c)
        axes[r, 0].set_title(f"{'original' if r == 0 else 'center attack'}\n'{name}' ({p[c]:.2f})", fontsize=8)
        for j, m in enumerate(methods, start=1):
            A = examples[m][ak][index : index + 1]
            check_finite(A, f"{m} saliency maps")
            axes[r, j].imshow(saliency_map(A)[0], cmap="inferno")
            if r == 0:
                axes[r, j].set_title(METHOD_LABELS.get(m, m), fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
