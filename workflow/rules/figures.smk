# Stage 5: paper figures from the results above (PDF for papers, PNG for the report).

FIG1 = config["figures"]["alvarez_melis_fig1"]
GALLERY = config["figures"]["gallery"]
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
DISCRETE_BUDGET = discrete_budget("alvarez_melis_discrete", ALVAREZ_DISCRETE)


rule fig_alvarez_melis_fig1:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{FIG1['dataset']}.npz",
        models=[f"{model_dir(FIG1['dataset'], m)}/model.pt" for m in FIG1["models"]],
        explanations=[
            explanation(FIG1["dataset"], m, meth)
            for m in FIG1["models"]
            for meth in FIG1["methods"]
        ],
        lib=lib("fig_alvarez_melis_fig1.py"),
    output:
        pdf="figures/alvarez-melis/fig1_lime_shap_2d.pdf",
        png=report(
            "figures/alvarez-melis/fig1_lime_shap_2d.png",
            caption="../report/alvarez_melis_fig1.rst",
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_alvarez_melis_fig1.py"


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
        lib=lib("fig_alvarez_melis.py"),
    output:
        [
            report(
                f"figures/alvarez-melis/{fig}{ext}",
                caption=f"../report/alvarez_melis/{fig}.rst",  # one caption per figure
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_alvarez_melis.py"


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
        lib=lib("fig_alvarez_melis_images.py"),
    output:
        [
            report(
                f"figures/alvarez-melis/{fig}{ext}",
                caption=f"../report/alvarez_melis_images/{fig}.rst",  # one caption per figure
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_alvarez_melis_images.py"


rule fig_alvarez_melis_discrete:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        pair=f"results/lipschitz/{DISCRETE_BUDGET}/{run_id(ALVAREZ_DISCRETE['dataset'], ALVAREZ_DISCRETE['model'])}/discrete.npz",
        lib=lib("fig_alvarez_melis_discrete.py"),
    output:
        pdf="figures/alvarez-melis/fig4_discrete_pair.pdf",
        png=report(
            "figures/alvarez-melis/fig4_discrete_pair.png",
            caption="../report/alvarez_melis_discrete.rst",
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_alvarez_melis_discrete.py"


FIG8_CHUNK, FIG8_ROW, FIG8_SETTINGS = fig8_chunk()


rule fig_alvarez_melis_fig8:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{ALVAREZ_FIG8['dataset']}.npz",
        chunk=FIG8_CHUNK,
        lib=lib("fig_alvarez_melis_fig8.py"),
    output:
        pdf="figures/alvarez-melis/fig8_saliency_maximiser.pdf",
        png=report(
            "figures/alvarez-melis/fig8_saliency_maximiser.png",
            caption="../report/alvarez_melis_fig8.rst",
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_alvarez_melis_fig8.py"


rule fig_gallery:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{GALLERY['dataset']}.npz",
        explanations=[
            explanation(GALLERY["dataset"], GALLERY["model"], meth)
            for meth in GALLERY["methods"]
        ],
        lib=lib("fig_gallery.py"),
    output:
        pdf="figures/nielsen/fig1_gallery.pdf",
        png=report(
            "figures/nielsen/fig1_gallery.png",
            caption="../report/gallery.rst",
            category="Nielsen et al. (2022)",
            labels=report_labels("Fig. 1: attribution gallery"),
        ),
    params:
        methods=GALLERY["methods"],
        n_images=GALLERY["n_images"],
    log:
        "logs/figures/gallery.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_gallery.py"


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
        lib=lib("fig_agarwal.py"),
    output:
        [
            report(
                f"figures/agarwal/{fig}{ext}",
                caption=f"../report/agarwal/{fig}.rst",  # one caption per figure
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
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_agarwal.py"


# What the claims ledger reads of this file's sections (rules/common.smk: claims_read)
claims_read("agarwal", {"agarwal": agarwal_curves(), "agarwal_lipschitz": [agarwal_lipschitz()]},
            {k: AGARWAL[k] for k in ("model", "undertrained", "sigma", "focus")})
claims_read("alvarez_melis", {"alvarez_melis": ["results/metrics/alvarez_melis/lipschitz_uci.csv"]},
            {"eps": ALVAREZ["eps"], "randomness": ALVAREZ["randomness"]})
claims_read("alvarez_melis_images", {"alvarez_melis_images": ["results/metrics/alvarez_melis/lipschitz_images.csv"]},
            {k: ALVAREZ_IMAGES[k] for k in ("eps", "randomness", "output")})
claims_read("alvarez_melis_fig1", {"alvarez_melis_fig1": ["results/metrics/alvarez_melis/discrete_fig1.csv"]},
            {k: FIG1[k] for k in ("eps", "models", "methods")})


rule claims:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(claim_tables),
        lib=lib("claims.py"),
    output:
        md=report(
            "figures/claims.md",
            caption="../report/claims.rst",
            category="0 Claims ledger",
        ),
        csv="figures/claims.csv",
    params:
        context=claim_context,  # every section's own (claims_read)
        seed=config["seed"],
    log:
        "logs/claims.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/claims.py"


GHORBANI_FIGS = {
    "fig1_example": "Fig. 1: an image, its saliency maps and the center-attacked version",
    "fig2_topk_spearman": "Fig. 2: top-k intersection and Spearman correlation against eps",
    "fig8_center_shift": "Fig. 8: center-of-mass shift against eps",
    # Appendix C: three more test images (after `example`), every method under every attack
    "fig5_appendix_example": "Fig. 5: a second image, every method under every attack",
    "fig6_appendix_example": "Fig. 6: a third image, every method under every attack",
    "fig7_appendix_example": "Fig. 7: a fourth image, every method under every attack",
}


# Figs. 1, 2, 5-8 ask the `attack` stage for figures.ghorbani's settings, as budget "ghorbani".
GHORBANI_BUDGET = attack_budget("ghorbani", GHORBANI)
# Fig. 1: every method under the center attack; Figs. 5-7: every (method, attack); both at the largest eps
GHORBANI_EXAMPLES = [(GHORBANI["dataset"], GHORBANI["model"], m, "mass_center", max(GHORBANI["eps"]))
                     for m in GHORBANI["methods"]]
GHORBANI_APPENDIX = [(GHORBANI["dataset"], GHORBANI["model"], m, a, max(GHORBANI["eps"]))
                     for m in GHORBANI["methods"] for a in GHORBANI["attacks"]]
claims_read("ghorbani", {"ghorbani": ghorbani_results()})


rule fig_ghorbani:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{GHORBANI['dataset']}.npz",
        metrics=ghorbani_results(),
        examples=attack_inputs(GHORBANI_BUDGET, GHORBANI_EXAMPLES),
        appendix=attack_inputs(GHORBANI_BUDGET, GHORBANI_APPENDIX),
        lib=lib("fig_ghorbani.py"),
    output:
        [
            report(
                f"figures/ghorbani/{fig}{ext}",
                caption=f"../report/ghorbani/{fig}.rst",  # one caption per figure
                category="Ghorbani et al. (2019)",
                labels=report_labels(name),
            )
            for fig, name in GHORBANI_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        methods=GHORBANI["methods"],
        k=GHORBANI["k"],
        example=GHORBANI["example"],
        appendix_runs=[(m, a) for m in GHORBANI["methods"] for a in GHORBANI["attacks"]],
        example_files=attack_run_files(GHORBANI_BUDGET, GHORBANI_EXAMPLES),
        appendix_files=attack_run_files(GHORBANI_BUDGET, GHORBANI_APPENDIX),
        appendix_images=[(GHORBANI["example"] + i) % GHORBANI["n_images"] for i in (1, 2, 3)],
        eps=max(GHORBANI["eps"]),
    log:
        "logs/figures/ghorbani.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_ghorbani.py"


# Beyond the papers: one matrix of methods x datasets from the sections above.
rule fig_robustness_matrix:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(robustness_inputs),
        lib=lib("fig_robustness_matrix.py"),
    output:
        csv="results/metrics/robustness_matrix.csv",
        pdf="figures/summary/robustness_matrix.pdf",
        png=report(
            "figures/summary/robustness_matrix.png",
            caption="../report/robustness_matrix.rst",
            category="Beyond the papers",
            labels=report_labels("robustness matrix: methods x datasets"),
        ),
    log:
        "logs/figures/robustness_matrix.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/fig_robustness_matrix.py"
