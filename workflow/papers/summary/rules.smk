include: "common.smk"


# Beyond the papers: one matrix of methods x datasets from the sections above.
rule fig_robustness_matrix:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(robustness_inputs),
        lib=lib("scripts/fig_robustness_matrix.py"),
    output:
        csv="results/metrics/robustness_matrix.csv",
        pdf="figures/summary/robustness_matrix.pdf",
        png=report(
            "figures/summary/robustness_matrix.png",
            caption="report/robustness_matrix.rst",
            category="Beyond the papers",
            labels=report_labels("robustness matrix: methods x datasets"),
        ),
    log:
        "logs/figures/robustness_matrix.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_robustness_matrix.py"
