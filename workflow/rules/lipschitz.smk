# Stage 4b: local Lipschitz estimates of explainers (Alvarez-Melis & Jaakkola 2018, eq. 1).


# Beyond Agarwal et al. (2021): the estimate for SmoothGrad and C-LIME against sigma.
rule unification_lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("unification_lipschitz.py"),
    output:
        "results/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}/sigma_sweep.csv",
    params:
        sweep=AGARWAL["lipschitz"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("unification_lipschitz"),
    log:
        "logs/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/unification_lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/unification_lipschitz.py"


# Alvarez-Melis & Jaakkola (2018), eq. (1), for a chunk of test points, at the named budget
# in the path (rules/common.smk: lipschitz_budget; alvarez_melis, alvarez_melis_images, ...).
rule lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("lipschitz.py"),
    output:
        "results/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{randomness}/chunk{chunk}.npz",
    wildcard_constraints:
        randomness="fresh|common",
    params:
        method_params=lambda wc: config["methods"].get(wc.method, {}),
        chunk=lambda wc: int(wc.chunk),
        # the settings of the named budget in the path (rules/common.smk: lipschitz_budget)
        **budget_params(LIPSCHITZ_BUDGETS, ("chunk_size", "eps", "estimator", "noise_seeds", "protocol", "output")),
        n_calls=lipschitz_n_calls,
        randomness=lambda wc: wc.randomness,
        n_background=config["explain"]["n_background"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("lipschitz"),
    log:
        "logs/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{randomness}/chunk{chunk}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{randomness}/chunk{chunk}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/lipschitz.py"


# One tidy table of the Fig. 2 estimates (one row per dataset x method x point).
rule lipschitz_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(alvarez_lipschitz),
        lib=lib("lipschitz_table.py"),
    output:
        "results/metrics/alvarez_melis/lipschitz_uci.csv",
    params:
        model=ALVAREZ["model"],
        output=None,  # scikit-learn models: class probabilities (or the regression output)
    log:
        "logs/lipschitz_table.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/lipschitz_table.py"


# The same for the image model (Fig. 6): one row per method x test image.
rule lipschitz_images_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(alvarez_images_lipschitz),
        lib=lib("lipschitz_table.py"),
    output:
        "results/metrics/alvarez_melis/lipschitz_images.csv",
    params:
        model=ALVAREZ_IMAGES["model"],
        output=ALVAREZ_IMAGES["output"],
    log:
        "logs/lipschitz_images_table.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/lipschitz_table.py"


# Alvarez-Melis & Jaakkola (2018), Fig. 5: the ratio of eq. (1) at Gaussian-noise versions of
# one test image (not adversarial), for every method of the image section.
rule noise_ratios:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("noise_ratios.py"),
    output:
        "results/lipschitz/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.npz",
    params:
        methods=ALVAREZ_IMAGES["methods"],
        method_params={m: config["methods"].get(m, {}) for m in ALVAREZ_IMAGES["methods"]},
        sigmas=ALVAREZ_IMAGES["sigmas"],
        example=ALVAREZ_IMAGES["example"],
        protocol=ALVAREZ_IMAGES["protocol"],
        output=ALVAREZ_IMAGES["output"],
        randomness=ALVAREZ_IMAGES["randomness"][0],  # Fig. 5 shows the section's first setting
        n_background=config["explain"]["n_background"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("noise_ratios"),
    log:
        "logs/lipschitz/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/noise_ratios/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/noise_ratios.py"


# Alvarez-Melis & Jaakkola (2018), eq. (2) and Fig. 4: the discrete estimate over the
# explained test points (the `explain` rule's files), per method; methods, eps and class from
# the named budget in the path (rules/common.smk: discrete_budget; alvarez_melis_fig1, ...).
rule lipschitz_discrete:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data="results/data/{dataset}.npz",
        explanations=lambda wc: [
            f"results/explain/{wc.dataset}/{wc.model}/{wc.regime}/seed{wc.seed}/{m}"
            f"{target_tag(DISCRETE_BUDGETS[wc.budget]['target'])}.npz"
            for m in DISCRETE_BUDGETS[wc.budget]["methods"]
        ],
        lib=lib("lipschitz_discrete.py"),
    output:
        "results/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/discrete.npz",
    params:
        methods=lambda wc: DISCRETE_BUDGETS[wc.budget]["methods"],
        eps=lambda wc: DISCRETE_BUDGETS[wc.budget]["eps"],
        target=lambda wc: DISCRETE_BUDGETS[wc.budget]["target"],  # None: the dataset's target
    log:
        "logs/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/discrete.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/lipschitz_discrete.py"


# Alvarez-Melis & Jaakkola (2018), Fig. 1 in numbers: eq. (2) per model x method x explained
# point, one tidy table for the claims ledger.
rule lipschitz_discrete_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(fig1_discrete),
        lib=lib("lipschitz_discrete_table.py"),
    output:
        "results/metrics/alvarez_melis/discrete_fig1.csv",
    params:
        dataset=ALVAREZ_FIG1["dataset"],
        models=ALVAREZ_FIG1["models"],
    log:
        "logs/lipschitz_discrete_table.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/lipschitz_discrete_table.py"
