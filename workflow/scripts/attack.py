"""Attack the saliency maps of the first test images (Ghorbani et al. 2019, Algorithm 1)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import torch

from attrobust import attacks, explain, jobs, models, utils

ds, device, model = jobs.model_job(snakemake)
p, wc = snakemake.params, snakemake.wildcards
X = ds["X_test"][: p.n_images]

# Reference input of IG and DeepLIFT: the per-pixel mean training image (Appendix B).
method_params = attacks.method_params(wc.method, mean_image=ds["X_train"].mean(0), ig_steps=p.ig_steps)
extra = {"n_trials": p.random_trials} if "n_trials" in attacks.ATTACKS[wc.attack].defaults else {}
# IG of the softmax probability (the authors' released code) or of the logit (the text)
prob_ig = wc.method == "integrated_gradients" and p.ig_target == "probability"
attacked = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval() if prob_ig else model
res = attacks.attack(
    wc.attack, attacked, X, method=wc.method, eps=p.eps / 255, k=p.k, n_iter=p.n_iter,
    step=p.step / 255, seed=p.seed, softplus_beta=p.softplus_beta, **method_params, **extra,
)
# Evaluate with captum's (non-differentiable) maps of the original ReLU model; IG with the
# right Riemann sum the attack differentiates (Sec. 2.1), not captum's default quadrature.
name = explain.spec(wc.method).name  # simple_gradient: saliency
eval_params = {**method_params, **({"output": "prob"} if prob_ig else {}),
               **({"quadrature": "riemann_right"} if wc.method == "integrated_gradients" else {})}
A = explain.explain(name, model, X, res["label"], device=device, **eval_params)
A_adv = explain.explain(name, model, res["x_adv"], res["label"], device=device, **eval_params)
utils.save_npz(
    snakemake.output[0], x=X, x_adv=res["x_adv"], A=A, A_adv=A_adv, label=res["label"],
    label_kept=res["label_kept"], dissimilarity=res["dissimilarity"], y=ds["y_test"][: p.n_images],
    probs=models.predict_proba(model, X), probs_adv=models.predict_proba(model, res["x_adv"]),
    device=np.array(str(device)),  # for the report
)
