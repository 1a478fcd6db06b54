"""Ghorbani et al. (2019), Figs. 1, 2, 8 and Appendix C's Figs. 5-7."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import attack_results, data, utils
from attrobust.plots import ghorbani, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.concat([pd.read_csv(f) for f in snakemake.input.metrics], ignore_index=True)
examples = {m: attack_results.load(files, p.eps) for m, files in zip(p.methods, p.example_files)}
class_names = data.load_prepared(snakemake.input.data)["class_names"]
figs = [
    ghorbani.fig1(examples, index=p.example, class_names=class_names),
    ghorbani.fig2(table, methods=p.methods, k=p.k),
    ghorbani.fig8(table, methods=p.methods),
]
appendix = {tuple(run): attack_results.load(files, p.eps) for run, files in zip(p.appendix_runs, p.appendix_files)}
figs += [ghorbani.appendix_example(appendix, index=i, eps=p.eps, class_names=class_names)
         for i in p.appendix_images]
out = list(snakemake.output)
for i, fig in enumerate(figs):
    save(fig, out[2 * i], out[2 * i + 1])
