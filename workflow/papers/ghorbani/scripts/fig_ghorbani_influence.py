"""Ghorbani et al. (2019), Figs. 3, 4, 10 and 11."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import data, utils
from attrobust.plots import ghorbani, save

utils.log_to(snakemake.log[0])
p = snakemake.params
res = utils.load_npz(snakemake.input.influence)
table = pd.read_csv(snakemake.input.table)
ds = data.load_prepared(snakemake.input.data)
X_train = ds["X_train"][res["train_index"]]
names = [ds["class_names"][int(c)] for c in res["classes"]]
figs = [
    ghorbani.fig3_influence(res, X_train, table, n_top=p.n_top, k=p.k, class_names=names),
    ghorbani.fig4_influence(table, k=p.k, res=res, n_top=p.n_top),
    ghorbani.fig10_influence(res, table, n_show=p.n_show, n_top=p.n_top, k=p.k),
    ghorbani.fig11_hessian(utils.load_npz(snakemake.input.hessian), res["angles_loss_influence"],
                           res.get("confidence_ratio")),
]
out = list(snakemake.output)
for i, fig in enumerate(figs):
    save(fig, out[2 * i], out[2 * i + 1])
