# Stage 5: paper figures from the results above (PDF for papers, PNG for the report).

FIG1 = config["figures"]["alvarez_melis_fig1"]
GALLERY = config["figures"]["gallery"]


rule fig_alvarez_melis_fig1:
    input:
        data=f"results/data/{FIG1['dataset']}.npz",
        models=[f"{model_dir(FIG1['dataset'], m)}/model.pt" for m in FIG1["models"]],
        explanations=[
            explanation(FIG1["dataset"], m, meth)
            for m in FIG1["models"]
            for meth in FIG1["methods"]
        ],
        lib=lib("plots/__init__", "plots/alvarez_melis", "models"),
    output:
        pdf="figures/alvarez-melis/fig1_lime_shap_2d.pdf",
        png=report(
            "figures/alvarez-melis/fig1_lime_shap_2d.png",
            caption="../report/alvarez_melis_fig1.rst",
            category="Alvarez-Melis & Jaakkola (2018)",
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


rule fig_gallery:
    input:
        data=f"results/data/{GALLERY['dataset']}.npz",
        explanations=[
            explanation(GALLERY["dataset"], GALLERY["model"], meth)
            for meth in GALLERY["methods"]
        ],
        lib=lib("plots/__init__", "plots/nielsen"),
    output:
        pdf="figures/nielsen/fig1_gallery.pdf",
        png=report(
            "figures/nielsen/fig1_gallery.png",
            caption="../report/gallery.rst",
            category="Nielsen et al. (2022)",
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
