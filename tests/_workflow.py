"""Running the workflow in a throw-away copy of the repository (shared by the end-to-end,
reliability and SLURM tests; `pythonpath = ["tests"]` in pyproject.toml makes it importable)."""
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What a clean clone needs to run the workflow.
COPY = ["Makefile", "Snakefile", "workflow", "config", "profiles", "envs", "src"]
#: The venv the tests run in (`make` in a copy uses it instead of installing one).
VENV = Path(sys.executable).parents[1]


def copy_workflow(dst: Path) -> Path:
    """Copy the repository's workflow files into ``dst`` (created if missing)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, dst / name)
    return dst


def snakemake(cwd, *args, configfile: str, check: bool = True):
    """``python -m snakemake --configfile CONFIGFILE ARGS`` in ``cwd``; raise with its output on failure."""
    cmd = [sys.executable, "-m", "snakemake", "--configfile", configfile, *args]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}")
    return res


def make_cmd(target: str, *, configfile: str) -> list[str]:
    """The README's ``make TARGET`` with ``CONFIG=CONFIGFILE``, on the test's venv (its
    install stamp is taken as up to date: a copy of the workflow has no pyproject.toml)."""
    stamp = VENV / ".installed"
    return ["make", "--no-print-directory", "-o", str(stamp), target, f"VENV={VENV}",
            f"CONFIG={configfile}", f"STAMP={stamp}"]


def make(cwd, target: str, *, configfile: str, env: dict | None = None, check: bool = True):
    """Run :func:`make_cmd` in ``cwd``; raise with its output on failure (``check``)."""
    cmd = make_cmd(target, configfile=configfile)
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}")
    return res


def job_stats(out: str) -> dict[str, int]:
    """Rule -> job count from the "Job stats" table of snakemake's (dry-run) output; empty
    when there is nothing to do."""
    jobs = {}
    if "Job stats:" not in out:
        assert "Nothing to be done" in out, out
        return jobs
    for line in out.split("Job stats:")[1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        jobs[parts[0]] = int(parts[1])
    return jobs


def planned_rules(repo, *configfiles) -> dict[str, int]:
    """Rule -> job count of a dry run of all of ``configfiles`` (in order: a second
    --configfile replaces the first) from scratch, planned without checking this machine's
    set-up (ATTROBUST_CHECK_SETUP=0: torchvision, weights, ImageNet)."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--forceall",
           "--configfile", *configfiles]
    res = subprocess.run(cmd, cwd=repo, capture_output=True, text=True,
                         env={**os.environ, "ATTROBUST_CHECK_SETUP": "0"})
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-6000:]}"
    return job_stats(res.stdout)


def paper_site(tmp_path) -> str:
    """A config file that lets config/paper.yaml be planned on any machine: an empty folder as
    the mirror of every dataset read from local files (mirrors.imagenet_val, and the Debian
    packages' fashion_mnist and mlbench, which a machine without them lacks)."""
    import yaml

    from attrobust import data

    mirrors = {}
    for name in data.names():
        info = data.info(name)
        if info.origin in ("mirror", "user"):
            mirrors[info.mirror_key] = str(tmp_path / "mirrors" / info.mirror_key)
            Path(mirrors[info.mirror_key]).mkdir(parents=True, exist_ok=True)
    site = tmp_path / "paper-site.yaml"
    site.write_text(yaml.safe_dump({"mirrors": mirrors}))
    return str(site)


@contextlib.contextmanager
def exclusive(name: str):
    """Hold a lock file shared by every pytest-xdist worker of the host (`make test` runs 2):
    for what two workers must not do at once (apt-get, starting a cluster)."""
    with open(Path(tempfile.gettempdir()) / f"attrobust-tests-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def shared_run(tmp_path_factory, name: str, make) -> Path:
    """A workflow run that every pytest-xdist worker of this session shares: the first worker
    that asks runs ``make(directory)``, the others wait for it and read its directory.
    A run that failed is not reused: the next worker that asks tries again (and fails the
    same way, with the same message)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent   # pytest-of-<user>/pytest-<n>/: the session's, above popen-gw<i>/
    done, where = base / f"{name}.done", base / f"shared-{name}"
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(where, ignore_errors=True)
            make(where)
            done.touch()
    return where
