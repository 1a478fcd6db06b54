"""Claims of Alvarez-Melis & Jaakkola (2018), Figs. 2-3 and 5-7.

Table "alvarez_melis": one row per (dataset, method, point) from
:func:`attrobust.lipschitz.summary` (L, noise_floor, explanation_change, prediction_change, explanation_norm).
Table "alvarez_melis_images": the same for the image model (Figs. 5-7), one row per
(method, test image).
Table "alvarez_melis_fig1": the discrete estimate (2) of Fig. 1's explanations, one row per
(model, method, explained test point): ``L`` (NaN: no neighbour within eps), ``n_neighbours``.
The units are the explained points (``point``), paired across methods.

The Lipschitz tables hold a ``randomness`` column (fresh | common, config key
``figures.<section>.randomness``) where the workflow estimated both; a claim decides on the
section's first setting (``ctx['randomness'][0]``; fresh: the paper's) unless it says
otherwise, and reports the other's medians.
"""
import numpy as np

from ..ledger import NotEvaluable, claim, compare, pair, require

ALVAREZ = "Alvarez-Melis & Jaakkola 2018"


def _setting(df, ctx, prefer=None):
    """The rows of one randomness setting: ``prefer`` where the table has it, else the
    section's first (``ctx['randomness']``), else the table's first; ``(rows, setting or None)``."""
    if "randomness" not in df:
        return df, None
    have = list(dict.fromkeys(df["randomness"]))
    wanted = [prefer] if prefer else []
    wanted += list(ctx.get("randomness") or []) + have
    r = next(w for w in wanted if w in have)
    return df[df["randomness"] == r], r


def _other_medians(df, r, by):
    """Median L per ``by`` group under the settings other than ``r`` (reported, not decided)."""
    if r is None:
        return {}
    rest = df[df["randomness"] != r]
    return {f"{'/'.join(map(str, k)) if isinstance(k, tuple) else k} ({s}): median L": float(g["L"].median())
            for s, part in rest.groupby("randomness") for k, g in part.groupby(by)}


@claim("alvarez-maximiser-moves-explanation", paper=ALVAREZ, figure="Figs. 2-3",
       table="alvarez_melis",
       text="At the Lipschitz maximiser x' the explanation changes much more than the prediction: "
            "median relative explanation change ||f(x) - f(x')|| / ||f(x)|| exceeds the median "
            "largest change of a predicted value (probability; for regression the output) for "
            "LIME and SHAP on every classification dataset.")
def _maximiser(df, ctx):
    df, r = _setting(df, ctx)
    parts, numbers = [], {} if r is None else {"randomness": r}
    for (dataset, method), g in df.groupby(["dataset", "method"]):
        label = f"{dataset}/{method}: median explanation minus prediction change"
        if g["prediction_change"].max() <= 1:  # probabilities: classification
            parts.append(compare(ctx, label, g["explanation_change"], g["prediction_change"],
                                 stat=np.median, side=">"))
        else:  # a regression output has no common scale with a relative change: reported only
            numbers[f"{dataset}/{method} (regression): explanation/prediction change"] = \
                f"{g['explanation_change'].median():.3g}/{g['prediction_change'].median():.3g}"
    return parts, numbers


@claim("alvarez-estimates-above-noise-floor", paper=ALVAREZ, figure="Fig. 2", table="alvarez_melis",
       text="The Lipschitz estimates of LIME and SHAP are not sampling noise: the median estimate "
            "exceeds the median seed-to-seed noise floor at x divided by eps, on every dataset. "
            "Decided on the common-random-numbers estimates where computed (there the ratio sees only "
            "the input's change; fresh draws put the sampling noise into the estimate itself).")
def _noise(df, ctx):
    eps = ctx.get("eps", 0.1)
    df, r = _setting(df, ctx, prefer="common")
    return [compare(ctx, f"{dataset}/{method}: median L minus median floor/eps", g["L"],
                    g["noise_floor"] / eps, stat=np.median, side=">")
            for (dataset, method), g in df.groupby(["dataset", "method"])], \
        ({} if r is None else {"randomness": r})


# ------------------------------------------------------------------ Figs. 5-7: images

#: Perturbation-based explainers of the paper (Sec. 4); every other method is gradient-based.
PERTURBATION = ("lime", "kernel_shap", "occlusion")


