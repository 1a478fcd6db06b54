"""Angle between grad_x S and the top singular vector of grad_x^2 S per test image
(Ghorbani et al. 2019, Appendix F, Fig. 11a), on the softplus copy of the network."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import pandas as pd

from attrobust import curvature, jobs, models, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
utils.seed_everything(p.seed)
X = ds["X_test"][: p.n_images]
label = models.predict_proba(model, X).argmax(1)  # the ReLU network's predicted class
r = curvature.score_hessian_angles(models.softplus(model, p.softplus_beta), X, label, n_iter=p.n_iter,
                                   seed=p.seed)
utils.save_npz(snakemake.output.npz, **r, label=label, device=np.array(str(device)))
table = pd.DataFrame({"panel": "feature_importance", "image": np.arange(len(X)), "angle": r["angle"]})
with utils.atomic_path(snakemake.output.csv) as tmp:  # the claims ledger's table
    table.to_csv(tmp, index=False)
