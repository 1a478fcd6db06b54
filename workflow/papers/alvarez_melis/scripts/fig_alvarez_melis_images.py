"""Alvarez-Melis & Jaakkola (2018), Figs. 5, 6 and 7 (the image model)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import data, utils
from attrobust.plots import alvarez_melis, save

utils.log_to(snakemake.log[0])
p = snakemake.params
classes = data.load_prepared(snakemake.input.data)["class_names"]
table = pd.read_csv(snakemake.input.table)
n_chunks = len(snakemake.input.chunks) // len(p.methods)
chunks = {
    m: [utils.load_npz(f) for f in snakemake.input.chunks[i * n_chunks : (i + 1) * n_chunks]]
    for i, m in enumerate(p.methods)
}
figs = [
    alvarez_melis.fig5(utils.load_npz(snakemake.input.noise), class_names=classes),
    alvarez_melis.fig6(table, methods=p.methods, eps=p.eps, n_calls=p.n_calls, model=p.model,
                       dataset=p.dataset, estimator=p.estimator, randomness=p.randomness, output=p.output),
    alvarez_melis.fig7(chunks, n_show=p.n_show, class_names=classes),
]
out = list(snakemake.output)
for i, fig in enumerate(figs):
    save(fig, out[2 * i], out[2 * i + 1])
