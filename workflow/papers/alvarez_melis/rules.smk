include: "common.smk"


FIG1 = config["figures"]["alvarez_melis_fig1"]


# The Lipschitz budgets Alvarez-Melis & Jaakkola's sections ask for (rules/common.smk:
# lipschitz_budget, discrete_budget): Figs. 2-3's, Figs. 5-7's, and Fig. 8's own (one image
# per chunk) unless Fig. 8 shares the image section's dataset and model: then it reads that
# section's estimates (attrobust.config.check: their settings must agree). Figs. 1 and 4: eq. (2).
ALVAREZ_BUDGET = lipschitz_budget("alvarez_melis", ALVAREZ)
IMAGES_BUDGET = lipschitz_budget("alvarez_melis_images", ALVAREZ_IMAGES)
FIG8_SHARES_IMAGES = "alvarez_melis_images" in FIGS and (ALVAREZ_FIG8["dataset"], ALVAREZ_FIG8["model"]) == (
    ALVAREZ_IMAGES["dataset"], ALVAREZ_IMAGES["model"])
FIG8_BUDGET = IMAGES_BUDGET if FIG8_SHARES_IMAGES else lipschitz_budget("alvarez_melis_fig8", fig8_settings())
FIG1_BUDGET = discrete_budget("alvarez_melis_fig1", FIG1)
FIG1_EXPLAIN = explain_budget("alvarez_melis_fig1", FIG1["methods"])  # Fig. 1 shows both models' maps
DISCRETE_BUDGET = discrete_budget("alvarez_melis_discrete", ALVAREZ_DISCRETE)


rule fig_alvarez_melis_fig1:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{FIG1['dataset']}.npz",
        models=[f"{model_dir(FIG1['dataset'], m)}/model.pt" for m in FIG1["models"]],
        explanations=[explanations(FIG1_EXPLAIN, FIG1["dataset"], m) for m in FIG1["models"]],
        lib=lib("scripts/fig_alvarez_melis_fig1.py"),
    output:
        pdf="figures/alvarez-melis/fig1_lime_shap_2d.pdf",
        png=report(
            "figures/alvarez-melis/fig1_lime_shap_2d.png",
            caption="report/alvarez_melis_fig1.rst",
            category="Alvarez-Melis & Jaakkola (2018)",
            labels=report_labels("Fig. 1: LIME and SHAP of a linear SVM and a two-layer network on 2-D data"),
        ),
    params:
        models=FIG1["models"],
        methods=FIG1["methods"],
        n_show=FIG1["n_show"],
        resolution=FIG1["resolution"],
    log:
        "logs/figures/alvarez_melis_fig1.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_alvarez_melis_fig1.py"


ALVAREZ_FIGS = {
    "fig2_lipschitz_uci": "Fig. 2: local Lipschitz estimates of LIME and SHAP, one box pair per dataset",
    "fig3_maximiser": "Fig. 3: a point and its Lipschitz maximiser with both explanations",
}


