"""The claims ledger: each paper's findings, checked on this run's results.

A claim is a function of one tidy results table (a pandas DataFrame the workflow
wrote) and a context dict (the config values that say which rows mean what). It
returns whether the finding held on this run and the numbers it was decided on.
:func:`evaluate` runs every registered claim whose table is present and
:func:`to_markdown` renders the ledger. Thresholds are part of each claim's text, so a
reader sees exactly what "reproduced" meant.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    figure: str
    table: str  # which results table the claim reads
    text: str
    check: Callable  # (DataFrame, context) -> (bool, dict of numbers)


CLAIMS: dict[str, Claim] = {}


def claim(id: str, *, paper: str, figure: str, table: str, text: str):
    """Register the decorated check function as claim ``id``."""

    def register(fn):
        if id in CLAIMS:
            raise ValueError(f"claim {id!r} registered twice")
        CLAIMS[id] = Claim(id, paper, figure, table, text, fn)
        return fn

    return register


def evaluate(tables: Mapping, context: Mapping[str, Mapping]):
    """One row per registered claim whose table is in ``tables``: the ledger."""
    import pandas as pd

    rows = []
    for c in CLAIMS.values():
        if c.table not in tables:
            continue
        held, numbers = c.check(tables[c.table], context.get(c.table, {}))
        rows.append({
            "claim": c.id, "paper": c.paper, "figure": c.figure, "statement": c.text,
            "measured": "; ".join(f"{k} = {_fmt(v)}" for k, v in numbers.items()),
            "reproduced": "yes" if held else "no",
        })
    return pd.DataFrame(rows, columns=["claim", "paper", "figure", "statement", "measured", "reproduced"])


def to_markdown(ledger) -> str:
    n_yes = int((ledger["reproduced"] == "yes").sum())
    lines = [
        "# Claims ledger",
        "",
        f"{n_yes} of {len(ledger)} claims reproduced on this run. Each row is computed from",
        "the results of this run; the statement says what had to hold.",
        "",
        "| claim | paper | figure | statement | measured | reproduced |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in ledger.itertuples(index=False):
        lines.append(f"| {r.claim} | {r.paper} | {r.figure} | {r.statement} | {r.measured} | {r.reproduced} |")
    return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


# --------------------------------------------------------------- Agarwal et al. (2021)
# Table "agarwal": rows of attrobust.unification.curves plus dataset, model, sigma.
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
        rel100 = _rel_gap(g).loc[_nearest(gap.index, 100)]
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


def _nearest(values, target):
    values = np.asarray(values)
    return values[np.argmin(np.abs(np.log(values) - np.log(target)))]


def _saturation(curve, frac=0.9):
    """Smallest n at which a falling curve has completed ``frac`` of its total fall."""
    first, last = curve.iloc[0], curve.iloc[-1]
    done = curve <= first - frac * (first - last)
    return int(curve.index[int(np.argmax(done.to_numpy()))])
