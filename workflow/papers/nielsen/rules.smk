include: "common.smk"


# Nielsen et al. (2022), "Robust Explainability": class sensitivity (Fig. 2), sanity checks
# (Adebayo et al. 2018), faithfulness (Yeh et al. 2019; MoRF/LeRF) and Fig. 3 (PGD saliency).
# One job per section stage computes every method's numbers, one file per method (each
# method's job was seconds long at the embedded budgets, of which a second and a half was
# start-up and torch imports: #20); one figure job per section reads them all. Adding a method
# or changing one method's parameters reruns its section's job.


# one result file per method of a section: {section: (run id, methods)}
NIELSEN_METHODS = {
    name: (run_id(s["dataset"], s["model"]), s["methods"])
    for name, s in (("class", NIELSEN_CLASS), ("sanity", NIELSEN_SANITY), ("faithfulness", NIELSEN_FAITH))
}

# What the claims ledger reads (rules/common.smk: claims_read): one table per method
for _section, _kind, _sec in (("nielsen_class", "class", NIELSEN_CLASS), ("nielsen_sanity", "sanity", NIELSEN_SANITY),
                              ("nielsen_faithfulness", "faithfulness", NIELSEN_FAITH)):
    claims_read(_section, {_section: [f"results/metrics/nielsen/{_kind}/{run_id(_sec['dataset'], _sec['model'])}/{m}.csv"
                                      for m in _sec["methods"]]})
claims_read("nielsen_pgd", {"nielsen_pgd": ["results/metrics/nielsen/pgd_saliency.csv"]},
            {"models": NIELSEN_PGD["models"]})

