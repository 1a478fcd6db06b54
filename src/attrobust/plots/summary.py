"""A summary no single paper has: one robustness matrix of attribution methods x datasets.

Three views of the same question, from this run's results:

- the median local Lipschitz estimate of the explanation (Alvarez-Melis & Jaakkola 2018,
  eq. 1) over the test points (lower: more robust), one panel (and colour scale) per explained
  output - a class probability, a logit, a regression output - since L carries the output's
  units; stochastic explainers get one row per randomness setting (fresh draws, common
  random numbers: :data:`attrobust.lipschitz.RANDOMNESS`);
- the mean top-k intersection between the original and the attacked saliency map
  (Ghorbani et al. 2019, Sec. 2.2) under the strongest attack (higher: more robust);
- the mean 1 - w-LENS-prec@k (Kamath et al. 2023, Sec. 3.2) under that same attack (lower:
  more robust).

"Strongest attack": for each method and dataset, the attack that at the largest budget eps
gives the lowest mean top-k intersection. Attack methods are filed under the attribution
method the attacked map is evaluated with (Simple Gradient is Saliency).
"""
from __future__ import annotations

import numpy as np

from . import label, style

#: (quantity, panel title, colour map, whether higher values mean more robust); each panel
#: has its own colour scale
QUANTITIES = (
    ("lipschitz", "median local\nLipschitz estimate\n(lower: more robust)", "rocket_r", False),
    ("lipschitz_prob", "median local Lipschitz\nestimate, probability\n(lower: more robust)", "rocket_r", False),
    ("lipschitz_logit", "median local Lipschitz\nestimate, logit\n(lower: more robust)", "rocket_r", False),
    ("lipschitz_regression", "median local Lipschitz\nestimate, regression\noutput (lower: more robust)",
     "rocket_r", False),
    ("topk_intersection", "top-k intersection,\nstrongest attack\n(higher: more robust)", "mako", True),
    ("one_minus_lens_prec", "1 − LENS-prec@k,\nstrongest attack\n(lower: more robust)", "rocket_r", False),
)


def table(lipschitz=None, attacks=None, evaluate_with=None):
    """Tidy rows ``method, dataset, model, quantity, value, detail`` of the matrix.

    ``lipschitz``: rows with columns dataset, model, method, L (one per test point), and where
    present ``output`` (the explained output: prob | logit | regression; quantity
    ``lipschitz_<output>``, else ``lipschitz``) and ``randomness`` (fresh | common: the method
    is shown as ``method (randomness)`` for stochastic explainers; deterministic ones, equal
    under both, once).
    ``attacks``: rows with dataset, model, method, attack, eps, topk_intersection, lens_prec
    (one per image). ``evaluate_with`` maps attack method names to attribution method names
    (default: each name's spec, :func:`attrobust.explain.spec`, e.g. simple_gradient -> saliency).
    """
    import pandas as pd

    if evaluate_with is None:
        from ..explain import ALIASES

        evaluate_with = {a: m for a, (m, _) in ALIASES.items()}
    parts = []
    if lipschitz is not None and len(lipschitz):
        from ..explain import METHODS

        lip = lipschitz.copy()
        if "randomness" in lip:
            stochastic = lip["method"].map(lambda m: METHODS[m].stochastic if m in METHODS else True)
            first = lip["randomness"].iloc[0]
            keep = stochastic | (lip["randomness"] == first)  # deterministic: once
            lip, stochastic = lip[keep].copy(), stochastic[keep]
            lip["method"] = np.where(stochastic, lip["method"] + " (" + lip["randomness"] + ")", lip["method"])
        lip["quantity"] = ("lipschitz_" + lip["output"].astype(str)) if "output" in lip else "lipschitz"
        g = lip.groupby(["method", "dataset", "model", "quantity"], sort=False)["L"]
        parts.append(g.median().rename("value").reset_index().assign(
            detail=g.size().map(lambda n: f"median of {n} points").to_numpy()))
    if attacks is not None and len(attacks):
        a = attacks.assign(method=attacks["method"].map(lambda m: evaluate_with.get(m, m)))
        for (method, dataset, model), g in a.groupby(["method", "dataset", "model"], sort=False):
            top = g[g["eps"] == g["eps"].max()]
            means = top.groupby("attack")[["topk_intersection", "lens_prec"]].mean()
            attack = means["topk_intersection"].idxmin()
            detail = f"{attack}, eps={top['eps'].iloc[0]:g}"
            row = dict(method=method, dataset=dataset, model=model, detail=detail)
            parts.append(pd.DataFrame([
                {**row, "quantity": "topk_intersection", "value": means.loc[attack, "topk_intersection"]},
                {**row, "quantity": "one_minus_lens_prec", "value": 1 - means.loc[attack, "lens_prec"]},
            ]))
    if not parts:
        raise ValueError("robustness matrix: no Lipschitz or attack results to summarise; enable "
                         "figures.alvarez_melis, figures.alvarez_melis_images or figures.ghorbani")
    cols = ["method", "dataset", "model", "quantity", "value", "detail"]
    return pd.concat(parts, ignore_index=True)[cols]


def matrix(t):
    """The figure: one heatmap per quantity, methods as rows, dataset (model) as columns;
    cells a quantity was not computed for are left blank."""
    style()
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt
    import seaborn as sns

    values = t["value"].to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        bad = t.loc[~np.isfinite(values), ["method", "dataset", "quantity"]].to_dict("records")
        raise ValueError(f"refusing to plot non-finite robustness values {bad}; rerun the jobs "
                         "that produced them")
    def row_label(m):  # "lime (fresh)" -> "LIME (fresh)"
        base, _, rest = str(m).partition(" (")
        return label(base) + (f" ({rest}" if rest else "")

    t = t.assign(column=t["dataset"] + "\n" + t["model"].map(label), row=t["method"].map(row_label))
    rows = sorted(t["row"].unique())
    quantities = [q for q in QUANTITIES if (t["quantity"] == q[0]).any()]
    # each panel shows the dataset/model columns that quantity was computed for
    cols = {q: sorted(t.loc[t["quantity"] == q, "column"].unique()) for q, *_ in quantities}
    widths = [max(len(cols[q]), 1.6) for q, *_ in quantities]  # room for the title
    fig, axes = plt.subplots(1, len(quantities), figsize=(2.2 + 1.15 * sum(widths), 1.2 + 0.42 * len(rows)),
                             constrained_layout=True, squeeze=False, gridspec_kw={"width_ratios": widths})
    for ax, (q, title, cmap, _) in zip(axes[0], quantities):
        grid = (t[t["quantity"] == q].pivot_table(index="row", columns="column", values="value")
                .reindex(index=rows, columns=cols[q]))
        finite = grid.to_numpy()[np.isfinite(grid.to_numpy())]
        norm = None
        lipschitz = q.startswith("lipschitz")
        if lipschitz and len(finite) and finite.min() > 0:
            norm = mcolors.LogNorm(finite.min(), max(finite.max(), finite.min() * 1.01))
        elif not lipschitz:
            norm = mcolors.Normalize(0, 1)
        sns.heatmap(grid, ax=ax, cmap=cmap, norm=norm, annot=True, fmt=".2g", cbar=False,
                    linewidths=0.5, linecolor="white", annot_kws={"size": 7})
        ax.set_facecolor("#f2f2f2")  # not computed
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=7)
        if ax is not axes[0][0]:
            ax.set_yticklabels([])
    return fig
