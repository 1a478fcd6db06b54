# Stage 4b: local Lipschitz estimates of explainers (Alvarez-Melis & Jaakkola 2018, eq. 1).


# Beyond Agarwal et al. (2021): the estimate for SmoothGrad and C-LIME against sigma.
rule unification_lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("unification", "explain", "lipschitz", "models"),
    output:
        "results/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}/sigma_sweep.csv",
    params:
        sweep=AGARWAL["lipschitz"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    log:
        "logs/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/unification_lipschitz.py"


# Alvarez-Melis & Jaakkola (2018), eq. (1), for a chunk of test points.
rule lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("lipschitz", "explain", "models"),
    output:
        "results/lipschitz/{dataset}/{model}/{regime}/seed{seed}/{method}/chunk{chunk}.npz",
    params:
        method_params=lambda wc: config["methods"].get(wc.method, {}),
        chunk=lambda wc: int(wc.chunk),
        chunk_size=ALVAREZ["chunk_size"],
        eps=ALVAREZ["eps"],
        n_calls=ALVAREZ["n_calls"],
        estimator=ALVAREZ["estimator"],
        noise_seeds=ALVAREZ["noise_seeds"],
        n_background=config["explain"]["n_background"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    log:
        "logs/lipschitz/{dataset}/{model}/{regime}/seed{seed}/{method}/chunk{chunk}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/lipschitz.py"


# One tidy table of the Fig. 2 estimates (one row per dataset x method x point).
rule lipschitz_table:
    input:
        unpack(alvarez_lipschitz),
        lib=lib("lipschitz"),
    output:
        "results/metrics/alvarez_melis/lipschitz_uci.csv",
    params:
        model=ALVAREZ["model"],
    log:
        "logs/lipschitz_table.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/lipschitz_table.py"
