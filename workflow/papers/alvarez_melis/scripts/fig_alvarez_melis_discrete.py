"""Alvarez-Melis & Jaakkola (2018), Fig. 4: the pair maximising the discrete estimate (2)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import utils
from attrobust.plots import alvarez_melis, save

utils.log_to(snakemake.log[0])
p = snakemake.params
fig = alvarez_melis.fig4(utils.load_npz(snakemake.input.pair), dataset=p.dataset, model=p.model,
                         eps=p.eps, stand_in=p.stand_in)
save(fig, snakemake.output.pdf, snakemake.output.png)
