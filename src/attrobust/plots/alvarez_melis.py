"""Alvarez-Melis & Jaakkola (2018), "On the Robustness of Interpretability Methods"."""
from __future__ import annotations

from typing import Mapping

import numpy as np

from . import check_finite, colorbar_below, label, style


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
    from matplotlib.patches import Patch

    fig.legend([Patch(color="#2ca02c"), Patch(color="#9467bd")],
               ["attribution to x", "attribution to y"], loc="outside lower center", ncols=2, fontsize=8,
               title="bars (one scale per panel: ± its largest |attribution|)", title_fontsize=8, frameon=False)
    return fig


#: Panel titles of the randomness settings (attrobust.lipschitz.RANDOMNESS).
RANDOMNESS_TITLES = {
    "fresh": "fresh draws: a new sample at every explainer call (the paper's code)",
    "common": "common random numbers: one seed at x and every x'",
}


def _panels(table, randomness):
    """``[(setting or None, rows)]``: one panel per randomness setting the table holds."""
    if randomness is None or "randomness" not in table:
        return [(None, table)]
    return [(r, table[table["randomness"] == r]) for r in randomness if (table["randomness"] == r).any()]


def fig2(table, *, datasets, methods, eps: float, n_calls: int, model: str, randomness=None):
    """Fig. 2: distribution of the local Lipschitz estimate (eq. 1) over test points, one box
    per (dataset, explainer); grey ticks: the median noise floor (seed-to-seed spread of the
    explanation at x) divided by eps, the ratio that sampling noise alone would give. One
    panel per ``randomness`` setting of the stochastic explainers (the table's
    ``randomness`` column; None: one panel), on one y axis."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.lines import Line2D

    check_finite(table["L"].to_numpy(), "Lipschitz estimates (results/metrics/alvarez_melis)")
    panels = _panels(table, randomness)
    order, hue_order = [label(d) for d in datasets], [label(m) for m in methods]
    fig, axes = plt.subplots(1, len(panels), figsize=((1.9 * len(datasets) + 1.5) * len(panels), 3.6),
                             constrained_layout=True, sharey=True, squeeze=False)
    for ax, (r, rows) in zip(axes[0], panels):
        t = rows.assign(explainer=rows["method"].map(label), dataset=rows["dataset"].map(label))
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
        handles, labels_ = ax.get_legend_handles_labels()
        ax.legend(handles + [Line2D([], [], color="0.4", lw=2)], labels_ + ["median noise floor / ε"],
                  fontsize=7, loc="best")
        ax.set_title(RANDOMNESS_TITLES.get(r, r) if r else "", fontsize=8)
    fig.suptitle(f"{label(model)}: eq. (1), ε = {eps:g}, {n_calls} calls per point", fontsize=9)
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
            if row:  # the bars' colours: the sign of the attribution
                ax.set_xlabel("attribution (green: positive, red: negative)", fontsize=7)
    fig.suptitle(f"{label(dataset)}: test point {i} and its Lipschitz maximiser", fontsize=9)
    return fig


# ----------------------------------------------------------- Figs. 4-7 (images, eq. 2)

#: Perturbation-based explainers (Alvarez-Melis & Jaakkola 2018, Sec. 4: "model-agnostic
#: perturbation-based methods are more prone to instability"); the rest are gradient-based.
PERTURBATION = ("lime", "kernel_shap", "occlusion")

_PERT_COLOUR, _GRAD_COLOUR = "#ff7f0e", "#1f77b4"


def _image(x: np.ndarray) -> np.ndarray:
    """(C, H, W) -> what imshow takes: (H, W) for one channel, (H, W, C) otherwise."""
    img = np.asarray(x).transpose(1, 2, 0)
    return img[..., 0] if img.shape[-1] == 1 else np.clip(img, 0, 1)


def _attr_map(a: np.ndarray) -> np.ndarray:
    """Signed attribution map (H, W): summed over channels."""
    return np.asarray(a).reshape((-1,) + np.asarray(a).shape[-2:]).sum(0)


def _show(ax, img, *, cmap="gray_r", vmin=None, vmax=None, title=None, fontsize=6):
    im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=fontsize)
    return im


def fig4(pair: Mapping, *, dataset: str, model: str, eps: float, stand_in: str | None = None):
    """Fig. 4: the pair (x_i, x_j) of the test fold maximising the discrete estimate (2),
    eq. (2) decided on the first method; top row: explanations of x_i, bottom: of x_j, one
    column per method. ``pair`` holds ``methods``, ``X`` (N, D), ``A`` (M, N, D), ``L``
    (M, N; NaN: no neighbour within eps), ``argmax`` (M, N), ``outputs`` (N, K),
    ``feature_names`` and, where written, ``target`` (N,: the class explained at each point)
    and ``class_names``. Without any neighbour within eps the figure says so."""
    style()
    import matplotlib.pyplot as plt

    methods = [str(m) for m in pair["methods"]]
    L = np.asarray(pair["L"], dtype=np.float64)
    names = [str(n) for n in pair["feature_names"]]
    # one pair for every column, the first method's maximiser (the other methods' own maxima
    # are printed in their panels)
    title = (f"{label(dataset)}, {label(model)}: pair maximising eq. (2) for {label(methods[0])}, "
             f"ε = {eps:g} (L2)")
    if stand_in:
        title += f"\n(stand-in for {stand_in})"
    if not np.isfinite(L[0]).any():
        fig, ax = plt.subplots(figsize=(5, 1.6))
        ax.axis("off")
        ax.text(0.5, 0.5, f"no two test points lie within ε = {eps:g} of each other:\n"
                "eq. (2) is undefined; raise eps", ha="center", va="center", fontsize=9)
        ax.set_title(title, fontsize=9)
        return fig
    i = int(np.nanargmax(L[0]))
    j = int(pair["argmax"][0][i])
    A = np.asarray(pair["A"])
    check_finite(A[:, [i, j]], "explanations of the maximising pair")
    dist = float(np.linalg.norm(pair["X"][i] - pair["X"][j]))
    fig, axes = plt.subplots(2, len(methods), figsize=(3.3 * len(methods), 0.16 * len(names) * 2 + 1.6),
                             squeeze=False, constrained_layout=True)
    out = np.asarray(pair["outputs"])
    # the class each point's explanation is of (files without it: each point's predicted class)
    tgt = np.asarray(pair["target"]) if "target" in pair and pair["target"].ndim == 1 else out.argmax(1)
    cls = [str(n) for n in pair["class_names"]] if "class_names" in pair else []

    def cname(c):
        return f"'{cls[c]}' ({c})" if c < len(cls) else str(c)

    fixed = len(set(tgt.tolist())) == 1
    for c, m in enumerate(methods):
        lim = np.abs(A[c, [i, j]]).max() * 1.1 or 1.0
        ratio = np.linalg.norm(A[c, i] - A[c, j]) / dist
        for r, k in enumerate((i, j)):
            ax = axes[r, c]
            v = A[c, k].ravel()
            ax.barh(range(len(v)), v, color=np.where(v >= 0, "#2ca02c", "#d62728"))
            ax.set_yticks(range(len(v)), names, fontsize=5)
            ax.invert_yaxis()
            ax.set_xlim(-lim, lim)
            what = "x_i" if r == 0 else "x_j"
            t = (f"{label(m)} at {what} (test point {k})\nexplains {cname(int(tgt[k]))}: "
                 f"P = {out[k, int(tgt[k])]:.2f}; predicted {cname(int(out[k].argmax()))}")
            if r == 1:
                t += f"\n||f(x_i) - f(x_j)|| / ||x_i - x_j|| = {ratio:.3g} (max over pairs {np.nanmax(L[c]):.3g})"
            ax.set_title(t, fontsize=7)
    what = (f"explained class {cname(int(tgt[0]))} at every point" if fixed
            else "each point explains its own predicted class")
    fig.suptitle(title + f"; ||x_i - x_j|| = {dist:.3g}\n{what}", fontsize=8)
    return fig


def fig5(noise: Mapping, *, class_names=None):
    """Fig. 5: an image (top row) and Gaussian-noise versions (below) with the probability of
    the predicted class, and each method's explanation; delta = ||f(x) - f(x')|| / ||x - x'||
    (not adversarial). ``noise`` holds ``methods`` (M,), ``x`` (C, H, W), ``x_noisy``
    (S, C, H, W), ``sigmas`` (S,), ``probs`` (S + 1, K) at x and the versions, ``target``,
    ``A`` (M, S + 1, C, H, W) explanations at x and the versions, ``ratio`` (M, S)."""
    style()
    import matplotlib.pyplot as plt

    methods = [str(m) for m in noise["methods"]]
    A, ratio = np.asarray(noise["A"]), np.asarray(noise["ratio"])
    check_finite(A, "explanations of the noisy versions")
    imgs = np.concatenate([np.asarray(noise["x"])[None], np.asarray(noise["x_noisy"])])
    k, probs, sig = int(noise["target"]), np.asarray(noise["probs"]), np.asarray(noise["sigmas"])
    name = str(class_names[k]) if class_names is not None else str(k)
    n_rows, n_cols = len(imgs), len(methods) + 1
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.3 * n_cols, 1.45 * n_rows + 0.3),
                             squeeze=False)
    for r in range(n_rows):
        head = f"x, P({name}) = {probs[r, k]:.3f}" if r == 0 else \
            f"σ = {sig[r - 1]:g}, P({name}) = {probs[r, k]:.3f}"
        _show(axes[r, 0], _image(imgs[r]), vmin=0, vmax=1, title=head)
    for c, m in enumerate(methods, start=1):
        maps = np.stack([_attr_map(a) for a in A[c - 1]])
        lim = np.abs(maps).max() or 1.0
        for r in range(n_rows):
            t = label(m) if r == 0 else f"δ = {ratio[c - 1, r - 1]:.3g}"
            im = _show(axes[r, c], maps[r], cmap="RdBu_r", vmin=-lim, vmax=lim, title=t)
        colorbar_below(axes[-1, c], im, "column's scale")
    fig.tight_layout(pad=0.3, h_pad=0.8)
    return fig


def fig6(table, *, methods, eps: float, n_calls, model: str, dataset: str, estimator: str = "bo",
         randomness=None, output: str | None = None):
    """Fig. 6: local Lipschitz estimates (1) of every method over test images, one box per
    method sorted by median, perturbation-based (:data:`PERTURBATION`) and gradient-based
    coloured apart; grey ticks: median noise floor / eps (what sampling noise alone gives;
    0 and not drawn for deterministic methods). ``table``: tidy rows with ``method``, ``L``,
    ``noise_floor`` (:func:`attrobust.lipschitz.summary`). ``n_calls``: a number or a text.
    One panel per ``randomness`` setting (the table's ``randomness`` column), on one y axis;
    ``output``: the output every method explains (in the title)."""
    style()
    import matplotlib.pyplot as plt

    check_finite(table["L"].to_numpy(), "Lipschitz estimates (results/metrics/alvarez_melis)")
    panels = _panels(table, randomness)
    n = len([m for m in methods if m in set(table["method"])])
    fig, axes = plt.subplots(1, len(panels), figsize=((0.85 * n + 1.8) * len(panels), 3.6),
                             constrained_layout=True, sharey=True, squeeze=False)
    for ax, (r, rows) in zip(axes[0], panels):
        _fig6_panel(ax, rows, methods=methods, eps=eps, randomness=r)
    n_pts = table.groupby(["method"] + (["randomness"] if "randomness" in table else [])).size().max()
    fig.suptitle(f"{label(dataset)}, {label(model)}: eq. (1), ε = {eps:g}, {n_calls} calls ({estimator}), "
                 f"{n_pts} test images" + (f"; every method explains the {output}" if output else ""),
                 fontsize=8)
    return fig


def _fig6_panel(ax, table, *, methods, eps, randomness):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    med = table.groupby("method")["L"].median()
    order = sorted([m for m in methods if m in med.index], key=lambda m: med[m])
    data = [table.loc[table["method"] == m, "L"].to_numpy() for m in order]
    bp = ax.boxplot(data, patch_artist=True, widths=0.6, medianprops={"color": "k"},
                    flierprops={"markersize": 2})
    for patch, m in zip(bp["boxes"], order):
        patch.set_facecolor(_PERT_COLOUR if m in PERTURBATION else _GRAD_COLOUR)
        patch.set_alpha(0.8)
    for x, m in enumerate(order, start=1):
        floor = table.loc[table["method"] == m, "noise_floor"].median() / eps
        if floor > 0:
            ax.hlines(floor, x - 0.25, x + 0.25, color="0.4", lw=2)
    ax.set_xticks(range(1, len(order) + 1), [label(m) for m in order], rotation=30, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("local Lipschitz estimate L(x)")
    ax.set_title(RANDOMNESS_TITLES.get(randomness, randomness) if randomness else "", fontsize=7)
    handles = [Patch(color=_PERT_COLOUR, label="perturbation-based"),
               Patch(color=_GRAD_COLOUR, label="gradient-based")]
    if (table["noise_floor"] > 0).any():
        handles.append(Line2D([], [], color="0.4", lw=2, label="noise floor / ε"))
    ax.legend(handles=handles, fontsize=7, loc="best")


def fig7(chunks: Mapping, *, n_show: int = 2, class_names=None):
    """Fig. 7: test images and their Lipschitz maximisers with explanations. Per image three
    rows: the explanation at x (first column: x), the maximiser x'_m of eq. (1) for each
    method m (its own), the explanation at x'_m; titles give the predicted-class probability
    and L. ``chunks[method]``: the lipschitz chunk dicts (``X``, ``x_max``, ``f_x``,
    ``f_max``, ``L``, ``outputs``, ``outputs_max``) covering the same points."""
    style()
    import matplotlib.pyplot as plt

    methods = list(chunks)
    r = {m: {k: np.concatenate([c[k] for c in chunks[m]])
             for k in ("X", "x_max", "f_x", "f_max", "L", "outputs", "outputs_max")} for m in methods}
    X, out = r[methods[0]]["X"], r[methods[0]]["outputs"]
    n = min(n_show, len(X))
    n_cols = len(methods) + 1
    # one extra half row per image block: room for the colour bars under its last row
    fig, axes = plt.subplots(3 * n, n_cols, figsize=(1.3 * n_cols, 1.45 * 3 * n + 0.3 * n + 0.3), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 1, 1.3] * n})
    for i in range(n):
        k = int(out[i].argmax())
        name = str(class_names[k]) if class_names is not None else str(k)
        top = 3 * i
        _show(axes[top, 0], _image(X[i]), vmin=0, vmax=1, title=f"x, P({name}) = {out[i, k]:.3f}")
        axes[top + 1, 0].axis("off")
        axes[top + 2, 0].axis("off")
        axes[top + 1, 0].text(0.5, 0.5, "maximiser x'\nof each method", ha="center", va="center",
                              fontsize=6, transform=axes[top + 1, 0].transAxes)
        axes[top + 2, 0].text(0.5, 0.5, "explanation\nat x'", ha="center", va="center",
                              fontsize=6, transform=axes[top + 2, 0].transAxes)
        for c, m in enumerate(methods, start=1):
            d = r[m]
            check_finite(d["f_x"][i], f"{m} explanations")
            maps = np.stack([_attr_map(d["f_x"][i]), _attr_map(d["f_max"][i])])
            lim = np.abs(maps).max() or 1.0
            _show(axes[top, c], maps[0], cmap="RdBu_r", vmin=-lim, vmax=lim, title=label(m))
            _show(axes[top + 1, c], _image(d["x_max"][i]), vmin=0, vmax=1,
                  title=f"P({name}) = {d['outputs_max'][i, k]:.3f}")
            im = _show(axes[top + 2, c], maps[1], cmap="RdBu_r", vmin=-lim, vmax=lim,
                       title=f"L = {d['L'][i]:.3g}")
            colorbar_below(axes[top + 2, c], im)  # the scale of both maps of this method and image
    fig.tight_layout(pad=0.3, h_pad=0.8)
    for i in range(n):  # imshow keeps the maps square: the taller last row's spare height sits under them
        for ax in axes[3 * i + 2]:
            ax.set_anchor("N")
    return fig


def fig8(chunk: Mapping, *, row: int = 0, point: int | None = None, method: str = "saliency",
         dataset: str = "", model: str = "", eps: float = 0.1, n_calls=None, estimator: str = "bo",
         class_names=None):
    """Fig. 8: an image x, its Lipschitz maximiser x' (eq. 1) and the explanation (Saliency in
    the paper, a ResNet on ImageNet) at both. Top row: x, x' and x' - x, with the probability
    of the class predicted at x; bottom row: the explanation at x, at x', and their difference
    with the ratio L = ||f(x) - f(x')|| / ||x - x'||. ``chunk``: one `lipschitz` chunk
    (``X``, ``x_max``, ``f_x``, ``f_max``, ``L``, ``outputs``, ``outputs_max``), ``row`` the
    image's row in it, ``point`` its test index (for the title)."""
    style()
    import matplotlib.pyplot as plt

    n = len(chunk["L"])
    if not 0 <= row < n:
        raise ValueError(f"row {row} is not in this chunk of {n} images")
    x, xm = np.asarray(chunk["X"][row], np.float64), np.asarray(chunk["x_max"][row], np.float64)
    fx, fm = np.asarray(chunk["f_x"][row]), np.asarray(chunk["f_max"][row])
    check_finite(np.stack([fx, fm]), f"{method} explanations at x and x'")
    out, out_max = np.atleast_1d(chunk["outputs"][row]), np.atleast_1d(chunk["outputs_max"][row])
    k = int(out.argmax())
    name = str(class_names[k]) if class_names is not None else str(k)
    p, pm = float(out[k]), float(out_max[k])
    k_max = int(out_max.argmax())
    moved = "" if k_max == k else f"\n(predicted at x': {class_names[k_max] if class_names is not None else k_max})"
    maps = np.stack([_attr_map(fx), _attr_map(fm)])
    lim = np.abs(maps).max() or 1.0
    diff = xm - x
    dmap = _attr_map(diff)  # summed over channels, as the explanations
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.2), squeeze=False)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.84, wspace=0.08, hspace=0.3)
    _show(axes[0, 0], _image(x), vmin=0, vmax=1, title=f"x: P({name}) = {p:.4f}", fontsize=8)
    _show(axes[0, 1], _image(xm), vmin=0, vmax=1, title=f"x': P({name}) = {pm:.4f}{moved}", fontsize=8)
    dlim = np.abs(dmap).max() or 1.0
    im = _show(axes[0, 2], dmap, cmap="RdBu_r", vmin=-dlim, vmax=dlim,
               title=f"x' - x (max |x' - x| = {np.abs(diff).max():.3g})", fontsize=8)
    colorbar_below(axes[0, 2], im, fontsize=6)
    _show(axes[1, 0], maps[0], cmap="RdBu_r", vmin=-lim, vmax=lim, title=f"{label(method)} at x", fontsize=8)
    im = _show(axes[1, 1], maps[1], cmap="RdBu_r", vmin=-lim, vmax=lim, title=f"{label(method)} at x'", fontsize=8)
    colorbar_below(axes[1, 0], im, "shared by both maps", fontsize=6)
    colorbar_below(axes[1, 1], im, "shared by both maps", fontsize=6)
    dm = maps[1] - maps[0]
    mlim = np.abs(dm).max() or 1.0
    im = _show(axes[1, 2], dm, cmap="RdBu_r", vmin=-mlim, vmax=mlim,
               title="difference (at x' minus at x)", fontsize=8)
    colorbar_below(axes[1, 2], im, fontsize=6)
    where = f"test image {point}" if point is not None else f"row {row}"
    budget = f"ε = {eps:g} (L∞)" + (f", {n_calls} calls ({estimator})" if n_calls is not None else "")
    fig.suptitle(f"{label(dataset)}, {label(model)}: {label(method)} at {where} and its Lipschitz maximiser\n"
                 f"eq. (1), {budget}; ||f(x) - f(x')|| / ||x - x'|| = {float(chunk['L'][row]):.3g}",
                 fontsize=9)
    return fig
