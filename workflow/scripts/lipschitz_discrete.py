"""Alvarez-Melis & Jaakkola (2018), eq. (2): the discrete Lipschitz estimate over the explained
test points, per method (Fig. 4)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import logging

import numpy as np

from attrobust import data, explain, lipschitz, utils

utils.log_to(snakemake.log[0])
p = snakemake.params
ds = data.load_prepared(snakemake.input.data)
saved = explain.saved(snakemake.input.explanations)
files = [saved[m] for m in p.methods]
X = files[0]["X"]
for m, f in zip(p.methods, files):
    if not np.array_equal(f["X"], X):
        raise ValueError(f"{m}: explanations of other points than {p.methods[0]}'s; rerun the explain jobs")
# eq. (2) compares explanations of one quantity: with a fixed class (p.target), every file
# must explain that class at every point
target = files[0]["target"]
for m, f in zip(p.methods, files):
    t = f["target"]
    if isinstance(p.target, int) and not (t.shape == (len(X),) and (t == p.target).all()):
        raise ValueError(f"{m}: explains classes {sorted(set(np.ravel(t).tolist()))}, not the fixed "
                         f"class {p.target}; rerun the explain jobs")
    if not np.array_equal(t, target):
        raise ValueError(f"{m}: explains other classes than {p.methods[0]}")
res = [lipschitz.discrete(X, f["A"], eps=p.eps) for f in files]
logging.getLogger("discrete").info(
    "points with a neighbour within eps=%g: %d of %d", p.eps, int((res[0]["n_neighbours"] > 0).sum()), len(X))
utils.save_npz(
    snakemake.output[0], methods=np.array(p.methods), X=X, A=np.stack([f["A"] for f in files]),
    outputs=files[0]["outputs"], L=np.stack([r["L"] for r in res]), argmax=np.stack([r["argmax"] for r in res]),
    n_neighbours=res[0]["n_neighbours"], eps=np.array(p.eps), feature_names=np.array(ds["feature_names"]),
    target=np.asarray(target), class_names=np.array(ds["class_names"]),
)
