"""profiles/sge, profiles/pbs and profiles/lsf without their schedulers: the submit scripts
render each job's resources and the site's settings into qsub/bsub options, leave unset
settings out, and reject bad input; and snakemake, through the cluster-generic executor
and the PBS and LSF profiles, submits a GPU job and a CPU job to a stand-in qsub/bsub on
PATH that records its arguments and runs the job script (the real Grid Engine run is
tests/sge)."""
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from _cluster import copy_repo, dry_run_jobs, group_rule, group_rules, rendered_profile
from _rules import compute_rules, device_rules, parsed
from _workflow import ROOT, paper_site

from attrobust import jobsize, site

GPU_JOB = ["--rule", "train", "--threads", "1", "--mem-mb", "16000", "--runtime", "240",
           "--gpus", "1", "--cpus-per-gpu", "4"]
CPU_JOB = ["--rule", "prepare", "--threads", "1", "--mem-mb", "4000", "--runtime", "60",
           "--gpus", "0", "--cpus-per-gpu", "0"]
SITE_VARS = ["SGE_QUEUE", "SGE_GPU_QUEUE", "SGE_PROJECT", "SGE_PE", "SGE_GPU_RESOURCE",
             "SGE_MEM_RESOURCE", "PBS_SUBMIT_QUEUE", "PBS_SUBMIT_GPU_QUEUE", "PBS_SUBMIT_ACCOUNT",
             "PBS_SUBMIT_PROJECT", "PBS_SUBMIT_GPU_RESOURCE", "LSF_GPU_QUEUE"]

# Stand-ins for the schedulers' commands: each call's arguments, one a line, in
# $FAKE_DIR/calls/<pid>; the job script (the last argument) run at once, its exit status
# in $FAKE_DIR/rc/<pid>; the job id printed as the scheduler prints it.
FAKE_SUBMIT = r"""#!/usr/bin/env bash
mkdir -p "$FAKE_DIR/calls" "$FAKE_DIR/rc"
printf '%s\n' "$@" > "$FAKE_DIR/calls/$$"
if [ -n "${FAKE_RUN:-}" ]; then
    bash "${@: -1}" > "$FAKE_DIR/calls/$$.out" 2>&1; echo $? > "$FAKE_DIR/rc/$$"
fi
"""
FAKE = {
    "qsub": FAKE_SUBMIT + 'echo "$$.fake-server"\n',   # PBS's answer (Grid Engine's -terse: the number)
    "bsub": FAKE_SUBMIT + 'echo "Job <$$> is submitted to queue <normal>."\n',
    "bjobs": r"""#!/usr/bin/env bash
id=${@: -1}
rc=$(cat "$FAKE_DIR/rc/$id" 2>/dev/null) || { echo "Job <$id> is not found"; exit 255; }
[ "$rc" = 0 ] && echo "DONE -" || echo "EXIT $rc"
""",
}


