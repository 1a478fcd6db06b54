"""Sanity checks of the section's attribution methods (Adebayo et al. 2018, Secs. 3.1-3.2):
cascading randomisation of the layers from the top, and the model trained on permuted labels
(one table and one npz per method)."""
import json
import logging
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import pandas as pd

from attrobust import explain, faithfulness, jobs, models, sanity, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
permuted = models.load(snakemake.input.permuted, device=device)
X, y = ds["X_test"][: p.n_images], ds["y_test"][: p.n_images]
bg = faithfulness.background(ds["X_train"], p.n_background, p.seed)
with open(snakemake.input.permuted_metrics) as f:
    fit = json.load(f)["train_accuracy"]  # on its permuted labels
stages = sanity.cascade(model)


def attributions(method, net):
    target = explain.resolve_target(p.target, y, models.predict_proba(net, X))
    return faithfulness.explainer(method, net, seed=p.seed, background=bg, batch_size=p.batch_size,
                                  device=device, **p.method_params[method])(X, target)


for method, csv, npz in zip(p.methods, snakemake.output.csv, snakemake.output.npz, strict=True):
    logging.getLogger("nielsen_sanity").info("%s", method)
    A0 = attributions(method, model)
    rows, maps = [], []
    for k, names in enumerate(stages):
        A = A0 if k == 0 else attributions(method, sanity.randomize(model, names, seed=p.seed))
        maps.append(sanity.normalise(A[[p.example]])[0])
        for metric, values in sanity.similarity(A0, A).items():
            rows += [{"method": method, "test": "cascading", "n_randomized": k,
                      "layer": names[-1] if names else "", "image": i, "metric": metric, "value": v}
                     for i, v in enumerate(values)]
    A_perm = attributions(method, permuted)
    for metric, values in sanity.similarity(A0, A_perm).items():
        rows += [{"method": method, "test": "data", "n_randomized": -1, "layer": "", "image": i,
                  "metric": metric, "value": v, "permuted_train_accuracy": fit} for i, v in enumerate(values)]
    with utils.atomic_path(csv) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    utils.save_npz(
        npz, x=X[p.example], maps=np.stack(maps), permuted=sanity.normalise(A_perm[[p.example]])[0],
        layers=np.array([n[-1] if n else "" for n in stages]), method=np.array(method), device=np.array(str(device)),
    )
