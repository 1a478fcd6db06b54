"""Alvarez-Melis & Jaakkola (2018), Fig. 8: Saliency at an image and at its Lipschitz maximiser."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import data, utils
from attrobust.plots import alvarez_melis, save

utils.log_to(snakemake.log[0])
p = snakemake.params
classes = data.load_prepared(snakemake.input.data)["class_names"]
fig = alvarez_melis.fig8(utils.load_npz(snakemake.input.chunk), row=p.row, point=p.point, method=p.method,
                         dataset=p.dataset, model=p.model, eps=p.eps, n_calls=p.n_calls,
                         estimator=p.estimator, class_names=classes)
save(fig, snakemake.output.pdf, snakemake.output.png)
