"""Reruns after a change (issue #21, items 1, 2 and 5): a job that fails during a rerun, an
intermediate result deleted by hand, and a touched file.

- A job killed (SIGKILL, Ctrl-C) or out of disk space during a rerun leaves its outputs
  missing; the next run must rebuild them and everything that depends on them, not report
  "Nothing to be done" behind stale figures. `rule all` requests every intermediate result
  (`all_results`, workflow/rules/common.smk), so a missing one is always rebuilt.
- What reruns is decided by contents, not mtimes: touching a script or library module, or
  a result, or copying the whole checkout elsewhere, reruns nothing; an edit of a script
  reruns exactly its jobs, and a result whose content changed reruns its consumers.

Each test works on its own copy of the session's reference run of the small config
(mtimes kept), and checks plans with dry runs wherever a dry run shows the same thing.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import torch
import yaml

from attrobust import models

from _reliability import (differing_results, snakemake, snakemake_cmd, wait_for_no_process_in)
from _workflow import job_stats

CNN = "results/models/digits/cnn_small/natural/seed0"
SMOOTHGRAD = "results/explain/gallery/digits/cnn_small/natural/seed0.npz"  # the gallery's methods
GALLERY = "figures/nielsen/fig1_gallery.png"
#: the jobs a change of `methods.smoothgrad.n_samples` reruns
SMOOTHGRAD_JOBS = {"explain": 1, "fig_gallery": 1, "default": 1}


@pytest.fixture
def repo(reference_run, tmp_path) -> Path:
    """A copy of the finished reference run (results, figures, .snakemake metadata), mtimes kept."""
    return Path(shutil.copytree(reference_run, tmp_path / "repo", symlinks=True,
                                ignore=shutil.ignore_patterns("killed-run.log")))


def plan(repo: Path) -> tuple[dict[str, int], set[str]]:
    """A dry run's jobs (rule -> count) and the outputs of those jobs."""
    res = snakemake(repo, "--cores", "2", "--dry-run")
    out = res.stdout + res.stderr
    if "Nothing to be done" in out:
        return {}, set()
    jobs = job_stats(out)
    outputs = {f for m in re.finditer(r"^\s+output: (.*)$", out, re.M) for f in m.group(1).split(", ")}
    return jobs, outputs


def missing_results(repo: Path, reference: Path) -> set[str]:
    """Files of the reference run's results/ that the copy lacks."""
    ref = {str(p.relative_to(reference)) for p in (reference / "results").rglob("*") if p.is_file()}
    return {f for f in ref if not (repo / f).exists()}


def finished_outputs(log: str) -> set[str]:
    """Outputs of the jobs a snakemake log reports as finished ("Finished jobid: N"), which
    snakemake writes after it has recorded the job's metadata."""
    finished = set(re.findall(r"^Finished jobid: (\d+) ", log, re.M))
    outputs = set()
    for block in re.split(r"^(?:local)?rule \w+:$", log, flags=re.M)[1:]:
        jobid = re.search(r"^\s+jobid: (\d+)$", block, re.M)
        out = re.search(r"^\s+output: (.*)$", block, re.M)
        if jobid and out and jobid.group(1) in finished:
            outputs.update(out.group(1).split(", "))
    return outputs


def set_config(repo: Path, **smoothgrad) -> None:
    conf = yaml.safe_load((repo / "small.yaml").read_text())
    conf["methods"]["smoothgrad"].update(smoothgrad)
    (repo / "small.yaml").write_text(yaml.safe_dump(conf, sort_keys=False))


