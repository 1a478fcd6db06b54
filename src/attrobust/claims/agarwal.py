"""Claims of Agarwal et al. (2021), Figs. 2-5.

Table "agarwal": rows of :func:`attrobust.unification.curves` plus dataset, model, sigma;
the units are the explained test points (``point``), paired across n, sigma and model.
Table "agarwal_lipschitz": rows of :func:`attrobust.unification.lipschitz_vs_sigma`.
"""
import numpy as np

from ..ledger import NotEvaluable, claim, compare, nearest
from ..unification import add_relative_gap

AGARWAL = "Agarwal et al. 2021"


def _by_point(g, value):
    """points x n matrix of ``value`` (one row per explained point, columns in increasing n)."""
    return g.pivot_table(index="point", columns="n", values=value, aggfunc="mean").sort_index(axis=1).dropna()


@claim("agarwal-equivalence", paper=AGARWAL, figure="Fig. 2", table="agarwal",
       text="On every dataset the mean ||SmoothGrad - C-LIME|| falls as n grows (largest n "
            "below a tenth of smallest n) and is small by n = 100 (relative to ||SmoothGrad||: < 0.2).",
       reported="equivalence reached by n = 100 perturbations on all three datasets (Sec. 6.2)")
def _equivalence(df, ctx):
    d = add_relative_gap(df[(df["model"] == ctx["model"]) & np.isclose(df["sigma"], ctx["sigma"])])
    parts = []
    for name, g in d.groupby("dataset"):
        gap, rel = _by_point(g, "gap"), _by_point(g, "rel")
        n0, n1, n100 = gap.columns[0], gap.columns[-1], nearest(rel.columns, 100)
        parts.append(compare(ctx, f"{name}: mean gap n={n1} minus a tenth of n={n0}",
                             gap[n1], gap[n0] / 10, side="<"))
        parts.append(compare(ctx, f"{name}: mean relative gap n={n100}", rel[n100], side="<", null=0.2))
    return parts, {}


def _settled_index(curves, tol=0.1):
    """Index of the smallest n of the grid from which on a curve (last axis) stays within
    ``tol`` (relative) of its value at the largest n: where it has reached its plateau.
    Measured from the end, not from the start: C-LIME's first value, at n just above D + 1,
    is an ill-conditioned least squares fit (41 against SmoothGrad's 0.8 on breast cancer at
    n = 32), and a "share of the total fall" would call C-LIME saturated as soon as that
    value is gone."""
    curves = np.asarray(curves, dtype=float)
    out = np.abs(curves - curves[..., -1:]) > tol * np.abs(curves[..., -1:])
    return np.where(out.any(-1), out.shape[-1] - np.argmax(out[..., ::-1], axis=-1), 0)


def _settled_log_n(ns):
    """Bootstrap statistic: log10 of the n at which the mean curve over points settles."""
    logn = np.log10(np.asarray(ns, dtype=float))
    return lambda x, axis: logn[_settled_index(np.asarray(x).mean(axis=axis))]


@claim("agarwal-smoothgrad-more-robust", paper=AGARWAL, figure="Fig. 3", table="agarwal",
       text="For a fixed, finite number of perturbations SmoothGrad is more robust than C-LIME "
            "(Sec. 6.3: its average maximum distance saturates faster, by n = 200, and closer to "
            "0): on every dataset SmoothGrad's mean curve settles (stays within 10% of its value at "
            "the largest n) at no larger n than C-LIME's, and lies below C-LIME's at every n of the "
            "grid before both have settled. Once both have settled they sit at the same limit "
            "(Theorem 1) and are not compared.",
       reported="SmoothGrad saturates faster, at n as small as 200 (Sec. 6.3)")
