"""Explain the first test points of a dataset with every attribution method of a budget."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import json
import logging

import numpy as np

from attrobust import explain, jobs, models, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
X, y = ds["X_test"][: p.n_points], ds["y_test"][: p.n_points]
outputs = models.predict_proba(model, X)
target = explain.resolve_target(p.target, y, outputs)
# LIME's and SHAP's reference data: one draw, the same for every method
pick = np.random.default_rng(p.seed).choice(len(ds["X_train"]), min(p.n_background, len(ds["X_train"])), replace=False)
background = ds["X_train"][np.sort(pick)]
saved = {}
for method in p.methods:
    logging.getLogger("explain").info("%s", method)
    params = dict(p.method_params[method])
    if "background" in explain.METHODS[method].defaults:
        params.setdefault("background", background)
    A = explain.explain(
        method, model, X, target, seed=p.seed, batch_size=p.batch_size, device=device, **params
    )
    shown = {k: v for k, v in params.items() if k != "background"}
    saved[f"A.{method}"] = A
    saved[f"params.{method}"] = np.array(json.dumps(shown, sort_keys=True))
utils.save_npz(
    snakemake.output[0], X=X, y=y, outputs=outputs, target=target, methods=np.array(list(p.methods)),
    device=np.array(str(device) if models.is_torch(model) else "cpu"),  # for the report
    **saved,
)
