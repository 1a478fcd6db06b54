# Helpers of the Agarwal et al. (2021) section (rules.smk).
AGARWAL = config["figures"]["agarwal"]


def agarwal_sigmas(model):
    """The sigmas of `model`'s curves: every sigma for the well-trained model, the default one
    for the under-trained one; in the order of the file names they had when each sigma was a
    file of its own (so the tables concatenate in the same row order)."""
    a = AGARWAL
    sigmas = {a["sigma"], *a["sigmas"]} if model == a["model"] else {a["sigma"]}
    return sorted(sigmas, key=lambda s: f"{s:g}")


def agarwal_curves():
    """Curves of Figs. 2-5, one table per (dataset, model) with all its sigmas
    (agarwal_sigmas): the well-trained model at every sigma, the under-trained one at the
    default sigma."""
    a = AGARWAL
    return sorted(f"results/metrics/agarwal/{run_id(d, m)}/curves.csv" for d in a["datasets"]
                  for m in {a["model"], a["undertrained"]})


def agarwal_lipschitz():
    d = AGARWAL["lipschitz"]["dataset"]
    return f"results/lipschitz/agarwal/{run_id(d, AGARWAL['model'])}/sigma_sweep.csv"


# the gap and robustness curves: every n of each of the model's sigmas, on `n_points` points
JOB_WORK["unification_curves"] = lambda wc: (
    len(agarwal_sigmas(wc.model)) * AGARWAL["n_points"] * sum(AGARWAL["ns"]) / 3, 0)
