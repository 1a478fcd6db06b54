"""Alvarez-Melis & Jaakkola (2018), Fig. 5: explanations of one test image and of Gaussian-noise
versions of it, and the ratio ||f(x) - f(x')|| / ||x - x'|| per method."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import torch

from attrobust import explain, jobs, lipschitz, models, utils

ds, _, model = jobs.model_job(snakemake)  # on the CPU: the rule has no device
p = snakemake.params
x = ds["X_test"][p.example]
target = int(explain.resolve_target("predicted", None, models.predict_proba(model, x[None]))[0])
data_range = np.concatenate([ds["X_train"], ds["X_test"]])  # x' stays in the data range, as in eq. (1)
A, ratio, x_noisy = [], [], None
for method in p.methods:
    # the explainers of the lipschitz jobs: the same protocol settings and background rows
    params = lipschitz.protocol_params(
        p.protocol, method, p.method_params[method], torch_model=isinstance(model, torch.nn.Module),
        X_train=ds["X_train"], n_background=p.n_background, seed=p.seed, output=p.output,
    )
    # fresh: f(x) and every noisy version get their own draw (one generator, seeded once)
    f = lipschitz.explainer(method, model, target=target, seed=p.seed, shape=x.shape,
                            randomness=p.randomness, **params)
    res = lipschitz.noise_ratios(f, x, p.sigmas, seed=p.seed, lower=data_range.min(0), upper=data_range.max(0))
    x_noisy = res["x_noisy"]  # one noise draw (the seed's) for every method
    A.append(np.concatenate([res["f_x"].reshape((1,) + x.shape), res["f_noisy"].reshape((-1,) + x.shape)]))
    ratio.append(res["ratio"])
utils.save_npz(
    snakemake.output[0], methods=np.array(p.methods), x=x, x_noisy=x_noisy, sigmas=np.array(p.sigmas, float),
    probs=models.predict_proba(model, np.concatenate([x[None], x_noisy])), target=np.array(target),
    example=np.array(p.example), A=np.stack(A).astype(np.float32), ratio=np.stack(ratio),
    randomness=np.array(p.randomness), output=np.array(str(p.output)),
)
