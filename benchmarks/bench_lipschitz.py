"""(b) Lipschitz estimation (Alvarez-Melis & Jaakkola 2018, eq. 1): the estimate reached at
an equal number of explainer calls, and the optimiser's own time against the explainer's.

Estimators, all on the same explainer, point, box (the L-inf ball of radius eps intersected
with the data range; coordinates of zero width dropped, which skopt requires), seed and
number of calls (each gets f(x) beforehand, so each run makes exactly ``n_calls`` explainer
calls; no time cap):

- ``bo``: ``lipschitz.estimate(method='bo')``, the default (attrobust.lipschitz.gpbo);
- ``bo_lbfgs``: the same with the acquisition climbed by L-BFGS-B as skopt does
  (``lbfgs_max_dims=64``, the default until 2026-12-04);
- ``skopt``: ``method='skopt'``, skopt's Optimizer in gp_minimize's loop with the speed
  settings of the previous rounds (an earlier default ``bo``);
- ``plain``: ``skopt.gp_minimize(lambda z: -ratio(z), box, n_calls, random_state=seed)``
  with skopt's defaults (what a user would write; L-BFGS on the acquisition, ARD GP refitted
  every call);
- ``random``: uniform in the box (what sampling-based peers amount to; see bench_peers).

Cases: analytic ones, where the answer is known: f(x) = B x with B a standard normal n x n
matrix (n = 16 and 64), x uniform in [0.2, 0.8]^n, box [x - 0.1, x + 0.1] inside [0, 1]^n:
the ratio ||B d|| / ||d|| depends only on the direction of d = x' - x, and the box holds a
short step in every direction, so the sup over the box is ||B||_2 (attained at x + t v_1, v_1
the top right singular vector, for any small t; the estimator reports ratios it evaluated, so
it approaches ||B||_2 from below); and real ones: IG (50 steps) of the 8x8 digits CNN (61
free pixels) and saliency of the 28x28 CNN (784 pixels) at the paper's 200 calls, LIME of a
random forest on UCI wine at its 40. Several points (analytic: several draws of B and x)
per case, each with its own seed.

Time: wall-clock and CPU seconds (``time.process_time``, one thread) of the whole estimate
and of the explainer's calls inside it (the explainer is wrapped to time itself); the
optimiser's time is the rest. On a shared machine the CPU ratio is the number to read.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from _common import cnn28, digits, digits_cnn, images28, one_thread


class Timed:
    """An explainer that times its own calls: ``seconds`` (wall) and ``cpu`` (process CPU)
    in total and, per call, the wall-clock time at its end and the explainer seconds so far
    (for costs after n calls)."""

    def __init__(self, f):
        self.f = f
        self.reset()

    def __call__(self, x):
        t0, c0 = time.perf_counter(), time.process_time()
        out = self.f(x)
        t1 = time.perf_counter()
        self.cpu += time.process_time() - c0
        self.seconds += t1 - t0
        self.marks.append((t1, self.seconds))
        return out

    def reset(self):
        self.seconds, self.cpu, self.marks = 0.0, 0.0, []


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


def linear_case(n, draw):
    """f(x) = B x, B standard normal n x n, x uniform in [0.2, 0.8]^n (draw ``draw``), the
    box [x - 0.1, x + 0.1] inside [0, 1]^n: the sup of eq. (1) is ||B||_2 (module doc)."""
    rng = np.random.default_rng([n, draw])
    B = rng.normal(size=(n, n))
    x = rng.uniform(0.2, 0.8, n)
    return (lambda z: B @ np.asarray(z, np.float64).ravel()), x, float(np.linalg.norm(B, 2))


def _cases(quick):
    """Each: case, make(point) -> (explainer, x, truth or None), points, eps, box, n_calls,
    estimators."""
    from attrobust import data, explain, lipschitz, models

    ds = digits()
    net = digits_cnn()
    d_all = np.concatenate([ds["X_train"], ds["X_test"]])
    Xd = np.asarray(ds["X_test"], np.float32)
    td = explain.resolve_target("predicted", None, models.predict_proba(net, Xd[:6]))

    def ig_digits(i):
        return (lipschitz.explainer("integrated_gradients", net, target=int(td[i]), seed=0,
                                    shape=Xd[i].shape, n_steps=50), Xd[i], None)

    wine = data.load("wine")
    rf = models.build("random_forest", wine["input_shape"], len(wine["class_names"]), seed=0)
    models.train(rf, wine, seed=0)
    Xw = np.asarray(wine["X_test"], np.float32)
    tw = explain.resolve_target("predicted", None, models.predict_proba(rf, Xw[:6]))
    w_all = np.concatenate([wine["X_train"], wine["X_test"]])
    bg = np.asarray(wine["X_train"][np.sort(np.random.default_rng(0).choice(len(wine["X_train"]), 100, replace=False))])

    def lime_wine(i):
        return (lipschitz.explainer("lime", rf, target=int(tw[i]), seed=0, shape=Xw[i].shape,
                                    num_samples=1000, background=bg), Xw[i], None)

    net28 = cnn28()
    X28 = images28()
    t28 = explain.resolve_target("predicted", None, models.predict_proba(net28, X28[:6]))

    def sal_28(i):
        return (lipschitz.explainer("saliency", net28, target=int(t28[i]), seed=0,
                                    shape=X28[i].shape), X28[i], None)

    def lin(n):
        return lambda i: linear_case(n, i)

    q = quick
    return [
        {"case": "linear f(x) = Bx, 16 dims", "make": lin(16), "points": [0, 1] if q else [0, 1, 2, 3],
         "eps": 0.1, "lower": 0.0, "upper": 1.0, "n_calls": 60 if q else 200,
         "estimators": ["bo", "skopt", "random"] if q else ["bo", "bo_lbfgs", "skopt", "plain", "random"]},
        {"case": "linear f(x) = Bx, 64 dims", "make": lin(64), "points": [0] if q else [0, 1, 2, 3],
         "eps": 0.1, "lower": 0.0, "upper": 1.0, "n_calls": 60 if q else 200,
         "estimators": ["bo", "skopt", "random"] if q else ["bo", "bo_lbfgs", "skopt", "plain", "random"]},
        {"case": "digits CNN, integrated_gradients (50 steps), 61 dims", "make": ig_digits,
         "points": [0] if q else [0, 1, 2, 3], "eps": 0.1, "lower": d_all.min(0), "upper": d_all.max(0),
         "n_calls": 30 if q else 200,
         "estimators": ["bo", "skopt"] if q else ["bo", "bo_lbfgs", "skopt", "plain", "random"]},
        {"case": "wine random forest, lime (1000 samples), 13 dims", "make": lime_wine,
         "points": [0] if q else [0, 1, 2, 3], "eps": 0.1, "lower": w_all.min(0), "upper": w_all.max(0),
         "n_calls": 15 if q else 40,
         "estimators": ["bo", "skopt"] if q else ["bo", "bo_lbfgs", "skopt", "plain", "random"]},
        {"case": "28x28 CNN, saliency, 784 dims", "make": sal_28, "points": [0] if q else [0, 1],
         "eps": 0.1, "lower": 0.0, "upper": 1.0, "n_calls": 30 if q else 200,
         "estimators": ["bo"] if q else ["bo", "bo_lbfgs", "skopt", "random"]},
    ]


def run(quick: bool = False, only=None, estimators=None) -> dict:
    one_thread()
    from attrobust import lipschitz

    lipschitz.estimate(lambda z: 2 * z, np.zeros(3), n_calls=12)  # imports, outside the timings
    rows = []
    for c in _cases(quick):
        if only and not any(o in c["case"] for o in only):
            continue
        for est in c["estimators"]:
            if estimators and est not in estimators:
                continue
            per_point = []
            for i in c["points"]:
                fn, x, truth = c["make"](i)
                f = Timed(fn)
                f_x = f(x)  # warm-up, and f(x) for all estimators
                f.reset()
                t0, c0 = time.perf_counter(), time.process_time()
                if est == "plain":
                    L, calls = plain_gp_minimize(f, x, f_x, eps=c["eps"], lower=c["lower"],
                                                 upper=c["upper"], n_calls=c["n_calls"], seed=i)
                    best = None
                else:
                    kw = {"lbfgs_max_dims": 64} if est == "bo_lbfgs" else {}
                    r = lipschitz.estimate(f, x, eps=c["eps"], n_calls=c["n_calls"],
                                           method="bo" if est == "bo_lbfgs" else est,
                                           lower=c["lower"], upper=c["upper"], seed=i, f_x=f_x, **kw)
                    L, calls, best = r["L"], len(r["trace"]), r["best_so_far"]
                total, cpu = time.perf_counter() - t0, time.process_time() - c0
                marks = [(round(t - t0, 4), round(s, 4)) for t, s in f.marks]
                per_point.append({"point": i, "L": L, "truth": truth, "calls": calls,
                                  "total_s": total, "explainer_s": f.seconds, "cpu_s": cpu,
                                  "explainer_cpu_s": f.cpu, "marks": marks,
                                  "best_so_far": None if best is None else [float(f"{b:.6g}") for b in best]})
                print(f"  {c['case']:52s} {est:7s} point {i}: L {L:.5g}"
                      + (f" ({L / truth:.4f} of the truth)" if truth else "")
                      + f", {total:.1f} s wall, {cpu:.1f} s CPU (explainer {f.cpu:.2f} s CPU)", flush=True)
            rows.append({"case": c["case"], "estimator": est, "n_calls": c["n_calls"],
                         "points": per_point})
    _summarise(rows)
    return {
        "description": "Lipschitz estimate (eq. 1) at equal explainer calls: ours (lipschitz.estimate "
                       "'bo', the default; 'bo_lbfgs', bo climbing the acquisition with L-BFGS-B, the "
                       "default until 2026-12-04; 'skopt', an earlier default; 'random') vs plain "
                       "skopt.gp_minimize with its defaults, on analytic and real cases",
        "rows": rows,
    }


def _summarise(rows):
    for r in rows:
        pts = r["points"]
        r["total_s_per_point"] = float(np.mean([p["total_s"] for p in pts]))
        r["explainer_s_per_point"] = float(np.mean([p["explainer_s"] for p in pts]))
        r["cpu_s_per_point"] = float(np.mean([p["cpu_s"] for p in pts]))
        r["explainer_cpu_s_per_point"] = float(np.mean([p["explainer_cpu_s"] for p in pts]))
        r["optimiser_over_explainer_cpu"] = ((r["cpu_s_per_point"] - r["explainer_cpu_s_per_point"])
                                             / max(r["explainer_cpu_s_per_point"], 1e-12))
        r["L_mean"] = float(np.mean([p["L"] for p in pts]))
        r["L_sd"] = float(np.std([p["L"] for p in pts]))
        if all(p["truth"] for p in pts):
            q = [p["L"] / p["truth"] for p in pts]
            r["of_truth"] = {"mean": float(np.mean(q)), "min": float(np.min(q)), "max": float(np.max(q))}
        r["calls_per_point"] = [p["calls"] for p in pts]


NAMES = {"bo": "ours bo (default)", "bo_lbfgs": "ours bo, L-BFGS-B climb (previous default)",
         "skopt": "ours skopt (an earlier default)",
         "plain": "plain gp_minimize", "random": "random (uniform in the box)"}


def table(res: dict) -> str:
    out = ["| case | estimator | calls | points | L: mean (sd) | L / truth: mean [min, max] "
           "| s/point (wall) | optimiser / explainer (CPU) |",
           "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in res["rows"]:
        tr = r.get("of_truth")
        tr_s = f"{tr['mean']:.3f} [{tr['min']:.3f}, {tr['max']:.3f}]" if tr else ""
        ratio = "" if tr else f"{r['optimiser_over_explainer_cpu']:.2f}x"
        out.append(f"| {r['case']} | {NAMES.get(r['estimator'], r['estimator'])} | {r['n_calls']} | "
                   f"{len(r['points'])} | {r['L_mean']:.4g} ({r['L_sd']:.2g}) | {tr_s} | "
                   f"{r['total_s_per_point']:.1f} | {ratio} |")
    return "\n".join(out)


if __name__ == "__main__":  # one or more cases by substring, e.g. `bench_lipschitz.py 16 wine`
    import json
    import sys

    est = [a[6:].split(",") for a in sys.argv if a.startswith("--est=")]
    res = run(quick="--quick" in sys.argv, only=[a for a in sys.argv[1:] if not a.startswith("--")],
              estimators=est[0] if est else None)
    print(table(res))
    out = [a for a in sys.argv if a.startswith("--out=")]
    if out:
        open(out[0][6:], "w").write(json.dumps(res))
