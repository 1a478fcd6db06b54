"""Shared fixtures of the unit tests, and the order in which `make test`'s two pytest-xdist
workers take the modules."""
import os

import pytest

# `make test` runs pytest-xdist with `--dist loadscope`: a worker takes a whole module at a
# time (so module fixtures run once), in collection order (--no-loadscope-reorder). These
# modules start first, the slowest first, the two shared runs (tiny_run, reference_run) on
# different workers, and the two scheduler tests (which take a host lock for their whole
# module) far apart in the queue, so that the other worker does not wait on the lock; the
# rest keep their order.
SLOW_FIRST = [
    "tests/sge/test_sge.py",                      # the tiny run, then Grid Engine
    "tests/reliability/test_kill_resume.py",      # the reference run, then its kills
    "tests/reliability/test_cache.py",
    "tests/test_fashion_slice.py",
    "tests/reliability/test_rerun.py",
    "tests/slurm/test_slurm.py",
    "tests/slurm/test_slurm_rehearsal.py",        # the paper config through SLURM, after it
]


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):   # on each worker: all must collect the same order
        rank = {m: i for i, m in enumerate(SLOW_FIRST)}
        items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))   # stable


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Torch on one thread for each test module, then as it was: the tiny nets of the tests
    run many times faster single-threaded on a 2-core machine."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The whole tiny config (tests/e2e/tiny.yaml) run once locally, in a copy of the
    repository: tests/test_workflow.py's end-to-end checks read it, and the scheduler tests
    (tests/slurm, tests/sge) compare their runs with it. Its results are read, never rerun.
    One run for the session, shared by the pytest-xdist workers (_workflow.shared_run)."""
    from _cluster import copy_repo, run_snakemake
    from _workflow import shared_run

    return shared_run(tmp_path_factory, "tiny", lambda d: run_snakemake(copy_repo(d), "--cores", "2"))


@pytest.fixture(scope="session")
def tiny_local_reference(tiny_run):
    """The scheduler tests' reference: the whole tiny run, and what a cluster run makes (a
    quarter of the tiny DAG with a job of every rule, tests/_cluster.targets); (directory, targets)."""
    from _cluster import targets

    return tiny_run, targets(tiny_run)


@pytest.fixture(scope="session")
def debian_data():
    """The two Debian data packages (dataset-fashion-mnist, r-cran-mlbench), installed here
    when missing and this is root on Debian (`make data` does the same; .ci/run installs them
    first); skipped, with what to install, only where they are missing and cannot be
    installed. {mirror key: the directory they fill}."""
    from attrobust import debian

    missing = debian.absent()
    if missing:
        why = debian.why_not_installable()
        if why is not None:
            pytest.skip(f"needs the Debian packages {', '.join(missing)} ({why}: cannot install "
                        f"them; as root: apt-get install {' '.join(missing)})")
        debian.install(missing)
    return {key: debian.default_dir(key) for key in debian.PACKAGES}

