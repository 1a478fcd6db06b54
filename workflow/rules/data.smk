# Stage 1: raw files into resources/ (checksummed), then arrays + provenance.


rule download:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        # the script alone: raw files are checked by their SHA256, whatever the library
        code=script_file("download"),
        # config key standins: the generated files stand in for the mirror
        standin=standin_dir,
    output:
        # the raw files and their SHA256SUMS (written last); a directory, so that the
        # between-workflow cache holds the files themselves
        directory("resources/{dataset}"),
    # shared between checkouts with --cache and SNAKEMAKE_OUTPUT_CACHE (README)
    cache: "omit-software"
    params:
        mirror=mirror_dir,
        standin=lambda wc: wc.dataset in config["standins"],
        base_url=config["download_base_url"],
    log:
        "logs/download/{dataset}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/download.py"


rule standin:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    """Generated raw files of the real format for a download (config key `standins`)."""
    input:
        lib=lib("../scripts/standin.py"),
    output:
        directory("resources/standins/{dataset}"),
    params:
        size=lambda wc: config["standins"][wc.dataset] or {},
        seed=SEED,
    log:
        "logs/standin/{dataset}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/standin.py"


rule prepare:
    input:
        raw=raw_dir,
        lib=lib("../scripts/prepare.py"),
    output:
        npz="results/data/{dataset}.npz",
        json="results/data/{dataset}.json",
    # shared between checkouts with --cache and SNAKEMAKE_OUTPUT_CACHE (README)
    cache: CACHE_WITH_BENCHMARK
    params:
        source=lambda wc: source(wc.dataset),
        load=lambda wc: dataset_params(wc.dataset),
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("prepare"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("prepare"),
    log:
        "logs/prepare/{dataset}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/prepare/{dataset}.tsv"
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/prepare.py"


# The config's checks with the sizes as loaded (config.check_loaded), apart from `prepare` so
# that an edit of attrobust.config, which the check imports, reruns this quick check and not
# the data and everything downstream; train reads the flag as `ancient`, so a rerun check that
# passes reruns no model.
rule check_data:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        npz="results/data/{dataset}.npz",
        # The script only, not the library it imports (attrobust.config and, through it, most of
        # the library): train reads this job's flag as `ancient`, and Snakemake (9.27, dag.py)
        # does not re-examine the dependents of a job it reruns, then skips them along
        # all-ancient edges. Had a module both this check and, say, the explain jobs import
        # made this job rerun, the explain jobs would have been skipped in that run. The check
        # gates the run and changes no result; after editing it, `--forcerun check_data`.
        code=script_file("check_data"),
    output:
        "results/data/{dataset}.checked.json",
    log:
        "logs/check_data/{dataset}.log",
    conda:
        "../../envs/data.yaml"
    script:
        "../scripts/check_data.py"
