"""Attribution gallery: test images x every gradient method (Nielsen et al. 2022, Fig. 1)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import utils
from attrobust.plots import nielsen, save

utils.log_to(snakemake.log[0])
p = snakemake.params
expl = {m: utils.load_npz(f) for m, f in zip(p.methods, snakemake.input.explanations)}
fig = nielsen.gallery(expl, n_images=p.n_images)
save(fig, snakemake.output.pdf, snakemake.output.png)
