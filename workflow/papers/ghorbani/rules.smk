include: "common.smk"


GHORBANI_FIGS = {
    "fig1_example": "Fig. 1: an image, its saliency maps and the center-attacked version",
    "fig2_topk_spearman": "Fig. 2: top-k intersection and Spearman correlation against eps",
    "fig8_center_shift": "Fig. 8: center-of-mass shift against eps",
    # Appendix C: three more test images (after `example`), every method under every attack
    "fig5_appendix_example": "Fig. 5: a second image, every method under every attack",
    "fig6_appendix_example": "Fig. 6: a third image, every method under every attack",
    "fig7_appendix_example": "Fig. 7: a fourth image, every method under every attack",
}


# Figs. 1, 2, 5-8 ask the `attack` stage for figures.ghorbani's settings, as budget "ghorbani".
GHORBANI_BUDGET = attack_budget("ghorbani", GHORBANI)
# Fig. 1: every method under the center attack; Figs. 5-7: every (method, attack); both at the largest eps
GHORBANI_EXAMPLES = [(GHORBANI["dataset"], GHORBANI["model"], m, "mass_center", max(GHORBANI["eps"]))
                     for m in GHORBANI["methods"]]
GHORBANI_APPENDIX = [(GHORBANI["dataset"], GHORBANI["model"], m, a, max(GHORBANI["eps"]))
                     for m in GHORBANI["methods"] for a in GHORBANI["attacks"]]
claims_read("ghorbani", {"ghorbani": ghorbani_results()})


