"""(e) Whole pipeline: the numbers of benchmarks/noop_rerun.py, read from its output
(benchmarks/out/noop_rerun.json) if it has been run. This suite never runs `make figures`
itself (the first run takes minutes and writes results/ and figures/)."""
from __future__ import annotations

import json

from _common import ROOT

OUT = ROOT / "benchmarks/out/noop_rerun.json"


def run(quick: bool = False) -> dict:
    if not OUT.exists():
        print(f"  {OUT.relative_to(ROOT)} not found: run .venv/bin/python benchmarks/noop_rerun.py", flush=True)
        return {"description": "no-op `make figures` (benchmarks/noop_rerun.py)", "found": False,
                "source": str(OUT.relative_to(ROOT))}
    r = json.loads(OUT.read_text())
    print(f"  no-op make figures: best {r['best_s']:.2f} s of {len(r['seconds'])} (target < {r['target_s']} s)",
          flush=True)
    return {"description": "no-op `make figures` (benchmarks/noop_rerun.py)", "found": True,
            "source": str(OUT.relative_to(ROOT)), **r,
            "times_s": r["seconds"],  # run.py writes each benchmark's own duration to "seconds"
            "median_s": sorted(r["seconds"])[len(r["seconds"]) // 2], "met": r["best_s"] < r["target_s"]}


def table(res: dict) -> str:
    if not res.get("found"):
        return f"not measured: `{res['source']}` is missing (run `.venv/bin/python benchmarks/noop_rerun.py`)"
    return ("| what | config | best (s) | median (s) | runs | target | met |\n"
            "| --- | --- | ---: | ---: | ---: | --- | --- |\n"
            f"| no-op `make figures` | {res['config']} | {res['best_s']:.2f} | {res['median_s']:.2f} | "
            f"{len(res['times_s'])} | < {res['target_s']} s | {'yes' if res['met'] else '**no**'} |")
