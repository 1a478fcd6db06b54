"""Tidy table of local Lipschitz estimates: one row per (dataset, method, point)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import lipschitz, utils

utils.log_to(snakemake.log[0])
parts = []
for key in (k for k in snakemake.input.keys() if k not in ("lib", "code")):
    dataset, method = key.split("/")
    chunks = [utils.load_npz(f) for f in getattr(snakemake.input, key)]
    parts.append(lipschitz.summary(chunks).assign(dataset=dataset, method=method, model=snakemake.params.model))
table = pd.concat(parts, ignore_index=True)
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
