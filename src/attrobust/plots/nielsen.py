"""Nielsen et al. (2022), "Robust Explainability: a Tutorial on Gradient-Based Attribution Methods"."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import check_finite, colorbar_below, label, style


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
            im = axes[i, c].imshow(maps[i], cmap="inferno", vmin=0, vmax=vmax)
        axes[0, c].set_title(label(meth), fontsize=7)
        colorbar_below(axes[-1, c], im, "column's scale")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(pad=0.3, h_pad=0.8)
    return fig


def _minmax_colorbar(fig, im, axes) -> None:
    """One colour bar for maps min-max scaled each to [0, 1] (the stated shared scale)."""
    cb = fig.colorbar(im, ax=np.asarray(axes).ravel().tolist(), shrink=0.6, fraction=0.04, pad=0.02)
    cb.set_label("|attribution|, min-max scaled per map", fontsize=6)
    cb.ax.tick_params(labelsize=5)


def _off(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def _image(ax, x) -> None:
    img = np.asarray(x).transpose(1, 2, 0)
    ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray_r")


def _minmax(A) -> np.ndarray:
    """|A| summed over channels, min-max scaled per map (Nielsen et al. 2022, released code)."""
    m = saliency_map(A)
    flat = m.reshape(len(m), -1)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    return ((flat - lo) / np.where(hi > lo, hi - lo, 1.0)).reshape(m.shape)


def class_sensitivity(results: Mapping, *, example: int = 0):
    """Nielsen et al. (2022), Fig. 2, and a summary over images.

    Top: for test image ``example``, one column per method; the first row is the map for
    the true class, the others the maps for the most probable other classes (class and
    softmax probability on the left), each annotated with its Spearman correlation to the
    true-class map (min-max scaled maps, as the released code). Bottom: per method, the
    mean (and standard deviation over images) of Spearman(true class, other class); low
    means class-discriminative. ``results[method]``: a class-sensitivity job's arrays
    (X, y, probs, others, A_true, A_other, spearman)."""
    style()
    import matplotlib.pyplot as plt

    methods = list(results)
    first = results[methods[0]]
    x, y, probs, others = first["X"][example], int(first["y"][example]), first["probs"][example], first["others"][example]
    k = len(others)
    fig = plt.figure(figsize=(1.1 * (len(methods) + 1), 1.1 * (k + 1) + 2.3))
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.1 * (k + 1), 2.3])
    axes = top.subplots(k + 1, len(methods) + 1, squeeze=False)
    for r in range(k + 1):
        _image(axes[r, 0], x)
        c = y if r == 0 else int(others[r - 1])
        axes[r, 0].set_ylabel(f"{'true ' if r == 0 else ''}class {c}\np = {probs[c]:.2g}", fontsize=6)
    for j, meth in enumerate(methods, start=1):
        res = results[meth]
        check_finite(res["A_true"], f"{meth} class-sensitivity maps")
        maps = _minmax(np.concatenate([res["A_true"][[example]], res["A_other"][example]]))
        for r in range(k + 1):
            im = axes[r, j].imshow(maps[r], cmap="inferno", vmin=0, vmax=1)
            if r:
                axes[r, j].set_title(f"ρ = {res['spearman'][example, r - 1]:.2f}", fontsize=6, pad=1)
        axes[0, j].set_title(label(meth), fontsize=6, pad=1)
    for ax in axes.ravel():
        _off(ax)
    _minmax_colorbar(top, im, axes)
    ax = bottom.subplots()
    means = [np.mean(results[m]["spearman"]) for m in methods]
    sds = [np.std(results[m]["spearman"]) for m in methods]
    ax.bar(range(len(methods)), means, yerr=sds, color="C0", capsize=2)
    ax.set_xticks(range(len(methods)), [label(m) for m in methods], rotation=30, ha="right", fontsize=7)
    n, k_all = first["spearman"].shape
    ax.set_ylabel("mean Spearman\n(true vs other class)", fontsize=7)
    ax.set_title(f"{n} test images x {k_all} other classes", fontsize=7)
    ax.axhline(0, color="k", lw=0.5)
    return fig


SANITY_METRICS = {"spearman_abs": "Spearman (absolute maps)", "spearman_signed": "Spearman (signed maps)",
                  "ssim": "SSIM (absolute maps)"}


def sanity_cascading(table, examples: Mapping):
    """Cascading randomisation (Adebayo et al. 2018, Figs. 2 and 4; Nielsen et al. 2022, Sec.
    4): top row, per similarity metric, the mean over images (band: +- one standard
    deviation) between the trained model's maps and those after randomising the top k
    learnable layers, against k; below, for one image, each method's (min-max scaled) map
    at every stage. ``table``: the sanity jobs' tidy rows; ``examples[method]``: their
    example maps (x, maps (stages, H, W), layers)."""
    style()
    import matplotlib.pyplot as plt

    methods = list(examples)
    t = table[table["test"] == "cascading"]
    first = examples[methods[0]]
    n_stage = len(first["layers"])
    fig = plt.figure(figsize=(max(7.5, 1.0 * (n_stage + 1)), 3.3 + 0.9 * len(methods)))
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.3, 0.9 * len(methods)])
    axes = top.subplots(1, len(SANITY_METRICS), sharey=True)
    top.subplots_adjust(bottom=0.33, top=0.9, wspace=0.08, right=0.85)
    top.supxlabel("layers randomised, cumulatively from the top", fontsize=7)
    ticks = ["none"] + [f"+{n}" for n in first["layers"][1:]]
    for ax, (metric, name) in zip(axes, SANITY_METRICS.items()):
        for i, m in enumerate(methods):
            g = t[(t["method"] == m) & (t["metric"] == metric)].groupby("n_randomized")["value"]
            mu, sd = g.mean(), g.std(ddof=0)
            ax.plot(mu.index, mu.values, marker="o", ms=3, label=label(m), color=f"C{i % 10}")
            ax.fill_between(mu.index, mu - sd, mu + sd, alpha=0.12, color=f"C{i % 10}")
        ax.set_xticks(range(n_stage), ticks, rotation=45, ha="right", fontsize=6)
        ax.set_title(name, fontsize=8)
        ax.set_ylim(-1.05, 1.05)
        ax.axhline(0, color="k", lw=0.4)
    axes[-1].legend(fontsize=6, frameon=False, loc="center left", bbox_to_anchor=(1, 0.5))
    grid = bottom.subplots(len(methods), n_stage + 1, squeeze=False)
    for i, m in enumerate(methods):
        ex = examples[m]
        _image(grid[i, 0], ex["x"])
        grid[i, 0].set_ylabel(label(m).replace(" ", "\n"), fontsize=6)
        for s in range(n_stage):
            im = grid[i, s + 1].imshow(ex["maps"][s], cmap="inferno", vmin=0, vmax=1)
            if i == 0:
                grid[i, s + 1].set_title(ticks[s], fontsize=6, pad=1)
    for ax in grid.ravel():
        _off(ax)
    _minmax_colorbar(bottom, im, grid)
    return fig


def sanity_data(table, examples: Mapping, *, permuted_metrics: Mapping | None = None):
    """Data randomisation (Adebayo et al. 2018, Fig. 5): per method, the similarity between
    the maps of the model trained on the true labels and of the same architecture trained on
    permuted labels (bars: mean over images, whiskers: standard deviation), and one image's
    maps of both models. High similarity means the method does not depend on the relation
    between inputs and labels the model learnt."""
    style()
    import matplotlib.pyplot as plt

    methods = list(examples)
    t = table[table["test"] == "data"]
    fig = plt.figure(figsize=(max(7.5, 0.9 * len(methods) + 1), 5.0))
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.8, 2.2])
    ax = top.subplots()
    top.subplots_adjust(bottom=0.28)
    width = 0.8 / len(SANITY_METRICS)
    for j, (metric, name) in enumerate(SANITY_METRICS.items()):
        g = t[t["metric"] == metric].groupby("method")["value"]
        mu, sd = g.mean().reindex(methods), g.std(ddof=0).reindex(methods)
        ax.bar(np.arange(len(methods)) + (j - 1) * width, mu, width, yerr=sd, capsize=1.5, label=name)
    ax.set_xticks(range(len(methods)), [label(m) for m in methods], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("similarity: true vs permuted labels", fontsize=7)
    ax.axhline(0, color="k", lw=0.5)
    ax.legend(fontsize=6, frameon=False)
    if permuted_metrics:
        ax.set_title(f"permuted-label model: train accuracy {permuted_metrics.get('train_accuracy', float('nan')):.2f} "
                     f"(on its labels), test accuracy {permuted_metrics.get('test_accuracy', float('nan')):.2f}",
                     fontsize=7)
    grid = bottom.subplots(2, len(methods) + 1, squeeze=False)
    for i, m in enumerate(methods):
        ex = examples[m]
        grid[0, i + 1].imshow(ex["maps"][0], cmap="inferno", vmin=0, vmax=1)
        im = grid[1, i + 1].imshow(ex["permuted"], cmap="inferno", vmin=0, vmax=1)
        grid[0, i + 1].set_title(label(m), fontsize=6, pad=1)
    for r, name in enumerate(["true labels", "permuted"]):
        _image(grid[r, 0], examples[methods[0]]["x"])
        grid[r, 0].set_ylabel(name, fontsize=6)
    for a in grid.ravel():
        _off(a)
    _minmax_colorbar(bottom, im, grid)
    return fig


def morf_lerf(table, *, replace: str = "mean", output: str = "prob"):
    """Pixel-removal curves (Samek et al. 2017, eq. 7; Tomsett et al. 2020; Nielsen et al.
    2022, Sec. 4): the mean over images of the target class's score against the fraction of
    pixels removed, most relevant first (MoRF, left: a faster drop is better) and least
    relevant first (LeRF, right: a slower drop is better); the legend gives each curve's
    mean area. ``table``: the faithfulness jobs' tidy rows."""
    style()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.0), sharey=True)
    methods = list(dict.fromkeys(table["method"]))
    for ax, order, name in zip(axes, ("morf", "lerf"), ("MoRF (lower area is better)", "LeRF (higher area is better)")):
        for i, m in enumerate(methods):
            t = table[(table["method"] == m) & (table["quantity"] == order)]
            check_finite(t["value"].to_numpy(), f"{m} {order} curves")
            mu = t.groupby("fraction")["value"].mean()
            a = table[(table["method"] == m) & (table["quantity"] == f"{order}_area")]["value"].mean()
            ax.plot(mu.index, mu.values, label=f"{label(m)} ({a:.2f})", color=f"C{i % 10}", lw=1.2)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel(f"fraction of pixels removed (replaced by {replace})", fontsize=7)
        ax.legend(fontsize=6, frameon=False)
    axes[0].set_ylabel("softmax probability of the class" if output == "prob" else "logit of the class", fontsize=7)
    fig.tight_layout()
    return fig


