"""Benchmark: a second `make figures` with nothing changed (target: under 15 s).

Usage: .venv/bin/python benchmarks/noop_rerun.py [--config config/config.yaml]
Runs `make figures` once (to make sure everything is built), then times it again
`--repeat` times and writes the result to benchmarks/out/noop_rerun.json.
"""
import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cmd = ["make", "--no-print-directory", "figures", f"CONFIG={args.config}"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        assert "Nothing to be done" in res.stdout + res.stderr, "the rerun ran jobs"
    out = {
        "benchmark": "noop_rerun",
        "config": args.config,
        "seconds": times,
        "best_s": min(times),
        "target_s": 15,
        "machine": platform.platform(),
        "cpus": __import__("os").cpu_count(),
    }
    (ROOT / "benchmarks/out").mkdir(exist_ok=True)
    (ROOT / "benchmarks/out/noop_rerun.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"no-op `make figures`: best {min(times):.2f} s of {args.repeat} (target < 15 s)")


if __name__ == "__main__":
    main()
