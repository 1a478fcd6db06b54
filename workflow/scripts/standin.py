"""Write generated stand-in raw files for one dataset (config key standins)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import standins, utils

utils.log_to(snakemake.log[0])
sums = standins.write(snakemake.wildcards.dataset, snakemake.output[0],
                      seed=snakemake.params.seed, **snakemake.params.size)
print(f"wrote {len(sums)} stand-in file(s) for {snakemake.wildcards.dataset}")