rule fig_alvarez_melis:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        table="results/metrics/alvarez_melis/lipschitz_uci.csv",
        example=[
            lipschitz_chunks(ALVAREZ_BUDGET, ALVAREZ["example_dataset"], ALVAREZ["model"], m, ALVAREZ["n_points"],
                             randomness=ALVAREZ["randomness"][0])  # Fig. 3: the first setting
            for m in ALVAREZ["methods"]
        ],
        lib=lib("scripts/fig_alvarez_melis.py"),
    output:
        [
            report(
                f"figures/alvarez-melis/{fig}{ext}",
                caption=f"report/alvarez_melis/{fig}.rst",  # one caption per figure
                category="Alvarez-Melis & Jaakkola (2018)",
                labels=report_labels(name),
            )
            for fig, name in ALVAREZ_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        datasets=ALVAREZ["datasets"],
        methods=ALVAREZ["methods"],
        example_dataset=ALVAREZ["example_dataset"],
        eps=ALVAREZ["eps"],
        n_calls=ALVAREZ["n_calls"],
        model=ALVAREZ["model"],
        randomness=ALVAREZ["randomness"],
    log:
        "logs/figures/alvarez_melis.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_alvarez_melis.py"


ALVAREZ_IMAGES_FIGS = {
    "fig5_noise": "Fig. 5: an image, three Gaussian-noise versions and every method's explanation",
    "fig6_lipschitz_images": "Fig. 6: local Lipschitz estimates per method on the image model",
    "fig7_maximisers": "Fig. 7: images, their Lipschitz maximisers and explanations at both",
}


rule fig_alvarez_melis_images:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{ALVAREZ_IMAGES['dataset']}.npz",
        table="results/metrics/alvarez_melis/lipschitz_images.csv",
        chunks=alvarez_images_chunks(ALVAREZ_IMAGES["randomness"][0]),  # Fig. 7: the first setting
        noise=f"results/lipschitz/{run_id(ALVAREZ_IMAGES['dataset'], ALVAREZ_IMAGES['model'])}/noise_ratios.npz",
        lib=lib("scripts/fig_alvarez_melis_images.py"),
    output:
        [
            report(
                f"figures/alvarez-melis/{fig}{ext}",
                caption=f"report/alvarez_melis_images/{fig}.rst",  # one caption per figure
                category="Alvarez-Melis & Jaakkola (2018)",
                labels=report_labels(name),
            )
            for fig, name in ALVAREZ_IMAGES_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        dataset=ALVAREZ_IMAGES["dataset"],
        model=ALVAREZ_IMAGES["model"],
        methods=ALVAREZ_IMAGES["methods"],
        eps=ALVAREZ_IMAGES["eps"],
        n_calls=images_n_calls(),
        estimator=ALVAREZ_IMAGES["estimator"],
        n_show=ALVAREZ_IMAGES["n_show"],
        randomness=ALVAREZ_IMAGES["randomness"],
        output=ALVAREZ_IMAGES["output"],
    log:
        "logs/figures/alvarez_melis_images.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_alvarez_melis_images.py"


rule fig_alvarez_melis_discrete:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        pair=f"results/lipschitz/{DISCRETE_BUDGET}/{run_id(ALVAREZ_DISCRETE['dataset'], ALVAREZ_DISCRETE['model'])}/discrete.npz",
        lib=lib("scripts/fig_alvarez_melis_discrete.py"),
    output:
        pdf="figures/alvarez-melis/fig4_discrete_pair.pdf",
        png=report(
            "figures/alvarez-melis/fig4_discrete_pair.png",
            caption="report/alvarez_melis_discrete.rst",
            category="Alvarez-Melis & Jaakkola (2018)",
            labels=report_labels("Fig. 4: the pair maximising the discrete Lipschitz estimate (2)"),
        ),
    params:
        dataset=ALVAREZ_DISCRETE["dataset"],
        model=ALVAREZ_DISCRETE["model"],
        eps=ALVAREZ_DISCRETE["eps"],
        stand_in=None if cfg.source(config, ALVAREZ_DISCRETE["dataset"]) == "compas" else "COMPAS",
    log:
        "logs/figures/alvarez_melis_discrete.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_alvarez_melis_discrete.py"


FIG8_CHUNK, FIG8_ROW, FIG8_SETTINGS = fig8_chunk()


rule fig_alvarez_melis_fig8:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{ALVAREZ_FIG8['dataset']}.npz",
        chunk=FIG8_CHUNK,
        lib=lib("scripts/fig_alvarez_melis_fig8.py"),
    output:
        pdf="figures/alvarez-melis/fig8_saliency_maximiser.pdf",
        png=report(
            "figures/alvarez-melis/fig8_saliency_maximiser.png",
            caption="report/alvarez_melis_fig8.rst",
            category="Alvarez-Melis & Jaakkola (2018)",
            labels=report_labels("Fig. 8: an image, its Lipschitz maximiser and the Saliency maps at both"),
        ),
    params:
        dataset=ALVAREZ_FIG8["dataset"],
        model=ALVAREZ_FIG8["model"],
        method=ALVAREZ_FIG8["method"],
        point=ALVAREZ_FIG8["point"],
        row=FIG8_ROW,
        eps=FIG8_SETTINGS["eps"],
        n_calls=FIG8_SETTINGS["n_calls"],
        estimator=FIG8_SETTINGS["estimator"],
    log:
        "logs/figures/alvarez_melis_fig8.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_alvarez_melis_fig8.py"


claims_read("alvarez_melis", {"alvarez_melis": ["results/metrics/alvarez_melis/lipschitz_uci.csv"]},
            {"eps": ALVAREZ["eps"], "randomness": ALVAREZ["randomness"]})
claims_read("alvarez_melis_images", {"alvarez_melis_images": ["results/metrics/alvarez_melis/lipschitz_images.csv"]},
            {k: ALVAREZ_IMAGES[k] for k in ("eps", "randomness", "output")})
claims_read("alvarez_melis_fig1", {"alvarez_melis_fig1": ["results/metrics/alvarez_melis/discrete_fig1.csv"]},
            {k: FIG1[k] for k in ("eps", "models", "methods")})


# One tidy table of the Fig. 2 estimates (one row per dataset x method x point).
rule lipschitz_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(alvarez_lipschitz),
        lib=lib("scripts/lipschitz_table.py"),
    output:
        "results/metrics/alvarez_melis/lipschitz_uci.csv",
    params:
        model=ALVAREZ["model"],
        output=None,  # scikit-learn models: class probabilities (or the regression output)
    log:
        "logs/lipschitz_table.log",
    conda:
        "../../../envs/data.yaml"
    script:
        "scripts/lipschitz_table.py"


# The same for the image model (Fig. 6): one row per method x test image.
rule lipschitz_images_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(alvarez_images_lipschitz),
        lib=lib("scripts/lipschitz_table.py"),
    output:
        "results/metrics/alvarez_melis/lipschitz_images.csv",
    params:
        model=ALVAREZ_IMAGES["model"],
        output=ALVAREZ_IMAGES["output"],
    log:
        "logs/lipschitz_images_table.log",
    conda:
        "../../../envs/data.yaml"
    script:
        "scripts/lipschitz_table.py"


# Alvarez-Melis & Jaakkola (2018), Fig. 5: the ratio of eq. (1) at Gaussian-noise versions of
# one test image (not adversarial), for every method of the image section.
rule noise_ratios:
    input:
        data="results/data/{dataset}.npz",
        model="results/models/{dataset}/{model}/{regime}/seed{seed}/model.pt",
        lib=lib("scripts/noise_ratios.py"),
    output:
        "results/lipschitz/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.npz",
    params:
        methods=ALVAREZ_IMAGES["methods"],
        method_params={m: config["methods"].get(m, {}) for m in ALVAREZ_IMAGES["methods"]},
        sigmas=ALVAREZ_IMAGES["sigmas"],
        example=ALVAREZ_IMAGES["example"],
        protocol=ALVAREZ_IMAGES["protocol"],
        output=ALVAREZ_IMAGES["output"],
        randomness=ALVAREZ_IMAGES["randomness"][0],  # Fig. 5 shows the section's first setting
        n_background=config["explain"]["n_background"],
        seed=lambda wc: int(wc.seed),
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("noise_ratios"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("noise_ratios"),
    log:
        "logs/lipschitz/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        "logs/benchmarks/noise_ratios/{dataset}/{model}/{regime}/seed{seed}/noise_ratios.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/noise_ratios.py"


# Alvarez-Melis & Jaakkola (2018), Fig. 1 in numbers: eq. (2) per model x method x explained
# point, one tidy table for the claims ledger.
rule lipschitz_discrete_table:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(fig1_discrete),
        lib=lib("scripts/lipschitz_discrete_table.py"),
    output:
        "results/metrics/alvarez_melis/discrete_fig1.csv",
    params:
        dataset=ALVAREZ_FIG1["dataset"],
        models=ALVAREZ_FIG1["models"],
    log:
        "logs/lipschitz_discrete_table.log",
    conda:
        "../../../envs/data.yaml"
    script:
        "scripts/lipschitz_discrete_table.py"
