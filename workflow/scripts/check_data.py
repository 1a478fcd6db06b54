"""The config's checks again, with the sizes of a prepared dataset as loaded."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import config, data, utils

utils.log_to(snakemake.log[0])
# Some datasets' sizes only their files tell (attrobust.datasizes): this is the first job that
# knows them. A ConfigError fails this job, and every train job waits for it, so no model
# trains on a split that lacks a class.
config.check_loaded(snakemake.config, snakemake.wildcards.dataset, data.load_prepared(snakemake.input.npz))
utils.save_json(snakemake.output[0], {"dataset": snakemake.wildcards.dataset, "checked": True})
