"""Robustness metrics of one eps of an attack's files: top-k intersection, Spearman, center shift, w-LENS-prec@k."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import attack_results, metrics, utils

utils.log_to(snakemake.log[0])
wc = snakemake.wildcards
r = attack_results.load(snakemake.input.attack, float(wc.eps))
a1, a2 = metrics.saliency_map(r["A"]), metrics.saliency_map(r["A_adv"])
table = pd.DataFrame({
    "image": range(len(a1)),
    "topk_intersection": metrics.topk_intersection(a1, a2, snakemake.params.k),
    "spearman": metrics.spearman(a1, a2),
    "center_shift": metrics.center_shift(a1, a2),
    "lens_prec": metrics.lens_prec(a1, a2, snakemake.params.k, snakemake.params.lens_w),
    "label_kept": r["label_kept"],  # False: no label-preserving perturbation, clean image kept
    "label_unchanged": r["probs_adv"].argmax(1) == r["label"],  # checked on the model's output
}).assign(dataset=wc.dataset, model=wc.model, method=wc.method, attack=wc.attack, eps=float(wc.eps))
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
