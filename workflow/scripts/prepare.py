"""Load a dataset, split and scale it, and write arrays plus provenance."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from pathlib import Path

from attrobust import data, utils

utils.log_to(snakemake.log[0])
raw = snakemake.input.raw
data.prepare(
    snakemake.params.source,
    Path(raw[0] if isinstance(raw, list) else raw) if raw else None,  # resources/{dataset}
    snakemake.output.npz,
    snakemake.output.json,
    **snakemake.params.load,
)
