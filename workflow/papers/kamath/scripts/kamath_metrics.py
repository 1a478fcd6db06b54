"""Every LENS number of Kamath et al. (2023) for the attack files of figures.kamath, tidy:
one row per (attack file, image, metric, w)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import attack_results, metrics, utils

utils.log_to(snakemake.log[0])
p = snakemake.params
frames = []
for files, run in zip(p.files, p.runs):
    r = attack_results.load(files, run["eps"])
    a1, a2 = metrics.saliency_map(r["A"]), metrics.saliency_map(r["A_adv"])
    values = {("topk_intersection", 0): metrics.topk_intersection(a1, a2, p.k),
              ("spearman", 0): metrics.spearman(a1, a2),
              ("topk_div_intersection", 0): metrics.lens_prec_div(a1, a2, p.k, 0, w_div=p.w_div)}
    for w in p.ws:
        for name in ("lens_prec", "lens_recall"):
            values[(name, w)] = metrics.compute(name, a1, a2, k=p.k, w=w)
            values[(f"{name}_div", w)] = metrics.compute(f"{name}_div", a1, a2, k=p.k, w=w, w_div=p.w_div)
        # chance level of the w-LENS numbers: the share of the image N_w(S_k) covers
        values[("coverage", w)] = metrics.lens_coverage(a1, p.k, w)
        if w > 0:
            values[("lens_spearman", w)] = metrics.lens_spearman(a1, a2, w)
            values[("lens_kendall", w)] = metrics.lens_kendall(a1, a2, w)
    for (name, w), v in values.items():
        frames.append(pd.DataFrame({"image": range(len(v)), "metric": name, "w": w, "value": v,
                                    "label_kept": r["label_kept"]}).assign(**run))
table = pd.concat(frames, ignore_index=True).assign(k=p.k, w_div=p.w_div)
with utils.atomic_path(snakemake.output[0]) as tmp:
    table.to_csv(tmp, index=False)
