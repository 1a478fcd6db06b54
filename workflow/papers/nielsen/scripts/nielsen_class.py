"""Class sensitivity of the section's attribution methods (Nielsen et al. 2022, Fig. 2): for
each, maps for the true class and for the most probable other classes, and their Spearman
correlations (one table and one npz per method)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import logging

import numpy as np
import pandas as pd

from attrobust import faithfulness, jobs, models, sanity, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
X, y = ds["X_test"][: p.n_images], ds["y_test"][: p.n_images]
probs = models.predict_proba(model, X)
others = sanity.other_classes(probs, p.n_other, exclude=y)
bg = faithfulness.background(ds["X_train"], p.n_background, p.seed)
for method, csv, npz in zip(p.methods, snakemake.output.csv, snakemake.output.npz, strict=True):
    logging.getLogger("nielsen_class").info("%s", method)
    explain = faithfulness.explainer(method, model, seed=p.seed, background=bg, batch_size=p.batch_size,
                                     device=device, **p.method_params[method])
    A_true = explain(X, y)
    A_other = np.stack([explain(X, others[:, j]) for j in range(p.n_other)], 1)
    rho = sanity.class_spearman(A_true, A_other)
    rows = [
        {"method": method, "image": i, "rank": j + 1, "target": int(others[i, j]), "true": int(y[i]),
         "prob": probs[i, others[i, j]], "prob_true": probs[i, y[i]], "spearman": rho[i, j]}
        for i in range(len(X)) for j in range(p.n_other)
    ]
    with utils.atomic_path(csv) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    utils.save_npz(
        npz, X=X, y=y, probs=probs, others=others, A_true=A_true, A_other=A_other,
        spearman=rho, method=np.array(method), device=np.array(str(device)),
    )
