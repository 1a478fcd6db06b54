# Helpers of the Nielsen et al. (2022) sections (rules.smk).
NIELSEN_CLASS = config["figures"]["nielsen_class"]
NIELSEN_SANITY = config["figures"]["nielsen_sanity"]
NIELSEN_FAITH = config["figures"]["nielsen_faithfulness"]
NIELSEN_PGD = config["figures"]["nielsen_pgd"]
NIELSEN_RUN = "{dataset}/{model}/{regime}/seed{seed}"


def _nielsen_train_permuted_work(wc):
    """Training on permuted labels (data randomisation): the model's own budget, on at most
    `permuted_n_train` examples, with `permuted_hp` over its hyper-parameters."""
    spec = cfg.model_spec(config, wc.model)
    n = min(_n_train(wc.dataset), NIELSEN_SANITY["permuted_n_train"] or float("inf"))
    return jobsize.train_grads(spec["arch"], n, {**spec["hp"], **NIELSEN_SANITY["permuted_hp"]}), 0


def _nielsen_work(section, per_image):
    """A section's job: maps per image times the section's images, for each of its methods."""
    return lambda wc: (section["n_images"] * per_image(section) * sum(map(_method_cost, section["methods"])), 0)


JOB_WORK["nielsen_train_permuted"] = _nielsen_train_permuted_work
JOB_WORK["nielsen_class"] = _nielsen_work(NIELSEN_CLASS, lambda s: s["n_other"] + 1)
# cascading randomisation of every layer, and the permuted model
JOB_WORK["nielsen_sanity"] = _nielsen_work(NIELSEN_SANITY, lambda s: 20)
JOB_WORK["nielsen_faithfulness"] = _nielsen_work(
    NIELSEN_FAITH, lambda s: 3 + 2 * s["removal"]["n_steps"] + s["infidelity"]["n_perturb"] + s["sensitivity"]["n_perturb"])


# params every section's job takes (plus its own, e.g. n_images)
NIELSEN_PARAMS = dict(
    n_background=config["explain"]["n_background"],
    batch_size=config["explain"]["batch_size"],
    seed=lambda wc: int(wc.seed),
    device=config["device"],
)


def nielsen_params(section):
    """params of a section's job: its methods and each one's parameters, in the section's order."""
    return dict(
        methods=section["methods"],
        method_params=method_params(section["methods"]),
        **NIELSEN_PARAMS,
    )
