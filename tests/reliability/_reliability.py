"""Shared helpers of the reliability tests: repository copies, the small config, runs.

The workflow runs use ``small.yaml`` (three figure sections, tiny sizes, every other figure section
disabled) in a copy of the repository, so the default workflow profile is picked up as in
a user's checkout. (A module of its own, not conftest.py, so that test modules can import
it by a name no other test directory uses.)
"""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _workflow import copy_workflow
from _workflow import snakemake as _snakemake

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
KEEP = ("alvarez_melis_fig1", "gallery", "ghorbani")  # the figure sections the small config runs
LOCK_MESSAGE = "Directory cannot be locked"

#: Fields of JSON results that measure time, not results; dropped before comparing.
TIMING_FIELDS = {"seconds"}


def shoppers_csv(n: int = 2000) -> bytes:
    """A synthetic ``online_shoppers_intention.csv`` (a dataset with no pinned checksum, so
    any content downloads) for tests that serve or mirror a download."""
    import numpy as np

    from attrobust import data

    rng = np.random.default_rng(0)
    cols = data._SHOPPERS_NUMERIC + ["Month", "VisitorType", "Weekend", "Revenue"]
    rows = [",".join([*(f"{v:.6f}" for v in rng.random(10)), "Feb", "Returning_Visitor", "FALSE",
                      "TRUE" if i % 4 == 0 else "FALSE"]) for i in range(n)]
    return (",".join(cols) + "\n" + "\n".join(rows) + "\n").encode()


def small_config(**changes) -> dict:
    """``small.yaml`` with every figure section the schema knows besides :data:`KEEP`
    disabled (sections added to the workflow later stay off here)."""
    conf = yaml.safe_load((HERE / "small.yaml").read_text())
    from attrobust import config as cfg

    for name, spec in cfg.schema()["properties"]["figures"]["properties"].items():
        if name not in KEEP and "enabled" in spec.get("properties", {}):
            conf["figures"].setdefault(name, {})["enabled"] = False
    conf.update(changes)
    return conf


def make_repo(dst: Path, config: dict | None = None) -> Path:
    """A copy of the repository's workflow files with ``config`` as ``small.yaml``."""
    copy_workflow(dst)
    (dst / "small.yaml").write_text(yaml.safe_dump(config or small_config(), sort_keys=False))
    return dst


def snakemake_cmd(*args, configfile: str = "small.yaml") -> list[str]:
    return [sys.executable, "-m", "snakemake", "--configfile", configfile, *args]


def snakemake(cwd, *args, check: bool = True, configfile: str = "small.yaml"):
    return _snakemake(cwd, *args, configfile=configfile, check=check)


def run_until(cwd: Path, trigger: str, timeout: float = 300, cmd: list[str] | None = None) -> bool:
    """Start the workflow (``cmd``, default: snakemake on the small config) in its own
    session and SIGKILL the whole process group as soon as the file ``trigger`` (relative
    to ``cwd``) is (re)written. Returns whether the trigger was seen (False: the run ended
    first)."""
    target = cwd / trigger
    before = target.stat().st_mtime_ns if target.exists() else None
    with open(cwd / "killed-run.log", "ab") as out:
        proc = subprocess.Popen(cmd or snakemake_cmd("--cores", "2"), cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    seen, t0 = False, time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - t0 < timeout:
            if target.exists() and target.stat().st_mtime_ns != before:
                seen = True
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    wait_for_no_process_in(cwd)
    return seen


def wait_for_no_process_in(cwd: Path, timeout: float = 30) -> None:
    """Fail if a process whose working directory is ``cwd`` survives the kill (a job that
    escaped the process group would go on writing outputs)."""
    cwd = str(cwd.resolve())
    t0 = time.monotonic()
    while True:
        alive = []
        for p in Path("/proc").iterdir():
            if not p.name.isdigit() or int(p.name) == os.getpid():
                continue
            try:
                if os.readlink(p / "cwd") == cwd:
                    alive.append(int(p.name))
            except OSError:
                continue
        if not alive:
            return
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"processes {alive} still run in {cwd} after SIGKILL of the group")
        time.sleep(0.1)


def incomplete_outputs(cwd: Path) -> set[str]:
    """Outputs that snakemake marked as being written (``.snakemake/incomplete``)."""
    d = cwd / ".snakemake" / "incomplete"
    if not d.is_dir():
        return set()
    out = set()
    for f in d.iterdir():
        try:
            out.add(base64.b64decode(f.name.encode()).decode())
        except Exception:
            continue
    return out


def temp_files(cwd: Path) -> list[str]:
    """Leftovers of ``attrobust.utils.atomic_path`` (``.<output name>.<random>``) in the
    directories the workflow writes."""
    found = []
    for top in ("results", "figures", "resources"):
        for p in (cwd / top).rglob(".*"):
            if p.is_file() and p.name != ".snakemake_timestamp":  # snakemake's mark of a directory output
                found.append(str(p.relative_to(cwd)))
    return sorted(found)


def result_files(cwd: Path) -> dict[str, Path]:
    """Files whose bytes are compared between runs: everything under results/, and the
    claims ledger and PNGs under figures/ (PDFs carry a creation date, so not them)."""
    files = {str(p.relative_to(cwd)): p for p in (cwd / "results").rglob("*") if p.is_file()}
    for p in (cwd / "figures").rglob("*"):
        if p.is_file() and p.suffix in (".png", ".csv", ".md"):
            files[str(p.relative_to(cwd))] = p
    return files


def comparable_bytes(path: Path) -> bytes:
    """The file's bytes; for JSON, the document without :data:`TIMING_FIELDS`."""
    if path.suffix != ".json":
        return path.read_bytes()

    def drop(o):
        if isinstance(o, dict):
            return {k: drop(v) for k, v in o.items() if k not in TIMING_FIELDS}
        if isinstance(o, list):
            return [drop(v) for v in o]
        return o

    return json.dumps(drop(json.loads(path.read_text())), sort_keys=True).encode()


def differing_results(a: Path, b: Path) -> list[str]:
    """Relative paths that are missing in one run or differ (see :func:`result_files`)."""
    fa, fb = result_files(a), result_files(b)
    diff = sorted(set(fa) ^ set(fb))
    diff += [k for k in sorted(set(fa) & set(fb)) if comparable_bytes(fa[k]) != comparable_bytes(fb[k])]
    return diff
