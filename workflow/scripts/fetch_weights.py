"""Fetch a torchvision architecture's pretrained weights into resources/torch (TORCH_HOME)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import logging

from attrobust import models, standins, utils

utils.log_to(snakemake.log[0])
standin = snakemake.params.standin  # generated weights (config key standins), checked by their own sums
name = models.PRETRAINED[snakemake.params.arch]
src = models.fetch_weights(
    snakemake.params.arch, snakemake.output[0], base_url=snakemake.params.base_url,
    source=f"{standin}/{name}" if standin else None,
    sha256=standins.checksums(standin)[name][0].split(":", 1)[1] if standin else None)
logging.getLogger("fetch_weights").info("%s from %s", snakemake.output[0], src)
