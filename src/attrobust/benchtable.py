"""One table of the jobs' runtimes and peak memory, per rule, from the files the compute
rules' ``benchmark:`` directives write (``logs/benchmarks/<rule>/...tsv``, one per job:
snakemake's wall seconds, max_rss in MB, cpu_time, ...).

    python -m attrobust.benchtable [DIR]      # or: make bench-table

Use it to size a cluster's requests (the rules' ``resources:``, rules/common.smk) from a
smaller run, or to see which rule dominates a run.

``startup_share``: the part of the rule's job seconds spent before the job's first log line
(interpreter start and imports; ``utils.log_to`` writes "start-up <s> s"), from the job's
log: the file under ``logs/`` whose path ends like the benchmark file's (with the rule's
own folder preferred when several do).
"""
from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

DEFAULT_DIR = "logs/benchmarks"
_STARTUP = re.compile(r"attrobust.jobs INFO start-up ([0-9.]+) s")


def _num(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None  # snakemake writes NA where it measured nothing


def read(root: str | Path = DEFAULT_DIR) -> dict[str, list[dict]]:
    """{rule: [one dict per job (the last line of its file: the last repeat)]}."""
    out: dict[str, list[dict]] = {}
    for path in sorted(Path(root).rglob("*.tsv")):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
        if rows:
            rule = path.relative_to(root).parts[0]
            out.setdefault(rule, []).append({**rows[-1], "file": str(path)})
    return out


def _logs_by_tail(logs_root: Path) -> dict[tuple, list[Path]]:
    out: dict[tuple, list[Path]] = {}
    for path in logs_root.rglob("*.log"):
        parts = path.relative_to(logs_root).with_suffix("").parts
        for i in range(1, len(parts)):
            out.setdefault(parts[i:], []).append(path)
    return out


def startup(bench_file: str | Path, root: str | Path, index: dict) -> float | None:
    """Start-up seconds the job of ``bench_file`` logged, or None (no log, no line)."""
    rel = Path(bench_file).relative_to(root).with_suffix("").parts  # (rule, *tail)
    cands = index.get(rel[1:], [])
    own = [c for c in cands if c.parent.parts and rel[0] in c.parts]
    path = own[0] if len(own) == 1 else cands[0] if len(cands) == 1 else None
    if path is None:
        return None
    m = _STARTUP.search(path.read_text(errors="replace"))
    return float(m.group(1)) if m else None


def table(root: str | Path = DEFAULT_DIR) -> list[dict]:
    """Per rule: jobs, total / mean / max wall seconds, max peak RSS (MB), total CPU seconds,
    and the share of the jobs' seconds spent starting up (where their logs say); with more
    than one rule, a last row ``all`` over every job."""
    root = Path(root)
    index = _logs_by_tail(root.parent) if root.parent.is_dir() else {}
    # each job's start-up read once from its log, for its rule's row and for `all`
    by_rule = [(rule, jobs, [startup(j["file"], root, index) for j in jobs])
               for rule, jobs in sorted(read(root).items())]
    rows = [_row(rule, jobs, starts) for rule, jobs, starts in by_rule]
    if len(rows) > 1:  # the last row: every job of the table
        rows.append(_row("all", [j for _, jobs, _ in by_rule for j in jobs],
                         [u for _, _, starts in by_rule for u in starts]))
    return rows


def _row(rule: str, jobs: list[dict], starts: list) -> dict:
    """The row of ``jobs`` (benchmark records), whose start-ups are ``starts`` (None: unknown)."""
    s = [x for x in (_num(j.get("s")) for j in jobs) if x is not None]
    rss = [x for x in (_num(j.get("max_rss")) for j in jobs) if x is not None]
    cpu = [x for x in (_num(j.get("cpu_time")) for j in jobs) if x is not None]
    pairs = [(_num(j.get("s")), u) for j, u in zip(jobs, starts)]
    pairs = [(t, u) for t, u in pairs if t is not None and u is not None]
    return {"rule": rule, "jobs": len(jobs), "total_s": sum(s), "mean_s": sum(s) / len(s) if s else None,
            "max_s": max(s, default=None), "max_rss_mb": max(rss, default=None),
            "cpu_s": sum(cpu) if cpu else None,
            "startup_share": (sum(u for _, u in pairs) / sum(t for t, _ in pairs)
                              if pairs and sum(t for t, _ in pairs) > 0 else None)}


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def _cell(col: str, v) -> str:
    return f"{v:.0%}" if col == "startup_share" and v is not None else _fmt(v)


def render(rows: list[dict]) -> str:
    cols = ["rule", "jobs", "total_s", "mean_s", "max_s", "max_rss_mb", "cpu_s", "startup_share"]
    lines = ["| " + " | ".join(cols) + " |", "| --- |" + " ---: |" * (len(cols) - 1)]
    lines += ["| " + " | ".join(_cell(c, r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    root = argv[0] if argv else DEFAULT_DIR
    rows = table(root)
    if not rows:
        print(f"no benchmark files under {root}/ (the compute rules write them when their jobs run)",
              file=sys.stderr)
        return 1
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
