"""Shared fixtures of the unit tests, and how `pytest -n 2` (make test) shares them out."""
import pytest

# Session fixtures that run a whole workflow: every test that uses one goes to the same
# pytest-xdist worker (one run, not one per worker), and these groups are handed out first,
# slowest first, so that the other worker takes the many short modules meanwhile.
SHARED_RUNS = ("tiny_run", "reference_run")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup` (make test): one xdist group per module, so that module
    fixtures run once, except that the tests of a SHARED_RUNS fixture form one group; those
    groups come first (with --no-loadscope-reorder xdist keeps this order)."""
    if getattr(config.option, "dist", "no") != "loadgroup":
        return

    def group(item):
        return next((f for f in SHARED_RUNS if f in item.fixturenames), item.nodeid.split("::")[0])

    for item in items:
        item.add_marker(pytest.mark.xdist_group(group(item)))
    rank = {name: i for i, name in enumerate(SHARED_RUNS)}
    items.sort(key=lambda item: rank.get(group(item), len(rank)))   # stable: module order kept


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
    (tests/slurm, tests/sge) compare their runs with it. Its results are read, never rerun."""
    from _cluster import copy_repo, run_snakemake

    repo = copy_repo(tmp_path_factory.mktemp("tiny") / "repo")
    run_snakemake(repo, "--cores", "2")
    return repo


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
