"""Local Lipschitz estimates (Alvarez-Melis & Jaakkola 2018, eq. 1) for a chunk of test points."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import logging

import numpy as np

from attrobust import explain, jobs, lipschitz, models, utils

ds, _, model = jobs.model_job(snakemake)  # on the CPU: the rule has no device
p, wc = snakemake.params, snakemake.wildcards
X = ds["X_test"][p.chunk * p.chunk_size : (p.chunk + 1) * p.chunk_size]
outputs = models.predict_proba(model, X)
targets = explain.resolve_target("predicted", None, outputs)

# the protocol (paper text or the authors' released code) sets the box and some explainer settings
params = lipschitz.protocol_params(
    p.protocol, wc.method, p.method_params, torch_model=models.is_torch(model),
    X_train=ds["X_train"], n_background=p.n_background, seed=p.seed, output=p.output,
)
box = lipschitz.protocol_box(p.protocol, p.eps, ds["X_train"], np.concatenate([ds["X_train"], ds["X_test"]]))
# one search per randomness setting (rule lipschitz: one; lipschitz_pair: fresh, then common,
# sharing the noise floor at x, which does not depend on it), each into its own file
floors = None
for randomness, out in zip(p.randomness, snakemake.output, strict=True):
    res = lipschitz.points(
        wc.method, model, X, targets, n_calls=p.n_calls, estimator=p.estimator, seed=p.seed,
        noise_seeds=p.noise_seeds, first_index=p.chunk * p.chunk_size, randomness=randomness,
        noise_floors=floors, **box, **params,
    )
    floors = res["noise_floor"]
    seconds = res.pop("seconds")  # timing stays in the log: results depend only on inputs and seed
    logging.getLogger("lipschitz").info("%s: seconds per point: %s", randomness, seconds.round(2).tolist())
    utils.save_npz(
        out, X=X, outputs=outputs, outputs_max=models.predict_proba(model, res["x_max"]),
        feature_names=np.array(ds["feature_names"]), **res,
    )
