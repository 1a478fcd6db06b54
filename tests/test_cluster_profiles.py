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
from _workflow import ROOT, copy_workflow

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
    dst = copy_workflow(tmp_path_factory.mktemp("profiles") / "repo")
    shutil.copy(ROOT / "tests" / "e2e" / "tiny.yaml", dst / "tiny.yaml")
    return dst


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


def test_pbs_profile_submits_with_the_profiles_resources(fake, workflow_copy):
    env = {"PBS_SUBMIT_QUEUE": "workq", "PBS_SUBMIT_GPU_QUEUE": "gpuq", "PBS_SUBMIT_ACCOUNT": "acc1"}
    gpu, cpu, _ = run_through("pbs", workflow_copy, fake, env)
    res = yaml.safe_load((ROOT / "profiles/pbs/profile.yaml").read_text())["set-resources"]["train"]
    assert res == {"gpu": 1, "cpus_per_gpu": 4, "mem_mb": 16000, "runtime": 240}
    assert opt(gpu, "-l") == ["select=1:ncpus=4:mem=16000mb:ngpus=1", "walltime=04:00:00"]
    assert opt(gpu, "-q") == ["gpuq"] and opt(gpu, "-A") == ["acc1"] and "-P" not in gpu
    assert opt(cpu, "-l") == ["select=1:ncpus=1:mem=4000mb", "walltime=01:00:00"]
    assert opt(cpu, "-q") == ["workq"]


def test_lsf_profile_submits_with_the_profiles_resources(fake, workflow_copy):
    gpu, cpu, _ = run_through("lsf", workflow_copy, fake, {"LSF_GPU_QUEUE": "gpu"})
    assert opt(gpu, "-n") == ["4"] and opt(gpu, "-W") == ["240"] and opt(gpu, "-gpu") == ["num=1"]
    assert opt(gpu, "-R") == ["span[hosts=1] rusage[mem=16000MB]"] and opt(gpu, "-M") == ["16000MB"]
    assert opt(gpu, "-q") == ["gpu"]
    # the CPU job: the default queue (LSB_DEFAULTQUEUE, read by bsub itself), no GPU
    assert opt(cpu, "-n") == ["1"] and opt(cpu, "-W") == ["60"] and opt(cpu, "-M") == ["4000MB"]
    assert "-q" not in cpu and "-gpu" not in cpu


def test_lsf_status_follows_bjobs(fake, tmp_path):
    (fake / "rc").mkdir(parents=True)
    (fake / "rc" / "5").write_text("0\n")
    (fake / "rc" / "6").write_text("3\n")
    status = {i: subprocess.run([str(ROOT / "profiles/lsf/status"), i], capture_output=True,
                                text=True).stdout.strip() for i in ["5", "6", "404"]}
    assert status == {"5": "success", "6": "failed", "404": "failed"}
