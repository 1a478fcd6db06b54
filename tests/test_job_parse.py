"""A cluster job's own snakemake (`--mode remote`; two per SLURM job) parses the workflow
without the main process's config checks (workflow/rules/common.smk), whose imports
(torch, torchvision, scikit-learn) cost every job several seconds of start-up (issue #20)."""
import re
import subprocess
import sys

import pytest

from _cluster import copy_repo

JOB = "train:dataset=digits,model=cnn_small,regime=natural,seed=0"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("jobparse") / "repo")


def imported(repo, mode):
    """Top-level packages a parse of one train job imports (python -X importtime)."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snakemake", "--configfile", "tiny.yaml",
         "--target-jobs", JOB, "--cores", "1", "--dry-run", "--forceall", "--mode", mode],
        cwd=repo, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {m.group(1).split(".")[0] for m in re.finditer(r"^import time:.*\|\s*([\w.]+)$", res.stderr, re.M)}


def test_the_main_process_checks_the_config(repo):
    # the check builds each model once (scikit-learn's estimators among them)
    assert "sklearn" in imported(repo, "default")


def test_a_cluster_jobs_parse_skips_the_checks_and_their_imports(repo):
    mods = imported(repo, "remote")
    assert "snakemake" in mods and "attrobust" in mods
    assert not {"torch", "torchvision", "sklearn"} & mods, sorted({"torch", "torchvision", "sklearn"} & mods)
