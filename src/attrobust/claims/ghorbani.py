"""Claims of Ghorbani, Abid & Zou (2019), Figs. 2, 4, 8 and 9.

Table "ghorbani": one row per (method, attack, eps, image) with topk_intersection,
spearman, center_shift and label_kept (workflow/scripts/attack_metrics.py).
"""
import numpy as np

from ..ledger import claim, require

GHORBANI = "Ghorbani et al. 2019"
TARGETED = ("topk", "mass_center")


def _means(df, col):
    return df.groupby(["method", "attack", "eps"])[col].mean()


def _random_vs_targeted(df, key):
    """Mean top-k intersection per (method, eps) under random sign perturbation, and the
    lowest one of the targeted attacks run (``key``: the config key that adds attacks)."""
    require(df, "attack", ["random_sign"], key)
    if not set(TARGETED) & set(df["attack"]):
        require(df, "attack", TARGETED, key)
    m = _means(df, "topk_intersection").unstack("attack")  # rows (method, eps)
    return m["random_sign"], m[[a for a in TARGETED if a in m.columns]].min(axis=1)


@claim("ghorbani-random-and-targeted", paper=GHORBANI, figure="Fig. 2", table="ghorbani",
       text="Random sign perturbation lowers the mean top-k intersection below 0.9 at the "
            "largest eps, and a targeted attack (top-k or center) lowers it further than random "
            "at every eps, for every method.")
def _targeted(df, ctx):
    random, targeted = _random_vs_targeted(df, "figures.ghorbani.attacks")
    eps_max = df["eps"].max()
    numbers, held = {}, True
    for method in sorted(df["method"].unique()):
        rnd, best = random.loc[method], targeted.loc[method]  # over eps
        numbers[f"{method}: random/targeted at eps={eps_max:g}"] = f"{rnd.loc[eps_max]:.3g}/{best.loc[eps_max]:.3g}"
        held &= bool(rnd.loc[eps_max] < 0.9 and (best < rnd).all())
    return held, numbers


@claim("ghorbani-center-attack-moves-center", paper=GHORBANI, figure="Fig. 8", table="ghorbani",
       text="At the largest eps the center attack shifts the saliency map's center of mass "
            "more than the top-k attack and random sign perturbation, for every method.")
def _center(df, ctx):
    require(df, "attack", ["mass_center"], "figures.ghorbani.attacks")
    if df["attack"].nunique() < 2:
        require(df, "attack", ["topk", "random_sign"], "figures.ghorbani.attacks")
    eps_max = df["eps"].max()
    m = _means(df[df["eps"] == eps_max], "center_shift")
    numbers, held = {}, True
    for method in sorted(df["method"].unique()):
        row = m.loc[method].droplevel("eps")
        numbers[f"{method}: shift center/top-k/random"] = "/".join(
            f"{row.get(a, np.nan):.3g}" for a in ("mass_center", "topk", "random_sign"))
        held &= bool(row["mass_center"] > max(row.get("topk", -np.inf), row.get("random_sign", -np.inf)))
    return held, numbers


@claim("ghorbani-ig-most-robust", paper=GHORBANI, figure="Fig. 2", table="ghorbani",
       text="Integrated Gradients is the most robust method at the largest eps: highest top-k "
            "intersection and Spearman correlation under the top-k attack and smallest center "
            "shift under the center attack.")
def _ig(df, ctx):
    require(df, "attack", ["topk", "mass_center"], "figures.ghorbani.attacks")
    require(df, "method", ["integrated_gradients"], "figures.ghorbani.methods")
    if df["method"].nunique() < 2:
        require(df, "method", ["simple_gradient", "deeplift"], "figures.ghorbani.methods")
    eps_max = df["eps"].max()
    d = df[df["eps"] == eps_max]
    topk = d[d["attack"] == "topk"].groupby("method")[["topk_intersection", "spearman"]].mean()
    shift = d[d["attack"] == "mass_center"].groupby("method")["center_shift"].mean()
    ig = "integrated_gradients"
    held = bool(topk["topk_intersection"].idxmax() == ig and topk["spearman"].idxmax() == ig
                and shift.idxmin() == ig)
    numbers = {f"{m}: top-k/Spearman/shift": f"{topk.loc[m, 'topk_intersection']:.3g}/"
               f"{topk.loc[m, 'spearman']:.3g}/{shift.loc[m]:.3g}" for m in topk.index}
    return held, numbers


