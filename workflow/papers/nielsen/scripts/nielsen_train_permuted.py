"""Data randomisation (Adebayo et al. 2018, Sec. 3.2): the model trained on permuted labels."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import torch

from attrobust import data, models, sanity, utils

utils.log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
spec = snakemake.params.spec
seed = int(snakemake.wildcards.seed)
ds = data.load_prepared(snakemake.input.data)
n = snakemake.params.n_train or len(ds["y_train"])  # figures.nielsen_sanity.permuted_n_train
ds["X_train"], ds["y_train"] = ds["X_train"][:n], sanity.permute_labels(ds["y_train"][:n], seed)
model = models.build(
    spec["arch"], ds["input_shape"], ds["n_classes"], task=ds["task"], seed=seed,
    **{**spec["hp"], **snakemake.params.hp},
)
metrics = models.train(model, ds, seed=seed, device=snakemake.params.device)
metrics["labels"] = "permuted (train accuracy: on the permuted labels)"
metrics["n_train"] = int(n)
models.save(model, snakemake.output.model, model.attrobust_spec)
utils.save_json(snakemake.output.metrics, metrics)
