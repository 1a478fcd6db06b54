"""Alvarez-Melis & Jaakkola (2018), Fig. 1: LIME/SHAP on a linear vs a non-linear model."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import data, explain, models, utils
from attrobust.plots import alvarez_melis, save

utils.log_to(snakemake.log[0])
p = snakemake.params
ds = data.load_prepared(snakemake.input.data)
fitted = dict(zip(p.models, (models.load(f) for f in snakemake.input.models)))
saved = dict(zip(p.models, map(explain.saved, snakemake.input.explanations)))
expl = {(m, meth): saved[m][meth] for m in p.models for meth in p.methods}
fig = alvarez_melis.fig1(ds, fitted, expl, n_show=p.n_show, resolution=p.resolution)
save(fig, snakemake.output.pdf, snakemake.output.png)
