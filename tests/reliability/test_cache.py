"""The between-workflow cache and concurrent use (docs/reproducibility.md, 'Sharing results between checkouts').

Two checkouts run the small config at the same time with one shared, initially empty
``SNAKEMAKE_OUTPUT_CACHE`` and one shared dataset mirror (``download_base_url: file://``,
a dataset both download and prepare); both must finish with the results of an
uninterrupted run of their own. A third checkout, run afterwards through the README's ``make figures``, must take
the downloads, prepared datasets and trained models from that cache (no training job runs)
and still give the same results.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from _reliability import differing_results, make_repo, shoppers_csv, small_config, snakemake_cmd, temp_files
from _workflow import make

CNN = "results/models/digits/cnn_small/natural/seed0"
CACHED_RULES = ("download", "prepare", "train")
MIRRORED = "results/data/online_shoppers.npz"  # only the two concurrent runs build it


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    cache = root / "snakemake-cache"
    cache.mkdir()
    env = {**os.environ, "SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    mirror = root / "mirror"
    mirror.mkdir()
    (mirror / "online_shoppers_intention.csv").write_bytes(shoppers_csv())
    conf = small_config(download_base_url=mirror.as_uri() + "/")
    conf["datasets"]["online_shoppers"] = {"scaling": "minmax"}
    repos = [make_repo(root / name, conf) for name in ("first", "second", "third")]
    procs = [subprocess.Popen(snakemake_cmd("--cores", "1", "default", MIRRORED, "--cache"), cwd=r,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for r in repos[:2]]
    concurrent = [(p.communicate()[0], p.returncode) for p in procs]
    third = make(repos[2], "figures", configfile="small.yaml", env=env, check=False)
    # the mirrored dataset in the third checkout: download and preparation from the cache
    mirrored = subprocess.run(snakemake_cmd("--cores", "1", MIRRORED, "--cache"), cwd=repos[2], env=env,
                              capture_output=True, text=True)
    return {"cache": cache, "repos": repos, "concurrent": concurrent, "third": third, "mirrored": mirrored}


def test_cached_rules_are_declared():
    rules = (Path(__file__).parents[2] / "workflow/rules")
    text = (rules / "data.smk").read_text() + (rules / "train.smk").read_text()
    # prepare and train also have a benchmark: they are cached when SNAKEMAKE_OUTPUT_CACHE is set
    # (rules/common.smk: CACHE_WITH_BENCHMARK; snakemake allows a rule one or the other)
    assert text.count('cache: "omit-software"') + text.count("cache: CACHE_WITH_BENCHMARK") == len(CACHED_RULES)
    assert 'CACHE_WITH_BENCHMARK = "omit-software" if os.environ.get("SNAKEMAKE_OUTPUT_CACHE") else False' in \
        (rules / "common.smk").read_text()


@pytest.mark.e2e
def test_concurrent_runs_sharing_one_cache_both_finish_correctly(shared, reference_run):
    for (out, rc), repo in zip(shared["concurrent"], shared["repos"]):
        assert rc == 0, out[-5000:]
        assert [d for d in differing_results(reference_run, repo) if "online_shoppers" not in d] == []
        assert temp_files(repo) == []
    first, second = shared["repos"][:2]
    assert (first / MIRRORED).read_bytes() == (second / MIRRORED).read_bytes()
    cached = sorted(p.name for p in shared["cache"].iterdir())
    assert any(n.endswith("_model.pt") for n in cached) and any(n.endswith("_npz.npz") for n in cached)
    assert any((shared["cache"] / n).is_dir() for n in cached)  # the mirrored download
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
    assert [d for d in differing_results(reference_run, repo) if "online_shoppers" not in d] == []
    assert (repo / "figures/report.html").is_file()


@pytest.mark.e2e
def test_second_checkout_reuses_downloads_and_prepared_data(shared):
    res = shared["mirrored"]
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    repo = shared["repos"][2]
    assert "Symlinking output file resources/online_shoppers/online_shoppers_intention.csv from cache" in out
    assert f"Symlinking output file {MIRRORED} from cache" in out
    assert (repo / "resources/online_shoppers/online_shoppers_intention.csv").read_bytes() == shoppers_csv()
    assert (repo / MIRRORED).read_bytes() == (shared["repos"][0] / MIRRORED).read_bytes()
