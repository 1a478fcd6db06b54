"""The session's one clean run of the small config, shared by the reliability tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from _reliability import make_repo, snakemake


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> Path:
    """One clean, uninterrupted run of the small config (seed 0), shared by the pytest-xdist
    workers (_workflow.shared_run)."""
    from _workflow import shared_run

    return shared_run(tmp_path_factory, "reference", lambda d: snakemake(make_repo(d), "--cores", "2"))
