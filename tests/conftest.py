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
