"""Tidy table of local Lipschitz estimates: one row per (dataset, method, randomness, point),
with the explained output (prob | logit | regression) the estimate is in units of."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import lipschitz, utils

utils.log_to(snakemake.log[0])
parts = []
for key in (k for k in snakemake.input.keys() if k != "lib"):
    dataset, method, randomness = key.split("/")  # a deterministic method's rows repeat per setting
    chunks = [utils.load_npz(f) for f in getattr(snakemake.input, key)]
    single = chunks[0]["outputs"].ndim == 1 or chunks[0]["outputs"].shape[1] == 1
    output = "regression" if single else (snakemake.params.output or "prob")
    parts.append(lipschitz.summary(chunks).assign(dataset=dataset, method=method, randomness=randomness,
                                                 output=output, model=snakemake.params.model))
table = pd.concat(parts, ignore_index=True)
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
