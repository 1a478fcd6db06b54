"""Shared fixtures of the unit tests."""
import pytest


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
def tiny_local_reference(tmp_path_factory):
    """The scheduler tests' reference (tests/slurm, tests/sge): a quarter of the tiny DAG
    with a job of every rule (tests/_cluster.targets), run once locally; (directory, targets)."""
    from _cluster import copy_repo, run_snakemake, targets

    local = copy_repo(tmp_path_factory.mktemp("reference") / "local")
    jobs = targets(local)
    run_snakemake(local, "--cores", "2", targets=jobs)
    return local, jobs
