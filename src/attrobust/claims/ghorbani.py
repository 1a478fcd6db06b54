"""Claims of Ghorbani, Abid & Zou (2019), Figs. 2, 4, 8 and 9.

Table "ghorbani": one row per (method, attack, eps, image) with topk_intersection,
spearman, center_shift and label_kept (workflow/scripts/attack_metrics.py). The units are
the test images (``image``), paired across methods, attacks and eps.
"""
import numpy as np

from ..ledger import CODE_CHECK, claim, compare, min_mean, pair, require

GHORBANI = "Ghorbani et al. 2019"
TARGETED = ("topk", "mass_center")


def _images(df, col, attacks):
    """images x attacks matrix of ``col`` (rows: images present under every attack)."""
    wide = df.pivot_table(index="image", columns="attack", values=col, aggfunc="mean")
    return wide[[a for a in attacks if a in wide]].dropna()


def _random_vs_targeted(df, ctx, key, eps_values, method):
    """Parts: at each eps the lower of the targeted attacks' mean top-k intersections (the
    minimum taken inside every resample, so picking the stronger attack is part of the
    uncertainty) is below random sign perturbation's (``key``: the config key that adds attacks)."""
    require(df, "attack", ["random_sign"], key)
    if not set(TARGETED) & set(df["attack"]):
        require(df, "attack", TARGETED, key)
    parts = []
    for eps in eps_values:
        d = df[(df["method"] == method) & (df["eps"] == eps)]
        wide = _images(d, "topk_intersection", ["random_sign", *TARGETED])
        targeted = [a for a in TARGETED if a in wide]
        parts.append(compare(ctx, f"{method}: targeted minus random top-k intersection at eps={eps:g}",
                             wide[targeted].to_numpy(), wide[["random_sign"]].to_numpy(),
                             stat=min_mean, side="<"))
    return parts


@claim("ghorbani-random-and-targeted", paper=GHORBANI, figure="Fig. 2", table="ghorbani",
       text="Random sign perturbation lowers the mean top-k intersection below 0.9 at the "
            "largest eps, and a targeted attack (top-k or center) lowers it further than random "
            "at every eps, for every method.")
def _targeted(df, ctx):
    key = "figures.ghorbani.attacks"
    require(df, "attack", ["random_sign"], key)
    eps_max = df["eps"].max()
    parts = []
    for method in sorted(df["method"].unique()):
        rnd = df[(df["method"] == method) & (df["attack"] == "random_sign") & (df["eps"] == eps_max)]
        parts.append(compare(ctx, f"{method}: random top-k intersection at eps={eps_max:g}",
                             rnd.groupby("image")["topk_intersection"].mean(), side="<", null=0.9))
        parts += _random_vs_targeted(df, ctx, key, sorted(df["eps"].unique()), method)
    return parts, {}


@claim("ghorbani-each-targeted-beats-random", paper=GHORBANI, figure="Figs. 2, 9", table="ghorbani",
       text="At the largest eps each targeted attack on its own, the top-k attack and the center "
            "attack, lowers both the mean top-k intersection and the mean Spearman rank correlation "
            "further than random sign perturbation, for every method.",
       reported="Fig. 9 (CIFAR-10): the center-shift and top-k attacks achieve similar results for rank "
                "correlation and top-100 intersection, and both are stronger than random perturbations")
def _each_targeted(df, ctx):
    key = "figures.ghorbani.attacks"
    require(df, "attack", ["random_sign", *TARGETED], key)
    d = df[df["eps"] == df["eps"].max()]
    parts = []
    for method in sorted(d["method"].unique()):
        m = d[d["method"] == method]
        for attack in TARGETED:
            for col in ("topk_intersection", "spearman"):
                parts.append(compare(ctx, f"{method}: {col}, {attack} minus random_sign",
                                     *pair(m, "image", "attack", attack, "random_sign", col), side="<"))
    return parts, {"eps": float(d["eps"].max())}


@claim("ghorbani-center-attack-moves-center", paper=GHORBANI, figure="Fig. 8", table="ghorbani",
       text="At the largest eps the center attack shifts the saliency map's center of mass "
            "more than the top-k attack and random sign perturbation, for every method.")
def _center(df, ctx):
    require(df, "attack", ["mass_center"], "figures.ghorbani.attacks")
    if df["attack"].nunique() < 2:
        require(df, "attack", ["topk", "random_sign"], "figures.ghorbani.attacks")
    eps_max = df["eps"].max()
    parts = []
    for method in sorted(df["method"].unique()):
        d = df[(df["method"] == method) & (df["eps"] == eps_max)]
        for other in ("topk", "random_sign"):
            if other in set(d["attack"]):
                parts.append(compare(ctx, f"{method}: center shift, center minus {other} attack",
                                     *pair(d, "image", "attack", "mass_center", other, "center_shift"),
                                     side=">"))
    return parts, {}


@claim("ghorbani-ig-most-robust", paper=GHORBANI, figure="Figs. 2, 8", table="ghorbani",
       text="Integrated Gradients is the most robust method at the largest eps: higher top-k "
            "intersection and Spearman correlation than every other method under the top-k attack "
            "and smaller center shift under the center attack.")
