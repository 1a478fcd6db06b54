# Stage 4b: local Lipschitz estimates of explainers (Alvarez-Melis & Jaakkola 2018, eq. 1).


# The params of a `lipschitz` or `lipschitz_pair` job but its randomness settings.
LIPSCHITZ_PARAMS = dict(
    method_params=lambda wc: config["methods"].get(wc.method, {}),
    chunk=lambda wc: int(wc.chunk),
    # the settings of the named budget in the path (rules/common.smk: lipschitz_budget)
    **budget_params(LIPSCHITZ_BUDGETS, ("chunk_size", "eps", "estimator", "noise_seeds", "protocol", "output")),
    n_calls=lipschitz_n_calls,
    n_background=config["explain"]["n_background"],
    seed=lambda wc: int(wc.seed),
)


# Alvarez-Melis & Jaakkola (2018), eq. (1), for a chunk of test points, at the named budget
# in the path (rules/common.smk: lipschitz_budget; alvarez_melis, alvarez_melis_images, ...),
# under one randomness setting (rules/lipschitz_pair.smk: both in one job where a budget's
# sections ask for both).
rule lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("../scripts/lipschitz.py"),
    output:
        "results/lipschitz/{budget}/{dataset}/{model}/{regime}/seed{seed}/{method}/{randomness}/chunk{chunk}.npz",
    wildcard_constraints:
        randomness="fresh|common",
    params:
        **LIPSCHITZ_PARAMS,
        randomness=lambda wc: [wc.randomness],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("lipschitz"),
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


# Alvarez-Melis & Jaakkola (2018), eq. (2) and Fig. 4: the discrete estimate over the
# explained test points (the `explain` rule's files), per method; methods, eps and class from
# the named budget in the path (rules/common.smk: discrete_budget; alvarez_melis_fig1, ...).
rule lipschitz_discrete:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data="results/data/{dataset}.npz",
        # every method of the budget, in one `explain` file
        explanations=lambda wc: (f"results/explain/{DISCRETE_EXPLAIN[wc.budget]}/{wc.dataset}/{wc.model}/"
                                 f"{wc.regime}/seed{wc.seed}.npz"),
        lib=lib("../scripts/lipschitz_discrete.py"),
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
