"""The paper config's rehearsal (config/paper.yaml + config/rehearsal.yaml: every section,
rule and architecture of the paper run, on generated stand-in files and tiny budgets)
through profiles/slurm on the local one-node SLURM cluster (issue #18): every rule that
config/paper.yaml would run runs, and every submitted job COMPLETED in `sacct`.

Opt-in, ATTROBUST_SLURM_REHEARSAL=1: the rehearsal is ~240 jobs, each a SLURM job that starts
snakemake twice (the batch script's and srun's) before its own script: about 30 minutes on
2 cores (docs/rehearsal.md), more than `make test`'s 45 minutes on 2 cores hold beside the
tiny run through SLURM (tests/slurm/test_slurm.py) and Grid Engine. It needs root
on Debian (as test_slurm.py) and a Python whose torch and torchvision import (the rehearsal
builds torchvision's networks): ATTROBUST_REHEARSAL_PYTHON, else this interpreter if
torchvision imports in it. docs/rehearsal.md shows how to make one where pip prefers a
CPU-only torch wheel.
"""
import collections
import os
import re
import subprocess
import sys

import pytest
from _cluster import fitted_resource_args, job_headers
from _workflow import copy_workflow, paper_site, planned_rules
from test_slurm import ACCOUNT, FIT, PARTITION, PROFILE, _rule_of, _sacct, _skip_reason, cluster  # noqa: F401

PAPER, REHEARSAL = "config/paper.yaml", "config/rehearsal.yaml"


def _python():
    """A Python with torch and torchvision, or None."""
    py = os.environ.get("ATTROBUST_REHEARSAL_PYTHON") or sys.executable
    ok = subprocess.run([py, "-c", "import torch, torchvision"], capture_output=True).returncode == 0
    return py if ok else None


def _why_skip():
    if os.environ.get("ATTROBUST_SLURM_REHEARSAL") != "1":
        return "opt-in: ATTROBUST_SLURM_REHEARSAL=1 (~240 SLURM jobs, docs/rehearsal.md)"
    if _skip_reason() is not None:
        return _skip_reason()
    if _python() is None:
        return ("needs torch and torchvision: set ATTROBUST_REHEARSAL_PYTHON to a Python that has "
                "both (docs/rehearsal.md)")
    return None


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.e2e,
    pytest.mark.skipif(_why_skip() is not None, reason=f"SLURM rehearsal skipped: {_why_skip()}"),
]


@pytest.fixture(scope="module")
def rehearsal(cluster, tmp_path_factory):  # noqa: F811 (the module-scoped cluster of test_slurm)
    py = _python()
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
    submitted, local = job_headers(rehearsal["out"])
    paper = set(planned_rules(rehearsal["repo"], PAPER, paper_site(tmp_path)))
    missing = sorted(paper - set(submitted) - set(local))
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
        assert asked == (_rule_of(j["Comment"]) in rehearsal["gpu_rules"]), j


def test_the_figures_and_the_ledger_were_written(rehearsal):
    repo = rehearsal["repo"]
    assert (repo / "figures" / "claims.md").is_file() and (repo / "figures" / "claims.csv").is_file()
    assert list((repo / "figures").rglob("*.png"))
