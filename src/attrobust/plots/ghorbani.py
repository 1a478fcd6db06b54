"""Ghorbani, Abid & Zou (2019), "Interpretation of Neural Networks is Fragile": Figs. 1, 2,
8 and 9 from the attack files and their tidy metrics (columns method, attack, eps, image,
topk_intersection, spearman, center_shift, label_kept); Figs. 3, 4 and 10 from the influence
file and table (workflow/papers/ghorbani/scripts/influence.py: columns attack in targeted/random_sign, eps,
image, spearman, topk_overlap) and Fig. 11 from the Hessian-angle file."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from . import LABELS, check_finite, label, style

ATTACK_LABELS = {a: LABELS[a] for a in ("random_sign", "topk", "mass_center")}
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
            ax.set_title(label(m))
            if col in ("topk_intersection", "spearman"):  # similarities: up to 1 (unchanged map)
                ax.set_ylim(min(0.0, float(table[col].min()) - 0.05), 1.02)
            else:  # a distance: from 0
                ax.set_ylim(bottom=0)
            if (r, c) != (0, 0):
                ax.get_legend().remove()
    for row in axes:  # one scale per row: the methods compare by eye (IG the most robust?)
        lo, hi = min(a.get_ylim()[0] for a in row), max(a.get_ylim()[1] for a in row)
        for a in row:
            a.set_ylim(lo, hi)
    return fig


def fig2(table, *, methods: Sequence[str], k: int):
    """Top-k intersection and Spearman rank correlation between original and perturbed
    saliency maps against eps, three attacks x the methods (mean over test images)."""
    return _grid(table, {"topk_intersection": f"top-{k} intersection",
                         "spearman": "Spearman's rank correlation"}, methods)


def fig8(table, *, methods: Sequence[str]):
    """Center-of-mass shift (pixels) of the saliency map against eps."""
    return _grid(table, {"center_shift": "center shift (pixels)"}, methods)


def _image_and_map(ax_img, ax_map, res: Mapping, xk: str, ak: str, pk: str, index: int, what: str,
                   method: str, class_names: Sequence[str], vmax: float | None = None):
    """One (image, saliency map) pair from one attack file: the image ``res[xk][index]``
    with its predicted class and probability, and the map ``res[ak][index]`` computed for
    that very image (the attack of each method perturbs the image differently). The map is
    the normalised saliency (each map sums to 1), drawn on [0, ``vmax``]; returns its image."""
    from ..metrics import saliency_map

    p = res[pk][index]
    c = int(p.argmax())
    name = class_names[c] if len(class_names) > c else str(c)
    _show(ax_img, res[xk][index], f"{what}\n'{name}' ({p[c]:.2f})")
    A = res[ak][index : index + 1]
    check_finite(A, f"{method} saliency maps")
    im = ax_map.imshow(saliency_map(A)[0], cmap="inferno", vmin=0, vmax=vmax)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_title(f"{label(method)}\nsaliency map", fontsize=7)
    return im


def _shared_vmax(files, index: int) -> float:
    """The largest normalised saliency of image ``index`` over the original and attacked
    maps of ``files`` (one scale for one method's maps)."""
    from ..metrics import saliency_map

    v = [saliency_map(f[k][index : index + 1]).max() for f in files for k in ("A", "A_adv")]
    return float(max(v)) or 1.0


def _map_colorbar(fig, im, axes):
    cb = fig.colorbar(im, ax=list(axes), location="bottom", shrink=0.9, aspect=12, pad=0.02)
    cb.set_label("share of the map's total |attribution|", fontsize=6)
    cb.ax.tick_params(labelsize=6)
    # a narrow bar: at most 3 ticks, so small shares (0.0025 ...) do not run into each other
    from matplotlib.ticker import MaxNLocator
    cb.locator = MaxNLocator(3)
    cb.update_ticks()


def fig1(examples: Mapping[str, Mapping], *, index: int = 0, class_names: Sequence[str] = ()):
    """Fig. 1: for each method (``examples[method]``: the center attack's file for that
    method at the largest eps), the test image and its saliency map (top row) and the image
    the center attack made for that method with its saliency map (bottom row), side by side
    as in the paper, where each method has its own perturbed image."""
    style()
    import matplotlib.pyplot as plt

    methods = list(examples)
    fig, axes = plt.subplots(2, 2 * len(methods), figsize=(1.75 * 2 * len(methods), 4.4),
                             squeeze=False, constrained_layout=True)
    for j, m in enumerate(methods):
        vmax = _shared_vmax([examples[m]], index)
        for r, (xk, ak, pk, what) in enumerate([("x", "A", "probs", "original"),
                                                ("x_adv", "A_adv", "probs_adv", "center attack")]):
            im = _image_and_map(axes[r, 2 * j], axes[r, 2 * j + 1], examples[m], xk, ak, pk, index,
                                what, m, class_names, vmax)
        _map_colorbar(fig, im, axes[:, 2 * j + 1])
    return fig


def appendix_example(files: Mapping[tuple[str, str], Mapping], *, index: int, eps: float,
                     class_names: Sequence[str] = ()):
    """Figs. 5-7 (Appendix C): one test image and every method's saliency map (top row),
    then one row per attack at ``eps``: for each method the image that attack made against
    that method and its saliency map; ``files[(method, attack)]`` is that attack's file.
    Each image names its predicted class and probability (the label is kept by construction)."""
    style()
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(m for m, _ in files))
    attacks = list(dict.fromkeys(a for _, a in files))
    fig, axes = plt.subplots(1 + len(attacks), 2 * len(methods),
                             figsize=(1.7 * 2 * len(methods), 2.1 * (1 + len(attacks))),
                             squeeze=False, constrained_layout=True)
    rows = [(None, "x", "A", "probs")] + [(a, "x_adv", "A_adv", "probs_adv") for a in attacks]
    vmax = {m: _shared_vmax([files[(m, a)] for a in attacks], index) for m in methods}
    for r, (att, xk, ak, pk) in enumerate(rows):
        what = "original" if att is None else f"{ATTACK_LABELS.get(att, att)}, ε {eps:g}"
        for j, m in enumerate(methods):
            im = _image_and_map(axes[r, 2 * j], axes[r, 2 * j + 1], files[(m, att or attacks[0])],
                                xk, ak, pk, index, what, m, class_names, vmax[m])
            if r == len(rows) - 1:
                _map_colorbar(fig, im, axes[:, 2 * j + 1])
    return fig