@claim("ghorbani-label-unchanged", paper=GHORBANI, figure="Figs. 1-2", table="ghorbani",
       text="Every reported adversarial example keeps the original predicted label (attacks that "
            "found no label-preserving perturbation report the clean image, counted here).")
def _labels(df, ctx):
    changed = int((~df["label_unchanged"].astype(bool)).sum())
    fell_back = int((~df["label_kept"].astype(bool)).sum())
    return changed == 0, {"adversarial examples": len(df), "label changed": changed,
                          "no label-preserving perturbation found": fell_back}


# ------------------------------------------ influence functions (Figs. 3, 4), Fig. 9
# Table "ghorbani_influence": one row per (attack in targeted/random_sign, eps, image) with
# spearman, topk_overlap, label_kept, label_unchanged (workflow/scripts/influence.py).
# Table "ghorbani_fig9": as "ghorbani", for figures.ghorbani_fig9's dataset and model.

@claim("ghorbani-influence-targeted-beats-random", paper=GHORBANI, figure="Fig. 4",
       table="ghorbani_influence",
       text="Targeted influence attack changes the top-5 influential set more than random: at the "
            "largest eps the mean overlap of the top-k influential training points (k = "
            "figures.ghorbani_influence.k) before and after the targeted attack of eq. (2) is lower "
            "than after random sign perturbation of the same eps, with every perturbed image keeping "
            "its label.")
def _influence(df, ctx):
    require(df, "attack", ["targeted", "random_sign"], "figures.ghorbani_influence")
    eps_max = df["eps"].max()
    m = df[df["eps"] == eps_max].groupby("attack")[["topk_overlap", "spearman"]].mean()
    changed = int((~df["label_unchanged"].astype(bool)).sum())
    k = ctx.get("k", 5)
    held = bool(m.loc["targeted", "topk_overlap"] < m.loc["random_sign", "topk_overlap"] and changed == 0)
    return held, {
        f"top-{k} overlap targeted/random at eps={eps_max:g}":
            f"{m.loc['targeted', 'topk_overlap']:.3g}/{m.loc['random_sign', 'topk_overlap']:.3g}",
        f"Spearman targeted/random at eps={eps_max:g}":
            f"{m.loc['targeted', 'spearman']:.3g}/{m.loc['random_sign', 'spearman']:.3g}",
        "test images": int(df["image"].nunique()), "label changed": changed,
    }


@claim("ghorbani-fig9-targeted-beats-random", paper=GHORBANI, figure="Fig. 9", table="ghorbani_fig9",
       text="On the second dataset or architecture (figures.ghorbani_fig9), a targeted attack (top-k "
            "or center) lowers the mean top-k intersection further than random sign perturbation at "
            "the largest eps, for every method.")
def _fig9(df, ctx):
    random, targeted = _random_vs_targeted(df, "figures.ghorbani_fig9.attacks")
    eps_max = df["eps"].max()
    numbers, held = {}, True
    for method in sorted(df["method"].unique()):
        rnd, best = float(random.loc[(method, eps_max)]), float(targeted.loc[(method, eps_max)])
        numbers[f"{method}: random/targeted at eps={eps_max:g}"] = f"{rnd:.3g}/{best:.3g}"
        held &= best < rnd
    return held, numbers


# Table "ghorbani_angles": one row per (panel, image) with the angle in degrees (0-90) between the
# prediction's and the interpretation's steepest directions (workflow/scripts/hessian_angles.py:
# panel feature_importance, Fig. 11a; workflow/scripts/influence.py: panel influence, Fig. 11b).

@claim("ghorbani-orthogonal-directions", paper=GHORBANI, figure="Fig. 11", table="ghorbani_angles",
       text="The steepest directions of change of the interpretation and of the prediction are "
            "generally orthogonal: the median angle over test images is above 45 degrees (closer to "
            "orthogonal than to parallel), both (a) between grad S and the top singular vector of the "
            "input Hessian of S and (b) between the gradient of the loss and the gradient of the most "
            "influential training image's influence.")
def _orthogonal(df, ctx):
    require(df, "panel", ["feature_importance", "influence"], "figures.ghorbani_influence")
    med = df.groupby("panel")["angle"].median()
    return bool((med > 45).all()), {
        "median angle (a) feature importance": f"{med['feature_importance']:.3g} deg",
        "median angle (b) influence": f"{med['influence']:.3g} deg",
        "test images (a)/(b)": f"{int((df['panel'] == 'feature_importance').sum())}/"
                               f"{int((df['panel'] == 'influence').sum())}",
    }
