# Helpers of the Agarwal et al. (2021) section (rules.smk).
AGARWAL = config["figures"]["agarwal"]


def agarwal_curves():
    """Curves of Figs. 2-5: every dataset at every sigma (well-trained model), and the
    under-trained model at the default sigma."""
    a = AGARWAL
    runs = {(d, a["model"], s) for d in a["datasets"] for s in [a["sigma"], *a["sigmas"]]}
    runs |= {(d, a["undertrained"], a["sigma"]) for d in a["datasets"]}
    return sorted(f"results/metrics/agarwal/{run_id(d, m)}/sigma{s:g}.csv" for d, m, s in runs)


def agarwal_lipschitz():
    d = AGARWAL["lipschitz"]["dataset"]
    return f"results/lipschitz/agarwal/{run_id(d, AGARWAL['model'])}/sigma_sweep.csv"


# the gap and robustness curves: every n of one sigma, on `n_points` points
JOB_WORK["unification_curves"] = lambda wc: (AGARWAL["n_points"] * sum(AGARWAL["ns"]) / 3, 0)
