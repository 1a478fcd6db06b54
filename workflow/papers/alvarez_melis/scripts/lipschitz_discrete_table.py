"""Alvarez-Melis & Jaakkola (2018), Fig. 1 in numbers: the discrete Lipschitz estimate (2) per
model x method x explained test point (NaN: no neighbour within eps), one tidy table."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import utils

utils.log_to(snakemake.log[0])
rows = []
for model in snakemake.params.models:
    d = utils.load_npz(getattr(snakemake.input, model))
    for m, method in enumerate(d["methods"]):
        for i in range(len(d["X"])):
            rows.append({"dataset": snakemake.params.dataset, "model": model, "method": str(method),
                         "point": i, "L": float(d["L"][m, i]), "n_neighbours": int(d["n_neighbours"][i]),
                         "eps": float(d["eps"])})
with utils.atomic_path(snakemake.output[0]) as tmp:
    pd.DataFrame(rows).to_csv(tmp, index=False)
