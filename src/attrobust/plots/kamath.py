"""Kamath et al. (2023), "Rethinking Robustness of Model Attributions" (LENS): Figs. 2-8,
Table 2 and Appendix E.1, from the tidy table of ``workflow/papers/kamath/scripts/kamath_metrics.py``
(columns dataset, model, regime, method, attack, eps, image, metric, w, value, label_kept,
k, w_div) and one attack file (x, x_adv, A, A_adv) for the example figures."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import LABELS, check_finite, label, style
from .ghorbani import ATTACK_COLORS, ATTACK_LABELS

ATTACK_LABELS = {**ATTACK_LABELS, "lens": LABELS["lens"]}
REGIME_LABELS = {"natural": "natural", "pgd": "PGD-trained", "ig_sum_norm": "IG-SUM-NORM-trained"}


def metric_label(metric: str, w: int, k: int) -> str:
    """The paper's names: top-k intersection, w-LENS-prec@k, w-LENS-recall@k-div, ..."""
    names = {"topk_intersection": f"top-{k} intersection", "topk_div_intersection": f"top-{k}-div intersection",
             "lens_prec": f"{w}-LENS-prec@{k}", "lens_recall": f"{w}-LENS-recall@{k}",
             "lens_prec_div": f"{w}-LENS-prec@{k}-div", "lens_recall_div": f"{w}-LENS-recall@{k}-div",
             "lens_spearman": f"{w}-LENS-Spearman", "lens_kendall": f"{w}-LENS-Kendall", "spearman": "Spearman"}
    return names.get(metric, metric)


def select(table, **where):
    """Rows of ``table`` whose columns equal the given values (a list: any of them)."""
    keep = np.ones(len(table), bool)
    for col, v in where.items():
        keep &= table[col].isin(v).to_numpy() if isinstance(v, (list, tuple, set)) else (table[col] == v).to_numpy()
    return table[keep]


def _check(table):
    check_finite(table["value"].to_numpy(dtype=float), "LENS metrics (results/metrics/kamath/lens.csv)")


def coverage(t) -> dict[int, tuple[float, float]]:
    """Per w > 0 of the ``coverage`` rows of ``t``: the mean and the largest share of the image
    that N_w(S_k), the union of the (2w+1) x (2w+1) windows of the top-k pixels, covers (LENS's
    chance level: a random pixel lies in N_w(S_k) with this probability)."""
    c = select(t, metric="coverage")
    c = c[c["w"] > 0]
    return {int(w): (float(d["value"].mean()), float(d["value"].max())) for w, d in c.groupby("w")}


def coverage_text(t) -> str:
    """``coverage`` in words: 'N_1(S_k) covers a mean 32% of the image (at most 42%), ...'."""
    return ", ".join(f"N_{w}(S_k) covers a mean {m:.0%} of the image (at most {mx:.0%})"
                     for w, (m, mx) in coverage(t).items())


CELL = ["dataset", "model", "method", "attack", "eps"]


def recall_saturation(t) -> dict[int, dict]:
    """Per w > 0 of the ``lens_recall`` rows of ``t``, over its (model, method, attack, eps)
    cells (means over test images): ``lo`` and ``hi``, the smallest and largest mean
    w-LENS-recall@k, ``cells``, their number, ``changed``, the number of cells whose top-k set
    changed (mean top-k intersection < 1), and ``saturated``, how many of those read exactly 1
    (every T_k pixel inside N_w(S_k): the windows cover so much of a small image that moving
    the top-k pixels does not leave them)."""
    keys = [c for c in CELL if c in t.columns]
    topk = select(t, metric="topk_intersection").groupby(keys)["value"].mean()
    changed = topk[topk < 1 - 1e-9].index
    out = {}
    for w, d in select(t, metric="lens_recall").groupby("w"):
        if w <= 0:
            continue
        m = d.groupby(keys)["value"].mean()
        mc = m[m.index.isin(changed)]
        out[int(w)] = {"lo": float(m.min()), "hi": float(m.max()), "cells": len(m), "changed": len(mc),
                       "saturated": int(np.isclose(mc, 1.0, rtol=0, atol=1e-9).sum())}
    return out


