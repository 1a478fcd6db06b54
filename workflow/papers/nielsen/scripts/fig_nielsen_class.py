"""Class sensitivity of attribution maps (Nielsen et al. 2022, Fig. 2) and its summary."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import utils
from attrobust.plots import nielsen, save

utils.log_to(snakemake.log[0])
p = snakemake.params
results = {m: utils.load_npz(f) for m, f in zip(p.methods, snakemake.input.results)}
fig = nielsen.class_sensitivity(results, example=p.example)
save(fig, snakemake.output.pdf, snakemake.output.png)
