include: "common.smk"


AGARWAL_FIGS = {  # file name: what it shows (the report's label)
    "fig1_simulated": "Fig. 1: the simulated data",
    "fig2_equivalence": "Fig. 2: ||SmoothGrad - C-LIME|| against n",
    "fig3_robustness": "Fig. 3: average maximum distance to neighbours' explanations against n",
    "fig4_sigma": "Fig. 4: Figs. 2 and 3 for several sigma",
    "fig5_undertrained": "Fig. 5: Figs. 2 and 3, well-trained vs under-trained model",
    "beyond_lipschitz_sigma": "Beyond: local Lipschitz estimate against sigma (theory: slope -1)",
}


rule fig_agarwal:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        simulated=f"results/data/{AGARWAL['simulated']}.npz",
        curves=agarwal_curves(),
        lipschitz=agarwal_lipschitz(),
        models=[  # Fig. 5's accuracies: the focus dataset's well- and under-trained model
            f"{model_dir(AGARWAL['focus'], m)}/metrics.json" for m in (AGARWAL["model"], AGARWAL["undertrained"])
        ],
        lib=lib("scripts/fig_agarwal.py"),
    output:
        [
            report(
                f"figures/agarwal/{fig}{ext}",
                caption=f"report/agarwal/{fig}.rst",  # one caption per figure
                category="Agarwal et al. (2021)",
                labels=report_labels(name),
            )
            for fig, name in AGARWAL_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        datasets=AGARWAL["datasets"],
        focus=AGARWAL["focus"],
        model=AGARWAL["model"],
        undertrained=AGARWAL["undertrained"],
        sigma=AGARWAL["sigma"],
        sigmas=AGARWAL["sigmas"],
    log:
        "logs/figures/agarwal.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_agarwal.py"


claims_read("agarwal", {"agarwal": agarwal_curves(), "agarwal_lipschitz": [agarwal_lipschitz()]},
            {k: AGARWAL[k] for k in ("model", "undertrained", "sigma", "focus")})


# Agarwal et al. (2021): SmoothGrad vs C-LIME gap and robustness for each n, one sigma.
rule unification_curves:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("scripts/unification_curves.py"),
    output:
        "results/metrics/agarwal/{dataset}/{model}/{regime}/seed{seed}/curves.csv",
    params:
        # one job per (dataset, model) computes each of its sigmas (a job per sigma was 12 of
        # 5-10 s, ~1.5 s of them start-up: #20); a new sigma reruns the model's job
        sigmas=lambda wc: agarwal_sigmas(wc.model),
        ns=AGARWAL["ns"],
        n_points=AGARWAL["n_points"],
        n_neighbours=AGARWAL["n_neighbours"],
        neighbour_sigma=AGARWAL["neighbour_sigma"],
        ridge=AGARWAL["ridge"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("unification_curves"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("unification_curves"),
    log:
        # under the rule's name: make bench-table tells it from the run's train log
        "logs/unification_curves/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/unification_curves/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/unification_curves.py"


# Beyond Agarwal et al. (2021): the estimate for SmoothGrad and C-LIME against sigma.
rule unification_lipschitz:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("scripts/unification_lipschitz.py"),
    output:
        "results/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}/sigma_sweep.csv",
    params:
        sweep=AGARWAL["lipschitz"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("unification_lipschitz"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("unification_lipschitz"),
    log:
        "logs/lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/unification_lipschitz/agarwal/{dataset}/{model}/{regime}/seed{seed}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/unification_lipschitz.py"
