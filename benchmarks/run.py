"""The benchmark suite (issue #9): our library against the obvious baselines.

Usage: .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...]
       .venv/bin/python benchmarks/run.py --print     (the tables of benchmarks/results.json)

  attribution  (a) explain() throughput vs captum / lime / shap one example at a time
  lipschitz    (b) lipschitz.estimate ('bo', 'bo_refine') vs plain skopt.gp_minimize
  attacks      (c) top-k attack on IG, batched vs one image at a time
  metrics      (d) LENS metrics on 64 maps of 224x224 vs a per-map loop
  pipeline     (e) no-op `make figures`, read from benchmarks/noop_rerun.py's output
  paper_scale  (f) extrapolated CPU / GPU hours of config/paper.yaml, from (a)-(c)
  peers        (g) our BO vs Quantus / captum Lipschitz and max-sensitivity estimators, call
               for call (needs the benchmark extra: pip install -e '.[bench]'; without
               Quantus its rows are left out)
  scheduler    (h) Snakemake's own CPU seconds with and without attrobust.scheduler

Each benchmark runs in its own process on one CPU thread (OMP/MKL/OpenBLAS and torch
limited to 1 thread), so its peak RSS is its own; every timed number is the median of
several repeats after a warm-up, measured next to its baseline in the same process,
alternating the two. Results (with the machine and library versions) go to
benchmarks/results.json; a Markdown table per benchmark is printed. With --only, the other
benchmarks' entries of an existing results.json are kept (paper_scale reads (a)-(c) from
there). --quick: smaller sizes and budgets, for development; its numbers are not the
README's. The full run takes well over half an hour on one thread: plain skopt.gp_minimize at
200 calls in (b) alone is minutes of CPU per point; --quick takes a few minutes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
NAMES = ["attribution", "lipschitz", "attacks", "metrics", "pipeline", "paper_scale", "peers", "scheduler"]
TITLES = {
    "attribution": "(a) Attribution throughput",
    "lipschitz": "(b) Lipschitz estimation",
    "attacks": "(c) Top-k attack on IG",
    "metrics": "(d) LENS metrics",
    "pipeline": "(e) Whole pipeline",
    "paper_scale": "(f) Paper scale (extrapolated)",
    "peers": "(g) Peers, call for call",
    "scheduler": "(h) Snakemake's scheduler",
}
ONE_THREAD = {v: "1" for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}


def _child(name: str, quick: bool, prior_path: str | None, out_path: str) -> None:
    """Run one benchmark in this process and write its result (with peak RSS) as JSON."""
    sys.path.insert(0, str(HERE))
    from _common import peak_rss_mb

    mod = importlib.import_module(f"bench_{name}")
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    if name == "paper_scale":
        prior = json.loads(Path(prior_path).read_text()) if prior_path else {}
        res = mod.run(quick=quick, prior=prior)
    else:
        res = mod.run(quick=quick)
    from _common import cpu_model

    res.update(seconds=round(time.perf_counter() - t0, 1), peak_rss_mb=peak_rss_mb(), quick=quick,
               date=dt.datetime.now().isoformat(timespec="seconds"),
               machine=f"{cpu_model()}, {os.cpu_count()} cores",
               load_average=[round(load0, 1), round(os.getloadavg()[0], 1)])
    Path(out_path).write_text(json.dumps(res, default=_jsonable))


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def table(name: str, res: dict) -> str:
    sys.path.insert(0, str(HERE))
    mod = importlib.import_module(f"bench_{name}")
    where = ""
    if res.get("machine"):
        la = res.get("load_average", ["?", "?"])
        where = (f" Measured on {res['machine']}, {res.get('date', '?')}, load average "
                 f"{la[0]} at the start and {la[1]} at the end.")
    rss = (f" Peak RSS {res['peak_rss_mb']} MiB, {res.get('seconds', '?')} s"
           f"{' (--quick)' if res.get('quick') else ''}." if "peak_rss_mb" in res else "")
    head = f"### {TITLES[name]}\n\n{res.get('description', '')}.{rss}{where}\n\n"
    return head + mod.table(res)


def machine_line(m: dict) -> str:
    v = m["versions"]
    return (f"{m['cpu']}, {m['cores']} cores ({m['threads_used']} thread used), device {m['device']}; "
            f"Python {m['python']}, torch {v['torch']}, numpy {v['numpy']}, captum {v['captum']}, "
            f"scikit-optimize {v['scikit-optimize']}, scikit-learn {v['scikit-learn']}, shap {v['shap']}, "
            f"lime {v['lime']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes, for development")
    ap.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help=f"some of {NAMES}")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results file (default %(default)s)")
    ap.add_argument("--print", action="store_true", dest="print_only",
                    help="print the tables of an existing results file, run nothing")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--prior", help=argparse.SUPPRESS)
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.quick, args.prior, args.child_out)
        return 0

    sys.path.insert(0, str(HERE))
    from _common import machine

    names = args.only or NAMES
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.print_only:
        la = old["load_average_1_5_15min"]
        print(f"## Results ({machine_line(old['machine'])}; load average before {la['before'][0]}, "
              f"after {la['after'][0]}; {old['command']}, {old['date']})\n")
        for n in names:
            if n in old["benchmarks"]:
                print(table(n, old["benchmarks"][n]) + "\n")
        return 0
    results = dict(old.get("benchmarks", {})) if args.only else {}
    env = {**os.environ, **ONE_THREAD, "PYTHONWARNINGS": "ignore"}
    failed = []
    t_all = time.perf_counter()
    load_before = os.getloadavg()
    for name in names:
        print(f"== {TITLES[name]}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            prior = Path(tmp, "prior.json")
            prior.write_text(json.dumps(results))
            out = Path(tmp, "out.json")
            cmd = [sys.executable, str(HERE / "run.py"), "--child", name, "--prior", str(prior),
                   "--child-out", str(out)] + (["--quick"] if args.quick else [])
            rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
            if rc != 0 or not out.exists():
                print(f"!! {name} failed (exit {rc})", flush=True)
                failed.append(name)
                continue
            results[name] = json.loads(out.read_text())
    doc = {
        "command": "python benchmarks/run.py" + (" --quick" if args.quick else "")
                   + (f" --only {' '.join(args.only)}" if args.only else ""),
        "machine": machine(),
        "note": "single-thread CPU numbers; every ratio is baseline time / our time, measured in the "
                "same process; paper_scale is an extrapolation",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_1_5_15min": {"before": [round(v, 2) for v in load_before],
                                   "after": [round(v, 2) for v in os.getloadavg()]},
        "seconds": round(time.perf_counter() - t_all),
        "benchmarks": {n: results[n] for n in NAMES if n in results},
    }
    args.out.write_text(json.dumps(doc, indent=1, default=_jsonable) + "\n")
    la = doc["load_average_1_5_15min"]
    print(f"\n## Results ({machine_line(doc['machine'])}; load average before {la['before'][0]}, "
          f"after {la['after'][0]})\n")
    for n in NAMES:
        if n in results and n in names:
            print(table(n, results[n]) + "\n")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
          f"in {time.perf_counter() - t_all:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
