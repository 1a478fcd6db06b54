"""The tiny workflow through profiles/slurm on a real SLURM cluster (one node, this host).

tests/slurm/start-local-cluster.sh installs and starts SLURM with accounting (slurmdbd,
MariaDB) and a declared GPU; then part of the tiny workflow, with a job of every rule,
runs once locally and once through the SLURM executor, and the test checks, with `sacct`, that every non-local job was a SLURM
job that COMPLETED, that the GPU rules asked for a GPU, and that both runs wrote the same
results. Needs root on Debian (apt); skipped elsewhere or with ATTROBUST_SKIP_SLURM=1.
"""
import collections
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _cluster import (copy_repo, differing_results, fitted_resource_args, group_rule, is_plotting,
                      job_headers, run_snakemake)
from _workflow import exclusive

from attrobust import jobsize, site

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "tests" / "slurm" / "start-local-cluster.sh"
PROFILE = ROOT / "profiles" / "slurm" / "profile.yaml"
ACCOUNT, PARTITION = "attrobust", "main"
# The test node has 2 CPUs and ~24 GB: the profile's requests, shrunk to fit two jobs at once.
FIT = {"mem_mb": 3000, "cpus_per_gpu": 1}


def _skip_reason():
    if os.environ.get("ATTROBUST_SKIP_SLURM") == "1":
        return "ATTROBUST_SKIP_SLURM=1"
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root (installs and starts a local SLURM cluster)"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "needs Debian with apt-get (installs slurm-wlm, slurmdbd, munge, mariadb-server)"
    return None


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.e2e,
    pytest.mark.skipif(_skip_reason() is not None, reason=f"SLURM test skipped: {_skip_reason()}"),
]


def _snakemake(cwd, *args, targets=(), env=None):
    return run_snakemake(cwd, *args, targets=targets, env=env, logs=["slurm_logs"])


def _sacct(run_id):
    fields = ["JobID", "JobName", "Comment", "State", "ReqTRES", "AllocTRES", "ExitCode", "Account", "Partition",
              "Timelimit"]
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "--name", run_id, "--starttime", "now-1days",
         "-o", ",".join(f"{f}%500" if f == "Comment" else f for f in fields)],
        check=True, capture_output=True, text=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line]


def _rule_of(comment):
    """The plugin comments each job `rule_<name>` or `rule_<name>_wildcards_<...>`, and a
    group job `rule_<groupid>_<its rules>`, e.g. `rule_short_train_train` (rules/common.smk:
    short_group): counted as its rule, or as a shared group's name."""
    for name in site.group_names():   # group jobs
        if comment.startswith(f"rule_{name}_"):
            return group_rule(name)
    m = re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", comment)
    assert m, f"unexpected SLURM job comment {comment!r}"
    return m.group(1)


def gpu_keys(gpu_rules):
    """The rules with a GPU and the shared groups of such rules (site.SHARED_GROUPS)."""
    return set(gpu_rules) | {k for k, rules in site.SHARED_GROUPS.items() if set(rules) <= set(gpu_rules)}


def _is_group(job):
    return job["Comment"].startswith("rule_short_")


def _minutes(timelimit):
    """sacct's Timelimit ([D-]HH:MM:SS) in minutes."""
    days, _, hms = timelimit.rpartition("-")
    h, m, sec = map(int, hms.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + sec / 60


@pytest.fixture(scope="module")
def cluster():
    # one scheduler test at a time on this host (make test runs 2 pytest workers): its apt-get,
    # daemons and jobs, until the module is done
    with exclusive("cluster"):
        res = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "SLURM_TEST_ACCOUNT": ACCOUNT,
                                  "SLURM_TEST_PARTITION": PARTITION})
        assert res.returncode == 0, f"{START} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        yield res.stdout


