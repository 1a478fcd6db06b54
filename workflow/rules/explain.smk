# Stage 3: attributions of one method for the first test points of a dataset.


rule explain:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("explain", "models"),
        code=script_file("explain"),
    output:
        "results/explain/{dataset}/{model}/{regime}/seed{seed}/{method}.npz",
    params:
        method_params=lambda wc: config["methods"].get(wc.method, {}),
        n_points=lambda wc: n_explain(wc.dataset),
        target=lambda wc: config["datasets"][wc.dataset]["target"],
        n_background=config["explain"]["n_background"],
        batch_size=config["explain"]["batch_size"],
        seed=lambda wc: int(wc.seed),
        device=config["device"],
    # one torch thread: on CPU the numbers must not depend on --cores (parallel reductions
    # change the last bits); jobs run side by side instead
    threads: 1
    log:
        "logs/explain/{dataset}/{model}/{regime}/seed{seed}/{method}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/explain.py"


# Agarwal et al. (2021): SmoothGrad vs C-LIME gap and robustness for each n, one sigma.
rule unification_curves:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("unification", "explain", "models"),
        code=script_file("unification_curves"),
    output:
        "results/metrics/agarwal/{dataset}/{model}/{regime}/seed{seed}/sigma{sigma}.csv",
    params:
        sigma=lambda wc: float(wc.sigma),
        ns=AGARWAL["ns"],
        n_points=AGARWAL["n_points"],
        n_neighbours=AGARWAL["n_neighbours"],
        neighbour_sigma=AGARWAL["neighbour_sigma"],
        ridge=AGARWAL["ridge"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    log:
        "logs/unification/{dataset}/{model}/{regime}/seed{seed}/sigma{sigma}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/unification_curves.py"