def _robustness(df, ctx):
    d = df[(df["model"] == ctx["model"]) & np.isclose(df["sigma"], ctx["sigma"])]
    if d["n"].nunique() < 3:
        raise NotEvaluable(f"needs at least 3 values of n to tell when a curve settles; has "
                           f"{sorted(d['n'].unique().tolist())} (config key figures.agarwal.ns)")
    parts, numbers = [], {}
    for name, g in d.groupby("dataset"):
        sg, cl = _by_point(g, "maxdist_smoothgrad"), _by_point(g, "maxdist_clime")
        ns = sg.columns.to_numpy()
        n_sg, n_cl = (int(ns[_settled_index(c.mean().to_numpy())]) for c in (sg, cl))
        parts.append(compare(ctx, f"{name}: log10 settling n SG minus C-LIME", sg.to_numpy(), cl.to_numpy(),
                             stat=_settled_log_n(ns), side="<="))
        for n in ns[ns < max(n_sg, n_cl)]:  # not both settled yet
            parts.append(compare(ctx, f"{name}: max distance SG minus C-LIME n={n}", sg[n], cl[n], side="<"))
        numbers[f"{name}: settled at n SG/C-LIME"] = f"{n_sg}/{n_cl}"
        numbers[f"{name}: SG/C-LIME at n={ns[-1]} (not compared)"] = f"{sg[ns[-1]].mean():.3g}/{cl[ns[-1]].mean():.3g}"
    return parts, numbers


def _mean_rel(d, **by):
    """Per point, the mean relative gap over the n grid, for each value of the column ``by``."""
    (col, values), = by.items()
    wide = d.groupby(["point", col])["rel"].mean().unstack(col)
    return wide[[v for v in values if v in wide]].dropna()


@claim("agarwal-smaller-sigma-faster", paper=AGARWAL, figure="Fig. 4", table="agarwal",
       text="On the focus dataset, the mean relative gap ||SG - C-LIME|| / ||SG|| over the n "
            "grid grows with sigma (smaller sigma converges faster).")
def _sigma(df, ctx):
    d = add_relative_gap(df[(df["model"] == ctx["model"]) & (df["dataset"] == ctx["focus"])])
    sigmas = sorted(d["sigma"].unique())
    if len(sigmas) < 2:
        raise NotEvaluable("needs two sigmas (config key figures.agarwal.sigmas)")
    wide = _mean_rel(d, sigma=sigmas)
    return [compare(ctx, f"relative gap sigma={s1:g} minus sigma={s0:g}", wide[s1], wide[s0], side=">")
            for s0, s1 in zip(sigmas, sigmas[1:])], {}


@claim("agarwal-undertrained-slower", paper=AGARWAL, figure="Fig. 5", table="agarwal",
       text="On the focus dataset, the under-trained model's mean relative gap over the n "
            "grid is larger than the well-trained model's (it converges more slowly).",
       reported="under-trained model: 16 training epochs vs 60 (Bankruptcy, best model 96.30% test accuracy)")
def _undertrained(df, ctx):
    d = add_relative_gap(df[(df["dataset"] == ctx["focus"]) & np.isclose(df["sigma"], ctx["sigma"])])
    wide = _mean_rel(d, model=[ctx["model"], ctx["undertrained"]])
    if ctx["undertrained"] not in wide or ctx["model"] not in wide:
        raise NotEvaluable("needs both models (config keys figures.agarwal.model, undertrained)")
    return [compare(ctx, "relative gap under- minus well-trained", wide[ctx["undertrained"]],
                    wide[ctx["model"]], side=">")], {}


def _slope(logs):
    """Bootstrap statistic: least-squares slope of log(mean L over points) against log sigma."""
    x = logs - logs.mean()
    return lambda L, axis: (np.log(np.asarray(L).mean(axis=axis)) * x).sum(-1) / (x ** 2).sum()


@claim("agarwal-lipschitz-falls-with-sigma", paper=AGARWAL, figure="Beyond (Theorem 2)",
       table="agarwal_lipschitz",
       text="The local Lipschitz estimate (Alvarez-Melis eq. 1) of SmoothGrad and of C-LIME falls "
            "as sigma grows: fitted log-log slope < 0 for both (Theorem 2's bound: slope -1).",
       reported="Theorem 2: Lipschitz constant proportional to 1/sigma (log-log slope -1)")
def _lipschitz_sigma(df, ctx):
    parts = []
    for method, g in df.groupby("method"):
        wide = g.pivot_table(index="point", columns="sigma", values="L", aggfunc="mean").sort_index(axis=1).dropna()
        if wide.shape[1] < 2:
            raise NotEvaluable("needs two sigmas (config key figures.agarwal.lipschitz)")
        parts.append(compare(ctx, f"slope {method}", wide.to_numpy(),
                             stat=_slope(np.log(wide.columns.to_numpy(dtype=float))), side="<"))
    return parts, {}
