"""(g) Peers, call for call: our BO against the sampling estimators a user would otherwise
run, on the same explainers, inputs, box and number of explainer calls.

Two quantities, each a max over the box B = [x - eps, x + eps] & [data range] (so every
estimate is a lower bound of the same number, and higher is tighter):

- Lipschitz (Alvarez-Melis & Jaakkola eq. 1): ``max ||f(x') - f(x)||_2 / ||x' - x||_2``.
  Ours: ``lipschitz.estimate(method='bo')`` and ``method='random'``; Quantus 0.6
  ``LocalLipschitzEstimate`` (``nr_samples`` = the calls, Euclidean numerator and
  denominator, no normalisation or abs); captum 0.9 has no Lipschitz estimator, so its
  ``sensitivity_max`` is run on the difference quotient ``(f(x') - f(x)) / ||x' - x||``
  (an explanation function that returns it; 0 at x itself, where captum then divides by 1),
  which makes its max exactly eq. (1) over its samples.
- Max-sensitivity (Yeh et al. 2019): ``max ||f(x') - f(x)||_2 / ||f(x)||_2``. Ours: the same
  estimators with ``measure='max_sensitivity'``; Quantus ``MaxSensitivity``; captum
  ``sensitivity_max``.

The peers draw x' with their own loop but from one distribution for all: uniform in B (the
``perturb_func`` each accepts; their defaults would leave B: Quantus' Gaussian noise of std
0.1, captum's and Quantus' uniform noise unclipped to the data range), seeded per run. Every
estimator calls the same per-input explainer ``f`` once per x' (n calls), which times its own
CPU seconds. Cases: f(x) = Bx in 16 dims (the Lipschitz answer is ||B||_2, see
bench_lipschitz), IG (50 steps) of the 8x8 digits CNN (61 free pixels) and saliency of the
28x28 CNN (784 pixels); several points x seeds each.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from _common import cnn28, digits, digits_cnn, images28, one_thread
from bench_lipschitz import linear_case


class Counted:
    """The explainer, one input per call, timing its own process-CPU seconds."""

    def __init__(self, f):
        self.f, self.cpu, self.calls = f, 0.0, 0

    def __call__(self, x):
        c0 = time.process_time()
        out = np.asarray(self.f(x), np.float64)
        self.cpu += time.process_time() - c0
        self.calls += 1
        return out


def _cases(quick):
    from attrobust import explain, lipschitz, models

    ds = digits()
    net = digits_cnn()
    d_all = np.concatenate([ds["X_train"], ds["X_test"]])
    Xd = np.asarray(ds["X_test"], np.float32)
    td = explain.resolve_target("predicted", None, models.predict_proba(net, Xd[:4]))
    net28 = cnn28()
    X28 = images28()
    t28 = explain.resolve_target("predicted", None, models.predict_proba(net28, X28[:4]))

    def ig(i):
        return (lipschitz.explainer("integrated_gradients", net, target=int(td[i]), seed=0,
                                    shape=Xd[i].shape, n_steps=50), Xd[i], d_all.min(0), d_all.max(0), None)

    def sal28(i):
        return (lipschitz.explainer("saliency", net28, target=int(t28[i]), seed=0, shape=X28[i].shape),
                X28[i], 0.0, 1.0, None)

    def lin(i):
        f, x, truth = linear_case(16, i)
        return f, x, 0.0, 1.0, truth

    pts, seeds = ([0], [0]) if quick else ([0, 1], [0, 1])
    n = 30 if quick else 100
    return [
        {"case": "linear f(x) = Bx, 16 dims", "make": lin, "points": pts, "seeds": seeds, "n_calls": n},
        {"case": "digits CNN, integrated_gradients (50 steps), 61 dims", "make": ig, "points": pts,
         "seeds": seeds, "n_calls": n},
        {"case": "28x28 CNN, saliency, 784 dims", "make": sal28, "points": pts, "seeds": seeds,
         "n_calls": n},
    ]


def _peer(kind, measure, f, x, lo, hi, n, seed):
    """One peer run; returns its estimate."""
    import torch

    rng = np.random.default_rng(seed)
    shape = x.shape
    fx = f(x)

    def draw(batch_shape):
        return rng.uniform(np.broadcast_to(lo, (int(np.prod(batch_shape)) // x.size,) + shape).reshape(batch_shape),
                           np.broadcast_to(hi, (int(np.prod(batch_shape)) // x.size,) + shape).reshape(batch_shape))

    if kind == "quantus":
        import quantus
        from quantus.functions.similarity_func import distance_euclidean

        def perturb(arr, **kw):
            return draw(arr.shape).astype(arr.dtype)

        def explain_func(model, inputs, targets, **kw):
            return np.stack([f(r.reshape(shape)).reshape(r.shape) if fx.size == x.size
                             else f(r.reshape(shape)) for r in inputs]).astype(np.float32)

        common = dict(nr_samples=n, normalise=False, abs=False, perturb_func=perturb,
                      disable_warnings=True, display_progressbar=False)
        if measure == "lipschitz":
            m = quantus.LocalLipschitzEstimate(norm_numerator=distance_euclidean,
                                               norm_denominator=distance_euclidean, **common)
        else:
            m = quantus.MaxSensitivity(**common)
        xb = x[None].astype(np.float32)
        ab = fx.reshape((1,) + (x.shape if fx.size == x.size else fx.shape)).astype(np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(m(model=torch.nn.Identity(), x_batch=xb, y_batch=np.array([0]), a_batch=ab,
                           explain_func=explain_func, device="cpu")[0])
    if kind == "captum":
        from captum.metrics import sensitivity_max

        xt = torch.as_tensor(x[None].astype(np.float64))
        x64 = x.astype(np.float64).ravel()

        def expl(inputs):
            if isinstance(inputs, tuple):
                inputs = inputs[0]
            out = []
            for r in inputs.detach().numpy():
                d = float(np.linalg.norm(r.ravel() - x64))
                if measure == "lipschitz":  # the difference quotient, 0 at x itself
                    out.append(np.zeros(fx.size) if d == 0 else (f(r.reshape(shape)).ravel() - fx.ravel()) / d)
                else:
                    out.append(f(r.reshape(shape)).ravel())
            return (torch.as_tensor(np.stack(out)),)  # a tuple, as captum iterates over it

        def perturb(inputs, radius):
            if isinstance(inputs, tuple):
                inputs = inputs[0]
            return torch.as_tensor(draw(tuple(inputs.shape)).astype(np.float64))

        return float(sensitivity_max(expl, xt, perturb_func=perturb, n_perturb_samples=n,
                                     max_examples_per_batch=n)[0])
    raise ValueError(kind)


def run(quick: bool = False, only=None) -> dict:
    one_thread()
    from attrobust import lipschitz

    lipschitz.estimate(lambda z: 2 * z, np.zeros(3), n_calls=12)  # imports, outside the timings
    import captum.metrics  # noqa: F401
    try:
        import quantus  # noqa: F401
        peers = ("bo", "random", "quantus", "captum")
    except ImportError:  # the benchmark extra is not installed
        print("  quantus is not installed (pip install -e '.[bench]'): its rows are left out")
        peers = ("bo", "random", "captum")
    rows = []
    for c in _cases(quick):
        if only and not any(o in c["case"] for o in only):
            continue
        for measure in ("lipschitz", "max_sensitivity"):
            for est in peers:
                per = []
                for i in c["points"]:
                    for s in c["seeds"]:
                        fn, x, lo, hi, truth = c["make"](i)
                        f = Counted(fn)
                        fx = f(x)  # warm-up
                        f.cpu, f.calls = 0.0, 0
                        box_lo = np.maximum(x.astype(np.float64) - 0.1, lo)
                        box_hi = np.minimum(x.astype(np.float64) + 0.1, hi)
                        t0, c0 = time.perf_counter(), time.process_time()
                        if est in ("bo", "random"):
                            L = lipschitz.estimate(f, x, eps=0.1, lower=lo, upper=hi, n_calls=c["n_calls"],
                                                   method=est, seed=100 * i + s, f_x=fx,
                                                   measure=measure)["L"]
                        else:
                            L = _peer(est, measure, f, x, box_lo, box_hi, c["n_calls"], 100 * i + s)
                        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                        per.append({"point": i, "seed": s, "L": L, "calls": f.calls, "wall_s": wall,
                                    "cpu_s": cpu, "explainer_cpu_s": f.cpu,
                                    "truth": truth if measure == "lipschitz" else None})
                        print(f"  {c['case'][:30]:30s} {measure:15s} {est:8s} point {i} seed {s}: "
                              f"{L:.5g} ({f.calls} calls, {cpu:.2f} s CPU, explainer {f.cpu:.2f})", flush=True)
                Ls = np.array([p["L"] for p in per])
                rows.append({"case": c["case"], "measure": measure, "estimator": est,
                             "n_calls": c["n_calls"], "runs": per,
                             "L_mean": float(Ls.mean()), "L_sd": float(Ls.std()),
                             "cpu_s_per_run": float(np.mean([p["cpu_s"] for p in per])),
                             "explainer_cpu_s_per_run": float(np.mean([p["explainer_cpu_s"] for p in per])),
                             "of_truth": (float(np.mean([p["L"] / p["truth"] for p in per]))
                                          if all(p["truth"] for p in per) else None)})
    # ours against each peer, run by run (same point, seed, calls)
    for r in rows:
        if r["estimator"] == "bo":
            continue
        bo = next(b for b in rows if b["case"] == r["case"] and b["measure"] == r["measure"]
                  and b["estimator"] == "bo")
        r["bo_higher"] = int(sum(b["L"] > p["L"] for b, p in zip(bo["runs"], r["runs"])))
    return {"description": "Our BO vs Quantus LocalLipschitzEstimate / MaxSensitivity and captum "
                           "sensitivity_max at equal explainer calls (same box, same explainer)",
            "rows": rows}


NAMES = {"bo": "ours bo", "random": "ours random", "quantus": "Quantus 0.6", "captum": "captum 0.9"}


def table(res: dict) -> str:
    out = ["| case | measure | estimator | calls | runs | estimate: mean (sd) | / truth | "
           "bo higher in | CPU s/run | of which explainer |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
        peer = {"quantus": {"lipschitz": "LocalLipschitzEstimate", "max_sensitivity": "MaxSensitivity"},
                "captum": {"lipschitz": "sensitivity_max (difference quotient)",
                           "max_sensitivity": "sensitivity_max"}}.get(r["estimator"], {}).get(r["measure"], "")
        name = NAMES[r["estimator"]] + (f" {peer}" if peer else "")
        hi = "" if "bo_higher" not in r else f"{r['bo_higher']}/{len(r['runs'])}"
        tr = "" if r["of_truth"] is None else f"{r['of_truth']:.3f}"
        out.append(f"| {r['case']} | {r['measure']} | {name} | {r['n_calls']} | {len(r['runs'])} | "
                   f"{r['L_mean']:.4g} ({r['L_sd']:.2g}) | {tr} | {hi} | {r['cpu_s_per_run']:.2f} | "
                   f"{r['explainer_cpu_s_per_run']:.2f} |")
    return "\n".join(out)


if __name__ == "__main__":
    import json
    import sys

    res = run(quick="--quick" in sys.argv, only=[a for a in sys.argv[1:] if not a.startswith("--")])
    print(table(res))
    out = [a for a in sys.argv if a.startswith("--out=")]
    if out:
        open(out[0][6:], "w").write(json.dumps(res))
