"""The start-up share per rule of `make bench-table` (issue #20: the part of a job's seconds
spent before its first log line)."""
import logging
import subprocess
import sys
from pathlib import Path

from attrobust import benchtable, utils

HEAD = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _job(logs, bench_rel, log_rel, seconds, startup):
    if bench_rel is not None:
        b = logs / "benchmarks" / bench_rel
        b.parent.mkdir(parents=True, exist_ok=True)
        b.write_text(HEAD + f"{seconds}\t0:00:10\t100\t1\t1\t1\t0\t0\t50\t{seconds}\n")
    if log_rel is not None:
        lg = logs / log_rel
        lg.parent.mkdir(parents=True, exist_ok=True)
        line = "" if startup is None else f"2026-12-03 09:00:00,000 attrobust.jobs INFO start-up {startup} s (x)\n"
        lg.write_text(line + "2026-12-03 09:00:01,000 other INFO work\n")


def test_startup_share_is_read_from_each_jobs_log(tmp_path):
    logs = tmp_path / "logs"
    _job(logs, "attack/r/m/topk/eps1.tsv", "attack/r/m/topk/eps1.log", 4.0, 2.0)
    _job(logs, "attack/r/m/topk/eps2.tsv", "attack/r/m/topk/eps2.log", 6.0, 1.0)
    # same tail under another rule's folder: the rule's own folder wins
    _job(logs, None, "attack_metrics/r/m/topk/eps1.log", 1.0, 0.9)
    # a rule whose logs live in another folder (logs/nielsen/faithfulness/...)
    _job(logs, "nielsen_faithfulness/faithfulness/r/lime.tsv", "nielsen/faithfulness/r/lime.log", 10.0, 1.0)
    _job(logs, "train/r/seed0.tsv", "train/r/seed0.log", 8.0, None)  # no start-up line
    rows = {r["rule"]: r for r in benchtable.table(logs / "benchmarks")}
    assert rows["attack"]["startup_share"] == 3.0 / 10.0
    assert rows["nielsen_faithfulness"]["startup_share"] == 0.1
    assert rows["train"]["startup_share"] is None
    # the last row: every job (the train job has no start-up line, so it is left out of the share)
    assert list(rows)[-1] == "all" and rows["all"]["jobs"] == 4 and rows["all"]["total_s"] == 28.0
    assert rows["all"]["startup_share"] == 4.0 / 20.0
    out = subprocess.run([sys.executable, "-m", "attrobust.benchtable", str(logs / "benchmarks")],
                         capture_output=True, text=True, check=True).stdout
    assert "startup_share" in out and "| 30% |" in out and "| 10% |" in out


def test_log_to_writes_the_startup_line(tmp_path):
    log = tmp_path / "job.log"
    try:
        utils.log_to(log)
        logging.getLogger("x").info("work")
    finally:
        sys.stderr = sys.__stderr__
        logging.basicConfig(force=True)
    first = log.read_text().splitlines()[0]
    assert benchtable._STARTUP.search(first), first
    assert 0 < float(benchtable._STARTUP.search(first).group(1)) < 3600


def test_startup_seconds_is_no_longer_than_the_process_ran(tmp_path):
    """A fresh interpreter that reports its start-up at once cannot have been running longer
    than the parent saw it run (psutil's create_time rounds the boot time down to a whole
    second and read 0.47 s too much on the test host)."""
    import time

    src = str(Path(utils.__file__).resolve().parents[1])
    code = f"import sys; sys.path.insert(0, {src!r}); from attrobust import utils; print(utils.startup_seconds())"
    for _ in range(3):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
        reported = float(out.stdout)
        assert 0 <= reported <= wall + 0.02, (reported, wall)  # + one 10 ms clock tick


def test_a_job_process_freezes_its_objects_at_exit_and_keeps_its_exit_code(tmp_path):
    """log_to registers the exit-time collect-and-freeze (it skips the interpreter's
    garbage collection of torch's objects at teardown): an object in a reference cycle is
    still finalised, and a failing job still exits non-zero."""
    src = str(Path(utils.__file__).resolve().parents[1])
    head = (f"import sys, atexit, gc; sys.path.insert(0, {src!r}); from attrobust import utils; "
            # registered before log_to's handler, so it runs after it (atexit is LIFO)
            f"atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0)); "
            f"utils.log_to({str(tmp_path / 'job.log')!r})\n")
    cycle = ("class D:\n def __del__(self):\n"
             f"  with open({str(tmp_path / 'out.txt')!r}, 'w') as f: f.write('written')\n"
             "d = D(); d.self = d; del d\n")
    ok = subprocess.run([sys.executable, "-c", head + cycle], capture_output=True, text=True)
    assert ok.returncode == 0 and "frozen True" in ok.stdout, ok
    assert (tmp_path / "out.txt").read_text() == "written"
    for tail, code in (("raise ValueError('x')", 1), ("sys.exit(3)", 3)):
        bad = subprocess.run([sys.executable, "-c", head + tail], capture_output=True, text=True)
        assert bad.returncode == code, bad
