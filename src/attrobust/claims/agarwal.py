"""Claims of Agarwal et al. (2021), Figs. 2-5.

Table "agarwal": rows of :func:`attrobust.unification.curves` plus dataset, model, sigma.
"""
import numpy as np

from ..ledger import claim, nearest

AGARWAL = "Agarwal et al. 2021"


def _rel_gap(df):
    """Mean over points of ||SG - C-LIME|| / ||SG||, per n."""
    return (df["gap"] / df["norm_smoothgrad"].clip(lower=1e-12)).groupby(df["n"]).mean()


@claim("agarwal-equivalence", paper=AGARWAL, figure="Fig. 2", table="agarwal",
       text="On every dataset the mean ||SmoothGrad - C-LIME|| falls as n grows (largest n "
            "below a tenth of smallest n) and is small by n = 100 (relative to ||SmoothGrad||: < 0.2).")
def _equivalence(df, ctx):
    d = df[(df["model"] == ctx["model"]) & np.isclose(df["sigma"], ctx["sigma"])]
    numbers, held = {}, True
    for name, g in d.groupby("dataset"):
        gap = g.groupby("n")["gap"].mean()
        rel100 = _rel_gap(g).loc[nearest(gap.index, 100)]
        numbers[f"{name}: gap n={gap.index[0]}"] = gap.iloc[0]
        numbers[f"{name}: gap n={gap.index[-1]}"] = gap.iloc[-1]
        numbers[f"{name}: relative gap n=100"] = rel100
        held &= bool(gap.iloc[-1] < gap.iloc[0] / 10 and rel100 < 0.2)
    return held, numbers


@claim("agarwal-smoothgrad-more-robust", paper=AGARWAL, figure="Fig. 3", table="agarwal",
       text="SmoothGrad's average maximum distance to neighbours' explanations is below "
            "C-LIME's at every n on every dataset, and it completes 90% of its fall over the n "
            "grid at no larger n than C-LIME does (saturates earlier).")
def _robustness(df, ctx):
    d = df[(df["model"] == ctx["model"]) & np.isclose(df["sigma"], ctx["sigma"])]
    numbers, held = {}, True
    for name, g in d.groupby("dataset"):
        sg = g.groupby("n")["maxdist_smoothgrad"].mean()
        cl = g.groupby("n")["maxdist_clime"].mean()
        n_sg, n_cl = _saturation(sg), _saturation(cl)
        numbers[f"{name}: SG/C-LIME max distance at n={sg.index[-1]}"] = f"{sg.iloc[-1]:.3g}/{cl.iloc[-1]:.3g}"
        numbers[f"{name}: saturation n SG/C-LIME"] = f"{n_sg}/{n_cl}"
        held &= bool((sg < cl).all() and n_sg <= n_cl)
    return held, numbers


@claim("agarwal-smaller-sigma-faster", paper=AGARWAL, figure="Fig. 4", table="agarwal",
       text="On the focus dataset, the mean relative gap ||SG - C-LIME|| / ||SG|| over the n "
            "grid grows with sigma (smaller sigma converges faster).")
def _sigma(df, ctx):
    d = df[(df["model"] == ctx["model"]) & (df["dataset"] == ctx["focus"])]
    by_sigma = {s: float(_rel_gap(g).mean()) for s, g in d.groupby("sigma")}
    values = [by_sigma[s] for s in sorted(by_sigma)]
    numbers = {f"sigma={s:g}": v for s, v in sorted(by_sigma.items())}
    return bool(len(values) > 1 and np.all(np.diff(values) > 0)), numbers


@claim("agarwal-undertrained-slower", paper=AGARWAL, figure="Fig. 5", table="agarwal",
       text="On the focus dataset, the under-trained model's mean relative gap over the n "
            "grid is larger than the well-trained model's (it converges more slowly).")
def _undertrained(df, ctx):
    d = df[(df["dataset"] == ctx["focus"]) & np.isclose(df["sigma"], ctx["sigma"])]
    well = float(_rel_gap(d[d["model"] == ctx["model"]]).mean())
    under = float(_rel_gap(d[d["model"] == ctx["undertrained"]]).mean())
    return under > well, {"well-trained": well, "under-trained": under}


def _saturation(curve, frac=0.9):
    """Smallest n at which a falling curve has completed ``frac`` of its total fall."""
    first, last = curve.iloc[0], curve.iloc[-1]
    done = curve <= first - frac * (first - last)
    return int(curve.index[int(np.argmax(done.to_numpy()))])


@claim("agarwal-lipschitz-falls-with-sigma", paper=AGARWAL, figure="Beyond (Theorem 2)",
       table="agarwal_lipschitz",
       text="The local Lipschitz estimate (Alvarez-Melis eq. 1) of SmoothGrad and of C-LIME falls "
            "as sigma grows: fitted log-log slope < 0 for both (Theorem 2's bound: slope -1).")
def _lipschitz_sigma(df, ctx):
    from ..unification import sigma_slopes

    fitted = sigma_slopes(df)
    return all(v < 0 for v in fitted.values()), {f"slope {m}": v for m, v in fitted.items()}