def job_processes(repo: Path, script: str) -> list[int]:
    """Processes running the workflow script `script` (snakemake runs a copy of it,
    .snakemake/scripts/tmp*.<script>) in `repo`."""
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if os.readlink(p / "cwd") != str(repo.resolve()):
                continue
            cmd = (p / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f".{script}" in cmd and ".snakemake/scripts/" in cmd:
            found.append(int(p.name))
    return found


def run_and_interrupt(repo: Path, script: str, how: signal.Signals, timeout: float = 300):
    """Run the workflow; as soon as a job runs `script`, send `how`: SIGKILL to that job's
    process alone (the job dies, snakemake goes on), SIGINT to the whole process group (a
    Ctrl-C in the terminal). Returns (whether the job was seen, snakemake's exit status, log)."""
    log = repo / "interrupted-run.log"
    with open(log, "wb") as out:
        # SIGINT as in a terminal: a shell's background job (`cmd &` without job control,
        # nohup) starts with SIGINT ignored, and every child would inherit that
        proc = subprocess.Popen(snakemake_cmd("--cores", "2"), cwd=repo, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen, t0 = False, time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - t0 < timeout:
            pids = job_processes(repo, script)
            if pids:
                seen = True
                if how == signal.SIGINT:
                    # a Ctrl-C; pressed again while the job still runs: a SIGINT that
                    # reaches snakemake while it starts the job can be lost (seen once
                    # under load), and the run then ends normally
                    for _ in range(5):
                        os.killpg(proc.pid, signal.SIGINT)
                        time.sleep(1)
                        if proc.poll() is not None or not job_processes(repo, script):
                            break
                else:
                    for pid in pids:
                        os.kill(pid, how)
                break
            time.sleep(0.02)
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    wait_for_no_process_in(repo)
    return seen, rc, log.read_text()


@pytest.mark.e2e
def test_job_killed_during_a_params_rerun_is_redone_with_its_figure(repo, reference_run):
    """The issue's reproduction: n_samples 4 -> 5, the SmoothGrad explain job SIGKILLed.
    The next run must redo it and the gallery, and give a figure that is not the old one."""
    old_png = (repo / GALLERY).read_bytes()
    set_config(repo, n_samples=5)
    assert plan(repo)[0] == SMOOTHGRAD_JOBS
    seen, rc, log = run_and_interrupt(repo, "explain.py", signal.SIGKILL)
    assert seen, "the run ended before the explain job started:\n" + log[-3000:]
    assert rc != 0, log[-3000:]
    assert not (repo / SMOOTHGRAD).exists()  # what the failed job leaves
    jobs, outputs = plan(repo)
    assert jobs == SMOOTHGRAD_JOBS and {SMOOTHGRAD, GALLERY} <= outputs
    snakemake(repo, "--cores", "2")
    assert plan(repo)[0] == {}
    assert (repo / GALLERY).read_bytes() != old_png  # not the n_samples=4 figure
    # exactly what changed: the explanation and its figures (the PDF is not compared)
    assert set(differing_results(reference_run, repo)) == {SMOOTHGRAD, GALLERY}


@pytest.mark.e2e
def test_ctrl_c_in_training_after_a_script_edit_is_redone(repo, reference_run):
    """train.py edited, Ctrl-C (SIGINT to the process group) while a model trains: the
    interrupted models are deleted, and the next plan must train them again and rerun
    every job that depends on them."""
    script = repo / "workflow/scripts/train.py"
    script.write_text(script.read_text() + "\n# edited: reruns every training job\n")
    before, _ = plan(repo)
    assert before["train"] == 2
    seen, rc, log = run_and_interrupt(repo, "train.py", signal.SIGINT)
    assert seen and rc != 0, log[-3000:]
    gone = missing_results(repo, reference_run)
    assert any(f.endswith("model.pt") for f in gone), gone  # the interrupted model(s)
    jobs, outputs = plan(repo)
    assert gone <= outputs, gone - outputs
    # every training job not finished in the interrupted run, and everything downstream.
    # Finished means snakemake recorded it (its metadata, then "Finished jobid"): a job
    # whose model.pt was written but that was still running when the Ctrl-C came is
    # incomplete and must train again (a fast scikit-learn job can end in that window)
    models = {"results/models/synthetic2d/mlp_sklearn/natural/seed0/model.pt", f"{CNN}/model.pt"}
    done = models & finished_outputs(log)
    assert all((repo / f).exists() for f in done)
    assert jobs["train"] == 2 - len(done)
    assert models - done <= outputs
    assert {"explain", "attack", "fig_gallery", "fig_ghorbani", "claims"} <= set(jobs)


@pytest.mark.e2e
def test_disk_full_during_a_rerun_is_redone(repo, tmp_path):
    """No space left while the explain job writes (a tmpfs over its output directory, kept
    full by a writer that takes every page freed): the job fails, and the next plan redoes
    it and the gallery."""
    out_dir = (repo / SMOOTHGRAD).parent
    saved = tmp_path / "saved"
    shutil.copytree(out_dir, saved)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(out_dir)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root, CAP_SYS_ADMIN): {res.stderr.strip()}")
    stop = threading.Event()

    def fill():  # keep the file system full, also after snakemake deletes the old output
        with open(out_dir / "filler", "wb", buffering=0) as f:
            while not stop.is_set():
                try:
                    f.write(b"\0" * 4096)
                except OSError as e:
                    assert e.errno == errno.ENOSPC
                    time.sleep(0.005)

    filler = threading.Thread(target=fill, daemon=True)
    try:
        for p in saved.iterdir():
            shutil.copy2(p, out_dir / p.name)
        filler.start()
        set_config(repo, n_samples=5)
        res = snakemake(repo, "--cores", "2", check=False)
        stop.set()
        filler.join()
        log = (repo / "logs/explain/gallery/digits/cnn_small/natural/seed0.log").read_text()
        assert res.returncode != 0 and "No space left on device" in log, log[-3000:]
        assert not (repo / SMOOTHGRAD).exists()
        (out_dir / "filler").unlink()
        jobs, outputs = plan(repo)
        assert jobs == SMOOTHGRAD_JOBS and {SMOOTHGRAD, GALLERY} <= outputs
    finally:
        stop.set()
        if filler.is_alive():
            filler.join()
        subprocess.run(["umount", str(out_dir)], check=True)


@pytest.mark.e2e
def test_truncated_then_deleted_model_is_rebuilt(repo, reference_run):
    """The project's own advice, followed: a truncated model.pt stops the jobs that read it
    ("delete it and rerun the job that wrote it"); once deleted, the next plan trains it
    again and reruns everything that depends on it (the failed jobs' outputs are gone)."""
    model = repo / CNN / "model.pt"
    model.write_bytes(model.read_bytes()[:1000])
    res = snakemake(repo, "--cores", "2", check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and f"{CNN}/model.pt" in out, out[-3000:]
    assert "delete it and rerun the job that wrote it" in out, out[-3000:]
    model.unlink()
    gone = missing_results(repo, reference_run)
    jobs, outputs = plan(repo)
    assert gone <= outputs, gone - outputs
    assert jobs["train"] == 1 and {"explain", "attack", "fig_gallery", "fig_ghorbani"} <= set(jobs)


@pytest.mark.e2e
def test_deleted_explanation_is_rebuilt_identically(repo, reference_run):
    """`rm .../smoothgrad.npz` then a run: the explain job and its figure rerun, and every
    result is byte-identical to the reference run again."""
    (repo / SMOOTHGRAD).unlink()
    jobs, outputs = plan(repo)
    assert jobs == SMOOTHGRAD_JOBS and SMOOTHGRAD in outputs
    snakemake(repo, "--cores", "2")
    assert differing_results(reference_run, repo) == []


@pytest.mark.e2e
def test_touch_mtime_and_copy_rerun_nothing_but_edits_do(repo, tmp_path):
    """Contents, not timestamps: touching every script and library module, moving every
    result's mtime an hour back or forward, or copying the checkout to another directory
    (new mtimes and paths, like a `git checkout` or a copy to scratch) plans no job; an
    edited script reruns exactly its jobs; a model whose contents changed reruns every job
    that reads it."""
    for p in [*(repo / "workflow").rglob("*.py"), *(repo / "src").rglob("*.py")]:
        p.touch()
    assert plan(repo)[0] == {}
    results = sorted(p for p in (repo / "results").rglob("*") if p.is_file())
    now = time.time()
    for i, p in enumerate(results):
        t = now + (3600 if i % 2 else -3600)
        os.utime(p, (t, t))
    assert plan(repo)[0] == {}
    moved = Path(shutil.copytree(repo, tmp_path / "scratch", symlinks=True, copy_function=shutil.copy))
    assert plan(moved)[0] == {}

    script = moved / "workflow/papers/nielsen/scripts/fig_gallery.py"
    script.write_text(script.read_text() + "\n# edited\n")
    assert plan(moved)[0] == {"fig_gallery": 1, "default": 1}
    script.write_text(script.read_text().replace("\n# edited\n", ""))  # back: a newer mtime, same contents
    assert plan(moved)[0] == {}

    path = moved / CNN / "model.pt"
    m = models.load(path)
    with torch.no_grad():
        next(m.parameters()).add_(1e-3)
    models.save(m, path, m.attrobust_spec)
    jobs, _ = plan(moved)
    assert jobs == {"explain": 1, "attack": 2, "attack_metrics": 1, "fig_gallery": 1, "fig_ghorbani": 1,
                    "claims": 1, "default": 1}