@pytest.fixture
def fake(tmp_path, monkeypatch):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name, text in FAKE.items():
        (bin_ / name).write_text(text)
        (bin_ / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DIR", str(tmp_path / "fake"))
    for var in SITE_VARS + ["LSB_DEFAULTQUEUE", "LSB_DEFAULTPROJECT"]:
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "fake"


def calls(fake_dir):
    """The recorded calls, oldest first, each a list of arguments."""
    files = sorted((p for p in (fake_dir / "calls").iterdir() if p.suffix != ".out"),
                   key=lambda p: p.stat().st_mtime_ns)
    return [p.read_text().splitlines() for p in files]


def submit(scheduler, args, cwd, env=None, check=True):
    jobscript = cwd / "job.sh"
    jobscript.write_text("#!/bin/sh\ntrue\n")
    res = subprocess.run([str(ROOT / "profiles" / scheduler / "submit"), *args, str(jobscript)],
                         cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check:
        assert res.returncode == 0, res.stderr
    return res


def opt(argv, flag):
    """Values of each occurrence of ``flag`` in ``argv``."""
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def no_placeholders(argv):
    assert all(a and "$" not in a.replace("%J", "") for a in argv), argv


# --- Grid Engine ---------------------------------------------------------------------------

def test_sge_submit_renders_resources_and_site_settings(fake, tmp_path):
    env = {"SGE_QUEUE": "all.q", "SGE_GPU_QUEUE": "gpu.q", "SGE_PROJECT": "p1", "SGE_PE": "smp",
           "SGE_GPU_RESOURCE": "gpu_card"}
    submit("sge", GPU_JOB, tmp_path, env)
    submit("sge", CPU_JOB, tmp_path, env)
    gpu, cpu = calls(fake)
    assert gpu[-1] == str(tmp_path / "job.sh") and "-terse" in gpu
    assert opt(gpu, "-q") == ["gpu.q"] and opt(gpu, "-P") == ["p1"] and opt(gpu, "-N") == ["smk-train"]
    assert gpu[gpu.index("-pe") + 1:gpu.index("-pe") + 3] == ["smp", "4"]
    # 240 min; 16000 MB over 4 slots (Grid Engine counts memory per slot); one GPU
    assert opt(gpu, "-l") == ["h_rt=14400,h_vmem=4000M,gpu_card=1"]
    assert opt(cpu, "-q") == ["all.q"] and "-pe" not in cpu
    assert opt(cpu, "-l") == ["h_rt=3600,h_vmem=4000M"]
    for argv in (gpu, cpu):
        no_placeholders(argv)


def test_sge_submit_leaves_unset_site_settings_out(fake, tmp_path):
    res = submit("sge", GPU_JOB, tmp_path, {"SGE_QUEUE": "", "SGE_MEM_RESOURCE": ""})
    (argv,) = calls(fake)
    assert not {"-q", "-P", "-pe"} & set(argv), argv
    assert opt(argv, "-l") == ["h_rt=14400,gpu=1"]    # no memory complex; the default GPU name
    assert "SGE_PE is not set: rule train gets 1 slot, not 4" in res.stderr
    no_placeholders(argv)


@pytest.mark.parametrize("scheduler", ["sge", "pbs", "lsf"])
def test_submit_rejects_bad_input_with_a_clear_error(fake, tmp_path, scheduler):
    bad = GPU_JOB.copy()
    bad[bad.index("--mem-mb") + 1] = "16G"
    res = submit(scheduler, bad, tmp_path, check=False)
    assert res.returncode == 2 and "--mem-mb must be a whole number, got '16G'" in res.stderr
    res = subprocess.run([str(ROOT / "profiles" / scheduler / "submit"), *GPU_JOB, "missing.sh"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 2 and "the last argument must be the job script" in res.stderr
    assert not (fake / "calls").exists()


def test_sge_status_reads_qstat_then_qacct(tmp_path, monkeypatch):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "qstat").write_text('#!/bin/sh\ncase $2 in\n'             # 7 queued, 12 in error state
                                '7) echo "job_number: 7" ;;\n'
                                '12) printf "job_number: 12\\nerror reason    1:  can\'t chdir\\n" ;;\n'
                                '*) exit 1 ;;\nesac\n')
    (bin_ / "qacct").write_text('#!/bin/sh\ncase $2 in\n'
                                '8) printf "jobnumber 8\\nfailed       0\\nexit_status  0\\n" ;;\n'
                                '9) printf "jobnumber 9\\nfailed       0\\nexit_status  1\\n" ;;\n'
                                '10) printf "failed 37  : qmaster enforced h_rt limit\\nexit_status 137\\n" ;;\n'
                                '*) echo "error: job id $2 not found" >&2; exit 1 ;;\nesac\n')
    for f in bin_.iterdir():
        f.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_}{os.pathsep}{os.environ['PATH']}")
    status = {i: subprocess.run([str(ROOT / "profiles/sge/status"), i], capture_output=True,
                                text=True, check=True).stdout.strip()
              for i in ["7", "8", "9", "10", "11", "12"]}
    assert status == {"7": "running", "8": "success", "9": "failed", "10": "failed",
                      "11": "running",   # ended, accounting record not written yet
                      "12": "failed"}


# --- PBS and LSF through snakemake and the cluster-generic executor ---------------------

TARGET = "results/models/synthetic2d/linear_svm/natural/seed0/model.pt"


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("profiles") / "repo")


def run_through(scheduler, cwd, fake_dir, env):
    """snakemake with profiles/<scheduler> on the tiny config, for one model: its data
    preparation (a CPU job) and its training (a GPU job, in the profile)."""
    shutil.rmtree(cwd / "results", ignore_errors=True)
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "tiny.yaml",
           "--workflow-profile", f"profiles/{scheduler}", "--seconds-between-status-checks", "1",
           "--latency-wait", "5", TARGET]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "FAKE_RUN": "1", **env})
    assert res.returncode == 0, f"{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
    assert (cwd / TARGET).is_file()
    by_rule = {opt(argv, "-N" if scheduler == "pbs" else "-J")[0]: argv for argv in calls(fake_dir)}
    assert set(by_rule) == {"smk-prepare", "smk-train"}, by_rule
    for argv in by_rule.values():
        no_placeholders(argv)
    return by_rule["smk-train"], by_rule["smk-prepare"], res.stderr


