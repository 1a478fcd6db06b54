"""The between-workflow cache and concurrent use (README, 'Sharing results between checkouts').

Two checkouts run the small config at the same time with one shared, initially empty
``SNAKEMAKE_OUTPUT_CACHE``; both must finish with the results of an uninterrupted run of
their own. A third checkout, run afterwards through the README's ``make figures``, must take
the downloads, prepared datasets and trained models from that cache (no training job runs)
and still give the same results.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from _reliability import differing_results, make_repo, snakemake_cmd, temp_files
from _workflow import make

CNN = "results/models/digits/cnn_small/natural/seed0"
CACHED_RULES = ("download", "prepare", "train")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    cache = root / "snakemake-cache"
    cache.mkdir()
    env = {**os.environ, "SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    repos = [make_repo(root / name) for name in ("first", "second", "third")]
    procs = [subprocess.Popen(snakemake_cmd("--cores", "1", "--cache"), cwd=r, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in repos[:2]]
    concurrent = [(p.communicate()[0], p.returncode) for p in procs]
    third = make(repos[2], "figures", configfile="small.yaml", env=env, check=False)
    return {"cache": cache, "repos": repos, "concurrent": concurrent, "third": third}


def test_cached_rules_are_declared():
    rules = (Path(__file__).parents[2] / "workflow/rules")
    text = (rules / "data.smk").read_text() + (rules / "train.smk").read_text()
    assert text.count('cache: "omit-software"') == len(CACHED_RULES)


@pytest.mark.e2e
def test_concurrent_runs_sharing_one_cache_both_finish_correctly(shared, reference_run):
    for (out, rc), repo in zip(shared["concurrent"], shared["repos"]):
        assert rc == 0, out[-5000:]
        assert differing_results(reference_run, repo) == []
        assert temp_files(repo) == []
    cached = sorted(p.name for p in shared["cache"].iterdir())
    assert any(n.endswith("_model.pt") for n in cached) and any(n.endswith("_npz.npz") for n in cached)
    assert not [n for n in cached if n.startswith("tmp")], cached  # no half-moved entry


@pytest.mark.e2e
def test_second_checkout_reuses_trained_models(shared, reference_run):
    res = shared["third"]
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    repo = shared["repos"][2]
    assert f"Symlinking output file {CNN}/model.pt from cache" in out
    model = repo / CNN / "model.pt"
    assert model.is_symlink() and Path(os.readlink(model)).parent == shared["cache"]
    # the training script never ran: its log stays empty
    assert (repo / "logs/train/digits/cnn_small/natural/seed0.log").stat().st_size == 0
    assert differing_results(reference_run, repo) == []
    assert (repo / "figures/report.html").is_file()
