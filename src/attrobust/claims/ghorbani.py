"""Claims of Ghorbani, Abid & Zou (2019), Figs. 2 and 8.

Table "ghorbani": one row per (method, attack, eps, image) with topk_intersection,
spearman, center_shift and label_kept (workflow/scripts/attack_metrics.py).
"""
import numpy as np

from . import claim, require

GHORBANI = "Ghorbani et al. 2019"
TARGETED = ("topk", "mass_center")


def _means(df, col):
    return df.groupby(["method", "attack", "eps"])[col].mean()


@claim("ghorbani-random-and-targeted", paper=GHORBANI, figure="Fig. 2", table="ghorbani",
       text="Random sign perturbation lowers the mean top-k intersection below 0.9 at the "
            "largest eps, and a targeted attack (top-k or center) lowers it further than random "
            "at every eps, for every method.")
def _targeted(df, ctx):
    require(df, "attack", ["random_sign"], "figures.ghorbani.attacks")
    if not set(TARGETED) & set(df["attack"]):
        require(df, "attack", TARGETED, "figures.ghorbani.attacks")
    m = _means(df, "topk_intersection").unstack("attack")  # rows (method, eps)
    eps_max = df["eps"].max()
    numbers, held = {}, True
    for method in sorted(df["method"].unique()):
        rnd = m.loc[method, "random_sign"]
        best = m.loc[method, [a for a in TARGETED if a in m.columns]].min(axis=1)
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
