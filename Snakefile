# `snakemake` from the repository root runs the workflow of workflow/Snakefile.
include: "workflow/Snakefile"


# An included file's `default_target:` does not survive the include, so name it here.
rule default:
    default_target: True
    input:
        rules.all.input,
