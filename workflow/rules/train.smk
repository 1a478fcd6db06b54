# Stage 2: one model per (dataset, model, training regime, seed).


rule train:
    input:
        data="results/data/{dataset}.npz",
        lib=lib("models"),
    output:
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        metrics="results/models/{dataset}/{model}/{regime}/seed{seed}/metrics.json",
    params:
        spec=lambda wc: cfg.model_spec(config, wc.model),
        device=config["device"],
    threads: 2
    log:
        "logs/train/{dataset}/{model}/{regime}/seed{seed}.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/train.py"