@claim("alvarez-images-perturbation-less-robust", paper=ALVAREZ, figure="Fig. 6, Sec. 4",
       table="alvarez_melis_images",
       text="On the image model, perturbation-based explainers (LIME, SHAP, Occlusion) are less "
            "robust than gradient-based ones: the median scale-free Lipschitz estimate "
            "L * eps / ||f(x)|| (eq. 1 relative to the explanation's own norm) of every "
            "perturbation-based method exceeds that of every gradient-based one (paired over test "
            "images). Scale-free because attributions of different methods differ in scale even "
            "when every method explains the same output (figures.alvarez_melis_images.output): "
            "a segment-based explainer's per-pixel values depend on how a segment's weight is spread "
            "over its pixels; raw median L are reported. Decided on the section's first randomness "
            "setting (fresh draws: the paper's); the other's medians are reported.")
def _perturbation(df, ctx):
    eps = ctx.get("eps", 0.1)
    full = df
    df, r = _setting(df, ctx)
    methods = sorted(df["method"].unique())
    pert = [m for m in methods if m in PERTURBATION]
    grad = [m for m in methods if m not in PERTURBATION]
    if not pert or not grad:
        raise NotEvaluable("needs methods of both kinds (config key figures.alvarez_melis_images.methods)")
    df = df.assign(scale_free=df["L"] * eps / df["explanation_norm"].clip(lower=1e-12))
    parts = [compare(ctx, f"median scale-free L {p} minus {g}",
                     *pair(df, "point", "method", p, g, "scale_free"), stat=np.median, side=">")
             for p in pert for g in grad]
    numbers = {f"{m}: median L": v for m, v in df.groupby("method")["L"].median().items()}
    if r is not None:
        numbers = {"randomness": r, "output": ctx.get("output", "?"), **numbers,
                   **_other_medians(full, r, "method")}
    return parts, numbers


@claim("alvarez-images-maximiser-moves-explanation", paper=ALVAREZ, figure="Figs. 5, 7",
       table="alvarez_melis_images",
       text="On the image model the Lipschitz maximiser x' barely changes the prediction but "
            "changes the explanation: for every method the median largest change of a class "
            "probability is below 0.1 and below the median relative explanation change "
            "||f(x) - f(x')|| / ||f(x)||.",
       reported="Fig. 8 (ResNet, Saliency): predicted-class probability 0.7308 at x vs 0.7307 at the maximiser")
def _images_maximiser(df, ctx):
    df, _ = _setting(df, ctx)
    parts = []
    for method, g in df.groupby("method"):
        parts.append(compare(ctx, f"{method}: median probability change", g["prediction_change"],
                             stat=np.median, side="<", null=0.1))
        parts.append(compare(ctx, f"{method}: median explanation minus probability change",
                             g["explanation_change"], g["prediction_change"], stat=np.median, side=">"))
    return parts, {}


# ------------------------------------------------------------------ Fig. 1 in numbers

@claim("alvarez-fig1-linear-more-stable", paper=ALVAREZ, figure="Fig. 1", table="alvarez_melis_fig1",
       text="LIME and SHAP explanations are stable for the linear model and much less so for the "
            "network: the median discrete Lipschitz estimate (eq. 2, over the explained test points "
            "with a neighbour within eps, L2) of the linear SVM (first of figures.alvarez_melis_fig1."
            "models) is below that of the two-layer network (last), for both LIME and SHAP "
            "(unpaired bootstrap: each model has its own points with a neighbour).")
def _fig1_linear(df, ctx):
    models = list(ctx.get("models", ["linear_svm", "mlp_sklearn"]))
    linear, network = models[0], models[-1]
    key = "figures.alvarez_melis_fig1"
    require(df, "model", [linear, network], f"{key}.models")
    require(df, "method", ["lime", "kernel_shap"], f"{key}.methods")
    parts, numbers = [], {}
    for method in ("lime", "kernel_shap"):
        L = {}
        for m in (linear, network):
            L[m] = df.loc[(df["model"] == m) & (df["method"] == method), "L"].dropna().to_numpy()
            if not len(L[m]):
                raise NotEvaluable(f"no explained point of {m} has a neighbour within eps = "
                                   f"{ctx.get('eps')} (config key {key}.eps)")
            n = int(((df["model"] == m) & (df["method"] == method)).sum())
            numbers[f"{method}/{m}: median L (points with a neighbour)"] = f"{np.median(L[m]):.3g} ({len(L[m])} of {n})"
        numbers[f"{method}: network / linear"] = np.median(L[network]) / max(np.median(L[linear]), 1e-300)
        parts.append(compare(ctx, f"{method}: median L {linear} minus {network}", L[linear], L[network],
                             stat=np.median, paired=False, side="<"))
    return parts, numbers
