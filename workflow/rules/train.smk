# Stage 2: one model per (dataset, model, training regime, seed).


rule train:
    input:
        data="results/data/{dataset}.npz",
        # the config's checks on the loaded sizes passed (rule check_data); ancient: a
        # rerun of the check alone reruns no model
        checked=ancient("results/data/{dataset}.checked.json"),
        # a pretrained torchvision network's weights (rule fetch_weights), else nothing
        weights=lambda wc: cfg.pretrained_weights(config, wc.model) or [],
        lib=lib("../scripts/train.py"),
    output:
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        metrics="results/models/{dataset}/{model}/{regime}/seed{seed}/metrics.json",
    # shared between checkouts with --cache and SNAKEMAKE_OUTPUT_CACHE (README)
    cache: CACHE_WITH_BENCHMARK
    params:
        spec=lambda wc: cfg.model_spec(config, wc.model),
        device=config["device"],
    # one torch thread: on CPU the numbers must not depend on --cores (parallel reductions
    # change the last bits); jobs run side by side instead
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("train"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("train"),
    log:
        "logs/train/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/train/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/train.py"


# Pretrained ImageNet weights of the torchvision architectures, into resources/torch (the
# workflow's TORCH_HOME) on the submitting node (`localrules`), from the user's torch cache
# or by download; the train job reads the file, so no compute job downloads anything.
rule fetch_weights:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        code=script_file("fetch_weights"),
        # config key standins.torchvision_weights: generated files are the only source
        standin=standin_weights_dir,
    output:
        "resources/torch/hub/checkpoints/{weights}",
    wildcard_constraints:
        weights="|".join(re.escape(f) for f in cfg.models.PRETRAINED.values()),
    params:
        arch=lambda wc: {f: a for a, f in cfg.models.PRETRAINED.items()}[wc.weights],
        base_url=config["download_base_url"],
        standin=lambda wc: standin_weights_dir(wc) or None,
    log:
        "logs/fetch_weights/{weights}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/fetch_weights.py"


# Randomly initialised state dicts under the real file names (config key
# standins.torchvision_weights: the rehearsal, docs/rehearsal.md).
rule standin_weights:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        lib=lib("../scripts/standin_weights.py"),
    output:
        directory("resources/standins/torch"),
    params:
        archs=sorted(set(cfg.torchvision_models(config).values())),
        seed=SEED,
    log:
        "logs/standin/torchvision_weights.log",
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/standin_weights.py"
