# The claims ledger: every enabled section's claims from the tables its paper registered
# (rules/common.smk: claims_read), with the numbers and a verdict each.

rule claims:
    # a short job: on the submitting node, never a cluster job (profiles/slurm)
    localrule: True
    input:
        unpack(claim_tables),
        lib=lib("../scripts/claims.py"),
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
