"""Determinism: the same config and seed give bit-identical results; another seed changes
the stochastic ones.

Workflow level: two clean runs of the small config are compared file by file (JSON
without its timing fields, see conftest.TIMING_FIELDS); a third run with ``seed: 1``
builds the stochastic results only. Library level: the same model and inputs under two
seeds, so the seed's effect is not mixed with that of a different data split.
"""
from __future__ import annotations

import numpy as np
import pytest

from attrobust import data, explain, models

from _reliability import differing_results, make_repo, result_files, small_config, snakemake

STOCHASTIC = {  # results that depend on the seed beyond the data split (explain files hold a section's methods)
    "lime": "results/explain/alvarez_melis_fig1/synthetic2d/mlp_sklearn/natural/seed{s}.npz",
    "kernel_shap": "results/explain/alvarez_melis_fig1/synthetic2d/mlp_sklearn/natural/seed{s}.npz",
    "smoothgrad": "results/explain/gallery/digits/cnn_small/natural/seed{s}.npz",
    "cnn": "results/models/digits/cnn_small/natural/seed{s}/model.pt",
}


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("second"))
    snakemake(repo, "--cores", "2")
    return repo


@pytest.fixture(scope="module")
def seed1_run(tmp_path_factory):
    repo = make_repo(tmp_path_factory.mktemp("seed1"), small_config(seed=1))
    snakemake(repo, "--cores", "2", *(p.format(s=1) for p in STOCHASTIC.values()))
    return repo


@pytest.mark.e2e
def test_two_clean_runs_give_identical_results(reference_run, second_run):
    files = result_files(reference_run)
    kinds = {p.suffix for p in files.values()}
    assert {".npz", ".json", ".pt", ".csv", ".png"} <= kinds, kinds
    assert differing_results(reference_run, second_run) == []


@pytest.mark.e2e
def test_other_seed_changes_the_stochastic_results(reference_run, seed1_run):
    for name in ("lime", "kernel_shap", "smoothgrad"):
        a = explain.saved(reference_run / STOCHASTIC[name].format(s=0))[name]
        b = explain.saved(seed1_run / STOCHASTIC[name].format(s=1))[name]
        assert not np.array_equal(a["A"], b["A"]), name
        assert np.isfinite(b["A"]).all()
    w0 = models.load(reference_run / STOCHASTIC["cnn"].format(s=0)).state_dict()
    w1 = models.load(seed1_run / STOCHASTIC["cnn"].format(s=1)).state_dict()
    assert all(not np.array_equal(w0[k].numpy(), w1[k].numpy()) for k in w0 if k.endswith("weight"))
    d0 = data.load_prepared(reference_run / "results/data/synthetic2d.npz")
    d1 = data.load_prepared(seed1_run / "results/data/synthetic2d.npz")
    assert not np.array_equal(d0["X_test"], d1["X_test"])  # the split depends on the seed too


# ----------------------------------------------------------------- same inputs, two seeds

@pytest.fixture(scope="module")
def tabular():
    d = data.load("wine", seed=0, scaling="minmax", n_samples=90)
    m = models.build("mlp_elu", d["input_shape"], 3, seed=0, epochs=3)
    models.train(m, d, seed=0)
    return d, m


@pytest.mark.parametrize("method, kw", [
    ("lime", {"num_samples": 60}), ("kernel_shap", {"nsamples": 40, "n_background": 5}),
    ("smoothgrad", {"n_samples": 4}), ("clime", {"n_samples": 40}),
])
def test_stochastic_explainers_depend_on_the_seed_only(tabular, method, kw):
    d, m = tabular
    X = d["X_test"][:3]
    if method in ("lime", "kernel_shap"):
        kw = {**kw, "background": d["X_train"][:20]}
    a = explain.explain(method, m, X, 0, seed=0, **kw)
    b = explain.explain(method, m, X, 0, seed=0, **kw)
    c = explain.explain(method, m, X, 0, seed=1, **kw)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("arch, hp", [("cnn_small", {"epochs": 1}), ("mlp_sklearn", {"max_iter": 30})])
def test_training_depends_on_the_seed_only(arch, hp, tmp_path):
    d = data.load("digits", seed=0, scaling="none", n_samples=120)
    if arch == "mlp_sklearn":
        d = {**d, "X_train": d["X_train"].reshape(len(d["X_train"]), -1),
             "X_test": d["X_test"].reshape(len(d["X_test"]), -1)}
    shape = d["X_train"].shape[1:]
    blobs = []
    for i, seed in enumerate((0, 0, 1)):
        m = models.build(arch, shape, 10, seed=seed, **hp)
        models.train(m, d, seed=seed)
        models.save(m, tmp_path / f"{i}.pt", m.attrobust_spec)
        blobs.append((tmp_path / f"{i}.pt").read_bytes())
    assert blobs[0] == blobs[1]
    assert blobs[0] != blobs[2]
