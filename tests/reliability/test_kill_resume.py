"""Kill and resume: SIGKILL `make figures` during a training, an explain, an attack and a
figure job, resume with `make figures`, and get exactly the results of an uninterrupted run.

One repository copy goes through five segments: a run killed as soon as the CNN's training
job has started (its log file appears), a run of the attack file alone killed in the attack
on that CNN, a resumed run killed in the SmoothGrad explain job that needs the CNN, a
resumed run killed in the gallery figure job that needs that explanation, and a final
resume. Each trigger is a job that cannot have run in an earlier
segment, so the kill points do not depend on timing. After each kill, a partial copy of
each killed job's output is planted where the output goes (what a writer without atomic
renames would leave), and every other file is checked to be complete.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from attrobust import models, utils

from _reliability import (LOCK_MESSAGE, TIMING_FIELDS, differing_results, incomplete_outputs,
                          make_repo, result_files, run_until, snakemake, snakemake_cmd, temp_files)
from _workflow import make, make_cmd

CNN = "results/models/digits/cnn_small/natural/seed0"
ATTACK = "results/attacks/ghorbani/digits/cnn_small/natural/seed0/integrated_gradients/topk/chunk0.npz"
# (stage, log file whose appearance triggers the kill, outputs of that job, target). A
# segment runs the README's `make figures`, except the attack segment: the attack needs only
# the CNN, so a whole-workflow segment could finish it before its trigger; that one runs
# plain `snakemake <attack file>` (after `snakemake --unlock`, as docs/reproducibility.md says).
KILLS = [
    ("train", "logs/train/digits/cnn_small/natural/seed0.log", [f"{CNN}/model.pt", f"{CNN}/metrics.json"], None),
    ("attack", "logs/attack/ghorbani/digits/cnn_small/natural/seed0/integrated_gradients/topk/chunk0.log", [ATTACK], ATTACK),
    ("explain", "logs/explain/gallery/digits/cnn_small/natural/seed0.log",
     ["results/explain/gallery/digits/cnn_small/natural/seed0.npz"], None),
    ("figure", "logs/figures/gallery.log", ["figures/nielsen/fig1_gallery.pdf", "figures/nielsen/fig1_gallery.png"], None),
]


def readable(path) -> bool:
    """Whether a workflow output is complete (parses as what its name says)."""
    try:
        if path.suffix == ".npz":
            utils.load_npz(path)
        elif path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".pt":
            models.load(path)
        elif path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".png":
            b = path.read_bytes()
            return b.startswith(b"\x89PNG\r\n\x1a\n") and b.endswith(b"IEND\xaeB`\x82")
        elif path.suffix == ".pdf":
            b = path.read_bytes()
            return b.startswith(b"%PDF-") and b.rstrip().endswith(b"%%EOF")
        else:
            return path.stat().st_size > 0
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def chain(reference_run, tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("killed"))
    segments = []
    for stage, trigger, outputs, target in KILLS:
        if target:
            snakemake(repo, "--unlock")
            cmd = snakemake_cmd("--cores", "2", target)
        else:  # after a kill, make clears the stale lock itself
            cmd = make_cmd("figures", configfile="small.yaml")
        seen = run_until(repo, trigger, cmd=cmd)
        marked = incomplete_outputs(repo)
        seg = {"stage": stage, "seen": seen, "marked": marked, "outputs": {}, "planted": []}
        for out in outputs:
            p = repo / out
            seg["outputs"][out] = (p.exists(), out in marked)
            if not p.exists() and out in marked:  # a half-written output, as a crash leaves it
                ref = (reference_run / out).read_bytes()
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(ref[: len(ref) // 2])
                seg["planted"].append(out)
        files = [p for top in ("results", "figures") for p in (repo / top).rglob("*")
                 if p.is_file() and not p.name.startswith(".")]
        seg["unreadable_unmarked"] = sorted(
            str(p.relative_to(repo)) for p in files
            if str(p.relative_to(repo)) not in marked and not readable(p))
        # complete outputs as of this kill: the resume must leave them alone
        seg["done"] = {str(p.relative_to(repo)): p.stat().st_mtime_ns for p in files
                       if str(p.relative_to(repo)) not in marked and readable(p)}
        segments.append(seg)
    # the resume: the same command as the first run
    final = make(repo, "figures", configfile="small.yaml", check=False)
    log = (repo / "killed-run.log").read_text()
    return {"repo": repo, "segments": segments, "final": final, "log": log}


@pytest.mark.e2e
def test_each_kill_hit_a_running_job(chain):
    for seg in chain["segments"]:
        print(f"\nkilled in {seg['stage']}: outputs (exists, flagged incomplete) {seg['outputs']}; "
              f"planted partial copies: {seg['planted']}")
        assert seg["seen"], f"{seg['stage']}: the run ended before its job started"
        for out, (exists, marked) in seg["outputs"].items():
            # killed while running: not written yet and flagged, or (a race) finished whole
            assert marked or (exists and readable(chain["repo"] / out)), (seg["stage"], out)
    assert any(seg["planted"] for seg in chain["segments"])


@pytest.mark.e2e
def test_no_partial_output_is_taken_as_complete(chain):
    for seg in chain["segments"]:
        assert seg["unreadable_unmarked"] == [], seg["stage"]
    repo = chain["repo"]
    for seg in chain["segments"]:
        for out in seg["planted"]:
            assert readable(repo / out), f"{out}: the planted partial file survived the resume"
    assert incomplete_outputs(repo) == set()


@pytest.mark.e2e
def test_resume_finishes(chain):
    res = chain["final"]
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    dry = snakemake(chain["repo"], "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr


@pytest.mark.e2e
def test_resume_reruns_only_the_interrupted_jobs(chain):
    """Every output that was complete when a run was killed keeps its bytes and mtime
    through all later resumes: only interrupted (and not yet started) jobs ran again."""
    repo = chain["repo"]
    kept = {}
    for seg in chain["segments"]:  # as first seen complete
        for f, mtime in seg["done"].items():
            kept.setdefault(f, mtime)
    assert f"{CNN}/model.pt" in kept  # trained before the attack segment was killed
    rewritten = sorted(f for f, mtime in kept.items() if (repo / f).stat().st_mtime_ns != mtime)
    assert rewritten == []


@pytest.mark.e2e
def test_resumed_results_equal_an_uninterrupted_run(chain, reference_run):
    """Byte for byte: results/ (npz, csv, model.pt, JSON without the timing fields
    TIMING_FIELDS = {'seconds'}) and the figures' PNGs and claims ledger."""
    compared = result_files(reference_run)
    assert {f"{CNN}/model.pt", f"{CNN}/metrics.json"} <= set(compared)
    assert any(k.endswith(".png") for k in compared) and TIMING_FIELDS == {"seconds"}
    assert differing_results(reference_run, chain["repo"]) == []


