"""Alvarez-Melis & Jaakkola (2018), Figs. 2 and 3."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import utils
from attrobust.plots import alvarez_melis, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.read_csv(snakemake.input.table)
n_chunks = len(snakemake.input.example) // len(p.methods)
example = {
    m: [utils.load_npz(f) for f in snakemake.input.example[i * n_chunks : (i + 1) * n_chunks]]
    for i, m in enumerate(p.methods)
}
figs = [
    alvarez_melis.fig2(table, datasets=p.datasets, methods=p.methods, eps=p.eps, n_calls=p.n_calls, model=p.model,
                       randomness=p.randomness),
    alvarez_melis.fig3(example, dataset=p.example_dataset),
]
out = list(snakemake.output)
for i, fig in enumerate(figs):
    save(fig, out[2 * i], out[2 * i + 1])
