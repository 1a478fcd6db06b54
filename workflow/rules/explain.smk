# Stage 3: attributions of the methods of a named budget for the first test points of a dataset.


# One job per (budget, run) explains every method the budget lists (rules/common.smk:
# explain_budget), for its class (None: the dataset's `target`), into one file.
rule explain:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("../scripts/explain.py"),
    output:
        "results/explain/{budget}/{dataset}/{model}/{regime}/seed{seed}.npz",
    params:
        **budget_params(EXPLAIN_BUDGETS, ("methods",)),
        method_params=lambda wc: method_params(EXPLAIN_BUDGETS[wc.budget]["methods"]),
        n_points=lambda wc: n_explain(wc.dataset),
        target=explain_target,
        n_background=config["explain"]["n_background"],
        batch_size=config["explain"]["batch_size"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    # one torch thread: on CPU the numbers must not depend on --cores (parallel reductions
    # change the last bits); jobs run side by side instead
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("explain"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("explain"),
    log:
        "logs/explain/{budget}/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/explain/{budget}/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/explain.py"
