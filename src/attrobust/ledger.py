"""The claims ledger's engine: a registry of claims, their evaluation and the ledger's text.

One module per paper (``attrobust/claims/agarwal.py``, ...) registers that paper's claims
with the :func:`claim` decorator; importing ``attrobust.claims`` imports them all.

A claim is a function of one tidy results table (a pandas DataFrame the workflow
wrote) and a context dict (the config values that say which rows mean what, plus the
run's ``seed``). There are two kinds:

- a **finding** (:data:`FINDING`) of the paper is decided on its units (images, points,
  pairs): the check returns the parts it compares, each a :class:`Part` with a seeded
  paired-bootstrap confidence interval (:func:`compare`, :func:`paired_ci`), and the numbers
  it reports. Each part's verdict (:func:`verdict`) is **holds** when the interval lies on
  the paper's side of the comparison, **contradicted** when it lies on the other side and
  **inconclusive** when it straddles. A claim made of several parts ("for every method",
  "at every eps") holds when every part holds, is contradicted when any part is
  contradicted, and is inconclusive otherwise (:func:`combine`).
- a **code check** (:data:`CODE_CHECK`) holds by construction (an identity, a property the
  attack enforces): the check returns pass/fail and its numbers. It tests our code, not the
  paper, and is not counted among the reproduced findings.

:func:`evaluate` runs every registered claim whose table is present and
:func:`to_markdown` renders the ledger. Each claim carries the number its paper prints for
it (``reported``; empty where the paper prints none), shown next to ours.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

FINDING, CODE_CHECK = "finding", "code check"
HOLDS, CONTRADICTED, INCONCLUSIVE, NOT_EVALUATED = "holds", "contradicted", "inconclusive", "not evaluated"
VERDICTS = (HOLDS, CONTRADICTED, INCONCLUSIVE, NOT_EVALUATED)
LEVEL = 0.95  # confidence level of every interval unless a claim says otherwise
N_BOOT = 2000  # bootstrap resamples: enough for a 95% percentile interval, fast for the claims job
COLUMNS = ["claim", "paper", "figure", "kind", "statement", "reported", "measured", "verdict"]


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    figure: str
    table: str  # which results table the claim reads
    text: str
    check: Callable  # (DataFrame, context) -> (list of Part, numbers) | (bool, numbers) for code checks
    kind: str = FINDING
    reported: str = ""  # the number the paper prints for this claim, where it prints one


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


def claim(id: str, *, paper: str, figure: str, table: str, text: str, kind: str = FINDING,
          reported: str = ""):
    """Register the decorated check function as claim ``id``."""
    if kind not in (FINDING, CODE_CHECK):
        raise ValueError(f"claim {id!r}: kind must be {FINDING!r} or {CODE_CHECK!r}")

    def register(fn):
        if id in CLAIMS:
            raise ValueError(f"claim {id!r} registered twice")
        CLAIMS[id] = Claim(id, paper, figure, table, text, fn, kind, reported)
        return fn

    return register


# ------------------------------------------------------------------ deciding with confidence

def paired_ci(a, b=None, *, stat=np.mean, paired: bool = True, n_boot: int = N_BOOT, seed: int = 0,
              level: float = LEVEL):
    """``stat(a) - stat(b)`` (``stat(a)`` without ``b``) and its percentile bootstrap interval.

    Axis 0 of ``a`` and ``b`` runs over units; a paired bootstrap resamples the same units in
    both (``b`` holds the same units in the same order), an unpaired one (``paired=False``)
    resamples each on its own. ``stat(x, axis=...)`` reduces over the unit axis and may reduce
    the remaining ones too (e.g. the mean curve's saturation point), returning one number per
    resample. Fewer than two units carry no information about spread: the interval is then
    (-inf, inf). Units with a non-finite value are left out (in both samples when paired).
    Returns (estimate, lo, hi); deterministic given ``seed``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = None if b is None else np.asarray(b, dtype=np.float64)
    if paired and b is not None and len(a) != len(b):
        raise ValueError(f"paired samples differ in length ({len(a)} vs {len(b)})")
    # a unit without a value (NaN: e.g. a constant map's Spearman) is left out, in both samples when paired
    def finite(x):  # per unit: every value of the unit is finite
        return np.isfinite(x).all(axis=tuple(range(1, x.ndim)))

    keep_a, keep_b = finite(a), None if b is None else finite(b)
    if paired and b is not None:
        keep_a = keep_b = keep_a & keep_b
    a, b = a[keep_a], None if b is None else b[keep_b]
    if not len(a) or (b is not None and not len(b)):
        raise ValueError("no units to compare")

    def diff(x, y, axis):
        return stat(x, axis=axis) - (0.0 if y is None else stat(y, axis=axis))

    estimate = float(diff(a, b, 0))
    if len(a) < 2 or (b is not None and len(b) < 2):
        return estimate, -np.inf, np.inf
    rng = np.random.default_rng(seed)
    ia = rng.integers(0, len(a), size=(n_boot, len(a)))
    ib = ia if paired or b is None else rng.integers(0, len(b), size=(n_boot, len(b)))
    boot = diff(a[ia], None if b is None else b[ib], 1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return estimate, float(lo), float(hi)


def _snap(x: float, null: float) -> float:
    """``null`` for an ``x`` within 1e-12 (relative) of it (float dust of an exact tie), else ``x``."""
    return null if abs(x - null) <= 1e-12 * max(1.0, abs(null)) else x


def verdict(lo: float, hi: float, side: str, null: float = 0.0) -> str:
    """Where the interval [lo, hi] lies relative to ``null``: ``side`` is the paper's
    (">": above, "<": below; ">=" and "<=" count an interval touching ``null`` as the paper's).
    A bound within 1e-12 (relative) of ``null`` is ``null``: a bootstrap quantile that is 0 in
    exact arithmetic comes out as -1e-16 from float sums and must not decide the verdict."""
    lo, hi = _snap(lo, null), _snap(hi, null)
    if side == ">":
        return HOLDS if lo > null else CONTRADICTED if hi <= null else INCONCLUSIVE
    if side == ">=":
        return HOLDS if lo >= null else CONTRADICTED if hi < null else INCONCLUSIVE
    if side == "<":
        return HOLDS if hi < null else CONTRADICTED if lo >= null else INCONCLUSIVE
    if side == "<=":
        return HOLDS if hi <= null else CONTRADICTED if lo > null else INCONCLUSIVE
    raise ValueError(f"side must be one of >, >=, <, <= (got {side!r})")


def combine(verdicts) -> str:
    """All parts hold: holds; any part contradicted: contradicted; else inconclusive."""
    verdicts = list(verdicts)
    if any(v == CONTRADICTED for v in verdicts):
        return CONTRADICTED
    return HOLDS if verdicts and all(v == HOLDS for v in verdicts) else INCONCLUSIVE


@dataclass(frozen=True)
class Part:
    """One comparison of a claim: ``estimate`` (with interval [lo, hi]) on the paper's ``side``
    of ``null``."""
    label: str
    estimate: float
    lo: float
    hi: float
    side: str
    null: float = 0.0

    @property
    def verdict(self) -> str:
        return verdict(self.lo, self.hi, self.side, self.null)

    def __str__(self) -> str:
        return (f"{self.label} = {_fmt(self.estimate)} [{_fmt(self.lo)}, {_fmt(self.hi)}]"
                f" (paper: {self.side} {_fmt(self.null)}; {self.verdict})")


def compare(ctx: Mapping, label: str, a, b=None, *, side: str, null: float = 0.0, stat=np.mean,
            paired: bool = True, level: float = LEVEL) -> Part:
    """A :class:`Part` from :func:`paired_ci` with the run's seed (``ctx['seed']``)."""
    if not len(a) or (b is not None and not len(b)):
        raise NotEvaluable(f"{label}: no units with a value on this run")
    est, lo, hi = paired_ci(a, b, stat=stat, paired=paired, level=level, seed=int(ctx.get("seed", 0)))
    return Part(label, _snap(est, null), _snap(lo, null), _snap(hi, null), side, null)  # as decided


def pair(df, unit: str, column: str, a, b, value: str):
    """Values of ``value`` for ``column == a`` and ``column == b`` over the units present in
    both, averaged within a unit (e.g. an image's several classes), as two aligned arrays."""
    wide = df[df[column].isin([a, b])].pivot_table(index=unit, columns=column, values=value, aggfunc="mean")
    wide = wide[[a, b]].dropna() if a in wide and b in wide else wide.iloc[:0]
    if wide.empty:
        raise NotEvaluable(f"no {unit} has a {value} for both {column} {a} and {b}")
    return wide[a].to_numpy(), wide[b].to_numpy()


def min_mean(x, axis):
    """The lowest column mean (columns: alternatives such as the targeted attacks), per resample."""
    return np.asarray(x).mean(axis=axis).min(axis=-1)


# ------------------------------------------------------------------ the ledger

def evaluate(tables: Mapping, context: Mapping[str, Mapping], seed: int = 0):
    """One row per registered claim whose table is in ``tables``: the ledger. ``seed`` (the
    config's) seeds every bootstrap, so the ledger depends only on config, code and seed."""
    import pandas as pd

    rows = []
    for c in CLAIMS.values():
        if c.table not in tables:
            continue
        ctx = {**context.get(c.table, {}), "seed": seed}
        try:
            result, numbers = c.check(tables[c.table], ctx)
            if c.kind == CODE_CHECK:
                measured, decided = [], HOLDS if bool(result) else CONTRADICTED
            else:
                if not result:
                    raise NotEvaluable("no comparison could be formed from this run's rows")
                measured, decided = [str(p) for p in result], combine(p.verdict for p in result)
            measured = "; ".join(measured + [f"{k} = {_fmt(v)}" for k, v in numbers.items()])
        except NotEvaluable as why:
            measured, decided = f"not evaluated on this run: {why}", NOT_EVALUATED
        rows.append({"claim": c.id, "paper": c.paper, "figure": c.figure, "kind": c.kind,
                     "statement": c.text, "reported": c.reported, "measured": measured,
                     "verdict": decided})
    return pd.DataFrame(rows, columns=COLUMNS)


def to_markdown(ledger) -> str:
    findings = ledger[ledger["kind"] == FINDING]
    checks = ledger[ledger["kind"] == CODE_CHECK]
    lines = [
        "# Claims ledger",
        "",
        f"Findings of the papers decided on this run's units (images, points, pairs) with {LEVEL:.0%} "
        f"percentile intervals of a paired bootstrap ({N_BOOT} resamples, seeded by the config's `seed`):",
        "**holds** when the interval lies on the paper's side, **contradicted** when on the other side,",
        "**inconclusive** when it straddles. A claim of several parts holds when every part holds and is",
        "contradicted when any part is. *Not evaluated*: the config did not compute what the claim compares.",
        "",
        "| paper | " + " | ".join(VERDICTS) + " |",
        "| --- |" + " --- |" * len(VERDICTS),
    ]
    for paper, g in findings.groupby("paper", sort=False):
        lines.append(f"| {paper} | " + " | ".join(str(int((g["verdict"] == v).sum())) for v in VERDICTS) + " |")
    lines.append("| all | " + " | ".join(str(int((findings["verdict"] == v).sum())) for v in VERDICTS) + " |")
    passed = int((checks["verdict"] == HOLDS).sum())
    failed = int((checks["verdict"] == CONTRADICTED).sum())
    lines += [
        "",
        f"Code checks (properties that hold by construction; they test our code, not the papers, and are "
        f"not counted above): {passed} pass, {failed} fail"
        + (f", {len(checks) - passed - failed} not evaluated" if len(checks) - passed - failed else "") + ".",
        "",
        f"| claim | paper | figure | kind | statement | paper's number | measured (estimate [{LEVEL:.0%} interval]) "
        "| verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in ledger.itertuples(index=False):
        shown = r.verdict if r.kind == FINDING else {HOLDS: "pass", CONTRADICTED: "fail"}.get(r.verdict, r.verdict)
        reported = r.reported if isinstance(r.reported, str) else ""  # empty cells read back from CSV: NaN
        lines.append(f"| {r.claim} | {r.paper} | {r.figure} | {r.kind} | {r.statement} | {reported} "
                     f"| {r.measured} | {shown} |")
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
