"""Load a dataset, split and scale it, and write arrays plus provenance."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from pathlib import Path

from attrobust import config, data, utils

utils.log_to(snakemake.log[0])
raw = snakemake.input.raw
d = data.prepare(
    snakemake.params.source,
    Path(raw[0] if isinstance(raw, list) else raw) if raw else None,  # resources/{dataset}
    snakemake.output.npz,
    snakemake.output.json,
    **snakemake.params.load,
)
# The config checks again, with the sizes as loaded: some datasets' sizes only their files
# tell (attrobust.datasizes), and this is the first job that knows them. A ConfigError fails
# this job, so no model trains on a split that lacks a class.
config.check_loaded(snakemake.config, snakemake.wildcards.dataset, d)
