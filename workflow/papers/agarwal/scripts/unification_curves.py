"""SmoothGrad vs C-LIME gap and robustness against n for one (dataset, model), at each of its sigmas."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import jobs, models, unification, utils

ds, _, model = jobs.model_job(snakemake)  # on the CPU: the rule has no device
p, wc = snakemake.params, snakemake.wildcards
X = ds["X_test"][: p.n_points]
target = models.predict_proba(model, X).argmax(1)  # explain the predicted class
tables = [
    pd.DataFrame(unification.curves(
        model, X, target, ns=p.ns, sigma=sigma, n_neighbours=p.n_neighbours,
        neighbour_sigma=p.neighbour_sigma, seed=p.seed, ridge=p.ridge,
    )).assign(dataset=wc.dataset, model=wc.model, regime=wc.regime)
    for sigma in p.sigmas
]
table = pd.concat(tables, ignore_index=True)
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
