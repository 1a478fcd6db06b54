"""Fetch a torchvision architecture's pretrained weights into resources/torch (TORCH_HOME)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import logging

from attrobust import models, utils

utils.log_to(snakemake.log[0])
src = models.fetch_weights(snakemake.params.arch, snakemake.output[0], base_url=snakemake.params.base_url,
                           standin=snakemake.params.standin)
logging.getLogger("fetch_weights").info("%s from %s", snakemake.output[0], src)
