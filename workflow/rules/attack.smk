# Stage 4a: attacks on explanations (Ghorbani et al. 2019), then robustness metrics. One
# `attack` job per chunk of images runs every eps; `attack_metrics` writes one table per eps.


rule attack:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("../scripts/attack.py"),
    output:
        "results/attacks/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/chunk{chunk}.npz",
    params:
        # every eps a section asks for, and this chunk's images (rules/common.smk: ATTACK_EPS)
        eps=lambda wc: sorted(ATTACK_EPS[attack_key(wc)]),
        images=attack_images,
        # the settings of the named budget in the path (rules/common.smk: attack_budget)
        **budget_params(ATTACK_BUDGETS, ATTACK_KEYS),
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("attack"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("attack"),
    log:
        "logs/attack/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/chunk{chunk}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/attack/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/chunk{chunk}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/attack.py"


rule attack_metrics:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        # every chunk of images of this (method, attack); the file holds all its eps
        attack=lambda wc: attack_results(attack_key(wc)),
        lib=lib("../scripts/attack_metrics.py"),
    output:
        "results/metrics/attacks/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.csv",
    params:
        **budget_params(ATTACK_BUDGETS, ("k", *ATTACK_METRIC_KEYS)),
    log:
        "logs/attack_metrics/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/attack_metrics.py"
