"""Claims of Alvarez-Melis & Jaakkola (2018), Figs. 2-3.

Table "alvarez_melis": one row per (dataset, method, point) from
:func:`attrobust.lipschitz.summary` (L, noise_floor, explanation_change, prediction_change).
"""
from . import claim

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