def tiny_requests():
    """(mem_mb, runtime) the train rule (GPU) and the prepare rule (CPU) give run_through's
    two jobs on the tiny config, from the rules' own resources (rules/common.smk: sized)."""
    ev = lambda rule, name, **wc: rule_resource("tests/e2e/tiny.yaml", rule, name, wc, attempt=1)
    train = dict(dataset="synthetic2d", model="linear_svm", regime="natural", seed="0")
    return ((ev("train", "mem_mb", **train), ev("train", "runtime", **train)),
            (ev("prepare", "mem_mb", dataset="synthetic2d"), ev("prepare", "runtime", dataset="synthetic2d")))


def test_pbs_profile_submits_with_the_profiles_resources(fake, workflow_copy):
    env = {"PBS_SUBMIT_QUEUE": "workq", "PBS_SUBMIT_GPU_QUEUE": "gpuq", "PBS_SUBMIT_ACCOUNT": "acc1"}
    gpu, cpu, _ = run_through("pbs", workflow_copy, fake, env)
    res = yaml.safe_load((ROOT / "profiles/pbs/profile.yaml").read_text())["set-resources"]["train"]
    assert res == {"gpu": 1, "cpus_per_gpu": 4}
    (gmem, gmin), (cmem, cmin) = tiny_requests()
    hms = lambda m: f"{m // 60:02d}:{m % 60:02d}:00"
    assert opt(gpu, "-l") == [f"select=1:ncpus=4:mem={gmem}mb:ngpus=1", f"walltime={hms(gmin)}"]
    assert opt(gpu, "-q") == ["gpuq"] and opt(gpu, "-A") == ["acc1"] and "-P" not in gpu
    assert opt(cpu, "-l") == [f"select=1:ncpus=1:mem={cmem}mb", f"walltime={hms(cmin)}"]
    assert opt(cpu, "-q") == ["workq"]


def test_lsf_profile_submits_with_the_profiles_resources(fake, workflow_copy):
    gpu, cpu, _ = run_through("lsf", workflow_copy, fake, {"LSF_GPU_QUEUE": "gpu"})
    (gmem, gmin), (cmem, cmin) = tiny_requests()
    assert opt(gpu, "-n") == ["4"] and opt(gpu, "-W") == [str(gmin)] and opt(gpu, "-gpu") == ["num=1"]
    assert opt(gpu, "-R") == [f"span[hosts=1] rusage[mem={gmem}MB]"] and opt(gpu, "-M") == [f"{gmem}MB"]
    assert opt(gpu, "-q") == ["gpu"]
    # the CPU job: the default queue (LSB_DEFAULTQUEUE, read by bsub itself), no GPU
    assert opt(cpu, "-n") == ["1"] and opt(cpu, "-W") == [str(cmin)] and opt(cpu, "-M") == [f"{cmem}MB"]
    assert "-q" not in cpu and "-gpu" not in cpu


def test_lsf_status_follows_bjobs(fake, tmp_path):
    (fake / "rc").mkdir(parents=True)
    (fake / "rc" / "5").write_text("0\n")
    (fake / "rc" / "6").write_text("3\n")
    status = {i: subprocess.run([str(ROOT / "profiles/lsf/status"), i], capture_output=True,
                                text=True).stdout.strip() for i in ["5", "6", "404"]}
    assert status == {"5": "success", "6": "failed", "404": "failed"}


# --- what every profile asks for (issue #18, item 3) ----------------------------------------

PROFILES = ["slurm", "sge", "pbs", "lsf"]


