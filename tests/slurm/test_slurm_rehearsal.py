"""The paper config's rehearsal (config/paper.yaml + config/rehearsal.yaml: every section,
rule and architecture of the paper run, on generated stand-in files and tiny budgets)
through profiles/slurm on the local one-node SLURM cluster (issue #18): every rule that
config/paper.yaml would run runs, and every submitted job COMPLETED in `sacct`.

Part of `make test` wherever tests/slurm/test_slurm.py runs (root on Debian): ~240 jobs,
their ~150 compute jobs sent as 18 sbatch jobs (groups of short jobs: docs/cluster.md),
8-10 minutes on a quiet 2-core machine (docs/rehearsal.md); it
takes the cluster after test_slurm.py (tests/conftest.py: SLOW_FIRST).
ATTROBUST_SLURM_REHEARSAL=0 leaves it out. It needs a Python whose torch and torchvision
import (the rehearsal builds torchvision's networks): ATTROBUST_REHEARSAL_PYTHON, else this
interpreter if torchvision imports in it, else the venv `.venv-rehearsal/` that this module
makes at the repository root (once; ~1.5 minutes and 5.5 GB): PyPI's torch build and
torchvision, with pip's configuration files left out, because a machine's pip may prefer a
CPU-only torch wheel, with which torchvision does not import (docs/rehearsal.md).
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from _cluster import fitted_resource_args, job_headers, ran_rules
from _workflow import ROOT, copy_workflow, paper_site, planned_rules
from test_slurm import ACCOUNT, FIT, PARTITION, PROFILE, _rule_of, _sacct, _skip_reason, cluster, gpu_keys  # noqa: F401

PAPER, REHEARSAL = "config/paper.yaml", "config/rehearsal.yaml"


REHEARSAL_VENV = ROOT / ".venv-rehearsal"


def _has_torchvision(py) -> bool:
    return subprocess.run([str(py), "-c", "import torch, torchvision"], capture_output=True).returncode == 0


def _python():
    """A Python with torch and torchvision, or None (then rehearsal_python makes one)."""
    for py in (os.environ.get("ATTROBUST_REHEARSAL_PYTHON"), sys.executable, REHEARSAL_VENV / "bin" / "python"):
        if py and Path(py).exists() and _has_torchvision(py):
            return str(py)
    if os.environ.get("ATTROBUST_REHEARSAL_PYTHON"):
        pytest.fail(f"ATTROBUST_REHEARSAL_PYTHON={os.environ['ATTROBUST_REHEARSAL_PYTHON']}: torch and "
                    "torchvision do not import there (docs/rehearsal.md)")
    return None


# The venv's 5.5 GB plus pip's downloads (~3 GB, in its temporary folder) while it installs
VENV_NEEDS_GB = 10


def _free_gb(path) -> float:
    return shutil.disk_usage(path).free / 2**30


def _check_free_disk():
    """Fail at once, saying what to do, where the venv would not fit: a full disk
    otherwise stops pip with ENOSPC minutes into the install."""
    for where in {ROOT, Path(tempfile.gettempdir())}:
        free = _free_gb(where)
        if free < VENV_NEEDS_GB:
            pytest.fail(f"the SLURM rehearsal needs ~{VENV_NEEDS_GB} GB free to make {REHEARSAL_VENV} "
                        f"(PyPI's torch with its CUDA libraries, and pip's downloads); {where} has "
                        f"{free:.1f} GB free. Free disk space, or set ATTROBUST_REHEARSAL_PYTHON "
                        "to a Python where torch and torchvision import, or ATTROBUST_SLURM_REHEARSAL=0 "
                        "to leave the rehearsal out (docs/rehearsal.md)", pytrace=False)


@pytest.fixture(scope="module")
def rehearsal_python():
    """_python(), else the venv .venv-rehearsal/ made here: PyPI's torch and torchvision
    (pip's configuration files left out: PIP_CONFIG_FILE=/dev/null, no PIP_FIND_LINKS)."""
    py = _python()
    if py:
        return py
    _check_free_disk()
    env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"}
    env["PIP_CONFIG_FILE"] = os.devnull
    venv_py = REHEARSAL_VENV / "bin" / "python"
    # --no-cache-dir: the ~3 GB of wheels are not kept a second time in pip's cache
    for cmd in ([sys.executable, "-m", "venv", "--clear", str(REHEARSAL_VENV)],
                [str(venv_py), "-m", "pip", "install", "--quiet", "--no-cache-dir", "-e", f"{ROOT}[test,paper]"]):
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    assert _has_torchvision(venv_py), f"torch and torchvision do not import in {venv_py}"
    return str(venv_py)


def _why_skip():
    if os.environ.get("ATTROBUST_SLURM_REHEARSAL") == "0":
        return "left out: ATTROBUST_SLURM_REHEARSAL=0"
    return _skip_reason()


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.e2e,
    pytest.mark.skipif(_why_skip() is not None, reason=f"SLURM rehearsal skipped: {_why_skip()}"),
]


