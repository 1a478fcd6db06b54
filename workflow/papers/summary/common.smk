# Beyond the papers: helpers of the summary figures (rules.smk).


def robustness_inputs(wildcards):
    """Tables of the robustness matrix, from whichever source sections are enabled."""
    lip = [t for name, t in (("alvarez_melis", "lipschitz_uci"), ("alvarez_melis_images", "lipschitz_images"))
           if name in FIGS]
    return {
        "lipschitz": [f"results/metrics/alvarez_melis/{t}.csv" for t in lip],
        "attacks": ghorbani_results() if "ghorbani" in FIGS else [],
    }
