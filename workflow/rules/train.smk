# Stage 2: one model per (dataset, model, training regime, seed).


rule train:
    input:
        data="results/data/{dataset}.npz",
        lib=lib("models"),
        code=script_file("train"),
    output:
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        metrics="results/models/{dataset}/{model}/{regime}/seed{seed}/metrics.json",
    # shared between checkouts with --cache and SNAKEMAKE_OUTPUT_CACHE (README)
    cache: "omit-software"
    params:
        spec=lambda wc: cfg.model_spec(config, wc.model),
        device=config["device"],
    # one torch thread: on CPU the numbers must not depend on --cores (parallel reductions
    # change the last bits); jobs run side by side instead
    threads: 1
    log:
        "logs/train/{dataset}/{model}/{regime}/seed{seed}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/train.py"