def rule_resource(configfile, rule, name, wildcards, attempt=1):
    """The value of resource ``name`` of ``rule``'s job with ``wildcards`` at ``attempt``."""
    from snakemake.iocontainers import Wildcards

    _, rules = parsed(str(ROOT / configfile) if "/" in configfile else configfile)
    fn = rules[rule].resources[name]._evaluator   # the rule's own callable (rules/common.smk: sized)
    return fn(Wildcards(fromdict=wildcards), attempt)


@pytest.mark.parametrize("profile", PROFILES)
def test_gpu_is_requested_by_exactly_the_rules_that_use_a_device(profile, monkeypatch, tmp_path):
    monkeypatch.delenv(site.ENV, raising=False)
    # no site file; a HOME of its own (snakemake writes its cache there: never "/nonexistent",
    # which other tests use as a path that does not exist)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    res = rendered_profile(ROOT / "profiles" / profile / "profile.yaml")["set-resources"]
    gpu = {rule for rule, r in res.items() if r.get("gpu") or r.get("gres")}
    assert gpu == device_rules() == set(site.GPU_RULES)
    assert {"train", "attack", "nielsen_faithfulness", "influence"} <= gpu
    assert not gpu & {"lipschitz", "unification_curves", "unification_lipschitz", "noise_ratios"}
    # walltime and memory are the rules' own, not one size for all in the profile
    assert all(set(r) <= {"gpu", "gres", "gpu_model", "cpus_per_gpu", "slurm_partition"} for r in res.values())
    assert rendered_profile(ROOT / "profiles" / profile / "profile.yaml")["retries"] >= 1


