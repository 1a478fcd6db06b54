"""Local Lipschitz estimates of SmoothGrad and C-LIME against sigma (beyond Agarwal et al.)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import jobs, models, unification, utils

ds, _, model = jobs.model_job(snakemake)  # on the CPU: the rule has no device
s, wc = snakemake.params.sweep, snakemake.wildcards
X = ds["X_test"][: s["n_points"]]
X_all = pd.concat([pd.DataFrame(ds["X_train"]), pd.DataFrame(ds["X_test"])]).to_numpy()
rows = unification.lipschitz_vs_sigma(
    model, X, models.predict_proba(model, X).argmax(1), sigmas=s["sigmas"],
    n_samples=s["n_samples"], eps=s["eps"], n_calls=s["n_calls"], estimator=s["estimator"],
    seed=snakemake.params.seed, lower=X_all.min(0), upper=X_all.max(0),  # stay in the data range
)
table = pd.DataFrame(rows).assign(dataset=wc.dataset, model=wc.model)
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