# ----------------------------------------------- influence functions (Figs. 3, 4, 10, 11)
INFLUENCE_ATTACKS = {"random_sign": "Random sign perturbation", "targeted": "Targeted (gradient-sign) attack"}
INFLUENCE_COLORS = {"Random sign perturbation": "#7f7f7f", "Targeted (gradient-sign) attack": "#d62728"}


def _show(ax, img, title=None):
    img = np.asarray(img).transpose(1, 2, 0)
    ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def influence_summary(res: Mapping, table) -> dict:
    """What the targeted attack does at the largest eps, over all test images of ``table``
    (Figs. 3, 4 and 10 print it): ``sigma_factor``, the median factor by which it lowers
    sigma - y (1 / ``loss_factor``, influence.loss_factor; ``f`` its median), ``total_factor``,
    the median factor by which the summed |influence| of all training images falls (from the
    influence file ``res``; NaN without it), ``top_factor``, that of the summed influence of the
    attacked training images (columns top_before / top_after), and per attack the mean
    ``spearman`` and ``topk_overlap``. Every influence carries the factor sigma - y, so a
    confidence change scales them all alike."""
    eps = float(table["eps"].max())
    t = table[table["eps"] == eps]
    tg = t[t["attack"] == "targeted"]
    nan = float("nan")
    out = {"eps": eps, "n": int(tg["image"].nunique()), "sigma_factor": nan, "f": nan,
           "total_factor": nan, "top_factor": nan,
           "spearman": t.groupby("attack")["spearman"].mean().to_dict(),
           "topk_overlap": t.groupby("attack")["topk_overlap"].mean().to_dict()}
    if "loss_factor" in tg:
        f = tg["loss_factor"].to_numpy(dtype=float)
        out["sigma_factor"], out["f"] = float(np.nanmedian(1 / f)), float(np.nanmedian(f))
    if {"top_before", "top_after"} <= set(tg.columns):
        out["top_factor"] = float(np.nanmedian(tg["top_before"].to_numpy(dtype=float)
                                               / tg["top_after"].to_numpy(dtype=float)))
    if res is not None:
        j = int(np.flatnonzero(np.isclose(np.asarray(res["eps"], dtype=float), eps))[0])
        a = list(res["attacks"]).index("targeted")
        i = tg["image"].astype(int).to_numpy()
        before = np.abs(np.asarray(res["scores"])[i]).sum(1)
        after = np.abs(np.asarray(res["scores_adv"])[a, j, i]).sum(1)
        out["total_factor"] = float(np.median(before / after))
    return out


