"""Saliency of a naturally trained vs a PGD-trained model (Nielsen et al. 2022, Fig. 3),
and how concentrated the maps are on the object (fraction of mass on the digit, Gini)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import explain, faithfulness, utils
from attrobust.plots import nielsen, save, label

utils.log_to(snakemake.log[0])
p = snakemake.params
natural, robust = (explain.saved(f)[p.method] for f in snakemake.input.explanations)
rows = []
for model, regime, e in zip(p.models, p.regimes, (natural, robust)):
    X, A = e["X"][: p.n_images], e["A"][: p.n_images]
    maps = nielsen.saliency_map(A)
    inside = faithfulness.mass_inside(maps, X.max(1) > p.mask_threshold)
    for q, values in (("mass_inside", inside), ("gini", faithfulness.gini(maps))):
        rows += [{"model": model, "regime": regime, "method": p.method, "image": i, "quantity": q, "value": v}
                 for i, v in enumerate(values)]
with utils.atomic_path(snakemake.output.csv) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False)
fig = nielsen.pgd_saliency(natural, robust, n_images=p.n_images,
                           names=[f"{label(m)}\n({r})" for m, r in zip(p.models, p.regimes)])
save(fig, snakemake.output.pdf, snakemake.output.png)