@pytest.fixture(scope="module")
def runs(cluster, tiny_local_reference, tmp_path_factory):
    """The tiny config run locally (default profile; shared with tests/sge) and through
    profiles/slurm."""
    local, targets = tiny_local_reference
    slurm = copy_repo(tmp_path_factory.mktemp("slurm") / "slurm")
    # the site's names from a site file outside the checkout (profiles/slurm-site.template.yaml),
    # not from the environment: sbatch would read SBATCH_* itself and hide a profile that drops them
    site = tmp_path_factory.mktemp("site") / "slurm-site.yaml"
    site.write_text(f"account: {ACCOUNT}\npartition: {PARTITION}\ngpu_request: gpus\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SBATCH_")}
    env["ATTROBUST_SLURM_SITE"] = str(site)
    os.environ["ATTROBUST_SLURM_SITE"] = str(site)   # fitted_resource_args renders the profile here
    try:
        resource_args, gpu_rules = fitted_resource_args(PROFILE, FIT)
    finally:
        del os.environ["ATTROBUST_SLURM_SITE"]
    res = _snakemake(slurm, "--workflow-profile", "profiles/slurm", *resource_args,
                     # the node declares GPUs without a real one: jobs get CUDA_VISIBLE_DEVICES, and
                     # `device: auto` would (rightly) fail there rather than run on the CPU unasked
                     "--config", "device=cpu",
                     # a test run: look at job states every few seconds, not every 40
                     "--slurm-init-seconds-before-status-checks", "2",
                     "--seconds-between-status-checks", "2", targets=targets, env=env)
    out = res.stdout + res.stderr
    run_id = re.search(r"SLURM run ID: (\S+)", out)
    assert run_id, f"no SLURM run ID in the output:\n{out[-4000:]}"
    return {"local": local, "slurm": slurm, "out": out, "run_id": run_id.group(1),
            "gpu_rules": gpu_rules}


def test_every_submitted_job_completed_in_sacct(runs):
    jobs = _sacct(runs["run_id"])
    submitted, _ = job_headers(runs["out"])
    assert submitted, f"no job was submitted:\n{runs['out'][-4000:]}"
    assert collections.Counter(_rule_of(j["Comment"]) for j in jobs) == submitted
    assert {j["State"] for j in jobs} == {"COMPLETED"}, jobs
    # the tiny budgets' jobs are short: each went in a group job of its rule (profiles/slurm),
    # which asked for one job's CPUs and the sum of its jobs' walltimes
    assert jobs and all(_is_group(j) for j in jobs), [j["Comment"] for j in jobs if not _is_group(j)]
    for j in jobs:
        assert "cpu=1," in j["ReqTRES"] and _minutes(j["Timelimit"]) % jobsize.MIN_MINUTES == 0, j
        assert jobsize.MIN_MINUTES <= _minutes(j["Timelimit"]) <= jobsize.JOB_TARGET_MINUTES, j
    assert {j["ExitCode"] for j in jobs} == {"0:0"}, jobs
    # from the site file alone (no SBATCH_* in the environment): attrobust.site
    assert {j["Account"] for j in jobs} == {ACCOUNT} and {j["Partition"] for j in jobs} == {PARTITION}, jobs


def test_gpu_rules_ran_on_slurm_with_a_gpu(runs):
    jobs = _sacct(runs["run_id"])
    gpu_jobs = [j for j in jobs if _rule_of(j["Comment"]) in gpu_keys(runs["gpu_rules"])]
    assert {_rule_of(j["Comment"]) for j in gpu_jobs} >= {"train", "explain", "attack"}
    for j in gpu_jobs:
        assert "gres/gpu=1" in j["ReqTRES"] and "gres/gpu=1" in j["AllocTRES"], j
    # and jobs of the other rules got none
    for j in jobs:
        if j not in gpu_jobs:
            assert "gres/gpu" not in j["AllocTRES"], j


def test_figures_and_claims_ran_locally(runs):
    submitted, local = job_headers(runs["out"])
    plotting = {r for r in submitted | local if is_plotting(r)}
    assert plotting, "no figure rule ran"
    assert not plotting & set(submitted), (
        f"figure rules were submitted to SLURM: {sorted(plotting & set(submitted))}; "
        "mark them `localrule: True` where they are defined")


def test_slurm_results_equal_local_results(runs):
    differ = differing_results(runs["local"], runs["slurm"])
    assert not differ, f"results that differ between the local and the SLURM run: {differ}"
