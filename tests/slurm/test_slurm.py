"""The tiny workflow through profiles/slurm on a real SLURM cluster (one node, this host).

tests/slurm/start-local-cluster.sh installs and starts SLURM with accounting (slurmdbd,
MariaDB) and a declared GPU; then part of the tiny workflow, with a job of every rule,
runs once locally and once through the SLURM executor, and the test checks, with `sacct`, that every non-local job was a SLURM
job that COMPLETED, that the GPU rules asked for a GPU, and that both runs wrote the same
results. Needs root on Debian (apt); skipped elsewhere or with ATTROBUST_SKIP_SLURM=1.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _workflow import copy_workflow

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "tests" / "slurm" / "start-local-cluster.sh"
PROFILE = ROOT / "profiles" / "slurm" / "profile.yaml"
ACCOUNT, PARTITION = "attrobust", "main"
# The test node has 2 CPUs and ~24 GB: the profile's requests, shrunk to fit two jobs at once.
FIT = {"mem_mb": 3000, "cpus_per_gpu": 1}
# Fields of JSON outputs that measure time, not results.
TIMING_KEYS = {"seconds"}


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


def _copy_repo(dst):
    copy_workflow(dst)
    shutil.copy(ROOT / "tests" / "e2e" / "tiny.yaml", dst / "tiny.yaml")
    return dst


def _snakemake(cwd, *args, targets=(), env=None):
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "tiny.yaml", *args, "--", *targets]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    if res.returncode != 0:
        logs = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted((Path(cwd) / ".snakemake" / "slurm_logs").rglob("*.log")))
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}"
                             f"\n{logs[-6000:]}")
    return res


def _is_plotting(rule):
    return rule.startswith("fig_") or rule == "claims"


def _targets(cwd):
    """A quarter of the tiny DAG with every kind of job: one output of each computing rule
    and the outputs of the plotting rule with the fewest upstream jobs."""
    summary = _snakemake(cwd, "--workflow-profile", "none", "--detailed-summary").stdout
    outputs = collections.defaultdict(list)
    for line in summary.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3:
            outputs[fields[2]].append(fields[0])

    def n_jobs(targets):
        out = _snakemake(cwd, "--workflow-profile", "none", "-n", "--quiet", "rules", targets=targets)
        return int(re.search(r"^total\s+(\d+)", out.stdout + out.stderr, flags=re.M).group(1))

    plotting = min((r for r in outputs if _is_plotting(r)), key=lambda r: n_jobs(outputs[r]))
    return [sorted(outs)[0] for rule, outs in outputs.items() if not _is_plotting(rule)] + outputs[plotting]


def _fitted_resource_args():
    """--default-resources and --set-resources of the profile, with FIT's sizes.

    On the command line these replace the profile's lists as a whole, so they restate
    every entry (account, partition, gpu, ...) as the profile has it."""
    import yaml

    prof = yaml.safe_load(PROFILE.read_text())

    def fit(res):
        return {k: FIT.get(k, v) for k, v in res.items()}

    default = [f"{k}={v}" for k, v in fit(prof["default-resources"]).items()]
    per_rule = [f"{rule}:{k}={v}" for rule, res in prof["set-resources"].items()
                for k, v in fit(res).items()]
    gpu_rules = {rule for rule, res in prof["set-resources"].items() if res.get("gpu")}
    return ["--default-resources", *default, "--set-resources", *per_rule], gpu_rules


def _sacct(run_id):
    fields = ["JobID", "JobName", "Comment", "State", "ReqTRES", "AllocTRES", "ExitCode"]
    out = subprocess.run(
        ["sacct", "-X", "-P", "-n", "--name", run_id, "--starttime", "now-1days",
         "-o", ",".join(f"{f}%500" if f == "Comment" else f for f in fields)],
        check=True, capture_output=True, text=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line]


def _rule_of(comment):
    """The plugin comments each job `rule_<name>` or `rule_<name>_wildcards_<...>`."""
    m = re.fullmatch(r"rule_(.+?)(?:_wildcards_.*)?", comment)
    assert m, f"unexpected SLURM job comment {comment!r}"
    return m.group(1)


def _drop_timing(obj):
    if isinstance(obj, dict):
        return {k: _drop_timing(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_drop_timing(v) for v in obj]
    return obj


def _same_result(a, b):
    """Equal results: byte for byte, except JSON, compared without its timing fields."""
    if a.suffix == ".json":
        return _drop_timing(json.loads(a.read_text())) == _drop_timing(json.loads(b.read_text()))
    return a.read_bytes() == b.read_bytes()


@pytest.fixture(scope="module")
def cluster():
    res = subprocess.run(["bash", str(START)], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "SLURM_TEST_ACCOUNT": ACCOUNT,
                              "SLURM_TEST_PARTITION": PARTITION})
    assert res.returncode == 0, f"{START} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The tiny config run locally (default profile) and through profiles/slurm."""
    base = tmp_path_factory.mktemp("slurm")
    local, slurm = _copy_repo(base / "local"), _copy_repo(base / "slurm")
    targets = _targets(local)
    _snakemake(local, "--cores", "2", targets=targets)
    resource_args, gpu_rules = _fitted_resource_args()
    env = {**os.environ, "SBATCH_ACCOUNT": ACCOUNT, "SBATCH_PARTITION": PARTITION}
    res = _snakemake(slurm, "--workflow-profile", "profiles/slurm", *resource_args,
                     # a test run: look at job states every few seconds, not every 40
                     "--slurm-init-seconds-before-status-checks", "2",
                     "--seconds-between-status-checks", "2", targets=targets, env=env)
    out = res.stdout + res.stderr
    run_id = re.search(r"SLURM run ID: (\S+)", out)
    assert run_id, f"no SLURM run ID in the output:\n{out[-4000:]}"
    return {"local": local, "slurm": slurm, "out": out, "run_id": run_id.group(1),
            "gpu_rules": gpu_rules}