def recall_text(t, k: int) -> list[str]:
    """``recall_saturation`` in words, one line per w."""
    return [f"{w}-LENS-recall@{k}: {r['lo']:.2f}-{r['hi']:.2f} over {r['cells']} (method, attack, ε) cells; "
            f"exactly 1 in {r['saturated']} of the {r['changed']} whose top-{k} set changed"
            for w, r in recall_saturation(t).items()]


def fig2(table, *, dataset: str, model: str, methods: Sequence[str], attacks: Sequence[str],
         k: int, w: int):
    """Fig. 2: mean top-k intersection, w-LENS-recall@k and w-LENS-recall@k-div (rows)
    against eps for each method (columns), one line per attack (Ghorbani et al.'s three);
    above the panels, ``coverage_text`` and ``recall_text`` of the rows drawn from."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = [("topk_intersection", 0), ("lens_recall", w), ("lens_recall_div", w)]
    t = select(table, dataset=dataset, model=model, method=list(methods), attack=list(attacks))
    _check(t)
    fig, axes = plt.subplots(len(rows), len(methods), figsize=(3.6 * len(methods), 2.8 * len(rows)),
                             squeeze=False, constrained_layout=True, sharey="row")
    for c, meth in enumerate(methods):
        for r, (metric, ww) in enumerate(rows):
            ax = axes[r, c]
            d = select(t, method=meth, metric=metric, w=ww)
            d = d.assign(attack=d["attack"].map(ATTACK_LABELS))
            sns.lineplot(d, x="eps", y="value", hue="attack", palette=ATTACK_COLORS, marker="o",
                         errorbar="se", ax=ax)
            ax.set_xscale("log", base=2)
            eps = sorted(d["eps"].unique())
            ax.set_xticks(eps, [f"{e:g}" for e in eps])
            ax.set_xlabel("L∞ norm of perturbation ε (of 255)")
            ax.set_ylabel(metric_label(metric, ww, k))
            ax.set_ylim(-0.02, 1.02)
            cov = select(t, method=meth, metric="coverage", w=ww)["value"] if metric == "lens_recall" else ()
            chance = None
            if len(cov):  # chance level: a random pixel lies in N_w(S_k) with this probability
                chance = ax.axhline(float(cov.mean()), ls=":", color="0.4", lw=1,
                                    label=f"chance: N_{ww}(S_k) covers {float(cov.mean()):.0%} of the image")
            if r == 0:
                ax.set_title(label(meth))
            if (r, c) != (0, 0) and ax.get_legend():
                ax.get_legend().remove()
            if chance is not None:  # its own legend: the attacks' is in the first panel
                ax.legend([chance], [chance.get_label()], fontsize=7, loc="lower left")
    # this run's numbers behind LENS's high values on small images (the caption explains them)
    fig.suptitle("\n".join([coverage_text(t), *recall_text(t, k)]), fontsize=8)
    return fig


def _neighbourhood_panels(example, index: int, k: int, ws: Sequence[int], diverse: bool, w_div: int):
    """Figs. 3 and 6: image, its top-k (or top-k-div) pixels and the union of their
    (2w+1)^2 windows for each w, before (top row) and after (bottom row) the attack."""
    style()
    import matplotlib.pyplot as plt

    from .. import metrics

    x, xa = example["x"][index], example["x_adv"][index]
    a1 = metrics.saliency_map(example["A"][index:index + 1])
    a2 = metrics.saliency_map(example["A_adv"][index:index + 1])
    check_finite(np.concatenate([a1, a2]), "the example's IG maps")
    sets = [metrics.topk_div(a, k, w_div) if diverse else metrics.topk_mask(a, k) for a in (a1, a2)]
    ncol = 2 + len(ws)
    fig, axes = plt.subplots(2, ncol, figsize=(2.0 * ncol, 4.4), constrained_layout=True)
    kind = f"top-{k}-div (w={w_div})" if diverse else f"top-{k}"
    for r, (img, S, name) in enumerate(zip((x, xa), sets, ("original", "after attack"))):
        axes[r, 0].imshow(np.transpose(img, (1, 2, 0)).squeeze(-1) if img.shape[0] == 1 else np.transpose(img, (1, 2, 0)),
                          cmap="gray_r" if img.shape[0] == 1 else None, vmin=0, vmax=1)
        axes[r, 0].set_title(name)
        axes[r, 1].imshow(S[0], cmap="Reds", vmin=0, vmax=1)
        axes[r, 1].set_title(f"{kind} pixels")
        for c, w in enumerate(ws):
            N = metrics._dilate(S, w)[0]
            axes[r, 2 + c].imshow(N.astype(float) * 0.5 + S[0] * 0.5, cmap="Reds", vmin=0, vmax=1)
            axes[r, 2 + c].set_title(f"{2 * w + 1}x{2 * w + 1} neighbourhoods\n(cover {N.mean():.0%} of the image)",
                                     fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    reds = plt.get_cmap("Reds")
    fig.legend([Patch(color=reds(1.0)), Patch(color=reds(0.5)), Patch(facecolor=to_rgba("white"), edgecolor="0.6")],
               [f"{kind} pixel", "in the union of their windows", "outside"], loc="outside lower center",
               ncols=3, fontsize=8, frameon=False)
    if diverse:
        vals = {"top-k-div intersection": metrics.lens_prec_div(a1, a2, k, 0, w_div=w_div)[0]}
        for w in ws:
            vals[f"{w}-LENS-recall@k-div"] = metrics.lens_recall_div(a1, a2, k, w, w_div=w_div)[0]
            vals[f"{w}-LENS-prec@k-div"] = metrics.lens_prec_div(a1, a2, k, w, w_div=w_div)[0]
    else:
        vals = {"top-k intersection": metrics.topk_intersection(a1, a2, k)[0]}
        for w in ws:
            vals[f"{w}-LENS-recall@k"] = metrics.lens_recall(a1, a2, k, w)[0]
            vals[f"{w}-LENS-prec@k"] = metrics.lens_prec(a1, a2, k, w)[0]
    fig.suptitle(", ".join(f"{n}: {v:.2f}" for n, v in vals.items()), fontsize=8)
    return fig


def fig3(example, *, index: int, k: int, ws: Sequence[int] = (1, 2)):
    """Fig. 3: top-k pixels of IG and their 1- and 2-neighbourhoods before/after the top-k attack."""
    return _neighbourhood_panels(example, index, k, ws, False, 0)


def fig6(example, *, index: int, k: int, w_div: int, ws: Sequence[int] = (1, 2)):
    """Fig. 6: Fig. 3 with the top-k diverse pixels (Sec. 4) in place of the top-k pixels."""
    return _neighbourhood_panels(example, index, k, ws, True, w_div)


def fig7(examples: Mapping[str, Mapping], *, index: int, k: int):
    """Fig. 7: an image and its IG map before and after the top-k attack, one row per
    robustly trained model (``examples``: row label -> attack file with x, x_adv, A, A_adv),
    with the pair's top-k intersection in the title."""
    style()
    import matplotlib.pyplot as plt

    from .. import metrics

    fig, axes = plt.subplots(len(examples), 3, figsize=(6.0, 2.1 * len(examples)),
                             squeeze=False, constrained_layout=True)
    for r, (label, ex) in enumerate(examples.items()):
        x = ex["x"][index]
        a1 = metrics.saliency_map(ex["A"][index:index + 1])
        a2 = metrics.saliency_map(ex["A_adv"][index:index + 1])
        check_finite(np.concatenate([a1, a2]), f"the {label} model's IG maps")
        img = np.transpose(x, (1, 2, 0))
        axes[r, 0].imshow(img.squeeze(-1) if x.shape[0] == 1 else img, cmap="gray_r" if x.shape[0] == 1 else None,
                          vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, fontsize=8)
        top = max(float(a1.max()), float(a2.max()))
        for c, (a, name) in enumerate(((a1, "IG, original"), (a2, "IG, after top-k attack")), start=1):
            im = axes[r, c].imshow(a[0], cmap="Reds", vmin=0, vmax=top)
            axes[r, c].set_title(name if r == 0 else "", fontsize=8)
        cb = fig.colorbar(im, ax=list(axes[r, 1:]), shrink=0.9, aspect=12)  # one scale per row
        cb.set_label("share of |IG|", fontsize=7)
        cb.ax.tick_params(labelsize=6)
        axes[r, 2].set_xlabel(f"top-{k} intersection {metrics.topk_intersection(a1, a2, k)[0]:.2f}", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def _bars(t, group: str, order: Sequence, labels: Mapping, metrics_: Sequence[tuple[str, int]], k: int, ax):
    import seaborn as sns

    _check(t)
    parts = []
    for metric, w in metrics_:
        d = select(t, metric=metric, w=w)
        parts.append(d.assign(measure=metric_label(metric, w, k)))
    import pandas as pd

    d = pd.concat(parts, ignore_index=True)
    d = d.assign(**{group: d[group].map(lambda v: labels.get(v, v))})
    sns.barplot(d, x=group, y="value", hue="measure", order=[labels.get(v, v) for v in order],
                errorbar="se", ax=ax)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("")
    ax.set_ylabel("mean over test images")
    ax.legend(fontsize=7, loc="lower right")


def fig4(table, *, datasets: Sequence[str], model: str, budgets: Mapping[str, float], k: int):
    """Fig. 4: mean top-k intersection, 1-LENS-prec@k and 1-LENS-recall@k of IG under the
    top-k attack, one group per dataset (naturally trained model, the dataset's budget)."""
    style()
    import matplotlib.pyplot as plt
    import pandas as pd

    t = pd.concat([select(table, dataset=d, model=model, method="integrated_gradients", attack="topk",
                          eps=budgets[d]) for d in datasets], ignore_index=True)
    fig, ax = plt.subplots(figsize=(1.6 + 1.6 * len(datasets), 3.2), constrained_layout=True)
    _bars(t, "dataset", datasets, {d: f"{d} (ε={budgets[d]:g})" for d in datasets},
          [("topk_intersection", 0), ("lens_prec", 1), ("lens_recall", 1)], k, ax)
    ax.set_title("IG, top-k attack")
    return fig


def fig5(table, *, dataset: str, model: str, attacks: Sequence[str], budget: float, k: int,
         ws: Sequence[int], w_div: int):
    """Fig. 5: mean w-LENS-prec@k (left) and w-LENS-prec@k-div (right) of IG against w, one
    line per attack; w = 0 on the left is top-k intersection."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    t = select(table, dataset=dataset, model=model, method="integrated_gradients", attack=list(attacks),
               eps=budget, w=list(ws))
    _check(t)
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.1), constrained_layout=True, sharey=True)
    for ax, metric, title in zip(axes, ("lens_prec", "lens_prec_div"),
                                 (f"w-LENS-prec@{k}", f"w-LENS-prec@{k}-div (w_div={w_div})")):
        d = select(t, metric=metric)
        d = d.assign(attack=d["attack"].map(ATTACK_LABELS))
        sns.lineplot(d, x="w", y="value", hue="attack", palette=ATTACK_COLORS, marker="o", errorbar="se", ax=ax)
        cov = select(t, metric="coverage")
        if metric == "lens_prec" and len(cov):  # chance level per w: the share of the image in N_w(T_k)
            m = cov.groupby("w")["value"].mean()
            ax.plot(m.index, m.values, ls=":", color="0.4", marker="s", ms=3,
                    label="chance: share of the image in N_w (" + ", ".join(f"w={w}: {v:.0%}" for w, v in m.items()) + ")")
            ax.legend(fontsize=6)
        ax.set_xticks(sorted(ws))
        ax.set_title(title)
        ax.set_ylabel("mean over test images")
        ax.set_ylim(-0.02, 1.02)
    axes[1].get_legend().remove()
    return fig


def fig8(table, *, dataset: str, models: Sequence[str], budget: float, k: int):
    """Fig. 8: top-k intersection, 1-LENS-prec@k and 1-LENS-recall@k of IG under the top-k
    attack for the natural, PGD- and IG-SUM-NORM-trained models."""
    style()
    import matplotlib.pyplot as plt

    t = select(table, dataset=dataset, model=list(models), method="integrated_gradients", attack="topk", eps=budget)
    regimes = dict(zip(t["model"], t["regime"]))
    fig, ax = plt.subplots(figsize=(1.6 + 1.7 * len(models), 3.2), constrained_layout=True)
    _bars(t, "model", models, {m: f"{m}\n({REGIME_LABELS.get(regimes.get(m), regimes.get(m))})" for m in models},
          [("topk_intersection", 0), ("lens_prec", 1), ("lens_recall", 1)], k, ax)
    cov = coverage(select(t, w=1))
    ax.set_title(f"IG, top-k attack, ε = {budget:g}/255"
                 + (f"\nchance level of 1-LENS: N_1(S_k) covers a mean {cov[1][0]:.0%} of the image" if cov else ""),
                 fontsize=9)
    return fig


def fig_e1(table, *, dataset: str, model: str, budget: float, k: int):
    """Appendix E.1: top-k intersection and 1-LENS-prec@k of IG after the top-k attack and
    after the same attack with the (relaxed) 1 - 1-LENS-prec@k objective."""
    style()
    import matplotlib.pyplot as plt

    t = select(table, dataset=dataset, model=model, method="integrated_gradients", attack=["topk", "lens"], eps=budget)
    fig, ax = plt.subplots(figsize=(4.2, 3.2), constrained_layout=True)
    _bars(t, "attack", ["topk", "lens"], ATTACK_LABELS, [("topk_intersection", 0), ("lens_prec", 1)], k, ax)
    ax.set_title("IG: which objective attacks better?\n(lower = stronger attack)", fontsize=9)
    return fig


def table2(table, *, dataset: str, models: Sequence[str], methods: Sequence[str], budget: float,
           k: int, w: int):
    """Table 2: mean top-k intersection, w-LENS-recall@k and w-LENS-recall@k-div under the
    random sign attack, per (model, attribution method). Returns a DataFrame."""
    import pandas as pd

    t = select(table, dataset=dataset, model=list(models), method=list(methods), attack="random_sign", eps=budget)
    _check(t)
    cols = [("topk_intersection", 0), ("lens_recall", w), ("lens_recall_div", w)]
    rows = []
    for m in models:
        for meth in methods:
            d = select(t, model=m, method=meth)
            if d.empty:
                continue
            row = {"model": m, "training": REGIME_LABELS.get(d["regime"].iloc[0], d["regime"].iloc[0]),
                   "method": label(meth)}
            for metric, ww in cols:
                row[metric_label(metric, ww, k)] = select(d, metric=metric, w=ww)["value"].mean()
            rows.append(row)
    return pd.DataFrame(rows)


def table_markdown(df, caption: str) -> str:
    lines = [caption, "", "| " + " | ".join(df.columns) + " |", "|" + " --- |" * len(df.columns)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + " |")
    return "\n".join(lines) + "\n"
