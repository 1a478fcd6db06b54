"""Influence functions of a binary last layer and the attack of eq. (2) against random sign
perturbation (Ghorbani et al. 2019, Figs. 3, 4, 10, 11b)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import numpy as np
import pandas as pd

from attrobust import influence, jobs, metrics, models, utils

ds, device, model = jobs.model_job(snakemake)
p = snakemake.params
utils.seed_everything(p.seed)
X_train, y_train, train_index = influence.binary_subset(ds["X_train"], ds["y_train"], p.classes)
X_test, y_test, test_index = influence.binary_subset(ds["X_test"], ds["y_test"], p.classes)
X, y, test_index = X_test[: p.n_images], y_test[: p.n_images], test_index[: p.n_images]
last = influence.LastLayer.fit(model, X_train, y_train, l2=p.l2, score=p.score)
print(f"last layer on {len(X_train)} training points, test accuracy {last.accuracy(X_test, y_test):.3f}")
grad_model = models.softplus(model, p.softplus_beta).eval() if p.softplus_beta else model

S0 = last.scores(X, y)
X_adv = np.empty((2, len(p.eps)) + X.shape, dtype=np.float32)
S_adv = np.empty((2, len(p.eps)) + S0.shape)
kept = np.empty((2, len(p.eps), len(X)), dtype=bool)
rows = []
for j, eps in enumerate(p.eps):
    step = None if p.step is None else p.step / 255
    res = {
        "targeted": influence.attack(last, X, y, eps=eps / 255, n_top=p.n_top, n_iter=p.n_iter, step=step,
                                     grad_model=grad_model),
        "random_sign": influence.random_sign(last, X, y, eps=eps / 255, seed=p.seed, n_trials=p.random_trials),
    }
    for a, (name, r) in enumerate(res.items()):
        X_adv[a, j], kept[a, j] = r["x_adv"], r["label_kept"]
        S_adv[a, j] = S = last.scores(r["x_adv"], y)
        top = influence.top(S0, p.n_top)
        rows.append(pd.DataFrame({
            "attack": name, "eps": float(eps), "image": np.arange(len(X)),
            "spearman": metrics.spearman(S0, S),
            "topk_overlap": metrics.topk_intersection(S0, S, p.k),
            # every influence is scaled by this factor through sigma - y (influence.loss_factor)
            "loss_factor": influence.loss_factor(last, X, r["x_adv"], y),
            "top_before": np.take_along_axis(S0, top, 1).sum(1),
            "top_after": np.take_along_axis(S, top, 1).sum(1),
            "label_kept": r["label_kept"],
            "label_unchanged": last.predict(r["x_adv"]) == last.predict(X),
        }))
table = pd.concat(rows, ignore_index=True).assign(dataset=snakemake.wildcards.dataset,
                                                  model=snakemake.wildcards.model)
terms = influence.loss_influence_terms(last, X, y, grad_model=grad_model)  # Fig. 11b
angles = terms["angle"]
utils.save_npz(
    snakemake.output.npz, x=X, y=y, test_index=test_index, train_index=train_index, y_train=y_train,
    scores=S0, x_adv=X_adv, scores_adv=S_adv, label_kept=kept, attacks=np.array(["targeted", "random_sign"]),
    eps=np.asarray(p.eps, dtype=float), classes=np.asarray(p.classes), angles_loss_influence=angles, confidence_ratio=terms["confidence_ratio"],
    accuracy=last.accuracy(X_test, y_test), device=np.array(str(device)),
)
with utils.atomic_path(snakemake.output.csv) as tmp:
    table.to_csv(tmp, index=False)
with utils.atomic_path(snakemake.output.angles) as tmp:
    pd.DataFrame({"panel": "influence", "image": np.arange(len(X)), "angle": angles,
                  "confidence_ratio": terms["confidence_ratio"]}).to_csv(tmp, index=False)
