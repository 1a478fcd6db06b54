# Helpers of the Ghorbani, Abid & Zou (2019) sections (rules.smk).
GHORBANI = config["figures"]["ghorbani"]


def ghorbani_results():
    """figures.ghorbani's attack metrics (GHORBANI_BUDGET: rules.smk)."""
    return section_attacks("ghorbani", GHORBANI_BUDGET)


def fig9_results():
    """figures.ghorbani_fig9's attack metrics (FIG9_BUDGET: rules.smk)."""
    return section_attacks("ghorbani_fig9", FIG9_BUDGET)


INFLUENCE = config["figures"]["ghorbani_influence"]


def influence_run():
    """Run id of the influence and Hessian-angle jobs (Ghorbani Figs. 3, 4, 10, 11)."""
    return run_id(INFLUENCE["dataset"], INFLUENCE["model"])


def influence_table():
    return f"results/metrics/ghorbani_influence/{influence_run()}/influence.csv"


def _influence_work(wc):
    """The attack on influences at every eps, and the Hessian-vector products over the
    training set (rules.smk: influence)."""
    i = INFLUENCE
    return i["n_images"] * (i["n_iter"] + 1) * 2 * len(i["eps"]) + 2 * _n_train(wc.dataset), 0


JOB_WORK["influence"] = _influence_work
JOB_WORK["hessian_angles"] = lambda wc: (INFLUENCE["hessian"]["n_images"] * INFLUENCE["hessian"]["n_iter"] * 2, 0)
