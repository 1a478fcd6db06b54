"""Explain the first test points of a dataset with one attribution method."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import json

import numpy as np
import torch

from attrobust import explain, jobs, models, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
method = snakemake.wildcards.method
X, y = ds["X_test"][: p.n_points], ds["y_test"][: p.n_points]

params = dict(p.method_params)
if "background" in explain.METHODS[method].defaults:  # LIME, SHAP: reference data
    rng = np.random.default_rng(p.seed)
    pick = rng.choice(len(ds["X_train"]), min(p.n_background, len(ds["X_train"])), replace=False)
    params.setdefault("background", ds["X_train"][np.sort(pick)])
outputs = models.predict_proba(model, X)
target = explain.resolve_target(p.target, y, outputs)
A = explain.explain(
    method, model, X, target, seed=p.seed, batch_size=p.batch_size, device=device, **params
)
shown = {k: v for k, v in params.items() if k != "background"}
utils.save_npz(
    snakemake.output[0], X=X, A=A, y=y, outputs=outputs, target=target,
    method=np.array(method), params=np.array(json.dumps(shown, sort_keys=True)),
    device=np.array(str(device) if isinstance(model, torch.nn.Module) else "cpu"),  # for the report
)