def _job_headers(out):
    """Rules of the jobs the run executed, submitted ('rule') and local ('localrule')."""
    submitted, local = collections.Counter(), collections.Counter()
    for kind, rule in re.findall(r"^(rule|localrule) (\w+):$", out, flags=re.M):
        (local if kind == "localrule" else submitted)[rule] += 1
    return submitted, local


def test_every_submitted_job_completed_in_sacct(runs):
    jobs = _sacct(runs["run_id"])
    submitted, _ = _job_headers(runs["out"])
    assert submitted, f"no job was submitted:\n{runs['out'][-4000:]}"
    assert collections.Counter(_rule_of(j["Comment"]) for j in jobs) == submitted
    assert {j["State"] for j in jobs} == {"COMPLETED"}, jobs
    assert {j["ExitCode"] for j in jobs} == {"0:0"}, jobs


def test_gpu_rules_ran_on_slurm_with_a_gpu(runs):
    jobs = _sacct(runs["run_id"])
    gpu_jobs = [j for j in jobs if _rule_of(j["Comment"]) in runs["gpu_rules"]]
    assert {_rule_of(j["Comment"]) for j in gpu_jobs} >= {"train", "explain", "unification_curves"}
    for j in gpu_jobs:
        assert "gres/gpu=1" in j["ReqTRES"] and "gres/gpu=1" in j["AllocTRES"], j
    # and jobs of the other rules got none
    for j in jobs:
        if j not in gpu_jobs:
            assert "gres/gpu" not in j["AllocTRES"], j


def test_figures_and_claims_ran_locally(runs):
    submitted, local = _job_headers(runs["out"])
    plotting = {r for r in submitted | local if _is_plotting(r)}
    assert plotting, "no figure rule ran"
    assert not plotting & set(submitted), (
        f"figure rules were submitted to SLURM: {sorted(plotting & set(submitted))}; "
        "declare them `localrules:` in workflow/Snakefile")


def test_slurm_results_equal_local_results(runs):
    def files(root):
        return {p.relative_to(root) for p in (root / "results").rglob("*") if p.is_file()}

    local, slurm = runs["local"], runs["slurm"]
    assert files(local) == files(slurm)
    differ = [str(f) for f in sorted(files(local)) if not _same_result(local / f, slurm / f)]
    assert not differ, f"results that differ between the local and the SLURM run: {differ}"
