"""Train one model and write its checkpoint and metrics."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

from attrobust import data, jobs, models, utils

spec = snakemake.params.spec
# a scikit-learn model's job never imports torch (~0.8 s)
jobs.start(snakemake, uses_torch=models.ARCHS[spec["arch"]].kind != "sklearn")
seed = int(snakemake.wildcards.seed)
ds = data.load_prepared(snakemake.input.data)
hp = dict(spec["hp"])
if getattr(snakemake.input, "weights", None):  # a pretrained torchvision network: the fetched file, no download
    hp["pretrained"] = str(snakemake.input.weights)
model = models.build(spec["arch"], ds["input_shape"], ds["n_classes"], task=ds["task"], seed=seed, **hp)
metrics = models.train(
    model, ds, regime=snakemake.wildcards.regime, seed=seed, device=snakemake.params.device,
    **spec.get("regime_params", {}),
)
models.save(model, snakemake.output.model, model.attrobust_spec)
utils.save_json(snakemake.output.metrics, metrics)
