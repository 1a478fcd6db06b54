# Helpers of the Alvarez-Melis & Jaakkola (2018) sections (rules.smk).
ALVAREZ = config["figures"]["alvarez_melis"]
ALVAREZ_IMAGES = config["figures"]["alvarez_melis_images"]
ALVAREZ_DISCRETE = config["figures"]["alvarez_melis_discrete"]
ALVAREZ_FIG1 = config["figures"]["alvarez_melis_fig1"]
ALVAREZ_FIG8 = config["figures"]["alvarez_melis_fig8"]


def fig8_settings():
    """Fig. 8's own budget, for a (dataset, model) of no other section: one image per chunk
    (chunk i = test image i); eps, n_calls, estimator from `figures.alvarez_melis_fig8`, null
    ones (and every other key) from `figures.alvarez_melis_images`."""
    im, f8 = ALVAREZ_IMAGES, ALVAREZ_FIG8
    own = {k: im[k] if f8[k] is None else f8[k] for k in ("eps", "n_calls", "estimator")}
    return {**im, **own, "chunk_size": 1, "n_calls_blackbox": None}


def fig8_chunk():
    """Fig. 8's `lipschitz` chunk, the image's row in it and the settings it is made with
    (FIG8_BUDGET: the image section's when Fig. 8 shares its dataset and model, else one
    image per chunk: rules.smk)."""
    f8 = ALVAREZ_FIG8
    s = LIPSCHITZ_BUDGETS[FIG8_BUDGET]
    r = randomness_dir(f8["method"], ALVAREZ_IMAGES["randomness"][0])
    path = (f"results/lipschitz/{FIG8_BUDGET}/{run_id(f8['dataset'], f8['model'])}/{f8['method']}/{r}/"
            f"chunk{f8['point'] // s['chunk_size']}.npz")
    return path, f8["point"] % s["chunk_size"], {**s, "n_calls": n_calls_of(s, f8["method"])}


def fig1_discrete(wildcards=None):
    """Fig. 1's discrete estimates (eq. 2), one file per model."""
    f1 = ALVAREZ_FIG1
    return {m: f"results/lipschitz/{FIG1_BUDGET}/{run_id(f1['dataset'], m)}/discrete.npz" for m in f1["models"]}


def alvarez_lipschitz(wildcards=None):
    """Fig. 2: every dataset x method x randomness (`figures.alvarez_melis.randomness`), in
    that order; keys `dataset/method/randomness`."""
    a = ALVAREZ
    return {
        f"{d}/{m}/{r}": lipschitz_chunks(ALVAREZ_BUDGET, d, a["model"], m, a["n_points"], randomness=r)
        for d in a["datasets"]
        for m in a["methods"]
        for r in a["randomness"]
    }


def images_n_calls():
    """Fig. 6's budget as text: `n_calls`, and `n_calls_blackbox` where it applies."""
    a = ALVAREZ_IMAGES
    if a["n_calls_blackbox"] not in (None, a["n_calls"]) and set(a["methods"]) & set(arexplain.names("blackbox")):
        return f"{a['n_calls']} ({a['n_calls_blackbox']} for LIME/SHAP)"
    return a["n_calls"]


def alvarez_images_lipschitz(wildcards=None):
    """Fig. 6: every method of the image section, in config order, under each of its
    `randomness` settings; keys `dataset/method/randomness`."""
    a = ALVAREZ_IMAGES
    return {
        f"{a['dataset']}/{m}/{r}": lipschitz_chunks(IMAGES_BUDGET, a["dataset"], a["model"], m, a["n_points"],
                                                     randomness=r)
        for m in a["methods"]
        for r in a["randomness"]
    }


def alvarez_images_chunks(randomness):
    """Fig. 7's chunk files: every method of the image section under one randomness setting."""
    a = ALVAREZ_IMAGES
    return [f for m in a["methods"]
            for f in lipschitz_chunks(IMAGES_BUDGET, a["dataset"], a["model"], m, a["n_points"], randomness=randomness)]


# Fig. 5: every method of the image section at each sigma, at the image and its noisy version
JOB_WORK["noise_ratios"] = lambda wc: (
    sum(_method_cost(x) for x in ALVAREZ_IMAGES["methods"]) * len(ALVAREZ_IMAGES["sigmas"]) * 2, 0)
