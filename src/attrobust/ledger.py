"""The claims ledger's engine: a registry of claims, their evaluation and the ledger's text.

One module per paper (``attrobust/claims/agarwal.py``, ...) registers that paper's claims
with the :func:`claim` decorator; importing ``attrobust.claims`` imports them all.

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


class NotEvaluable(Exception):
    """Raised by a check when this run's config did not produce what the claim compares
    (e.g. an attack it needs is not in the config); the ledger says so instead of failing."""


def require(df, column: str, values, key: str) -> None:
    """Raise :class:`NotEvaluable` unless every one of ``values`` occurs in ``df[column]``
    (``key``: the config key that would add them)."""
    missing = sorted(set(values) - set(df[column].unique()))
    if missing:
        raise NotEvaluable(f"needs {column} {', '.join(missing)} (config key {key})")


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
        try:
            held, numbers = c.check(tables[c.table], context.get(c.table, {}))
            measured, verdict = "; ".join(f"{k} = {_fmt(v)}" for k, v in numbers.items()), \
                "yes" if held else "no"
        except NotEvaluable as why:
            measured, verdict = f"not evaluated on this run: {why}", "not evaluated"
        rows.append({
            "claim": c.id, "paper": c.paper, "figure": c.figure, "statement": c.text,
            "measured": measured, "reproduced": verdict,
        })
    return pd.DataFrame(rows, columns=["claim", "paper", "figure", "statement", "measured", "reproduced"])


def to_markdown(ledger) -> str:
    n_yes = int((ledger["reproduced"] == "yes").sum())
    n_eval = int(ledger["reproduced"].isin(["yes", "no"]).sum())
    skipped = len(ledger) - n_eval
    lines = [
        "# Claims ledger",
        "",
        f"{n_yes} of {n_eval} claims reproduced on this run"
        + (f" ({skipped} not evaluated: the config did not compute what they compare)" if skipped else "")
        + ". Each row is computed from",
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


def nearest(values, target):
    """The element of positive ``values`` closest to ``target`` on a log scale."""
    values = np.asarray(values)
    return values[np.argmin(np.abs(np.log(values) - np.log(target)))]
