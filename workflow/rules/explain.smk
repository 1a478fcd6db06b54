# Stage 3: attributions of one method for the first test points of a dataset.


# `{method}.npz` explains the dataset's `target`; `{method}.target<class>.npz` a class a
# section fixes (figures.alvarez_melis_discrete.target: eq. (2) compares one quantity).
rule explain:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("../scripts/explain.py"),
    output:
        "results/explain/{dataset}/{model}/{regime}/seed{seed}/{method}{target}.npz",
    wildcard_constraints:
        method=r"[A-Za-z0-9_]+",
        target=r"(\.target(\d+|predicted))?",
    params:
        method_params=lambda wc: config["methods"].get(wc.method, {}),
        n_points=lambda wc: n_explain(wc.dataset),
        target=lambda wc: explain_target(wc),
        n_background=config["explain"]["n_background"],
        batch_size=config["explain"]["batch_size"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    # one torch thread: on CPU the numbers must not depend on --cores (parallel reductions
    # change the last bits); jobs run side by side instead
    threads: 1
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("explain"),
    log:
        "logs/explain/{dataset}/{model}/{regime}/seed{seed}/{method}{target}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/explain/{dataset}/{model}/{regime}/seed{seed}/{method}{target}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/explain.py"
