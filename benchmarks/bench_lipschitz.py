"""(b) Lipschitz estimation (Alvarez-Melis & Jaakkola 2018, eq. 1): seconds per point and
the estimate reached.

Ours: ``attrobust.lipschitz.estimate(f, x, method='bo')`` (the paper's estimator, our skopt
settings) and ``method='bo_refine'`` (BO, then a local search; the stronger option).
Baseline: a plain ``skopt.gp_minimize(lambda z: -ratio(z), box, n_calls, random_state=seed)``
with skopt's defaults, on the same explainer, point, box (the L-inf ball of radius eps
intersected with the data range; coordinates of zero width dropped, which skopt requires)
and seed. Both get f(x) computed beforehand, so each timed run makes exactly ``n_calls``
explainer calls; the explainer is wrapped to time its own calls.

Cases: IG (50 steps, the configs' setting) of the 8x8 digits CNN at the paper's 200 calls;
LIME (1000 samples) of a random forest on UCI wine at the paper's 40 calls for LIME/SHAP;
and, for the paper-scale extrapolation, our BO's own overhead in 784 dimensions (saliency
of the 28x28 CNN, 200 calls). Each point is run once (the runs are deterministic given the
seed and take seconds to minutes): timing is per point, not a median of repeats.

The plain loop is slow (skopt's defaults fit an ARD GP and optimise the acquisition with
L-BFGS from 10000 points every call), so it gets a wall-clock cap (skopt's
``DeadlineStopper``); where it stops early, ours is compared at the same number of calls
(our running maximum after that many calls, and the time we took to get there).
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from _common import cnn28, digits, digits_cnn, images28, one_thread


class Timed:
    """An explainer that times its own calls: ``seconds`` in total and, per call, the
    wall-clock time at its end and the explainer seconds so far (for costs after n calls)."""

    def __init__(self, f):
        self.f, self.seconds, self.marks = f, 0.0, []

    def __call__(self, x):
        t0 = time.perf_counter()
        out = self.f(x)
        t1 = time.perf_counter()
        self.seconds += t1 - t0
        self.marks.append((t1, self.seconds))
        return out

    def reset(self):
        self.seconds, self.marks = 0.0, []


def _box(x, eps, lower, upper):
    xf = x.astype(np.float64).ravel()
    lo = np.maximum(xf - eps, np.broadcast_to(lower, x.shape).ravel())
    hi = np.minimum(xf + eps, np.broadcast_to(upper, x.shape).ravel())
    return xf, lo, hi


def plain_gp_minimize(f, x, f_x, *, eps, lower, upper, n_calls, seed, deadline_s=None):
    """The loop a user would write around skopt with its defaults. Returns (L, calls made)."""
    from skopt import gp_minimize
    from skopt.callbacks import DeadlineStopper

    xf, lo, hi = _box(x, eps, lower, upper)
    free = np.flatnonzero(hi > lo)
    fx = np.asarray(f_x, np.float64).ravel()

    def neg_ratio(z):
        xp = xf.copy()
        xp[free] = z
        xp = xp.reshape(x.shape).astype(x.dtype)
        d = np.linalg.norm(xp.astype(np.float64).ravel() - xf)
        if d == 0:
            return 0.0
        return -float(np.linalg.norm(np.asarray(f(xp), np.float64).ravel() - fx) / d)

    cb = [DeadlineStopper(deadline_s)] if deadline_s else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = gp_minimize(neg_ratio, [(float(a), float(b)) for a, b in zip(lo[free], hi[free])],
                          n_calls=n_calls, random_state=seed, callback=cb)
    return -float(res.fun), len(res.func_vals)


def _cases(quick):
    """(name, explainer factory per point, points, eps, lower, upper, n_calls, estimators, plain cap)"""
    from attrobust import data, explain, lipschitz, models

    ds = digits()
    net = digits_cnn()
    d_all = np.concatenate([ds["X_train"], ds["X_test"]])
    Xd = np.asarray(ds["X_test"], np.float32)
    td = explain.resolve_target("predicted", None, models.predict_proba(net, Xd[:4]))

    def ig_digits(i):
        return lipschitz.explainer("integrated_gradients", net, target=int(td[i]), seed=0,
                                   shape=Xd[i].shape, n_steps=50)

    wine = data.load("wine")
    rf = models.build("random_forest", wine["input_shape"], len(wine["class_names"]), seed=0)
    models.train(rf, wine, seed=0)
    Xw = np.asarray(wine["X_test"], np.float32)
    tw = explain.resolve_target("predicted", None, models.predict_proba(rf, Xw[:4]))
    w_all = np.concatenate([wine["X_train"], wine["X_test"]])
    bg = np.asarray(wine["X_train"][np.sort(np.random.default_rng(0).choice(len(wine["X_train"]), 100, replace=False))])

    def lime_wine(i):
        return lipschitz.explainer("lime", rf, target=int(tw[i]), seed=0, shape=Xw[i].shape,
                                   num_samples=1000, background=bg)

    net28 = cnn28()
    X28 = images28()
    t28 = explain.resolve_target("predicted", None, models.predict_proba(net28, X28[:1]))

    def sal_28(i):
        return lipschitz.explainer("saliency", net28, target=int(t28[i]), seed=0, shape=X28[i].shape)

    return [
        {"case": "digits CNN, integrated_gradients (50 steps)", "make": ig_digits, "X": Xd,
         "points": [0], "eps": 0.1, "lower": d_all.min(0), "upper": d_all.max(0),
         "n_calls": 24 if quick else 200, "estimators": ["bo", "bo_refine", "plain"],
         "plain_cap_s": 60 if quick else 90},
        {"case": "wine random forest, lime (1000 samples)", "make": lime_wine, "X": Xw,
         "points": [0] if quick else [0, 1], "eps": 0.1, "lower": w_all.min(0), "upper": w_all.max(0),
         "n_calls": 15 if quick else 40, "estimators": ["bo", "bo_refine", "plain"],
         "plain_cap_s": 30 if quick else 60},
        {"case": "28x28 CNN, saliency (BO overhead in 784 dims)", "make": sal_28, "X": X28,
         "points": [0], "eps": 0.1, "lower": 0.0, "upper": 1.0,
         "n_calls": 20 if quick else 200, "estimators": ["bo"], "plain_cap_s": None},
    ]


def run(quick: bool = False) -> dict:
    one_thread()
    from attrobust import lipschitz

    rows = []
    for c in _cases(quick):
        for est in c["estimators"]:
            per_point = []
            for i in c["points"]:
                x = c["X"][i]
                f = Timed(c["make"](i))
                f_x = f(x)  # warm-up, and f(x) for both ours and the baseline
                f.reset()
                t0 = time.perf_counter()
                if est == "plain":
                    L, calls = plain_gp_minimize(f, x, f_x, eps=c["eps"], lower=c["lower"],
                                                 upper=c["upper"], n_calls=c["n_calls"], seed=i,
                                                 deadline_s=c["plain_cap_s"])
                    best = None
                else:
                    r = lipschitz.estimate(f, x, eps=c["eps"], n_calls=c["n_calls"], method=est,
                                           lower=c["lower"], upper=c["upper"], seed=i, f_x=f_x)
                    L, calls, best = r["L"], len(r["trace"]), r["best_so_far"]
                total = time.perf_counter() - t0
                marks = [(round(t - t0, 4), round(s, 4)) for t, s in f.marks]
                per_point.append({"point": i, "L": L, "calls": calls, "total_s": total,
                                  "explainer_s": f.seconds, "marks": marks,
                                  "best_so_far": None if best is None else [float(f"{b:.6g}") for b in best]})
            rows.append({"case": c["case"], "estimator": est, "n_calls": c["n_calls"],
                         "points": per_point})
            tot = np.mean([p["total_s"] for p in per_point])
            ex = np.mean([p["explainer_s"] for p in per_point])
            print(f"  {c['case']:48s} {est:9s} {tot:7.1f} s/point (explainer {ex:6.1f} s) "
                  f"L {np.mean([p['L'] for p in per_point]):.4g} calls "
                  f"{[p['calls'] for p in per_point]}", flush=True)
    _compare(rows)
    return {
        "description": "Lipschitz estimate (eq. 1) per point: ours (lipschitz.estimate, 'bo' and "
                       "'bo_refine') vs plain skopt.gp_minimize with defaults",
        "rows": rows,
    }


def _at(point, n):
    """Our time and running maximum after n explainer calls."""
    t = point["marks"][n - 1][0] if n <= len(point["marks"]) else point["total_s"]
    return t, point["best_so_far"][n - 1]


def _compare(rows):
    """Summaries: per estimator, seconds per point, explainer share, mean L; for the plain
    loop stopped early, ours at the same number of calls."""
    for r in rows:
        pts = r["points"]
        r["total_s_per_point"] = float(np.mean([p["total_s"] for p in pts]))
        r["explainer_s_per_point"] = float(np.mean([p["explainer_s"] for p in pts]))
        r["total_over_explainer"] = r["total_s_per_point"] / max(r["explainer_s_per_point"], 1e-12)
        r["met"] = bool(r["total_over_explainer"] <= 1.2) if r["estimator"] != "plain" else None
        r["L_mean"] = float(np.mean([p["L"] for p in pts]))
        r["calls_per_point"] = [p["calls"] for p in pts]
    by_case: dict = {}
    for r in rows:
        by_case.setdefault(r["case"], {})[r["estimator"]] = r
    for case in by_case.values():
        plain, bo = case.get("plain"), case.get("bo")
        if plain and bo:
            same = [(_at(b, p["calls"]), p["calls"]) for b, p in zip(bo["points"], plain["points"])]
            plain["bo_at_same_calls"] = {
                "calls": [n for _, n in same],
                "L_mean": float(np.mean([L for (_, L), _ in same])),
                "total_s_per_point": float(np.mean([t for (t, _), _ in same])),
            }


def table(res: dict) -> str:
    out = ["| case | estimator | calls/point | s/point | explainer s/point | total / explainer "
           "| target <= 1.2 | L (mean) |",
           "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |"]
    for r in res["rows"]:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        calls = sorted(set(r["calls_per_point"]))
        calls_s = "/".join(map(str, calls)) + ("" if calls == [r["n_calls"]] else f" (capped; of {r['n_calls']})")
        name = "plain gp_minimize" if r["estimator"] == "plain" else f"ours {r['estimator']}"
        out.append(f"| {r['case']} | {name} | {calls_s} | {r['total_s_per_point']:.1f} | "
                   f"{r['explainer_s_per_point']:.2f} | {r['total_over_explainer']:.1f}x | {met} | "
                   f"{r['L_mean']:.4g} |")
        same = r.get("bo_at_same_calls")
        if same and calls != [r["n_calls"]]:
            out.append(f"| {r['case']} | ours bo, first {'/'.join(map(str, sorted(set(same['calls']))))} calls | "
                       f"{'/'.join(map(str, sorted(set(same['calls']))))} | {same['total_s_per_point']:.1f} | | | | "
                       f"{same['L_mean']:.4g} |")
    return "\n".join(out)
