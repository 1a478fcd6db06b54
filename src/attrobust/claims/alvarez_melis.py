"""Claims of Alvarez-Melis & Jaakkola (2018), Figs. 2-3 and 5-7.

Table "alvarez_melis": one row per (dataset, method, point) from
:func:`attrobust.lipschitz.summary` (L, noise_floor, explanation_change, prediction_change, explanation_norm).
Table "alvarez_melis_images": the same for the image model (Figs. 5-7), one row per
(method, test image).
Table "alvarez_melis_fig1": the discrete estimate (2) of Fig. 1's explanations, one row per
(model, method, explained test point): ``L`` (NaN: no neighbour within eps), ``n_neighbours``.
"""
from ..ledger import NotEvaluable, claim, require

ALVAREZ = "Alvarez-Melis & Jaakkola 2018"


@claim("alvarez-maximiser-moves-explanation", paper=ALVAREZ, figure="Figs. 2-3",
       table="alvarez_melis",
       text="At the Lipschitz maximiser x' the explanation changes much more than the prediction: "
            "median relative explanation change ||f(x) - f(x')|| / ||f(x)|| exceeds the median "
            "largest change of a predicted value (probability; for regression the output) for "
            "LIME and SHAP on every classification dataset.")
def _maximiser(df, ctx):
    numbers, held = {}, True
    for (dataset, method), g in df.groupby(["dataset", "method"]):
        expl, pred = g["explanation_change"].median(), g["prediction_change"].median()
        numbers[f"{dataset}/{method}: explanation/prediction change"] = f"{expl:.3g}/{pred:.3g}"
        if g["prediction_change"].max() <= 1:  # probabilities: classification
            held &= bool(expl > pred)
    return held, numbers


@claim("alvarez-estimates-above-noise-floor", paper=ALVAREZ, figure="Fig. 2", table="alvarez_melis",
       text="The Lipschitz estimates of LIME and SHAP are not sampling noise: the median estimate "
            "exceeds the median seed-to-seed noise floor at x divided by eps, on every dataset.")
def _noise(df, ctx):
    numbers, held = {}, True
    eps = ctx.get("eps", 0.1)
    for (dataset, method), g in df.groupby(["dataset", "method"]):
        L, floor = g["L"].median(), g["noise_floor"].median() / eps
        numbers[f"{dataset}/{method}: median L / floor/eps"] = f"{L:.3g}/{floor:.3g}"
        held &= bool(L > floor)
    return held, numbers


# ------------------------------------------------------------------ Figs. 5-7: images

#: Perturbation-based explainers of the paper (Sec. 4); every other method is gradient-based.
PERTURBATION = ("lime", "kernel_shap", "occlusion")


@claim("alvarez-images-perturbation-less-robust", paper=ALVAREZ, figure="Fig. 6, Sec. 4",
       table="alvarez_melis_images",
       text="On the image model, perturbation-based explainers (LIME, SHAP, Occlusion) are less "
            "robust than gradient-based ones: the smallest median Lipschitz estimate (eq. 1) of a "
            "perturbation-based method exceeds the largest median of a gradient-based one. "
            "Scale-free medians L * eps / ||f(x)|| are reported too (LIME/SHAP explain the "
            "probability, the others the logit), not decided on.")
def _perturbation(df, ctx):
    eps = ctx.get("eps", 0.1)
    numbers = {}
    med = df.groupby("method")["L"].median().sort_values()
    rel = (df["L"] * eps / df["explanation_norm"].clip(lower=1e-12)).groupby(df["method"]).median()
    for m in med.index:
        kind = "perturbation" if m in PERTURBATION else "gradient"
        numbers[f"{m} ({kind}): median L / scale-free"] = f"{med[m]:.3g}/{rel[m]:.3g}"
    pert = [m for m in med.index if m in PERTURBATION]
    grad = [m for m in med.index if m not in PERTURBATION]
    if not pert or not grad:
        numbers["note"] = "needs methods of both kinds"
        return False, numbers
    numbers["min perturbation / max gradient median"] = f"{med[pert].min():.3g}/{med[grad].max():.3g}"
    return bool(med[pert].min() > med[grad].max()), numbers


@claim("alvarez-images-maximiser-moves-explanation", paper=ALVAREZ, figure="Figs. 5, 7",
       table="alvarez_melis_images",
       text="On the image model the Lipschitz maximiser x' barely changes the prediction but "
            "changes the explanation: for every method the median largest change of a class "
            "probability is below 0.1 and below the median relative explanation change "
            "||f(x) - f(x')|| / ||f(x)||.")
def _images_maximiser(df, ctx):
    numbers, held = {}, True
    for method, g in df.groupby("method"):
        expl, pred = g["explanation_change"].median(), g["prediction_change"].median()
        numbers[f"{method}: explanation/probability change"] = f"{expl:.3g}/{pred:.3g}"
        held &= bool(pred < 0.1 and expl > pred)
    return held, numbers


# ------------------------------------------------------------------ Fig. 1 in numbers

@claim("alvarez-fig1-linear-more-stable", paper=ALVAREZ, figure="Fig. 1", table="alvarez_melis_fig1",
       text="LIME and SHAP explanations are stable for the linear model and much less so for the "
            "network: the median discrete Lipschitz estimate (eq. 2, over the explained test points "
            "with a neighbour within eps, L2) of the linear SVM (first of figures.alvarez_melis_fig1."
            "models) is below that of the two-layer network (last), for both LIME and SHAP.")
def _fig1_linear(df, ctx):
    models = list(ctx.get("models", ["linear_svm", "mlp_sklearn"]))
    linear, network = models[0], models[-1]
    key = "figures.alvarez_melis_fig1"
    require(df, "model", [linear, network], f"{key}.models")
    require(df, "method", ["lime", "kernel_shap"], f"{key}.methods")
    numbers, held = {}, True
    for method in ("lime", "kernel_shap"):
        med = {}
        for m in (linear, network):
            L = df.loc[(df["model"] == m) & (df["method"] == method), "L"].dropna()
            if L.empty:
                raise NotEvaluable(f"no explained point of {m} has a neighbour within eps = "
                                   f"{ctx.get('eps')} (config key {key}.eps)")
            med[m] = float(L.median())
            n = int((df["model"] == m).sum() // max(1, df.loc[df["model"] == m, "method"].nunique()))
            numbers[f"{method}/{m}: median L (points with a neighbour)"] = f"{med[m]:.3g} ({len(L)} of {n})"
        numbers[f"{method}: network / linear"] = f"{med[network] / max(med[linear], 1e-300):.3g}"
        held &= bool(med[linear] < med[network])
    return held, numbers