@pytest.mark.e2e
def test_no_temp_files_left_after_resume(chain):
    assert temp_files(chain["repo"]) == []


@pytest.mark.e2e
def test_rerun_after_kill_is_not_blocked_by_the_stale_lock(chain):
    """SIGKILL leaves snakemake's lock in .snakemake/locks; `make figures` clears it when no
    other make run holds .snakemake/make.flock, so every resume starts without --unlock."""
    res = chain["final"]
    out = res.stdout + res.stderr + chain["log"]
    assert LOCK_MESSAGE not in out and res.returncode == 0
    assert "clearing the stale lock" in res.stdout  # the lock was really left behind
    # every make segment after the first kill (the final resume's output is not in the log)
    assert chain["log"].count("clearing the stale lock") == sum(t is None for *_, t in KILLS[1:])


@pytest.mark.e2e
def test_truncated_data_file_fails_the_downstream_job_clearly(chain):
    """Runs last: damages the finished run. A truncated results/data npz (newer than its
    dependants, so they rerun) must stop the run with an error naming the file."""
    repo = chain["repo"]
    npz = repo / "results/data/synthetic2d.npz"
    png = (repo / "figures/alvarez-melis/fig1_lime_shap_2d.png").read_bytes()
    npz.write_bytes(npz.read_bytes()[:500])
    res = snakemake(repo, "--cores", "2", check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "results/data/synthetic2d.npz" in out and "truncated or corrupt" in out, out[-4000:]
    assert (repo / "figures/alvarez-melis/fig1_lime_shap_2d.png").read_bytes() == png
    with pytest.raises(ValueError, match="truncated or corrupt"):
        utils.load_npz(npz)
