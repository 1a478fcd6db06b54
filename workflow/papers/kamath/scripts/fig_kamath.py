"""Kamath et al. (2023): Figs. 2-8, Appendix E.1 and Table 2 (CSV and Markdown)."""
import sys

sys.path.insert(0, f"{snakemake.scriptdir}/../../src")  # the repo's library, also in conda envs

import pandas as pd

from attrobust import attack_results, utils
from attrobust.plots import kamath, label, save

utils.log_to(snakemake.log[0])
p = snakemake.params
table = pd.read_csv(snakemake.input.table)
example = attack_results.load(p.example_files[0], p.budget)
models = [p.model, *p.robust_models]
base = dict(dataset=p.dataset, k=p.k)
makers = {
    "fig2_lens_vs_eps": lambda: kamath.fig2(table, model=p.model, methods=p.methods, attacks=p.attacks, w=p.w, **base),
    "fig3_topk_neighbourhoods": lambda: kamath.fig3(example, index=p.example, k=p.k),
    "fig4_datasets": lambda: kamath.fig4(table, datasets=p.datasets, model=p.model, budgets=p.budgets, k=p.k),
    "fig5_w": lambda: kamath.fig5(table, model=p.model, attacks=p.attacks, budget=p.budget, ws=p.ws,
                                  w_div=p.w_div, **base),
    "fig6_div_neighbourhoods": lambda: kamath.fig6(example, index=p.example, k=p.k, w_div=p.w_div),
    "fig7_robust_examples": lambda: kamath.fig7(
        {label(m).replace(", ", "\n") if label(m) != m else f"{kamath.REGIME_LABELS[r]}\n({m})": attack_results.load(f, p.budget)
         for r, m, f in zip(p.robust_regimes, p.robust_models, p.robust_files)},
        index=p.example, k=p.k),
    "fig8_training": lambda: kamath.fig8(table, models=models, budget=p.budget, **base),
    "figE1_lens_attack": lambda: kamath.fig_e1(table, model=p.model, budget=p.budget, **base),
}
out = list(snakemake.output)
for i, name in enumerate(p.figs):
    save(makers[name](), out[2 * i], out[2 * i + 1])
t2 = kamath.table2(table, models=models, methods=p.table_methods, budget=p.budget, w=p.w, **base)
with utils.atomic_path(snakemake.output.table_csv) as tmp:
    t2.to_csv(tmp, index=False)
t2_rows = kamath.select(table, dataset=p.dataset, model=models, method=list(p.table_methods),
                        attack="random_sign", eps=p.budget, w=p.w)
caption = (f"Table 2 (Kamath et al. 2023): mean over test images under the random sign attack, "
           f"eps = {p.budget:g}/255, k = {p.k}, top-k-div window w_div = {p.w_div}.")
if kamath.coverage_text(t2_rows):  # this run's chance level of the w-LENS columns
    caption += f" Chance level of {p.w}-LENS: {kamath.coverage_text(t2_rows)}."
with utils.atomic_path(snakemake.output.table_md) as tmp:
    tmp.write_text(kamath.table_markdown(t2, caption))
