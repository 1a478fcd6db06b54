"""Write generated pretrained-weights files (config key standins.torchvision_weights)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import standins, utils

utils.log_to(snakemake.log[0])
sums = standins.write_weights(snakemake.params.archs, snakemake.output[0], seed=snakemake.params.seed)
print(f"wrote stand-in weights: {', '.join(sums)}")
