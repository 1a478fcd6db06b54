# Kamath et al. (2023), "Rethinking Robustness of Model Attributions" (LENS): Figs. 2-8,
# Table 2 and the LENS-objective attack (Appendix E.1). The attacks are the `attack` rule's
# (rules/attack.smk) at figures.ghorbani's settings (budget "ghorbani", files shared with the
# Ghorbani figures) or, with a top-t `t` of its own, at budget "kamath"; one `kamath_metrics` job computes every LENS
# number of every attack file (cheap: a few dozen 8x8 maps) and one figure job draws everything from that table.

from attrobust.papers import kamath as kamath_paper

KAMATH = config["figures"]["kamath"]
# Fig. 4's budget per dataset (0-255 units): `budgets.<dataset>`, else `budget`
KAMATH_BUDGETS = kamath_paper.dataset_budgets(KAMATH)
KAMATH_MODELS = [KAMATH["model"], *KAMATH["robust_models"]]
# every (dataset, model, method, attack, eps) the figures read
KAMATH_RUNS = kamath_paper.attack_runs(KAMATH)
# The attacks ask for figures.ghorbani's settings with the top-t set `t` where set: budget
# "kamath", or "ghorbani" (the same attack files as the Ghorbani figures) when that changes nothing.
KAMATH_BUDGET = attack_budget("kamath", {**GHORBANI, **({"k": KAMATH["t"]} if KAMATH["t"] is not None else {})})
# Figs. 3 and 6: IG under the top-k attack at `budget`; Fig. 7: the same on each robust model
KAMATH_EXAMPLE = [(KAMATH["dataset"], KAMATH["model"], "integrated_gradients", "topk", KAMATH["budget"])]
KAMATH_ROBUST = [(KAMATH["dataset"], m, "integrated_gradients", "topk", KAMATH["budget"]) for m in KAMATH["robust_models"]]
# What the claims ledger reads (rules/common.smk: claims_read)
claims_read("kamath", {"kamath": ["results/metrics/kamath/lens.csv"]},
            {k: KAMATH[k] for k in ("dataset", "model", "robust_models", "budget", "ws")})


rule kamath_metrics:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        attacks=attack_inputs(KAMATH_BUDGET, KAMATH_RUNS),
        lib=lib("scripts/kamath_metrics.py"),
    output:
        "results/metrics/kamath/lens.csv",
    params:
        runs=[
            dict(zip(("dataset", "model", "method", "attack", "eps"), r), regime=cfg.model_spec(config, r[1])["regime"])
            for r in KAMATH_RUNS
        ],
        files=attack_run_files(KAMATH_BUDGET, KAMATH_RUNS),
        k=KAMATH["k"],
        ws=sorted({0, 1, KAMATH["w"], *KAMATH["ws"]}),
        w_div=KAMATH["w_div"],
    log:
        "logs/kamath/metrics.log",
    conda:
        "../../../envs/data.yaml"
    script:
        "scripts/kamath_metrics.py"


KAMATH_FIGS = {  # file name: what it shows (the report's label)
    "fig2_lens_vs_eps": "Fig. 2: top-k intersection, w-LENS-recall@k and -div against eps",
    "fig3_topk_neighbourhoods": "Fig. 3: an image, its top-k pixels and their 1-/2-neighbourhoods before/after the top-k attack",
    "fig4_datasets": "Fig. 4: top-k intersection, 1-LENS-prec@k and 1-LENS-recall@k per dataset",
    "fig5_w": "Fig. 5: w-LENS-prec@k and w-LENS-prec@k-div against w per attack",
    "fig6_div_neighbourhoods": "Fig. 6: Fig. 3 with the top-k diverse pixels",
    "fig7_robust_examples": "Fig. 7: IG before/after the top-k attack on the PGD- and IG-SUM-NORM-trained models",
    "fig8_training": "Fig. 8: natural vs PGD vs IG-SUM-NORM training under the top-k attack",
    "figE1_lens_attack": "Appendix E.1: the top-k attack with the LENS objective against the top-k attack",
}

KAMATH_SHOWN = [f for f in KAMATH_FIGS
                if (f != "figE1_lens_attack" or KAMATH["lens_attack"])
                and (f != "fig7_robust_examples" or KAMATH["robust_models"])]


rule fig_kamath:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        table="results/metrics/kamath/lens.csv",
        example=attack_inputs(KAMATH_BUDGET, KAMATH_EXAMPLE),
        models=[f"{model_dir(KAMATH['dataset'], m)}/metrics.json" for m in KAMATH_MODELS],
        robust_examples=attack_inputs(KAMATH_BUDGET, KAMATH_ROBUST),
        lib=lib("scripts/fig_kamath.py"),
    output:
        [
            report(
                f"figures/kamath/{fig}{ext}",
                caption=f"report/kamath/{fig}.rst",  # one caption per figure
                category="Kamath et al. (2023)",
                labels=report_labels(name),
            )
            for fig, name in KAMATH_FIGS.items()
            if fig in KAMATH_SHOWN
            for ext in (".pdf", ".png")
        ],
        table_csv="figures/kamath/table2.csv",
        table_md=report(
            "figures/kamath/table2.md",
            caption="report/kamath/table2.rst",
            category="Kamath et al. (2023)",
            labels=report_labels("Table 2: natural vs robust training, random sign attack"),
        ),
    params:
        figs=KAMATH_SHOWN,
        robust_regimes=[cfg.model_spec(config, m)["regime"] for m in KAMATH["robust_models"]],
        dataset=KAMATH["dataset"],
        model=KAMATH["model"],
        robust_models=KAMATH["robust_models"],
        methods=KAMATH["methods"],
        table_methods=KAMATH["table_methods"],
        attacks=KAMATH["attacks"],
        datasets=KAMATH["datasets"],
        budgets=KAMATH_BUDGETS,
        budget=KAMATH["budget"],
        k=KAMATH["k"],
        w=KAMATH["w"],
        w_div=KAMATH["w_div"],
        ws=KAMATH["ws"],
        lens_attack=KAMATH["lens_attack"],
        example=KAMATH["example"],
        example_files=attack_run_files(KAMATH_BUDGET, KAMATH_EXAMPLE),
        robust_files=attack_run_files(KAMATH_BUDGET, KAMATH_ROBUST),
    log:
        "logs/figures/kamath.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_kamath.py"
