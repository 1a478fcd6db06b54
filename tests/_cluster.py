"""What the scheduler tests (tests/slurm, tests/sge) share: the tiny workflow's targets,
snakemake in a copy of the repository, the profile's resources shrunk to the test node,
and the comparison of a cluster run's results with a local run's."""
import collections
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from _workflow import ROOT, copy_workflow

# Fields of JSON outputs that measure time, not results.
TIMING_KEYS = {"seconds"}


def copy_repo(dst):
    """The workflow and the tiny config (tests/e2e/tiny.yaml) in ``dst``."""
    copy_workflow(dst)
    shutil.copy(ROOT / "tests" / "e2e" / "tiny.yaml", dst / "tiny.yaml")
    return dst


def run_snakemake(cwd, *args, targets=(), env=None, logs=()):
    """snakemake on the tiny config in ``cwd``; on failure, raise with its output and the
    tails of the job logs found under ``cwd/.snakemake/<logs>``."""
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "tiny.yaml", *args, "--", *targets]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=1200)
    if res.returncode != 0:
        text = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-2000:]}"
                         for d in logs for p in sorted((Path(cwd) / ".snakemake" / d).rglob("*"))
                         if p.is_file())
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}"
                             f"\n{text[-6000:]}")
    return res


def is_plotting(rule):
    return rule.startswith("fig_") or rule == "claims"


def targets(cwd):
    """A quarter of the tiny DAG with every kind of job: one output of each computing rule
    and the outputs of the plotting rule with the fewest upstream jobs."""
    summary = run_snakemake(cwd, "--workflow-profile", "none", "--detailed-summary").stdout
    outputs = collections.defaultdict(list)
    for line in summary.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3:
            outputs[fields[2]].append(fields[0])

    def n_jobs(targets):
        # --forceall: the jobs behind the targets, whether or not ``cwd`` has run them
        out = run_snakemake(cwd, "--workflow-profile", "none", "-n", "--forceall", "--quiet", "rules", targets=targets)
        return int(re.search(r"^total\s+(\d+)", out.stdout + out.stderr, flags=re.M).group(1))

    plotting = min((r for r in outputs if is_plotting(r)), key=lambda r: n_jobs(outputs[r]))
    return [sorted(outs)[0] for rule, outs in outputs.items() if not is_plotting(rule)] + outputs[plotting]


def rendered_profile(profile):
    """A profile.yaml as snakemake reads it (a yte template: profiles/slurm renders the
    site's settings, attrobust.site)."""
    import yte

    with open(profile) as f:
        return yte.process_yaml(f)


def fitted_resource_args(profile, fit):
    """--default-resources and --set-resources of the profile (a profile.yaml), with
    ``fit``'s sizes; and the names of the GPU rules.

    On the command line these replace the profile's lists as a whole, so they restate
    every entry (account, partition, gpu, ...) as the profile has it. ``fit``'s mem_mb also
    replaces the compute rules' own (rules/common.smk: sized), which are sized for real data."""
    from _rules import compute_rules

    prof = rendered_profile(profile)

    def sized(res):
        return {k: fit.get(k, v) for k, v in res.items()}

    per_rule = {rule: sized(res) for rule, res in prof["set-resources"].items()}
    if "mem_mb" in fit:
        for rule in compute_rules():
            per_rule.setdefault(rule, {})["mem_mb"] = fit["mem_mb"]
    default = [f"{k}={v}" for k, v in sized(prof["default-resources"]).items()]
    per_rule_args = [f"{rule}:{k}={v}" for rule, res in per_rule.items() for k, v in res.items()]
    gpu_rules = {rule for rule, res in prof["set-resources"].items() if res.get("gpu") or res.get("gres")}
    return ["--default-resources", *default, "--set-resources", *per_rule_args], gpu_rules


def group_rule(groupid):
    """What a group of short jobs is counted as: its rule (rules/common.smk: short_group names
    it short_<rule>), or the name of a shared group of several rules (site.SHARED_GROUPS)."""
    assert groupid.startswith("short_"), f"unexpected group {groupid!r}"
    return groupid[len("short_"):]


def group_rules(key):
    """The rules a job counted as ``key`` (group_rule) may be of."""
    from attrobust import site

    return set(site.SHARED_GROUPS.get(key, (key,)))


def ran_rules(out):
    """Every rule the run executed a job of, in or outside group jobs."""
    return set(re.findall(r"^ *(?:local)?rule (\w+):$", out, flags=re.M))


def job_headers(out):
    """The cluster jobs the run submitted ('rule X:', and 'Group job short_X', whose member
    jobs are indented: counted as group_rule(short_X)), one count per submission, and the
    rules of its local jobs ('localrule')."""
    submitted, local = collections.Counter(), collections.Counter()
    for kind, rule in re.findall(r"^(rule|localrule) (\w+):$", out, flags=re.M):
        (local if kind == "localrule" else submitted)[rule] += 1
    for groupid in re.findall(r"^\[[^\]]*\] Group job (\w+) ", out, flags=re.M):
        submitted[group_rule(groupid)] += 1
    return submitted, local


def dry_run_jobs(out):
    """(groups, singles) of a dry run's output: [(groupid, [[rule, runtime], ...])] of the
    group jobs (whose member jobs are indented) and [[rule, runtime]] of the jobs outside
    groups; runtime in minutes, None where the job has none."""
    groups, singles, job = [], [], None
    for line in out.splitlines():
        if (g := re.match(r"\[[^\]]*\] Group job (\w+) ", line)):
            groups.append((g.group(1), []))
        elif (r := re.match(r"( {4})?(?:local)?rule (\w+):$", line)):
            job = [r.group(2), None]
            (groups[-1][1] if r.group(1) and groups else singles).append(job)
        elif job and (m := re.match(r"\s+resources: .*\bruntime=(\d+)", line)):
            job[1] = int(m.group(1))
    return groups, singles


def _drop_timing(obj):
    if isinstance(obj, dict):
        return {k: _drop_timing(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_drop_timing(v) for v in obj]
    return obj


def same_result(a, b):
    """Equal results: byte for byte, except JSON, compared without its timing fields."""
    if a.suffix == ".json":
        return _drop_timing(json.loads(a.read_text())) == _drop_timing(json.loads(b.read_text()))
    return a.read_bytes() == b.read_bytes()


def result_files(root):
    return {p.relative_to(root) for p in (root / "results").rglob("*") if p.is_file()}


def differing_results(local, remote):
    """The result files (relative paths) of the ``remote`` run that differ from the ``local``
    run's (the whole tiny run: a superset); asserts first that ``local`` has every one."""
    files = result_files(remote)
    assert files and files <= result_files(local), sorted(files - result_files(local))
    return [str(f) for f in sorted(files) if not same_result(local / f, remote / f)]
