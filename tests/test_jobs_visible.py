"""Visible and loud jobs (issue #18, item 4): a job given a GPU that torch cannot use fails
instead of running on the CPU; long loops write progress lines with rates to the job's log;
every compute rule records its runtime and peak memory (benchmark:), and one command prints
them per rule."""
import logging
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from _rules import compute_rules, device_rules, parsed
from _workflow import ROOT

from attrobust import attacks, benchtable, jobs, lipschitz, models, utils



@pytest.fixture
def no_gpu_env(monkeypatch):
    for var in utils.GPU_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("var,value", [("CUDA_VISIBLE_DEVICES", "0"), ("SLURM_JOB_GPUS", "1"),
                                       ("CUDA_VISIBLE_DEVICES", "GPU-5a1c")])
@pytest.mark.parametrize("device", ["auto", "cuda", "cuda:0"])
def test_a_job_given_a_gpu_that_torch_cannot_use_fails(no_gpu_env, monkeypatch, var, value, device):
    monkeypatch.setenv(var, value)
    with pytest.raises(RuntimeError) as err:
        utils.get_device(device)
    msg = str(err.value)
    assert f"given a GPU ({var}={value})" in msg and "cannot use CUDA" in msg
    assert f"'device' is {device!r}" in msg and "device: cpu" in msg
    assert utils.get_device("cpu") == torch.device("cpu")   # the deliberate CPU run


@pytest.mark.parametrize("value", ["", "-1", "NoDevFiles"])
def test_no_gpu_given_keeps_auto_on_the_cpu(no_gpu_env, monkeypatch, value):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    assert utils.gpu_assigned() is None
    assert utils.get_device("auto") == torch.device("cpu")


def test_the_job_harness_fails_before_loading_anything(no_gpu_env, monkeypatch, tmp_path):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setattr(models, "load", lambda *a, **k: pytest.fail("loaded the model"))
    smk = types.SimpleNamespace(log=[str(tmp_path / "job.log")], threads=1, params=types.SimpleNamespace(device="auto"),
                                input=types.SimpleNamespace(data="d.npz", model="m.pt"))
    stderr = sys.stderr
    try:
        with pytest.raises(RuntimeError, match="given a GPU"):
            jobs.model_job(smk)
    finally:
        sys.stderr = stderr
        logging.basicConfig(force=True)


def test_device_rules_scripts_use_the_device_and_others_do_not():
    """The rules with params.device are exactly those whose scripts read it (directly or
    through jobs.model_job): a script of another rule would run on the CPU unasked."""
    _, rules = parsed()
    for name, rule in rules.items():
        if not rule.script:
            continue
        text = (Path(rule.basedir.get_path_or_uri(secret_free=True)) / rule.script).read_text()
        uses = bool(re.search(r"params\.device|p\.device", text)) or (
            "jobs.model_job" in text and "on the CPU: the rule has no device" not in text)
        assert uses == (name in device_rules()), name


# --- progress lines -------------------------------------------------------------------------

@pytest.fixture
def progress_log(caplog, monkeypatch):
    monkeypatch.setenv("ATTROBUST_PROGRESS_SECONDS", "0")
    caplog.set_level(logging.INFO, logger="attrobust.progress")
    return caplog


def _lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "attrobust.progress"]


def test_training_logs_epochs_with_rates(progress_log):
    rng = np.random.default_rng(0)
    d = {"X_train": rng.normal(size=(40, 1, 8, 8)).astype(np.float32), "y_train": rng.integers(0, 2, 40),
         "X_test": rng.normal(size=(10, 1, 8, 8)).astype(np.float32), "y_test": rng.integers(0, 2, 10)}
    m = models.build("cnn_small", (1, 8, 8), 2, epochs=3, batch_size=16)
    models.train(m, d, device="cpu")
    epochs = [s for s in _lines(progress_log) if s.startswith("train: ")]
    assert [s.split(" epochs")[0] for s in epochs] == ["train: 1/3", "train: 2/3", "train: 3/3"]
    assert all(re.search(r"epochs/s, \d+ s elapsed", s) and "mean loss" in s for s in epochs)
    assert any(re.match(r"train \(40 examples, natural\): 9/9 batches", s) for s in _lines(progress_log))


def test_attack_and_lipschitz_log_iterations_and_points(progress_log):
    from _nets import CNN

    net = CNN(hw=8, n_classes=3).eval()
    x = np.random.default_rng(0).uniform(size=(2, 1, 8, 8)).astype(np.float32)
    attacks.attack("topk", net, x, method="simple_gradient", eps=8 / 255, k=5, n_iter=3, step=1 / 255,
                   softplus_beta=10.0)
    its = [s for s in _lines(progress_log) if s.startswith("attack simple_gradient (2 images)")]
    assert [s.split(" iterations")[0].split(": ")[1] for s in its] == ["1/3", "2/3", "3/3"]
    assert all(re.search(r"iterations/s, \d+ s elapsed", s) for s in its)
    lipschitz.points("saliency", net, x, [0, 1], eps=0.1, n_calls=4, estimator="random", seed=0)
    pts = [s for s in _lines(progress_log) if s.startswith("lipschitz saliency (4 calls per point)")]
    assert len(pts) == 2 and pts[-1].split(": ")[1].startswith("2/2 points") and "calls/s" in pts[-1]


def test_benchmark_on_every_compute_rule():
    _, rules = parsed()
    compute = compute_rules()
    assert {"train", "explain", "attack", "lipschitz"} <= compute
    missing = sorted(n for n in compute if not rules[n].benchmark)
    assert not missing, f"compute rules without a benchmark: directive: {missing}"
    for n in compute:
        assert str(rules[n].benchmark).startswith(f"logs/benchmarks/{n}/"), n


def test_bench_table_per_rule(tmp_path):
    head = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for rel, s, rss in [("train/a/seed0.tsv", 10.0, 300.5), ("train/b/seed0.tsv", 30.0, 900.0),
                        ("attack/x/eps1.tsv", 5.5, "NA")]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(head + f"{s}\t0:00:10\t{rss}\t1\t1\t1\t0\t0\t50\t{s}\n")
    rows = {r["rule"]: r for r in benchtable.table(tmp_path)}
    assert rows["train"]["jobs"] == 2 and rows["train"]["total_s"] == 40 and rows["train"]["max_s"] == 30
    assert rows["train"]["max_rss_mb"] == 900 and rows["attack"]["max_rss_mb"] is None
    out = subprocess.run([sys.executable, "-m", "attrobust.benchtable", str(tmp_path)], capture_output=True,
                         text=True, check=True).stdout
    assert "| train | 2 | 40.0 | 20.0 | 30.0 | 900.0 | 40.0 |" in out and "| attack | 1 |" in out
    empty = subprocess.run([sys.executable, "-m", "attrobust.benchtable", str(tmp_path / "none")],
                           capture_output=True, text=True)
    assert empty.returncode == 1 and "no benchmark files" in empty.stderr
