"""The tiny workflow through profiles/sge on a real Grid Engine (one host, this one).

tests/sge/start-local-cluster.sh installs and starts Grid Engine (Debian's gridengine-*
packages) with accounting, a queue, a parallel environment and a GPU consumable; then part
of the tiny workflow, with a job of every rule, runs once locally and once through the
cluster-generic executor and profiles/sge, and the test checks, with `qacct`, that every
non-local job was a Grid Engine job that finished with exit status 0, that the GPU rules
asked for a GPU and that both runs wrote the same results. Needs root on Debian (apt);
skipped elsewhere or with ATTROBUST_SKIP_SGE=1.
"""
import collections
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _cluster import (copy_repo, differing_results, fitted_resource_args, is_plotting,
                      job_headers, run_snakemake)
from _workflow import exclusive

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "tests" / "sge" / "start-local-cluster.sh"
PROFILE = ROOT / "profiles" / "sge" / "profile.yaml"
# Site settings as a user exports them (profiles/sge/profile.yaml); the test cluster's names
# differ from the submit script's defaults, so a setting that is not passed on fails.
SITE = {"SGE_QUEUE": "attrobust.q", "SGE_PE": "smp", "SGE_GPU_RESOURCE": "attrobust_gpu"}
SGE_ENV = {"SGE_ROOT": "/var/lib/gridengine", "SGE_CELL": "default"}
# The test host has 2 CPUs and ~24 GB: the profile's requests, shrunk to fit two jobs at
# once; the GPU jobs keep two CPUs per GPU, so that they ask for slots of the PE.
FIT = {"mem_mb": 3000, "cpus_per_gpu": 2}


def _skip_reason():
    if os.environ.get("ATTROBUST_SKIP_SGE") == "1":
        return "ATTROBUST_SKIP_SGE=1"
    if os.name != "posix" or os.geteuid() != 0:
        return "needs root (installs and starts a local Grid Engine)"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "needs Debian with apt-get (installs gridengine-master, gridengine-exec, gridengine-client)"
    return None


pytestmark = [
    pytest.mark.sge,
    pytest.mark.e2e,
    pytest.mark.skipif(_skip_reason() is not None, reason=f"SGE test skipped: {_skip_reason()}"),
]


def _env():
    return {**os.environ, **SGE_ENV}


@pytest.fixture(scope="module")
def cluster():
    # one scheduler test at a time on this host (make test runs 2 pytest workers): its apt-get,
    # daemons and jobs, until the module is done
    with exclusive("cluster"):
        res = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "SGE_TEST_QUEUE": SITE["SGE_QUEUE"],
                                  "SGE_TEST_PE": SITE["SGE_PE"], "SGE_TEST_GPU": SITE["SGE_GPU_RESOURCE"]})
        assert res.returncode == 0, f"{START} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        yield res.stdout


@pytest.fixture(scope="module")
def runs(cluster, tiny_local_reference, tmp_path_factory):
    """The tiny config run locally (default profile; shared with tests/slurm) and through
    profiles/sge."""
    local, jobs = tiny_local_reference
    sge = copy_repo(tmp_path_factory.mktemp("sge") / "sge")
    resource_args, gpu_rules = fitted_resource_args(PROFILE, FIT)
    res = run_snakemake(sge, "--workflow-profile", "profiles/sge", *resource_args,
                        # a test run: look at job states every second, not every 20
                        "--seconds-between-status-checks", "1",
                        targets=jobs, env={**_env(), **SITE}, logs=["sge_logs"])
    out = res.stdout + res.stderr
    return {"local": local, "sge": sge, "out": out, "gpu_rules": gpu_rules}


def _submitted_ids(out):
    """Grid Engine job ids of the run, from snakemake's 'Submitted job N with external jobid'."""
    return re.findall(r"Submitted job \d+ with external jobid '(\d+)'", out)


def _qacct(job_id):
    out = subprocess.run(["qacct", "-j", job_id], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, f"qacct -j {job_id}: {out.stdout}{out.stderr}"
    record = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key and not key.startswith("="):
            record[key] = value.strip()
    return record


def _rule_of(jobname):
    """profiles/sge/submit names each job `smk-<rule>`."""
    assert jobname.startswith("smk-"), f"unexpected Grid Engine job name {jobname!r}"
    return jobname[len("smk-"):]


def test_every_submitted_job_finished_in_qacct(runs):
    submitted, _ = job_headers(runs["out"])
    assert submitted, f"no job was submitted:\n{runs['out'][-4000:]}"
    jobs = [_qacct(i) for i in _submitted_ids(runs["out"])]
    assert collections.Counter(_rule_of(j["jobname"]) for j in jobs) == submitted
    assert {(j["failed"], j["exit_status"]) for j in jobs} == {("0", "0")}, jobs
    # in the queue that SGE_QUEUE names, asked for by name, with a runtime limit
    assert {j["qname"] for j in jobs} == {SITE["SGE_QUEUE"]}, jobs
    for j in jobs:
        assert f"-q {SITE['SGE_QUEUE']}" in j["category"], j
        assert re.search(r"(?:^|[ ,])h_rt=\d+", j["category"]), j


def test_gpu_rules_ran_with_a_gpu_and_slots_of_the_pe(runs):
    jobs = [_qacct(i) for i in _submitted_ids(runs["out"])]
    gpu = SITE["SGE_GPU_RESOURCE"]
    gpu_jobs = [j for j in jobs if _rule_of(j["jobname"]) in runs["gpu_rules"]]
    assert {_rule_of(j["jobname"]) for j in gpu_jobs} >= {"train", "explain", "attack"}
    for j in gpu_jobs:
        assert re.search(rf"(?:^|[ ,]){gpu}=1(?:$|[ ,])", j["category"]), j
        assert f"-pe {SITE['SGE_PE']} {FIT['cpus_per_gpu']}" in j["category"], j
        assert j["granted_pe"] == SITE["SGE_PE"] and j["slots"] == str(FIT["cpus_per_gpu"]), j
        # memory per slot: the rule's mem_mb over its slots
        assert f"h_vmem={FIT['mem_mb'] // FIT['cpus_per_gpu']}M" in j["category"], j
    for j in jobs:
        if j not in gpu_jobs:
            assert f"{gpu}=" not in j["category"] and j["slots"] == "1", j
            assert f"h_vmem={FIT['mem_mb']}M" in j["category"], j


def test_figures_and_claims_ran_locally(runs):
    submitted, local = job_headers(runs["out"])
    plotting = {r for r in submitted | local if is_plotting(r)}
    assert plotting, "no figure rule ran"
    assert not plotting & set(submitted), (
        f"figure rules were submitted to Grid Engine: {sorted(plotting & set(submitted))}; "
        "mark them `localrule: True` where they are defined")


def test_sge_results_equal_local_results(runs):
    differ = differing_results(runs["local"], runs["sge"])
    assert not differ, f"results that differ between the local and the Grid Engine run: {differ}"
