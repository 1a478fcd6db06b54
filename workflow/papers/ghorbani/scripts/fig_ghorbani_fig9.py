"""Ghorbani et al. (2019), Fig. 9: Fig. 2 on a second dataset or architecture."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import utils
from attrobust.plots import ghorbani, label, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.concat([pd.read_csv(f) for f in snakemake.input.metrics], ignore_index=True)
save(ghorbani.fig9(table, methods=p.methods, k=p.k, title=f"{label(p.dataset)}, {label(p.model)}"),
     snakemake.output.pdf, snakemake.output.png)
