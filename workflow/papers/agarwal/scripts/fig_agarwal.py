"""Agarwal et al. (2021), Figs. 1-5."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import json

import pandas as pd

from attrobust import data, utils
from attrobust.plots import agarwal, save

utils.log_to(snakemake.log[0])
p = snakemake.params
curves = pd.concat([pd.read_csv(f) for f in snakemake.input.curves], ignore_index=True)
figs = [
    agarwal.fig1(data.load_prepared(snakemake.input.simulated)),
    agarwal.fig2(curves, model=p.model, sigma=p.sigma, datasets=p.datasets),
    agarwal.fig3(curves, model=p.model, sigma=p.sigma, datasets=p.datasets),
    agarwal.fig4(curves, model=p.model, sigmas=p.sigmas, dataset=p.focus),
    agarwal.fig5(curves, models=[p.model, p.undertrained], sigma=p.sigma, dataset=p.focus,
                 accuracies={m: json.load(open(f))["test_accuracy"]
                             for m, f in zip([p.model, p.undertrained], snakemake.input.models)}),
    agarwal.lipschitz_sigma(pd.read_csv(snakemake.input.lipschitz)),
]
out = list(snakemake.output)
for i, fig in enumerate(figs):
    save(fig, out[2 * i], out[2 * i + 1])
