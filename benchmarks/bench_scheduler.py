"""(h) Snakemake's own CPU time: its job scheduler with and without the workflow's
one-wake-up-timer workaround (attrobust.scheduler).

A synthetic workflow shaped like ours: n short jobs on 2 cores, each reading a shared set of
k small input files (our jobs read their script's library modules, ~30 files), then two long
jobs after them (our long Lipschitz searches come late); the jobs sleep, so that they
themselves use no CPU. Snakemake runs in a child process
started through a wrapper that reports the process's own CPU seconds (getrusage
RUSAGE_SELF: the scheduler's threads, not the jobs) when the run ends, once as shipped and once with the workaround applied before the workflow runs."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT

SNAKEFILE = """
N, K = {n}, {k}
rule all:
    input: expand("long/{{i}}.txt", i=range(2))
rule long:
    input: expand("out/{{i}}.txt", i=range(N))
    output: "long/{{i}}.txt"
    shell: "sleep {long}; touch {{output}}"
rule lib:
    output: expand("lib/m{{j}}.py", j=range(K))
    shell: "mkdir -p lib && for f in {{output}}; do echo x > $f; done"
rule job:
    input: expand("lib/m{{j}}.py", j=range(K))
    output: "out/{{i}}.txt"
    shell: "sleep {sleep}; touch {{output}}"
"""

WRAPPER = """
import atexit, json, resource, sys
sys.path.insert(0, {src!r})
if {patch}:
    from attrobust import scheduler
    scheduler.one_wakeup_timer()
def report():
    r = resource.getrusage(resource.RUSAGE_SELF)
    print("BENCH " + json.dumps({{"cpu_s": r.ru_utime + r.ru_stime}}), file=sys.stderr)
atexit.register(report)
from snakemake.cli import main
sys.argv = ["snakemake", "--cores", "2", "--quiet", "all"]
main()
"""


def _one(n: int, k: int, sleep: float, long: float, patch: bool) -> dict:
    with tempfile.TemporaryDirectory() as d:
        Path(d, "Snakefile").write_text(SNAKEFILE.format(n=n, k=k, sleep=sleep, long=long))
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", WRAPPER.format(src=str(ROOT / "src"), patch=patch)],
                             cwd=d, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            raise RuntimeError(res.stderr[-3000:])
        line = [l for l in res.stderr.splitlines() if l.startswith("BENCH ")][-1]
        return {**json.loads(line[6:]), "wall_s": round(wall, 2)}


def run(quick: bool = False) -> dict:
    n, k, sleep, long = (60, 30, 0.2, 10) if quick else (200, 30, 0.2, 60)
    rows = []
    for rep in range(1 if quick else 2):
        for patch in (False, True):
            r = _one(n, k, sleep, long, patch)
            rows.append({"workaround": patch, "repeat": rep, **r})
            print(f"  workaround={patch}: snakemake CPU {r['cpu_s']:.1f} s, wall {r['wall_s']:.1f} s", flush=True)
    return {"description": f"Snakemake's own CPU seconds on a synthetic workflow of {n} jobs x {k} "
                           f"inputs, {sleep} s each, then 2 jobs of {long} s, 2 cores, with and without "
                           "attrobust.scheduler",
            "n_jobs": n, "inputs_per_job": k, "job_sleep_s": sleep, "long_job_s": long, "rows": rows,
            "ideal_wall_s": round(n * sleep / 2 + long, 1)}


def table(res: dict) -> str:
    out = ["| workaround | snakemake CPU s (each run) | wall s (each run) | ideal wall s |",
           "| --- | --- | --- | ---: |"]
    for patch in (False, True):
        rows = [r for r in res["rows"] if r["workaround"] == patch]
        cpu = ", ".join("%.1f" % r["cpu_s"] for r in rows)
        wall = ", ".join("%.1f" % r["wall_s"] for r in rows)
        name = "one wake-up timer" if patch else "as shipped"
        out.append(f"| {name} | {cpu} | {wall} | {res['ideal_wall_s']} |")
    return "\n".join(out)
