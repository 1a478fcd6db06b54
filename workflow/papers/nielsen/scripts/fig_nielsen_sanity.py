"""Sanity checks (Adebayo et al. 2018): cascading randomisation and permuted labels."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import json

import pandas as pd

from attrobust import utils
from attrobust.plots import nielsen, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.concat([pd.read_csv(f) for f in snakemake.input.tables], ignore_index=True)
examples = {m: utils.load_npz(f) for m, f in zip(p.methods, snakemake.input.examples)}
out = snakemake.output
save(nielsen.sanity_cascading(table, examples), out[0], out[1])
with open(snakemake.input.permuted) as f:
    permuted = json.load(f)
save(nielsen.sanity_data(table, examples, permuted_metrics=permuted), out[2], out[3])