def pgd_saliency(natural: Mapping, robust: Mapping, *, n_images: int = 4, names=("natural", "PGD")):
    """Nielsen et al. (2022), Fig. 3: test images (top row) and the saliency maps (absolute
    gradient summed over channels, one colour scale per map) of a naturally trained model
    (middle) and of the same architecture trained with PGD (Madry et al. 2018; bottom).
    ``natural`` / ``robust``: explanation files' arrays (X, A, ...) of the same images."""
    style()
    import matplotlib.pyplot as plt

    X = natural["X"][:n_images]
    if not np.array_equal(X, robust["X"][:n_images]):
        raise ValueError("the two explanation files hold different images; rerun their explain jobs")
    n = len(X)
    fig, axes = plt.subplots(3, n, figsize=(1.2 * n, 3.8), squeeze=False)
    for i in range(n):
        _image(axes[0, i], X[i])
        for r, e in enumerate((natural, robust), start=1):
            check_finite(e["A"][:n_images], "saliency maps")
            im = axes[r, i].imshow(_minmax(e["A"][[i]])[0], cmap="inferno", vmin=0, vmax=1)
    axes[0, 0].set_ylabel("input", fontsize=7)
    axes[1, 0].set_ylabel(names[0], fontsize=7)
    axes[2, 0].set_ylabel(names[1], fontsize=7)
    for ax in axes.ravel():
        _off(ax)
    fig.tight_layout(pad=0.3)
    _minmax_colorbar(fig, im, axes[1:])
    return fig