rule fig_ghorbani:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{GHORBANI['dataset']}.npz",
        metrics=ghorbani_results(),
        examples=attack_inputs(GHORBANI_BUDGET, GHORBANI_EXAMPLES),
        appendix=attack_inputs(GHORBANI_BUDGET, GHORBANI_APPENDIX),
        lib=lib("scripts/fig_ghorbani.py"),
    output:
        [
            report(
                f"figures/ghorbani/{fig}{ext}",
                caption=f"report/ghorbani/{fig}.rst",  # one caption per figure
                category="Ghorbani et al. (2019)",
                labels=report_labels(name),
            )
            for fig, name in GHORBANI_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        methods=GHORBANI["methods"],
        k=GHORBANI["k"],
        example=GHORBANI["example"],
        appendix_runs=[(m, a) for m in GHORBANI["methods"] for a in GHORBANI["attacks"]],
        example_files=attack_run_files(GHORBANI_BUDGET, GHORBANI_EXAMPLES),
        appendix_files=attack_run_files(GHORBANI_BUDGET, GHORBANI_APPENDIX),
        appendix_images=[(GHORBANI["example"] + i) % GHORBANI["n_images"] for i in (1, 2, 3)],
        eps=max(GHORBANI["eps"]),
    log:
        "logs/figures/ghorbani.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_ghorbani.py"


# Ghorbani, Abid & Zou (2019): influence functions and their gradient-sign attack (eq. 1-2,
# Figs. 3, 4, 10), the Hessian analysis (Appendix F, Fig. 11), and Fig. 9 (Fig. 2 for a
# second dataset or architecture, through the `attack` and `attack_metrics` rules).

rule influence:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("scripts/influence.py"),
    output:
        npz="results/influence/{dataset}/{model}/{regime}/seed{seed}/influence.npz",
        csv="results/metrics/ghorbani_influence/{dataset}/{model}/{regime}/seed{seed}/influence.csv",
        angles="results/metrics/ghorbani_influence/{dataset}/{model}/{regime}/seed{seed}/influence_angles.csv",
    params:
        classes=INFLUENCE["classes"],
        l2=INFLUENCE["l2"],
        score=INFLUENCE["score"],
        eps=INFLUENCE["eps"],
        n_iter=INFLUENCE["n_iter"],
        step=INFLUENCE["step"],
        n_top=INFLUENCE["n_top"],
        k=INFLUENCE["k"],
        n_images=INFLUENCE["n_images"],
        random_trials=INFLUENCE["random_trials"],
        softplus_beta=INFLUENCE["softplus_beta"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("influence"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("influence"),
    log:
        "logs/influence/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/influence/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/influence.py"


rule hessian_angles:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("scripts/hessian_angles.py"),
    output:
        npz="results/curvature/{dataset}/{model}/{regime}/seed{seed}/hessian_angles.npz",
        csv="results/metrics/ghorbani_influence/{dataset}/{model}/{regime}/seed{seed}/hessian_angles.csv",
    params:
        n_images=INFLUENCE["hessian"]["n_images"],
        n_iter=INFLUENCE["hessian"]["n_iter"],
        softplus_beta=INFLUENCE["hessian"]["softplus_beta"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("hessian_angles"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("hessian_angles"),
    log:
        "logs/hessian_angles/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/hessian_angles/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/hessian_angles.py"


INFLUENCE_FIGS = {
    "fig3_influence": "Fig. 3: a test image's most influential training images before and after the attack",
    "fig4_influence_random_vs_targeted": "Fig. 4: Spearman correlation and top-k overlap of influences, random vs targeted",
    "fig10_influence_examples": "Fig. 10: influences of all training images before and after the attack",
    "fig11_hessian_angles": "Fig. 11: angles between the prediction's and the interpretation's steepest directions",
}


rule fig_ghorbani_influence:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{INFLUENCE['dataset']}.npz",
        influence=f"results/influence/{influence_run()}/influence.npz",
        table=influence_table(),
        hessian=f"results/curvature/{influence_run()}/hessian_angles.npz",
        lib=lib("scripts/fig_ghorbani_influence.py"),
    output:
        [
            report(
                f"figures/ghorbani/{fig}{ext}",
                caption=f"report/ghorbani_influence/{fig}.rst",  # one caption per figure
                category="Ghorbani et al. (2019)",
                labels=report_labels(name),
            )
            for fig, name in INFLUENCE_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        k=INFLUENCE["k"],
        n_top=INFLUENCE["n_top"],
        n_show=INFLUENCE["n_show"],
    log:
        "logs/figures/ghorbani_influence.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_ghorbani_influence.py"


GHORBANI_FIG9 = config["figures"]["ghorbani_fig9"]
# Fig. 9 asks for figures.ghorbani's settings with its own n_images and n_iter where set:
# budget "ghorbani_fig9", or "ghorbani" (shared jobs) when that changes nothing.
FIG9_BUDGET = attack_budget("ghorbani_fig9", {
    **GHORBANI, **{k: GHORBANI_FIG9[k] for k in ("n_images", "n_iter") if GHORBANI_FIG9[k] is not None}})
# What the claims ledger reads of Ghorbani et al.'s Figs. 3, 4, 9-11 (rules/common.smk: claims_read)
claims_read("ghorbani_fig9", {"ghorbani_fig9": fig9_results()})
claims_read("ghorbani_influence",
            {"ghorbani_influence": [influence_table()],
             "ghorbani_angles": [f"results/metrics/ghorbani_influence/{influence_run()}/{t}_angles.csv"
                                 for t in ("hessian", "influence")]},
            {k: INFLUENCE[k] for k in ("k", "eps")})


rule fig_ghorbani_fig9:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        metrics=fig9_results(),
        lib=lib("scripts/fig_ghorbani_fig9.py"),
    output:
        pdf="figures/ghorbani/fig9_topk_spearman_second.pdf",
        png=report(
            "figures/ghorbani/fig9_topk_spearman_second.png",
            caption="report/ghorbani_fig9.rst",
            category="Ghorbani et al. (2019)",
            labels=report_labels("Fig. 9: Fig. 2 on a second dataset or architecture"),
        ),
    params:
        methods=GHORBANI_FIG9["methods"],
        k=GHORBANI["k"],
        dataset=GHORBANI_FIG9["dataset"],
        model=GHORBANI_FIG9["model"],
    log:
        "logs/figures/ghorbani_fig9.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_ghorbani_fig9.py"
