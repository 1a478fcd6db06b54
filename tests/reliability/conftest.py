"""The session's one clean run of the small config, shared by the reliability tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from _reliability import make_repo, snakemake


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> Path:
    """One clean, uninterrupted run of the small config (seed 0)."""
    repo = make_repo(tmp_path_factory.mktemp("reference"))
    snakemake(repo, "--cores", "2")
    return repo
