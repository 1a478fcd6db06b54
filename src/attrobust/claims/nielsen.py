"""Claims of Nielsen et al. (2022), "Robust Explainability: a Tutorial on Gradient-Based
Attribution Methods", Fig. 2, Fig. 3 and Sec. 4 (sanity checks of Adebayo et al. 2018,
(in)fidelity and sensitivity of Yeh et al. 2019). The paper prints no numbers for them.

Tables (workflow/papers/nielsen/rules.smk), the units are the test images (``image``), paired
across methods and models:
- "nielsen_class": one row per (method, image, other class) with its Spearman correlation
  to the true-class map (workflow/papers/nielsen/scripts/nielsen_class.py);
- "nielsen_sanity": one row per (method, test, n_randomized, image, metric) with the
  similarity to the trained model's map (workflow/papers/nielsen/scripts/nielsen_sanity.py);
- "nielsen_faithfulness": one row per (method, image, quantity[, fraction]);
- "nielsen_pgd": one row per (model, regime, image, quantity) with mass_inside and gini.
"""
from ..ledger import NotEvaluable, claim, compare, pair, require

NIELSEN = "Nielsen et al. 2022"
#: Perturbation-based (black-box style) methods, against which gradient methods are compared.
PERTURBATION = ("lime", "occlusion", "kernel_shap", "clime")
GUIDED = ("guided_backprop", "guided_gradcam")
#: Adebayo et al. (2018, Sec. 3.2) compare with a model that memorised the permuted labels
#: (their CNNs reach ~100% training accuracy); below this fit the data-randomisation claim is not decided.
MIN_PERMUTED_FIT = 0.5


def _ranked(series) -> str:
    return ", ".join(f"{m} {v:.3g}" for m, v in series.sort_values().items())


def _below(ctx, df, low, high, value, what):
    """Parts: mean ``value`` of each method in ``low`` below that of each in ``high``, paired over images."""
    return [compare(ctx, f"{what} {a} minus {b}", *pair(df, "image", "method", a, b, value), side="<")
            for a in low for b in high]


@claim("nielsen-gradcam-class-sensitive", paper=NIELSEN, figure="Fig. 2", table="nielsen_class",
       text="Grad-CAM is the most class-sensitive method: a lower mean Spearman correlation "
            "between the map for the true class and the maps for the other most probable classes "
            "than every other method (per image: the mean over its other classes).")
def _gradcam_class(df, ctx):
    require(df, "method", ["gradcam"], "figures.nielsen_class.methods")
    if df["method"].nunique() < 2:
        raise NotEvaluable("needs a second method to compare with (figures.nielsen_class.methods)")
    rest = sorted(set(df["method"]) - {"gradcam"})
    return _below(ctx, df, ["gradcam"], rest, "spearman", "mean Spearman"), \
        {"mean Spearman (true vs other class)": _ranked(df.groupby("method")["spearman"].mean()),
         "images": df["image"].nunique()}


def _stage(df, test, n=None, metric="spearman_abs"):
    t = df[(df["test"] == test) & (df["metric"] == metric)]
    return t if n is None else t[t["n_randomized"] == n]


@claim("nielsen-guided-backprop-top-layer", paper=NIELSEN, figure="Sec. 4 (Adebayo et al. 2018, Fig. 2)",
       table="nielsen_sanity",
       text="Guided Backprop (and Guided Grad-CAM, when computed) change least when the top layer "
            "is randomised: a higher mean Spearman correlation of absolute maps with the "
            "trained model's maps than every other method (SSIM shown too).")
def _guided(df, ctx):
    require(df, "method", ["guided_backprop"], "figures.nielsen_sanity.methods")
    rest = sorted(set(df["method"]) - set(GUIDED))
    if not rest:
        raise NotEvaluable("needs a method other than the guided ones (figures.nielsen_sanity.methods)")
    rho, ssim = _stage(df, "cascading", 1), _stage(df, "cascading", 1, "ssim")
    guided = [m for m in GUIDED if m in set(rho["method"])]
    return _below(ctx, rho, rest, guided, "value", "top layer randomised: Spearman (abs)"), {
        "top layer": rho["layer"].iloc[0],
        "Spearman (abs)": _ranked(rho.groupby("method")["value"].mean()),
        "SSIM": _ranked(ssim.groupby("method")["value"].mean())}


