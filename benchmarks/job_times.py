"""Wall time per rule (and per figure section) of a snakemake run, from its log.

    .venv/bin/python benchmarks/job_times.py fashion-run.log [--cpu-seconds S]

Reads the "[date] rule X: ... jobid: N" and "[date] Finished jobid: N" lines snakemake
prints, and sums each job's wall time by rule. On a shared machine wall times are inflated
by the other processes; with ``--cpu-seconds`` (the user + sys time of the whole run, e.g.
from ``/usr/bin/time -v make figures ...``) each rule's share is also given in CPU seconds,
assuming the jobs were slowed alike (single-threaded jobs: CPU / summed job wall time).
"""
from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]")
_RULE = re.compile(r"^(?:local)?rule (\w+):")
_JOBID = re.compile(r"^\s+jobid: (\d+)")
_DONE = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)")


def job_times(lines) -> dict[int, tuple[str, float, float | None]]:
    """{jobid: (rule, start, end or None)} in seconds since the epoch."""
    now, rule, jobs = None, None, {}
    for line in lines:
        if m := _STAMP.match(line):
            now = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y").timestamp()
        elif m := _RULE.match(line):
            rule = m.group(1)
        elif (m := _JOBID.match(line)) and rule is not None:
            jobs[int(m.group(1))] = (rule, now, None)
            rule = None
        elif m := _DONE.match(line):
            r, start, _ = jobs.get(int(m.group(1)), (m.group(2), now, None))
            jobs[int(m.group(1))] = (r, start, now)
    return jobs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--cpu-seconds", type=float, default=None)
    a = ap.parse_args(argv)
    with open(a.log) as f:
        jobs = job_times(f)
    by_rule, count, running = defaultdict(float), defaultdict(int), []
    for jid, (rule, start, end) in jobs.items():
        if end is None:
            running.append(f"{rule} (job {jid})")
            continue
        by_rule[rule] += end - start
        count[rule] += 1
    total = sum(by_rule.values())
    starts = [s for _, s, _ in jobs.values() if s]
    ends = [e for _, _, e in jobs.values() if e]
    f = a.cpu_seconds / total if a.cpu_seconds and total else None
    print(f"{sum(count.values())} jobs finished, {len(running)} running; "
          f"span {(max(ends) - min(starts)) / 60:.1f} min; summed job wall {total / 60:.1f} min"
          + (f"; CPU/wall {f:.2f}" if f else ""))
    print(f"| rule | jobs | wall s | {'CPU s (est.) |' if f else ''}")
    print(f"| --- | ---: | ---: | {'---: |' if f else ''}")
    for rule, t in sorted(by_rule.items(), key=lambda kv: -kv[1]):
        print(f"| {rule} | {count[rule]} | {t:.0f} | " + (f"{t * f:.0f} |" if f else ""))
    if running:
        print("running:", ", ".join(running))


if __name__ == "__main__":
    main()
