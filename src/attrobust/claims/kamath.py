"""Claims of Kamath et al. (2023), "Rethinking Robustness of Model Attributions" (LENS).

Table "kamath": results/metrics/kamath/lens.csv, one row per (dataset, model, regime, method,
attack, eps, image, metric, w) with its value (workflow/scripts/kamath_metrics.py). Context:
figures.kamath's dataset, model, robust_models, budget, ws.
"""
import numpy as np

from ..ledger import NotEvaluable, claim, require

KAMATH = "Kamath et al. 2023"
_RUN = ["dataset", "model", "method", "attack", "eps", "image"]


def _wide(df, metrics):
    """One row per (run, image), one column per (metric, w)."""
    d = df[df["metric"].isin(metrics)]
    return d.pivot_table(index=_RUN, columns=["metric", "w"], values="value", aggfunc="first")


@claim("kamath-lens-above-topk", paper=KAMATH, figure="Prop. 1, Figs. 2, 4, 5", table="kamath",
       text="For every attacked image, every w-LENS-prec@k and w-LENS-recall@k is at least the "
            "top-k intersection of the same pair of maps and does not decrease as w grows "
            "(Prop. 1; exact arithmetic, no tolerance).")
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
            "of figures.kamath.ws (diversity window w_div fixed).")
def _diversity(df, ctx):
    d = df[df["model"] == ctx.get("model", df["model"].iloc[0])]
    wide = _wide(d, ["lens_prec", "lens_recall", "lens_prec_div", "lens_recall_div"])
    ws = [w for w in sorted(ctx.get("ws", [])) if w >= 1 and ("lens_prec", w) in wide.columns]
    if not ws:
        raise NotEvaluable("needs a w >= 1 in figures.kamath.ws")
    numbers, held = {}, True
    for m in ("lens_prec", "lens_recall"):
        diffs = [float((wide[(f"{m}_div", w)] - wide[(m, w)]).mean()) for w in ws]
        numbers[f"mean {m}-div minus {m} at w={ws}"] = diffs
        held &= all(x >= 0 for x in diffs)
    numbers["images"] = len(wide)
    return held, numbers


@claim("kamath-robust-training", paper=KAMATH, figure="Fig. 8", table="kamath",
       text="Under the top-k attack at figures.kamath.budget, Integrated Gradients of every "
            "PGD- and IG-SUM-NORM-trained model is more robust than that of the naturally trained "
            "model: higher mean top-k intersection, 1-LENS-prec@k and 1-LENS-recall@k.")
def _training(df, ctx):
    robust = list(ctx.get("robust_models", []))
    if not robust:
        raise NotEvaluable("needs a PGD or IG-SUM-NORM model (config key figures.kamath.robust_models)")
    d = df[(df["dataset"] == ctx["dataset"]) & (df["method"] == "integrated_gradients")
           & (df["attack"] == "topk") & (df["eps"] == ctx["budget"])]
    require(d, "model", [ctx["model"], *robust], "figures.kamath.robust_models")
    cols = [("topk_intersection", 0), ("lens_prec", 1), ("lens_recall", 1)]
    means = {m: [float(d[(d["model"] == m) & (d["metric"] == c) & (d["w"] == w)]["value"].mean())
                 for c, w in cols] for m in [ctx["model"], *robust]}
    nat = means[ctx["model"]]
    held = all(r > n for m in robust for r, n in zip(means[m], nat))
    regimes = dict(zip(d["model"], d["regime"]))
    return held, {f"{m} ({regimes[m]}): top-k/1-LENS-prec/1-LENS-recall": "/".join(f"{v:.3f}" for v in v3)
                  for m, v3 in means.items()}


@claim("kamath-lens-attack-weaker", paper=KAMATH, figure="Appendix E.1", table="kamath",
       text="Replacing the top-k attack's objective by (a relaxation of) 1 - 1-LENS-prec@k gives a "
            "weaker attack on IG: higher mean top-k intersection and 1-LENS-prec@k than the top-k attack.")
def _lens_attack(df, ctx):
    d = df[(df["dataset"] == ctx["dataset"]) & (df["model"] == ctx["model"])
           & (df["method"] == "integrated_gradients") & (df["eps"] == ctx["budget"])]
    require(d, "attack", ["lens", "topk"], "figures.kamath.lens_attack")
    out = {}
    for a in ("topk", "lens"):
        x = d[d["attack"] == a]
        out[a] = [float(x[(x["metric"] == "topk_intersection")]["value"].mean()),
                  float(x[(x["metric"] == "lens_prec") & (x["w"] == 1)]["value"].mean())]
    held = bool(np.all(np.array(out["lens"]) > np.array(out["topk"])))
    return held, {f"{a} attack: top-k/1-LENS-prec": "/".join(f"{v:.3f}" for v in out[a]) for a in out}