def influence_summary_text(s: Mapping, *, k: int, n_top: int | None = None) -> str:
    """``influence_summary`` in three lines, as printed above Figs. 3, 4 and 10."""
    lines = [f"targeted attack, ε = {s['eps']:g}, {s['n']} test images"]
    if np.isfinite(s["sigma_factor"]):
        lines[0] += f": σ − y falls by a median factor {s['sigma_factor']:.3g} (f = {s['f']:.3g})"
    falls = []
    if np.isfinite(s["total_factor"]):
        falls.append(f"Σ|influence| of all training images falls by {s['total_factor']:.3g}")
    if np.isfinite(s["top_factor"]):
        of = f"the {n_top} attacked" if n_top else "the attacked"
        falls.append(f"that of {of} by {s['top_factor']:.3g}")
    if falls:
        lines.append(", ".join(falls) + " (medians)")
    means = [f"{name} {s['spearman'][a]:.2f}, {s['topk_overlap'][a]:.2f}"
             for a, name in (("targeted", "targeted"), ("random_sign", "random sign")) if a in s["spearman"]]
    lines.append(f"mean Spearman, top-{k} overlap: " + "; ".join(means))
    return "\n".join(lines)


def _most_changed(res, table, n: int) -> list[int]:
    """Test images (rows of the influence file) whose top-k set changed most under the
    targeted attack at the largest eps (ties: lower Spearman first)."""
    t = table[(table["attack"] == "targeted") & (table["eps"] == table["eps"].max())]
    return t.sort_values(["topk_overlap", "spearman", "image"])["image"].astype(int).tolist()[:n]


def fig3_influence(res: Mapping, X_train, table, *, n_top: int = 3, k: int = 5, class_names: Sequence[str] = ()):
    """Fig. 3: a test image and its ``n_top`` most influential training images (top row),
    the attacked image (largest eps) and its most influential training images (bottom row),
    each with its influence score."""
    style()
    import matplotlib.pyplot as plt

    i = _most_changed(res, table, 1)[0]
    j = len(res["eps"]) - 1
    a = list(res["attacks"]).index("targeted")
    S0, S1 = res["scores"][i], res["scores_adv"][a, j, i]
    check_finite(np.stack([S0, S1]), "influence scores")
    fig, axes = plt.subplots(2, n_top + 1, figsize=(1.9 * (n_top + 1), 4.3), constrained_layout=True)
    label = class_names[int(res["y"][i])] if class_names else str(int(res["y"][i]))
    rank0 = np.argsort(np.argsort(-S0, kind="stable"), kind="stable")
    for r, (x, S, name) in enumerate([(res["x"][i], S0, "original"),
                                      (res["x_adv"][a, j, i], S1, f"attacked, ε = {res['eps'][j]:g}")]):
        _show(axes[r, 0], x, f"{name}\ntest image (class {label})")
        for c, t in enumerate(np.argsort(-S, kind="stable")[:n_top], start=1):
            extra = f"\n(was #{rank0[t] + 1}: {S0[t]:.3g})" if r == 1 else ""
            _show(axes[r, c], X_train[t], f"#{c}: influence {S[t]:.3g}{extra}")
    ov = table[(table["attack"] == "targeted") & (table["eps"] == res["eps"][j]) & (table["image"] == i)]
    fig.suptitle(f"this image: top-{k} overlap {float(ov['topk_overlap'].iloc[0]):.2f}, "
                 f"Spearman {float(ov['spearman'].iloc[0]):.2f}\n"
                 + influence_summary_text(influence_summary(res, table), k=k, n_top=n_top), fontsize=7)
    return fig