rule nielsen_class:
    input:
        data="results/data/{dataset}.npz",
        model=f"results/models/{NIELSEN_RUN}/model.pt",
        lib=lib("scripts/nielsen_class.py"),
    output:
        npz=[f"results/nielsen/class/{NIELSEN_RUN}/{m}.npz" for m in NIELSEN_CLASS["methods"]],
        csv=[f"results/metrics/nielsen/class/{NIELSEN_RUN}/{m}.csv" for m in NIELSEN_CLASS["methods"]],
    params:
        **nielsen_params(NIELSEN_CLASS),
        n_images=NIELSEN_CLASS["n_images"],
        n_other=NIELSEN_CLASS["n_other"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("nielsen_class"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("nielsen_class"),
    log:
        f"logs/nielsen/class/{NIELSEN_RUN}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        f"logs/benchmarks/nielsen_class/class/{NIELSEN_RUN}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/nielsen_class.py"


rule nielsen_train_permuted:
    input:
        data="results/data/{dataset}.npz",
        # the config's checks on the loaded sizes passed (rules/train.smk)
        checked=ancient("results/data/{dataset}.checked.json"),
        lib=lib("scripts/nielsen_train_permuted.py"),
    output:
        model=f"results/nielsen/permuted_labels/{NIELSEN_RUN}/model.pt",
        metrics=f"results/nielsen/permuted_labels/{NIELSEN_RUN}/metrics.json",
    params:
        spec=lambda wc: cfg.model_spec(config, wc.model),
        hp=NIELSEN_SANITY["permuted_hp"],
        n_train=NIELSEN_SANITY["permuted_n_train"],
        device=config["device"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("nielsen_train_permuted"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("nielsen_train_permuted"),
    log:
        f"logs/nielsen/permuted_labels/{NIELSEN_RUN}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        f"logs/benchmarks/nielsen_train_permuted/permuted_labels/{NIELSEN_RUN}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/nielsen_train_permuted.py"


rule nielsen_sanity:
    input:
        data="results/data/{dataset}.npz",
        model=f"results/models/{NIELSEN_RUN}/model.pt",
        permuted=f"results/nielsen/permuted_labels/{NIELSEN_RUN}/model.pt",
        # its accuracy on its own labels: the ledger decides nothing against a model that learnt nothing
        permuted_metrics=f"results/nielsen/permuted_labels/{NIELSEN_RUN}/metrics.json",
        lib=lib("scripts/nielsen_sanity.py"),
    output:
        csv=[f"results/metrics/nielsen/sanity/{NIELSEN_RUN}/{m}.csv" for m in NIELSEN_SANITY["methods"]],
        npz=[f"results/nielsen/sanity/{NIELSEN_RUN}/{m}.npz" for m in NIELSEN_SANITY["methods"]],
    params:
        **nielsen_params(NIELSEN_SANITY),
        n_images=NIELSEN_SANITY["n_images"],
        target=NIELSEN_SANITY["target"],
        example=NIELSEN_SANITY["example"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("nielsen_sanity"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("nielsen_sanity"),
    log:
        f"logs/nielsen/sanity/{NIELSEN_RUN}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        f"logs/benchmarks/nielsen_sanity/sanity/{NIELSEN_RUN}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/nielsen_sanity.py"


rule nielsen_faithfulness:
    input:
        data="results/data/{dataset}.npz",
        model=f"results/models/{NIELSEN_RUN}/model.pt",
        lib=lib("scripts/nielsen_faithfulness.py"),
    output:
        [f"results/metrics/nielsen/faithfulness/{NIELSEN_RUN}/{m}.csv" for m in NIELSEN_FAITH["methods"]],
    params:
        **nielsen_params(NIELSEN_FAITH),
        n_images=NIELSEN_FAITH["n_images"],
        target=NIELSEN_FAITH["target"],
        output=NIELSEN_FAITH["output"],
        infidelity=NIELSEN_FAITH["infidelity"],
        sensitivity=NIELSEN_FAITH["sensitivity"],
        removal=NIELSEN_FAITH["removal"],
    threads: 1
    # short jobs: one cluster job for several (rules/common.smk: short_group)
    group:
        short_group("nielsen_faithfulness"),
    # walltime and memory from the budget, growing with attempt (rules/common.smk: sized)
    resources:
        **sized("nielsen_faithfulness"),
    log:
        f"logs/nielsen/faithfulness/{NIELSEN_RUN}.log",
    # runtime and peak memory of each job (python -m attrobust.benchtable)
    benchmark:
        f"logs/benchmarks/nielsen_faithfulness/faithfulness/{NIELSEN_RUN}.tsv"
    conda:
        "../../../envs/torch.yaml"
    script:
        "scripts/nielsen_faithfulness.py"


rule fig_nielsen_class:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        results=[f"results/nielsen/class/{NIELSEN_METHODS['class'][0]}/{m}.npz" for m in NIELSEN_METHODS["class"][1]],
        lib=lib("scripts/fig_nielsen_class.py"),
    output:
        pdf="figures/nielsen/fig2_class_sensitivity.pdf",
        png=report(
            "figures/nielsen/fig2_class_sensitivity.png",
            caption="report/nielsen_class.rst",
            category="Nielsen et al. (2022)",
            labels=report_labels("Fig. 2: class sensitivity (maps for other target classes, Spearman)"),
        ),
    params:
        methods=NIELSEN_CLASS["methods"],
        example=NIELSEN_CLASS["example"],
    log:
        "logs/figures/nielsen_class.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_nielsen_class.py"


NIELSEN_SANITY_FIGS = {
    "sanity_cascading": "Sanity check: cascading randomisation of the layers from the top",
    "sanity_data": "Sanity check: model trained on permuted labels",
}


rule fig_nielsen_sanity:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        tables=[f"results/metrics/nielsen/sanity/{NIELSEN_METHODS['sanity'][0]}/{m}.csv" for m in NIELSEN_METHODS["sanity"][1]],
        examples=[f"results/nielsen/sanity/{NIELSEN_METHODS['sanity'][0]}/{m}.npz" for m in NIELSEN_METHODS["sanity"][1]],
        permuted=f"results/nielsen/permuted_labels/{run_id(NIELSEN_SANITY['dataset'], NIELSEN_SANITY['model'])}/metrics.json",
        lib=lib("scripts/fig_nielsen_sanity.py"),
    output:
        [
            report(
                f"figures/nielsen/{fig}{ext}",
                caption=f"report/nielsen_sanity/{fig}.rst",  # one caption per figure
                category="Nielsen et al. (2022)",
                labels=report_labels(name),
            )
            for fig, name in NIELSEN_SANITY_FIGS.items()
            for ext in (".pdf", ".png")
        ],
    params:
        methods=NIELSEN_SANITY["methods"],
    log:
        "logs/figures/nielsen_sanity.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_nielsen_sanity.py"


rule fig_nielsen_faithfulness:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        tables=[
            f"results/metrics/nielsen/faithfulness/{NIELSEN_METHODS['faithfulness'][0]}/{m}.csv"
            for m in NIELSEN_METHODS["faithfulness"][1]
        ],
        lib=lib("scripts/fig_nielsen_faithfulness.py"),
    output:
        csv="figures/nielsen/faithfulness.csv",
        md="figures/nielsen/faithfulness.md",
        pdf="figures/nielsen/morf_lerf.pdf",
        png=report(
            "figures/nielsen/morf_lerf.png",
            caption="report/nielsen_faithfulness.rst",
            category="Nielsen et al. (2022)",
            labels=report_labels("Faithfulness: MoRF and LeRF pixel-removal curves"),
        ),
    params:
        methods=NIELSEN_FAITH["methods"],
        replace=NIELSEN_FAITH["removal"]["replace"],
        output=NIELSEN_FAITH["output"],
    log:
        "logs/figures/nielsen_faithfulness.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_nielsen_faithfulness.py"


rule fig_nielsen_pgd:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        explanations=[explanations(explain_budget("nielsen_pgd", [NIELSEN_PGD["method"]]), NIELSEN_PGD["dataset"], m)
                      for m in NIELSEN_PGD["models"]],
        lib=lib("scripts/fig_nielsen_pgd.py"),
    output:
        csv="results/metrics/nielsen/pgd_saliency.csv",
        pdf="figures/nielsen/fig3_pgd_saliency.pdf",
        png=report(
            "figures/nielsen/fig3_pgd_saliency.png",
            caption="report/nielsen_pgd.rst",
            category="Nielsen et al. (2022)",
            labels=report_labels("Fig. 3: saliency of a naturally trained and a PGD-trained model"),
        ),
    params:
        models=NIELSEN_PGD["models"],
        regimes=[cfg.model_spec(config, m)["regime"] for m in NIELSEN_PGD["models"]] if "nielsen_pgd" in FIGS else [],
        method=NIELSEN_PGD["method"],
        n_images=NIELSEN_PGD["n_images"],
        mask_threshold=NIELSEN_PGD["mask_threshold"],
    log:
        "logs/figures/nielsen_pgd.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_nielsen_pgd.py"


GALLERY = config["figures"]["gallery"]


rule fig_gallery:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        data=f"results/data/{GALLERY['dataset']}.npz",
        explanations=explanations(explain_budget("gallery", GALLERY["methods"]), GALLERY["dataset"], GALLERY["model"]),
        lib=lib("scripts/fig_gallery.py"),
    output:
        pdf="figures/nielsen/fig1_gallery.pdf",
        png=report(
            "figures/nielsen/fig1_gallery.png",
            caption="report/gallery.rst",
            category="Nielsen et al. (2022)",
            labels=report_labels("Fig. 1: attribution gallery"),
        ),
    params:
        methods=GALLERY["methods"],
        n_images=GALLERY["n_images"],
    log:
        "logs/figures/gallery.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_gallery.py"