def test_every_sized_rule_can_group_its_short_jobs_and_only_slurm_groups_them(monkeypatch, tmp_path):
    monkeypatch.delenv(site.ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _, rules = parsed()
    sized = {n for n, r in rules.items() if "group_slot" in r.resources.keys()}
    assert sized == set(site.SIZED_RULES) == compute_rules()
    assert all(callable(rules[n]._group) for n in sized)   # rules/common.smk: short_group
    n = jobsize.JOB_TARGET_MINUTES // jobsize.MIN_MINUTES
    slurm = rendered_profile(ROOT / "profiles" / "slurm" / "profile.yaml")
    assert slurm["group-components"] == site.group_components() and n >= 4
    assert {f"short_{r}={n}" for r in ("prepare", "train", "attack", "lipschitz", "gpu_stages", "cpu_stages")} \
        <= set(site.group_components())
    # a shared group holds rules of one kind (a group's partition and GPU request are one)
    for name, members in site.SHARED_GROUPS.items():
        assert set(members) <= sized and len({r in site.GPU_RULES for r in members}) == 1, name
        assert all(site.group_name(r) == f"short_{name}" for r in members)
    assert slurm["resources"] == ["group_slot=1"] and slurm["set-resource-scopes"] == ["group_slot=local"]
    for other in ("default", "sge", "pbs", "lsf"):   # these send (or run) every job alone
        assert "group-components" not in rendered_profile(ROOT / "profiles" / other / "profile.yaml"), other


def _dry_run(tmp_path, profile):
    env = {**os.environ, "ATTROBUST_CHECK_SETUP": "0", "HOME": str(tmp_path / "home")}
    env.pop(site.ENV, None)
    res = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", "--workflow-profile", profile,
                          "--configfile", "config/paper.yaml", paper_site(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    return dry_run_jobs(res.stdout)


def test_the_slurm_profile_groups_the_short_jobs_of_the_paper_config(tmp_path):
    groups, singles = _dry_run(tmp_path, "profiles/slurm")
    n = jobsize.JOB_TARGET_MINUTES // jobsize.MIN_MINUTES
    members = [job for _, jobs in groups for job in jobs]
    # each group: up to n short jobs (walltime at its least) of one rule, so that the
    # group job's walltime (their sum) stays within JOB_TARGET_MINUTES
    assert len(groups) >= 10 and len(members) >= 3 * len(groups), groups
    for groupid, jobs in groups:
        assert 1 <= len(jobs) <= n and {r for r, _ in jobs} <= group_rules(group_rule(groupid)), (groupid, jobs)
        assert all(t == jobsize.MIN_MINUTES for _, t in jobs), (groupid, jobs)
        assert sum(t for _, t in jobs) <= jobsize.JOB_TARGET_MINUTES
    # a rule's longer jobs (ImageNet attacks, CNN training, the paper's Lipschitz budgets:
    # LIME/SHAP's searches under both randomness settings, one job each) go alone
    alone = [(r, t) for r, t in singles if r in site.SIZED_RULES]
    assert {"attack", "train", "lipschitz_pair"} <= {r for r, _ in alone}
    assert all(t > jobsize.MIN_MINUTES for _, t in alone), [j for j in alone if j[1] <= jobsize.MIN_MINUTES]
    assert {"prepare", "train", "explain", "cpu_stages", "gpu_stages"} <= {group_rule(g) for g, _ in groups}
    # the paper stages of one or a few jobs each share two group jobs
    assert sorted(len(jobs) for g, jobs in groups if g.endswith("_stages")) == [4, 8], groups
    # a run with the default profile (on this machine) plans no groups
    assert _dry_run(tmp_path, "profiles/default")[0] == []


def test_compute_rules_size_their_jobs_from_the_budget_and_the_attempt():
    _, rules = parsed()
    for rule in compute_rules():
        assert {"mem_mb", "runtime"} <= set(rules[rule].resources.keys()), rule
    wc = dict(dataset="digits", model="cnn_small", regime="natural", seed="0", method="integrated_gradients",
              attack="topk", chunk="0", budget="ghorbani")
    one, two, three = (rule_resource("config/config.yaml", "attack", "runtime", wc, a) for a in (1, 2, 3))
    assert two == 2 * one and three == 3 * one
    m1, m2 = (rule_resource("config/config.yaml", "attack", "mem_mb", wc, a) for a in (1, 2))
    assert m2 == 2 * m1 and m1 >= jobsize.GPU_BASE_MB
    # the paper's budget: Ghorbani's attack of 512 ImageNet images, 300 iterations, IG with 100 steps
    grads = 512 * 300 * 2 * 100
    minutes = jobsize.runtime_minutes(grads, "squeezenet1_1", gpu=True)
    assert minutes == -(-(jobsize.STARTUP_S + jobsize.SAFETY * grads * 85 / 2700 / 10) // 60) > 24 * 60
    assert jobsize.runtime_minutes(grads // 100, "squeezenet1_1", gpu=True) < minutes / 50
    assert jobsize.runtime_minutes(0, None, gpu=False) == jobsize.MIN_MINUTES
    # split over images: the most images whose job fits the target walltime, at least one
    per_image = 300 * 2 * 100
    size = jobsize.items_per_job(512, per_image, "squeezenet1_1", gpu=True)
    assert 1 < size < 512
    assert jobsize.runtime_minutes(size * per_image, "squeezenet1_1", gpu=True) <= jobsize.JOB_TARGET_MINUTES
    assert jobsize.runtime_minutes((size + 1) * per_image, "squeezenet1_1", gpu=True) > jobsize.JOB_TARGET_MINUTES
    assert jobsize.items_per_job(512, 100 * per_image, "resnet50", gpu=True) == 1    # one image is already more
    assert jobsize.items_per_job(3, 10, "cnn_small", gpu=True) == 3                  # the embedded budgets: one job
    assert jobsize.mem_mb(jobsize.data_mb("imagenet_val", {"n_images": 512}), gpu=True) == \
        -(-(jobsize.GPU_BASE_MB + 4 * 512 * 3 * 224 * 224 * 4 / 1e6) // 100) * 100


def test_paper_budgets_reach_the_requests(monkeypatch):
    """config/paper.yaml's Ghorbani attack (days of work on ImageNet) is split over images into
    jobs that ask for more walltime than the tiny config's but fit JOB_TARGET_MINUTES, and
    Lipschitz jobs grow with chunk_size x n_calls (on the CPU, with skopt's overhead)."""
    from attrobust import config as cfg

    monkeypatch.setattr(cfg, "setup_problems", lambda config: [])   # no torchvision/ImageNet here
    monkeypatch.setattr(cfg, "_check_mirror", lambda *a: None)
    wc = dict(dataset="imagenet_val", model="squeezenet1_1", regime="natural", seed="0",
              method="integrated_gradients", attack="topk", chunk="0", budget="ghorbani")
    paper = rule_resource("config/paper.yaml", "attack", "runtime", wc)
    small = rule_resource("tests/e2e/tiny.yaml", "attack", "runtime", {**wc, "dataset": "digits", "model": "cnn_small"})
    assert small == jobsize.MIN_MINUTES < 4 * small < paper <= jobsize.JOB_TARGET_MINUTES
    lip = dict(dataset="mnist", model="cnn_small", regime="natural", seed="0", method="saliency", chunk="0",
               budget="alvarez_melis_images")
    lip_min = rule_resource("config/paper.yaml", "lipschitz", "runtime", lip)
    # 10 images x 200 calls x (1 gradient + 0.1 s of BO), on one CPU thread, times SAFETY
    assert lip_min == max(jobsize.MIN_MINUTES, -(-(jobsize.STARTUP_S + jobsize.SAFETY * (2000 / 2700 + 200)) // 60))


SITE_KEYS = {"account": "acc1", "partition": "cpu", "gpu_partition": "gpu", "gpu_model": "a100", "cpus_per_gpu": 8}


def test_slurm_profile_renders_a_full_site_file(tmp_path, monkeypatch):
    f = tmp_path / "site.yaml"
    f.write_text(yaml.safe_dump({**SITE_KEYS, "gpu_request": "gres"}))
    monkeypatch.setenv(site.ENV, str(f))
    prof = rendered_profile(ROOT / "profiles/slurm/profile.yaml")
    assert prof["default-resources"] == {"mem_mb": 4000, "runtime": 60, "slurm_account": "acc1", "slurm_partition": "cpu"}
    assert prof["set-resources"]["attack"] == {"cpus_per_gpu": 8, "gres": "gpu:a100:1", "slurm_partition": "gpu"}
    f.write_text(yaml.safe_dump(SITE_KEYS))   # gpu_request defaults to --gpus
    assert rendered_profile(ROOT / "profiles/slurm/profile.yaml")["set-resources"]["train"] == \
        {"cpus_per_gpu": 8, "gpu": 1, "gpu_model": "a100", "slurm_partition": "gpu"}


@pytest.mark.parametrize("text", ["", "account:\npartition: ''\ngpu_partition: null\n"])
def test_unset_site_values_are_never_passed_to_sbatch(tmp_path, monkeypatch, text):
    """No site file, or one with empty values: no account/partition key at all (sbatch's own
    defaults apply), never an empty string or a $VARIABLE literal."""
    if text:
        (tmp_path / "site.yaml").write_text(text)
        monkeypatch.setenv(site.ENV, str(tmp_path / "site.yaml"))
    else:
        monkeypatch.delenv(site.ENV, raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))   # no ~/.config/attrobust/slurm-site.yaml
    from snakemake.profiles import ProfileConfigFileParser

    with open(ROOT / "profiles/slurm/profile.yaml") as fh:
        args = ProfileConfigFileParser().parse(fh)   # what snakemake reads: key=value strings
    flat = args["default-resources"] + args["set-resources"]
    assert not any("account" in a or "partition" in a for a in flat), flat
    assert not any("$" in a or a.endswith("=") or a.endswith("=None") for a in flat), flat
    assert "$" not in (ROOT / "profiles/slurm/profile.yaml").read_text().split("__definitions__")[1]


@pytest.mark.parametrize("text,error", [("acount: x\n", "unknown key"), ("account: $SBATCH_ACCOUNT\n", "plain name"),
                                        ("gpu_request: gpu\n", "'gpus' or 'gres'"), ("cpus_per_gpu: 0\n", ">= 1")])
def test_a_bad_site_file_fails_naming_the_key(tmp_path, monkeypatch, text, error):
    (tmp_path / "site.yaml").write_text(text)
    monkeypatch.setenv(site.ENV, str(tmp_path / "site.yaml"))
    with pytest.raises(site.SiteError, match=error):
        site.read()
    monkeypatch.setenv(site.ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(site.SiteError, match="no such file"):
        site.read()


def test_the_site_template_is_valid_and_sets_nothing_site_specific():
    s = site.read(ROOT / "profiles/slurm-site.template.yaml")
    assert set(s) == {"gpu_request", "cpus_per_gpu"}   # the rest is empty until the user fills it in
    assert set(yaml.safe_load((ROOT / "profiles/slurm-site.template.yaml").read_text())) == set(site.KEYS)