def fig4_influence(table, *, k: int = 5, res: Mapping | None = None, n_top: int | None = None):
    """Fig. 4: (a) Spearman rank correlation of all training images' influences and (b) the
    overlap of the top-k influential sets, original vs perturbed test image, random sign vs
    targeted attack, against eps (means over test images, standard errors); above the panels,
    ``influence_summary`` (the summed |influence| with the influence file ``res``)."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_finite(table[["spearman", "topk_overlap"]].to_numpy(dtype=float), "influence metrics")
    t = table.assign(attack=table["attack"].map(INFLUENCE_ATTACKS))
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.0), constrained_layout=True)
    for ax, (col, lab) in zip(axes, [("spearman", "(a) Spearman's rank correlation"),
                                     ("topk_overlap", f"(b) top-{k} overlap")]):
        sns.lineplot(t, x="eps", y=col, hue="attack", palette=INFLUENCE_COLORS, marker="o", errorbar="se", ax=ax)
        ax.set_xscale("log", base=2)
        eps = sorted(t["eps"].unique())
        ax.set_xticks(eps, [f"{e:g}" for e in eps])
        ax.set_xlabel("L∞ norm of perturbation ε (of 255)")
        ax.set_ylabel(lab)
        ax.set_ylim(min(0.0, float(t[col].min()) - 0.05), 1.02)  # the measures' range up to 1
    axes[1].get_legend().remove()
    fig.suptitle(influence_summary_text(influence_summary(res, table), k=k, n_top=n_top), fontsize=7)
    return fig


def fig10_influence(res: Mapping, table, *, n_show: int = 2, n_top: int = 3, k: int = 5):
    """Fig. 10: for the test images whose top-k set changed most at the largest eps, the
    original and attacked images and the influence of every training image before (x) and
    after (y) the attack; the ``n_top`` attacked points in red."""
    style()
    import matplotlib.pyplot as plt

    idx = _most_changed(res, table, n_show)
    j = len(res["eps"]) - 1
    a = list(res["attacks"]).index("targeted")
    fig, axes = plt.subplots(len(idx), 3, figsize=(7.2, 2.5 * len(idx)), squeeze=False,
                             constrained_layout=True, gridspec_kw={"width_ratios": [1, 1, 2]})
    for r, i in enumerate(idx):
        S0, S1 = res["scores"][i], res["scores_adv"][a, j, i]
        check_finite(np.stack([S0, S1]), "influence scores")
        _show(axes[r, 0], res["x"][i], "original")
        _show(axes[r, 1], res["x_adv"][a, j, i], f"attacked (ε = {res['eps'][j]:g})")
        top = np.argsort(-S0, kind="stable")[:n_top]
        ax = axes[r, 2]
        ax.scatter(S0, S1, s=6, color="#7f7f7f", label="training images")
        ax.scatter(S0[top], S1[top], s=18, color="#d62728", label=f"top {n_top} (attacked)")
        ax.axhline(0, lw=0.5, color="k")
        ax.axvline(0, lw=0.5, color="k")
        row = table[(table["attack"] == "targeted") & (table["eps"] == res["eps"][j]) & (table["image"] == i)]
        if "loss_factor" in row and np.isfinite(float(row["loss_factor"].iloc[0])):
            # every influence carries the factor sigma - y (influence.loss_factor): a pure
            # confidence change puts the points on this line
            f = float(row["loss_factor"].iloc[0])
            xs = np.array([S0.min(), S0.max()])
            ax.plot(xs, f * xs, ls="--", lw=0.8, color="k", label=f"shared factor σ − y: × {f:.3g}")
        ax.set_title(f"Spearman {float(row['spearman'].iloc[0]):.2f}, top-{k} overlap "
                     f"{float(row['topk_overlap'].iloc[0]):.2f}", fontsize=8)
        ax.set_xlabel("influence, original image")
        ax.set_ylabel("influence, attacked")
        if r == 0:
            ax.legend(fontsize=7)
    fig.suptitle(influence_summary_text(influence_summary(res, table), k=k, n_top=n_top), fontsize=7)
    return fig


def fig11_hessian(hessian: Mapping, angles_influence, confidence_ratio=None):
    """Fig. 11: (a) histogram of the angle between grad_x S and the top singular vector of
    grad_x^2 S over test images; (b) of the angle between the gradient of the loss and that of
    the most influential training image's influence (degrees, between lines: 0-90). With
    ``confidence_ratio`` (influence.loss_influence_terms), (b) prints its median and its 10th
    and 90th percentiles."""
    style()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7.6, 2.8), constrained_layout=True)
    for ax, (vals, title) in zip(axes, [
            (hessian["angle"], "(a) feature importance: ∇S vs v₁ of ∇²S"),
            (angles_influence, "(b) influence: ∇L vs ∇I of the top image")]):
        v = np.asarray(vals, dtype=float)
        v = v[np.isfinite(v)]
        ax.hist(v, bins=np.linspace(0, 90, 19), color="#1f77b4", edgecolor="white")
        ax.set_xlim(0, 90)
        ax.set_xlabel("angle (degrees)")
        ax.set_ylabel("test images")
        ax.set_title(f"{title}\nmedian {np.median(v):.0f}°, n = {len(v)}" if len(v) else title, fontsize=8)
    if confidence_ratio is not None and np.isfinite(confidence_ratio).any():
        lo, med, hi = np.nanpercentile(np.asarray(confidence_ratio, dtype=float), [10, 50, 90])
        axes[1].text(0.98, 0.95, "‖confidence term‖ / ‖direction term‖\nof ∇I: median "
                     f"{med:.3g}\n(10th-90th percentile {lo:.3g}-{hi:.3g})", transform=axes[1].transAxes,
                     ha="right", va="top", fontsize=7)
    return fig


def fig9(table, *, methods: Sequence[str], k: int, title: str = ""):
    """Fig. 9: Fig. 2 (top-k intersection and Spearman against eps, three attacks) for a second
    dataset or architecture (the paper: CIFAR-10)."""
    fig = fig2(table, methods=methods, k=k)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