def _ig(df, ctx):
    require(df, "attack", ["topk", "mass_center"], "figures.ghorbani.attacks")
    require(df, "method", ["integrated_gradients"], "figures.ghorbani.methods")
    if df["method"].nunique() < 2:
        require(df, "method", ["simple_gradient", "deeplift"], "figures.ghorbani.methods")
    d = df[df["eps"] == df["eps"].max()]
    ig, parts = "integrated_gradients", []
    topk, center = d[d["attack"] == "topk"], d[d["attack"] == "mass_center"]
    for m in sorted(set(d["method"]) - {ig}):
        for col, t, side in (("topk_intersection", topk, ">"), ("spearman", topk, ">"),
                             ("center_shift", center, "<")):
            parts.append(compare(ctx, f"{col}: IG minus {m}", *pair(t, "image", "method", ig, m, col), side=side))
    return parts, {}


@claim("ghorbani-label-unchanged", paper=GHORBANI, figure="Figs. 1-2", table="ghorbani", kind=CODE_CHECK,
       text="Every reported adversarial example keeps the original predicted label (attacks that "
            "found no label-preserving perturbation report the clean image, counted here). Holds by "
            "construction: the attack rejects label changes.")
def _labels(df, ctx):
    changed = int((~df["label_unchanged"].astype(bool)).sum())
    fell_back = int((~df["label_kept"].astype(bool)).sum())
    return changed == 0, {"adversarial examples": len(df), "label changed": changed,
                          "no label-preserving perturbation found": fell_back}


# ------------------------------------------ influence functions (Figs. 3, 4), Fig. 9
# Table "ghorbani_influence": one row per (attack in targeted/random_sign, eps, image) with
# spearman, topk_overlap, label_kept, label_unchanged (workflow/papers/ghorbani/scripts/influence.py).
# Table "ghorbani_fig9": as "ghorbani", for figures.ghorbani_fig9's dataset and model.

@claim("ghorbani-influence-targeted-beats-random", paper=GHORBANI, figure="Fig. 4",
       table="ghorbani_influence",
       text="Targeted influence attack changes the top-5 influential set more than random: at the "
            "largest eps the mean overlap of the top-k influential training points (k = "
            "figures.ghorbani_influence.k) before and after the targeted attack of eq. (2) is lower "
            "than after random sign perturbation of the same eps (paired over test images; the "
            "attack keeps every label by construction, label changes are reported).")
def _influence(df, ctx):
    require(df, "attack", ["targeted", "random_sign"], "figures.ghorbani_influence")
    eps_max = df["eps"].max()
    d = df[df["eps"] == eps_max]
    k = ctx.get("k", 5)
    parts = [compare(ctx, f"top-{k} overlap targeted minus random at eps={eps_max:g}",
                     *pair(d, "image", "attack", "targeted", "random_sign", "topk_overlap"), side="<")]
    rho = d.groupby("attack")["spearman"].mean()
    return parts, {f"Spearman targeted/random at eps={eps_max:g}": f"{rho['targeted']:.3g}/{rho['random_sign']:.3g}",
                   "test images": int(df["image"].nunique()),
                   "label changed": int((~df["label_unchanged"].astype(bool)).sum())}


@claim("ghorbani-fig9-targeted-beats-random", paper=GHORBANI, figure="Fig. 9", table="ghorbani_fig9",
       text="On the second dataset or architecture (figures.ghorbani_fig9), a targeted attack (top-k "
            "or center) lowers the mean top-k intersection further than random sign perturbation at "
            "the largest eps, for every method.")
def _fig9(df, ctx):
    eps_max = df["eps"].max()
    parts = []
    for method in sorted(df["method"].unique()):
        parts += _random_vs_targeted(df, ctx, "figures.ghorbani_fig9.attacks", [eps_max], method)
    return parts, {}


# Table "ghorbani_angles": one row per (panel, image) with the angle in degrees (0-90) between the
# prediction's and the interpretation's steepest directions (workflow/papers/ghorbani/scripts/hessian_angles.py:
# panel feature_importance, Fig. 11a; workflow/papers/ghorbani/scripts/influence.py: panel influence, Fig. 11b).

@claim("ghorbani-orthogonal-directions", paper=GHORBANI, figure="Fig. 11", table="ghorbani_angles",
       text="The steepest directions of change of the interpretation and of the prediction are "
            "generally orthogonal: the median angle over test images is above 45 degrees (closer to "
            "orthogonal than to parallel), both (a) between grad S and the top singular vector of the "
            "input Hessian of S and (b) between the gradient of the loss and the gradient of the most "
            "influential training image's influence.")
def _orthogonal(df, ctx):
    require(df, "panel", ["feature_importance", "influence"], "figures.ghorbani_influence")
    panels = {"feature_importance": "(a) feature importance", "influence": "(b) influence"}
    return [compare(ctx, f"median angle {name} (deg)", df.loc[df["panel"] == p, "angle"],
                    stat=np.median, side=">", null=45) for p, name in panels.items()], \
        {"test images (a)/(b)": f"{int((df['panel'] == 'feature_importance').sum())}/"
                                f"{int((df['panel'] == 'influence').sum())}"}
