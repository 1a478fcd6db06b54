"""One table of the jobs' runtimes and peak memory, per rule, from the files the compute
rules' ``benchmark:`` directives write (``logs/benchmarks/<rule>/...tsv``, one per job:
snakemake's wall seconds, max_rss in MB, cpu_time, ...).

    python -m attrobust.benchtable [DIR]      # or: make bench-table

Use it to size a cluster's requests (the rules' ``resources:``, rules/common.smk) from a
smaller run, or to see which rule dominates a run.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

DEFAULT_DIR = "logs/benchmarks"


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


def table(root: str | Path = DEFAULT_DIR) -> list[dict]:
    """Per rule: jobs, total / mean / max wall seconds, max peak RSS (MB), total CPU seconds."""
    rows = []
    for rule, jobs in sorted(read(root).items()):
        s = [x for x in (_num(j.get("s")) for j in jobs) if x is not None]
        rss = [x for x in (_num(j.get("max_rss")) for j in jobs) if x is not None]
        cpu = [x for x in (_num(j.get("cpu_time")) for j in jobs) if x is not None]
        rows.append({"rule": rule, "jobs": len(jobs), "total_s": sum(s), "mean_s": sum(s) / len(s) if s else None,
                     "max_s": max(s, default=None), "max_rss_mb": max(rss, default=None),
                     "cpu_s": sum(cpu) if cpu else None})
    return rows


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def render(rows: list[dict]) -> str:
    cols = ["rule", "jobs", "total_s", "mean_s", "max_s", "max_rss_mb", "cpu_s"]
    lines = ["| " + " | ".join(cols) + " |", "| --- |" + " ---: |" * (len(cols) - 1)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in cols) + " |" for r in rows]
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
