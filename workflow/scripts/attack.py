"""Attack the saliency maps of a chunk of the first test images at every eps the sections ask
for (Ghorbani et al. 2019, Algorithm 1; one file per chunk: attrobust.attack_results)."""
import logging
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import torch

from attrobust import attack_results, attacks, explain, jobs, models

ds, device, model = jobs.model_job(snakemake)
p, wc = snakemake.params, snakemake.wildcards
start, stop = p.images  # this chunk of the first n_images test images
X = ds["X_test"][start:stop]

# Reference input of IG and DeepLIFT: the per-pixel mean training image (Appendix B).
method_params = attacks.method_params(wc.method, mean_image=ds["X_train"].mean(0), ig_steps=p.ig_steps)
extra = {"n_trials": p.random_trials} if "n_trials" in attacks.ATTACKS[wc.attack].defaults else {}
# IG of the softmax probability (the authors' released code) or of the logit (the text)
prob_ig = wc.method == "integrated_gradients" and p.ig_target == "probability"
attacked = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval() if prob_ig else model
# Evaluate with captum's (non-differentiable) maps of the original ReLU model; IG with the
# right Riemann sum the attack differentiates (Sec. 2.1), not captum's default quadrature.
name = explain.spec(wc.method).name  # simple_gradient: saliency
eval_params = {**method_params, **({"output": "prob"} if prob_ig else {}),
               **({"quadrature": "riemann_right"} if wc.method == "integrated_gradients" else {})}
per_eps = []
for eps in p.eps:
    # the same seed at every eps and in every chunk: each result is the one a job of that eps
    # on all images gives (random_sign seeds each image from its own bytes)
    res = attacks.attack(
        wc.attack, attacked, X, method=wc.method, eps=eps / 255, k=p.k, n_iter=p.n_iter,
        step=p.step / 255, seed=p.seed, softplus_beta=p.softplus_beta, **method_params, **extra,
    )
    if per_eps and not np.array_equal(res["label"], label):
        raise RuntimeError(f"the attacked labels differ between eps {p.eps[0]:g} and {eps:g}")
    label = res["label"]
    per_eps.append(dict(x_adv=res["x_adv"], label_kept=res["label_kept"], dissimilarity=res["dissimilarity"],
                        A_adv=explain.explain(name, model, res["x_adv"], label, device=device, **eval_params),
                        probs_adv=models.predict_proba(model, res["x_adv"])))
    logging.getLogger("attrobust.attack").info("eps %g/255: %d of %d images attacked", eps, res["label_kept"].sum(), len(X))
attack_results.save(
    snakemake.output[0], p.eps, per_eps, x=X, A=explain.explain(name, model, X, label, device=device, **eval_params),
    label=label, y=ds["y_test"][start:stop], probs=models.predict_proba(model, X),
    device=np.array(str(device)),  # for the report
)