@pytest.fixture(scope="module")
def rehearsal(rehearsal_python, cluster, tmp_path_factory):  # noqa: F811 (test_slurm's cluster)
    py = rehearsal_python
    repo = copy_workflow(tmp_path_factory.mktemp("rehearsal") / "repo")
    site = tmp_path_factory.mktemp("site") / "slurm-site.yaml"
    site.write_text(f"account: {ACCOUNT}\npartition: {PARTITION}\ngpu_request: gpus\n")
    os.environ["ATTROBUST_SLURM_SITE"] = str(site)  # fitted_resource_args renders the profile
    try:
        resource_args, gpu_rules = fitted_resource_args(PROFILE, FIT)
    finally:
        del os.environ["ATTROBUST_SLURM_SITE"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SBATCH_")}
    env["ATTROBUST_SLURM_SITE"] = str(site)
    cmd = [py, "-m", "snakemake", "--configfile", PAPER, REHEARSAL, "--workflow-profile", "profiles/slurm",
           *resource_args, "--config", "device=cpu",  # a declared GPU without a device (test_slurm.py)
           "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2"]
    res = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env, timeout=3600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{out[-8000:]}"
    run_id = re.search(r"SLURM run ID: (\S+)", out)
    assert run_id, f"no SLURM run ID in the output:\n{out[-4000:]}"
    return {"repo": repo, "out": out, "run_id": run_id.group(1), "gpu_rules": gpu_rules}


def test_every_rule_of_the_paper_config_ran(rehearsal, tmp_path):
    paper = set(planned_rules(rehearsal["repo"], PAPER, paper_site(tmp_path)))
    missing = sorted(paper - ran_rules(rehearsal["out"]))
    assert not missing, f"rules of config/paper.yaml the rehearsal did not run: {missing}"


def test_every_submitted_job_completed_in_sacct(rehearsal):
    jobs = _sacct(rehearsal["run_id"])
    submitted, _ = job_headers(rehearsal["out"])
    assert collections.Counter(_rule_of(j["Comment"]) for j in jobs) == submitted
    assert {j["State"] for j in jobs} == {"COMPLETED"}, [j for j in jobs if j["State"] != "COMPLETED"]
    assert {j["ExitCode"] for j in jobs} == {"0:0"}
    # the torch rules on a GPU node (a declared GPU), the others without one
    for j in jobs:
        asked = "gres/gpu=1" in j["AllocTRES"]
        assert asked == (_rule_of(j["Comment"]) in gpu_keys(rehearsal["gpu_rules"])), j


def test_the_figures_and_the_ledger_were_written(rehearsal):
    repo = rehearsal["repo"]
    assert (repo / "figures" / "claims.md").is_file() and (repo / "figures" / "claims.csv").is_file()
    assert list((repo / "figures").rglob("*.png"))
