"""Fetch a dataset's raw files into resources/{dataset}/ (mirror copy or download)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from pathlib import Path

from attrobust import data, standins, utils

utils.log_to(snakemake.log[0])
data.fetch(
    snakemake.wildcards.dataset,
    Path(snakemake.output[0]),
    mirror=snakemake.params.mirror,
    base_url=snakemake.params.base_url,
    # a generated stand-in is checked against its own SHA256SUMS instead of the pins
    pins=standins.checksums(snakemake.params.mirror) if snakemake.params.standin else None,
)
