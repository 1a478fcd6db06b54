"""Claims of Kamath et al. (2023), "Rethinking Robustness of Model Attributions" (LENS).

Table "kamath": results/metrics/kamath/lens.csv, one row per (dataset, model, regime, method,
attack, eps, image, metric, w) with its value (workflow/papers/kamath/scripts/kamath_metrics.py). Context:
figures.kamath's dataset, model, robust_models, budget, ws. The units are the attacked test
images (``image``), paired across metrics, models and attacks.
"""
from ..ledger import CODE_CHECK, NotEvaluable, claim, compare, require

KAMATH = "Kamath et al. 2023"
_RUN = ["dataset", "model", "method", "attack", "eps", "image"]


def _wide(df, metrics):
    """One row per (run, image), one column per (metric, w)."""
    d = df[df["metric"].isin(metrics)]
    return d.pivot_table(index=_RUN, columns=["metric", "w"], values="value", aggfunc="first")


@claim("kamath-lens-above-topk", paper=KAMATH, figure="Prop. 1, Figs. 2, 4, 5", table="kamath",
       kind=CODE_CHECK,
       text="For every attacked image, every w-LENS-prec@k and w-LENS-recall@k is at least the "
            "top-k intersection of the same pair of maps and does not decrease as w grows "
            "(Prop. 1; exact arithmetic, no tolerance). An identity: it checks our metrics.",
       reported="Sec. 3.2 (MNIST, Fashion-MNIST, IG, top-k attack): 1-LENS-prec@k above 90% vs top-k "
                "intersection near 40%; Fig. 3 (one Flower image): top-k 0.14, 1-LENS-prec 0.37, 2-LENS-prec 0.62")
def _prop1(df, ctx):
    wide = _wide(df, ["topk_intersection", "lens_prec", "lens_recall"])
    topk = wide[("topk_intersection", 0)]
    ws = sorted(w for m, w in wide.columns if m == "lens_prec")
    if len(ws) < 2:
        raise NotEvaluable("needs at least two w (config key figures.kamath.ws)")
    below, drops = 0, 0
    for m in ("lens_prec", "lens_recall"):
        for i, w in enumerate(ws):
            below += int((wide[(m, w)] < topk).sum())
            if i:
                drops += int((wide[(m, w)] < wide[(m, ws[i - 1])]).sum())
    n = len(wide)
    return below == 0 and drops == 0, {
        "pairs of maps": n, "w": list(map(int, ws)), "LENS below top-k": below, "decreases in w": drops,
        "mean top-k / 1-LENS-prec / 1-LENS-recall": f"{topk.mean():.3f}/{wide[('lens_prec', 1)].mean():.3f}/"
                                                    f"{wide[('lens_recall', 1)].mean():.3f}",
    }


@claim("kamath-diversity-raises-lens", paper=KAMATH, figure="Sec. 4, Figs. 2, 5, 6", table="kamath",
       text="On average over all attacked images of the natural model, w-LENS-prec@k-div and "
            "w-LENS-recall@k-div are at least w-LENS-prec@k and w-LENS-recall@k at every w >= 1 "
            "of figures.kamath.ws (diversity window w_div fixed; paired over attacked images).",
       reported="Table 2 (ImageNet, random sign, natural ResNet-50): 3-LENS@k 0.7148 vs -div 0.8380 (IG), "
                "0.7875 vs 0.8290 (SG); Figs. 3, 6 (one Flower image): 1-LENS-prec@k 0.37 vs -div 0.86")
def _diversity(df, ctx):
    d = df[df["model"] == ctx.get("model", df["model"].iloc[0])]
    wide = _wide(d, ["lens_prec", "lens_recall", "lens_prec_div", "lens_recall_div"])
    ws = [w for w in sorted(ctx.get("ws", [])) if w >= 1 and ("lens_prec", w) in wide.columns]
    if not ws:
        raise NotEvaluable("needs a w >= 1 in figures.kamath.ws")
    parts = [compare(ctx, f"{w}-{m}-div minus {w}-{m}", wide[(f"{m}_div", w)], wide[(m, w)], side=">=")
             for m in ("lens_prec", "lens_recall") for w in ws]
    return parts, {"attacked images": len(wide)}


_TRAINING = [("topk_intersection", 0, "top-k"), ("lens_prec", 1, "1-LENS-prec"), ("lens_recall", 1, "1-LENS-recall")]


def _by_image(d, metric, w, model=None, attack=None):
    sel = (d["metric"] == metric) & (d["w"] == w)
    if model is not None:
        sel &= d["model"] == model
    if attack is not None:
        sel &= d["attack"] == attack
    return d[sel].groupby("image")["value"].mean()


def _paired(x, y):
    both = x.index.intersection(y.index)
    return x.loc[both].to_numpy(), y.loc[both].to_numpy()


@claim("kamath-robust-training", paper=KAMATH, figure="Fig. 8", table="kamath",
       text="Under the top-k attack at figures.kamath.budget, Integrated Gradients of every "
            "PGD- and IG-SUM-NORM-trained model is more robust than that of the naturally trained "
            "model: higher mean top-k intersection, 1-LENS-prec@k and 1-LENS-recall@k (paired over "
            "test images).")
def _training(df, ctx):
    robust = list(ctx.get("robust_models", []))
    if not robust:
        raise NotEvaluable("needs a PGD or IG-SUM-NORM model (config key figures.kamath.robust_models)")
    d = df[(df["dataset"] == ctx["dataset"]) & (df["method"] == "integrated_gradients")
           & (df["attack"] == "topk") & (df["eps"] == ctx["budget"])]
    require(d, "model", [ctx["model"], *robust], "figures.kamath.robust_models")
    regimes = dict(zip(d["model"], d["regime"]))
    parts = [compare(ctx, f"{name}: {m} ({regimes[m]}) minus {ctx['model']}",
                     *_paired(_by_image(d, metric, w, m), _by_image(d, metric, w, ctx["model"])), side=">")
             for m in robust for metric, w, name in _TRAINING]
    return parts, {}


@claim("kamath-lens-attack-weaker", paper=KAMATH, figure="Appendix E.1", table="kamath",
       text="Replacing the top-k attack's objective by (a relaxation of) 1 - 1-LENS-prec@k gives a "
            "weaker attack on IG: higher mean top-k intersection and 1-LENS-prec@k than the top-k "
            "attack (paired over test images).")
def _lens_attack(df, ctx):
    d = df[(df["dataset"] == ctx["dataset"]) & (df["model"] == ctx["model"])
           & (df["method"] == "integrated_gradients") & (df["eps"] == ctx["budget"])]
    require(d, "attack", ["lens", "topk"], "figures.kamath.lens_attack")
    parts = [compare(ctx, f"{name}: LENS minus top-k attack",
                     *_paired(_by_image(d, metric, w, attack="lens"), _by_image(d, metric, w, attack="topk")),
                     side=">")
             for metric, w, name in _TRAINING[:2]]
    return parts, {}