@claim("nielsen-permuted-labels-saliency", paper=NIELSEN, figure="Sec. 4.2 (Adebayo et al. 2018, Fig. 5)",
       table="nielsen_sanity",
       text="Saliency and SmoothGrad maps change most when the model is trained on permuted "
            "labels (lower mean Spearman correlation of absolute maps between the true-label "
            "and the permuted-label model than every other method); the other methods are less "
            "sensitive to the labels. Decided only when the permuted-label model memorised at "
            f"least {MIN_PERMUTED_FIT:.0%} of its permuted training labels.")
def _permuted(df, ctx):
    require(df, "method", ["saliency"], "figures.nielsen_sanity.methods")
    fit = df.loc[df["test"] == "data", "permuted_train_accuracy"].min()
    if not fit >= MIN_PERMUTED_FIT:
        # a network at chance has (near-)constant outputs and maps: every similarity reads ~0
        # whatever the method, and the check says nothing of the methods
        raise NotEvaluable(f"the permuted-label model fits {fit:.2f} of its permuted training labels "
                           f"(< {MIN_PERMUTED_FIT}): it learnt nothing to compare with; give it more "
                           "epochs (figures.nielsen_sanity.permuted_hp) or fewer images "
                           "(figures.nielsen_sanity.permuted_n_train)")
    sal = [m for m in ("saliency", "smoothgrad") if m in set(df["method"])]
    rest = sorted(set(df["method"]) - set(sal))
    if not rest:
        raise NotEvaluable("needs a method other than saliency / smoothgrad (figures.nielsen_sanity.methods)")
    rho = _stage(df, "data")
    return _below(ctx, rho, sal, rest, "value", "permuted labels: Spearman (abs)"), \
        {"Spearman (abs), true vs permuted labels": _ranked(rho.groupby("method")["value"].mean())}


@claim("nielsen-pgd-saliency-concentrated", paper=NIELSEN, figure="Fig. 3", table="nielsen_pgd",
       text="The saliency maps of the PGD-trained model are more concentrated on the object than "
            "those of the naturally trained model: a larger mean fraction of the absolute "
            "attribution lies on the digit's pixels (paired over images; Gini coefficient shown too).")
def _pgd(df, ctx):
    models = ctx.get("models") or list(dict.fromkeys(df["model"]))
    if len(models) != 2 or not set(models) <= set(df["model"]):
        raise NotEvaluable("needs two models (figures.nielsen_pgd.models)")
    nat, rob = models
    inside = df[df["quantity"] == "mass_inside"]
    m = df.groupby(["model", "quantity"])["value"].mean()
    return [compare(ctx, f"mass on the digit {rob} minus {nat}",
                    *pair(inside, "image", "model", rob, nat, "value"), side=">")], {
        f"mass on the digit {nat}/{rob}": f"{m[(nat, 'mass_inside')]:.3g}/{m[(rob, 'mass_inside')]:.3g}",
        f"Gini {nat}/{rob}": f"{m[(nat, 'gini')]:.3g}/{m[(rob, 'gini')]:.3g}",
        "images": df["image"].nunique(),
    }


@claim("nielsen-gradient-lower-max-sensitivity", paper=NIELSEN,
       figure="Beyond (Sec. 4.1 defines max-sensitivity, after Yeh et al. 2019)",
       table="nielsen_faithfulness",
       text="Gradient-based methods have a lower mean max-sensitivity than the perturbation-based "
            "LIME and Occlusion on the same model: every gradient method below every perturbation "
            "method (paired over images). Not a statement of the paper, which only defines the "
            "measure: the ordering its Sec. 4 discussion of robustness would lead a reader to expect.")
def _sensitivity(df, ctx):
    methods = set(df["method"])
    pert = sorted(methods & set(PERTURBATION))
    grad = sorted(methods - set(PERTURBATION))
    if not pert:
        require(df, "method", ["lime", "occlusion"], "figures.nielsen_faithfulness.methods")
    if not grad:
        raise NotEvaluable("needs a gradient method (figures.nielsen_faithfulness.methods)")
    s = df[df["quantity"] == "max_sensitivity"]
    return _below(ctx, s, grad, pert, "value", "mean max-sensitivity"), \
        {"mean max-sensitivity": _ranked(s.groupby("method")["value"].mean())}
