# Stage 4b: local Lipschitz estimates of explainers (Alvarez-Melis & Jaakkola 2018, eq. 1).


# Beyond Agarwal et al. (2021): the estimate for SmoothGrad and C-LIME against sigma.
rule unification_lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("unification", "lipschitz", "models"),
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
