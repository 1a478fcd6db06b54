"""Faithfulness of the section's attribution methods (Nielsen et al. 2022, Sec. 4): infidelity
and max-sensitivity (Yeh et al. 2019), MoRF and LeRF pixel-removal curves (Samek et al. 2017);
one table per method."""
import logging
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import explain, faithfulness as F, jobs, models, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
X, y = ds["X_test"][: p.n_images], ds["y_test"][: p.n_images]
target = explain.resolve_target(p.target, y, models.predict_proba(model, X))
bg = F.background(ds["X_train"], p.n_background, p.seed)
inf, sens, rm = p.infidelity, p.sensitivity, p.removal
for method, csv in zip(p.methods, snakemake.output, strict=True):
    logging.getLogger("nielsen_faithfulness").info("%s", method)
    model.to(device)
    fn = F.explainer(method, model, seed=p.seed, background=bg, batch_size=p.batch_size, device=device,
                     **p.method_params[method])
    A = fn(X, target)
    model.cpu()  # captum.metrics and the removal curves run on the CPU tensors they are given
    rows = []
    scalars = {
        "infidelity": F.infidelity(model, X, A, target, sigma=inf["sigma"], n_perturb=inf["n_perturb"],
                                   normalize=inf["normalize"], output=p.output, seed=p.seed),
        "max_sensitivity": F.max_sensitivity(fn, X, target, radius=sens["radius"], n_perturb=sens["n_perturb"],
                                             seed=p.seed),
    }
    for order in ("morf", "lerf"):
        frac, curves = F.pixel_removal(model, X, A, target, order=order, n_steps=rm["n_steps"],
                                       replace=rm["replace"], mean=ds["X_train"].mean((0, 2, 3)),
                                       blur_sigma=rm["blur_sigma"], output=p.output)
        scalars[f"{order}_area"] = F.area(frac, curves)
        rows += [{"method": method, "image": i, "quantity": order, "fraction": f, "value": v}
                 for i in range(len(X)) for f, v in zip(frac, curves[i])]
    rows += [{"method": method, "image": i, "quantity": q, "fraction": float("nan"), "value": v}
             for q, values in scalars.items() for i, v in enumerate(values)]
    with utils.atomic_path(csv) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
