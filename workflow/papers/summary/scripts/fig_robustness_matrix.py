"""Beyond the papers: one robustness matrix of methods x datasets (attrobust.plots.summary)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import utils
from attrobust.plots import save, summary

utils.log_to(snakemake.log[0])


def read(files):
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True) if files else None


t = summary.table(read(snakemake.input.lipschitz), read(snakemake.input.attacks))
with utils.atomic_path(snakemake.output.csv) as tmp:
    t.to_csv(tmp, index=False)
save(summary.matrix(t), snakemake.output.pdf, snakemake.output.png)
