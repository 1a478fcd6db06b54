"""Attribution gallery: test images x every gradient method (Nielsen et al. 2022, Fig. 1)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import explain, utils
from attrobust.plots import nielsen, save

utils.log_to(snakemake.log[0])
p = snakemake.params
saved = explain.saved(snakemake.input.explanations)
expl = {m: saved[m] for m in p.methods}
fig = nielsen.gallery(expl, n_images=p.n_images)
save(fig, snakemake.output.pdf, snakemake.output.png)
