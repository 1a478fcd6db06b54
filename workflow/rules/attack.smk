# Stage 4a: attacks on explanations (Ghorbani et al. 2019), then robustness metrics.


rule attack:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("attack.py"),
    output:
        "results/attacks/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.npz",
    params:
        eps=lambda wc: float(wc.eps),
        step=GHORBANI["step"],
        n_iter=lambda wc: ghorbani_settings(wc)["n_iter"],  # Fig. 9 may set its own
        k=lambda wc: ghorbani_settings(wc)["k"],  # Kamath's pairs may set their own top-t
        n_images=lambda wc: ghorbani_settings(wc)["n_images"],  # Fig. 9 may set its own
        ig_steps=GHORBANI["ig_steps"],
        softplus_beta=GHORBANI["softplus_beta"],
        random_trials=GHORBANI["random_trials"],
        ig_target=GHORBANI["ig_target"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    threads: 1
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("attack"),
    log:
        "logs/attack/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/attack/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/attack.py"


rule attack_metrics:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        attack="results/attacks/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.npz",
        lib=lib("attack_metrics.py"),
    output:
        "results/metrics/ghorbani/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.csv",
    params:
        k=GHORBANI["k"],
        lens_w=GHORBANI["lens_w"],
    log:
        "logs/attack_metrics/{dataset}/{model}/{regime}/seed{seed}/{method}/{attack}/eps{eps}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/attack_metrics.py"
