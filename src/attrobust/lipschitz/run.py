"""Estimates of attribution methods: :func:`explainer` (``f`` from an
:func:`attrobust.explain.explain` method under one of :data:`RANDOMNESS`), :func:`points`
(:func:`~attrobust.lipschitz.estimates.estimate` for every row of a set, as the workflow's
jobs run it), :func:`noise_floor`, :func:`noise_ratios` (Fig. 5) and :func:`summary` (the
table rows of :func:`points` results)."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .estimates import estimate
from .objective import LipschitzError, _bound, _check_int, _finite_array


def noise_floor(f_seeded: Callable[[np.ndarray, int], Any], x: Any, seeds: Any) -> float:
    """Seed-to-seed spread of a stochastic explainer at x itself:
    the mean over all pairs i < j of ``||f(x; s_i) - f(x; s_j)||_2`` (attributions
    flattened), for ``f_seeded(x, seed) -> attribution``. 0 for a deterministic explainer.
    Compare with ``L * ||x - x'||``: a change of the explanation no larger than this is
    within sampling noise (Alvarez-Melis & Jaakkola 2018 do not separate the two).
    """
    from scipy.spatial.distance import pdist

    x = _finite_array(x, "x")
    seeds = [int(s) for s in np.asarray(seeds).ravel()]
    if len(set(seeds)) < 2 or len(set(seeds)) != len(seeds):
        raise LipschitzError(f"noise_floor needs at least 2 distinct seeds (no repeats); got {seeds!r}")
    A = np.stack([_finite_array(f_seeded(x.copy(), s), f"f(x; seed={s})").astype(np.float64).ravel()
                  for s in seeds])
    return float(pdist(A).mean())


def explainer(method: str, model: Any, *, target: Any, seed: int, shape: Any,
              randomness: str = "common", **params: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x) = explain(method, model, x[None], target=[target], seed=s, **params)[0]``.

    The class (``target``, the class explained at the original x; None only for
    single-output models) is fixed. ``randomness`` (see :data:`RANDOMNESS`) says where the
    explainer's seed ``s`` comes from, for stochastic methods (LIME, Kernel SHAP, SmoothGrad,
    C-LIME, GradientSHAP; deterministic ones give the same f either way):

    - ``'common'``: ``s = seed`` at every call (common random numbers): f is a deterministic
      function, and f(x') differs from f(x) only through the input;
    - ``'fresh'``: every call draws a new ``s`` from ``np.random.default_rng(seed)``, made
      once when f is made: a new sample at every call, as a user calling the explainer gets
      (and as the authors' released code did), still the same numbers for the same ``seed``.

    ``x`` may be flat or shaped; it is reshaped to ``shape`` (one input, e.g. ``(4,)`` or
    ``(1, 28, 28)``). Parameters are checked by :func:`attrobust.explain.explain` on the
    first call.
    """
    from ..explain import METHODS, explain

    if method not in METHODS:
        raise LipschitzError(f"unknown attribution method {method!r}; known: {list(METHODS)}")
    seed = _check_int(seed, "seed", 0)
    _check_randomness(randomness)
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    if target is not None:
        target = _check_int(target, "target", 0)
    tgt = None if target is None else [target]
    draws = np.random.default_rng(seed) if randomness == "fresh" else None

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.size != math.prod(shape):
            raise LipschitzError(f"explainer for inputs of shape {shape} got {x.size} values")
        s = seed if draws is None else int(draws.integers(2**31 - 1))
        return explain(method, model, x.reshape(shape)[None], target=tgt, seed=s, **params)[0]

    return f


#: Where a stochastic explainer's randomness comes from in the Lipschitz estimates (see
#: :func:`explainer`). Alvarez-Melis & Jaakkola (2018) draw afresh: their released code
#: (dmelis/robust_interpret, robust_interpret/explainers.py) builds lime's explainers without
#: a random_state and calls shap's KernelExplainer on numpy's global generator, never seeded
#: in scripts/main_{uci,mnist}.py, and its ratio ``lipschitz_ratio`` explains x and x' anew at
#: every optimiser call; the paper says nothing of seeds.
RANDOMNESS = ("fresh", "common")


def _check_randomness(randomness: str) -> None:
    if randomness not in RANDOMNESS:
        raise LipschitzError(f"randomness={randomness!r} is not known; use one of {list(RANDOMNESS)}")


def points(method: str, model: Any, X: Any, targets: Any, *, eps: float = 0.1,
           n_calls: int = 200, estimator: str = "bo", lower: Any = None, upper: Any = None,
           seed: int = 0, noise_seeds: int = 3, first_index: int = 0, randomness: str = "common",
           noise_floors: Any = None, **params: Any) -> dict:
    """:func:`estimate` for every row of ``X`` with explainer ``method`` of ``model``.

    Row i is point ``first_index + i`` of a larger set and its search is seeded with
    ``seed + first_index + i``, so a point's estimate does not depend on how the set is
    cut into chunks (jobs).

    Each point is explained for its own ``targets`` class (None: single-output models);
    ``randomness`` (:data:`RANDOMNESS`): ``'common'`` holds the explainer's seed fixed at
    ``seed``, ``'fresh'`` draws a new one at every call from a generator seeded with
    ``(seed, first_index + i)`` (so again independent of the chunking). For stochastic methods
    the noise floor (:func:`noise_floor` over ``noise_seeds`` seeds at x itself) says how large
    pure sampling noise is. It does not depend on ``randomness`` (the explainer at x under
    fixed seeds): ``noise_floors`` (N,), the ``noise_floor`` of an earlier call on the same
    points, other settings equal, is used instead of computing it again.
    Returns arrays: ``L`` (N,), ``x_max`` (like X), ``f_x`` and ``f_max`` (explanations at
    x and at the maximiser), ``trace`` (N, n_calls), ``noise_floor`` (N,; 0 for
    deterministic methods), ``seconds`` (N,).
    """
    from ..explain import METHODS

    X = np.asarray(X)
    stochastic = METHODS[method].stochastic if method in METHODS else False
    out = {k: [] for k in ("L", "x_max", "f_x", "f_max", "trace", "noise_floor", "seconds")}
    _check_randomness(randomness)
    if noise_floors is not None:
        noise_floors = np.asarray(noise_floors, dtype=np.float64).ravel()
        if len(noise_floors) != len(X):
            raise LipschitzError(f"noise_floors has {len(noise_floors)} values for {len(X)} points")
    from ..utils import Progress

    progress = Progress(f"lipschitz {method} ({n_calls} calls per point)", len(X), "point", every=0)
    for i, x in enumerate(X):
        t = None if targets is None else targets[i]
        f_seed = seed if randomness == "common" else _point_seed(seed, first_index + i)
        f = explainer(method, model, target=t, seed=f_seed, shape=x.shape, randomness=randomness,
                      **params)
        fx = np.asarray(f(x))
        est = estimate(f, x, eps=eps, n_calls=n_calls, method=estimator, lower=lower, upper=upper,
                       seed=seed + first_index + i, f_x=fx)
        floor = 0.0
        if noise_floors is not None:
            floor = float(noise_floors[i])
        elif stochastic and noise_seeds > 1:
            def f_seeded(xx, s, t=t):
                return explainer(method, model, target=t, seed=s, shape=x.shape, **params)(xx)

            floor = noise_floor(f_seeded, x, [seed + 1000 + s for s in range(noise_seeds)])
        out["L"].append(est["L"])
        out["x_max"].append(est["x_max"])
        out["f_x"].append(fx)
        out["f_max"].append(np.asarray(est["f_max"]).reshape(fx.shape))  # the draw that gave L
        out["trace"].append(est["trace"])
        out["noise_floor"].append(floor)
        out["seconds"].append(est["seconds"])
        progress.update(extra=f"L = {est['L']:.4g}, {n_calls / max(est['seconds'], 1e-9):.3g} calls/s")
    return {k: np.asarray(v) for k, v in out.items()}


def _point_seed(seed: int, index: int) -> int:
    """One int seed for point ``index`` of a job seeded ``seed`` (numpy's SeedSequence)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def noise_ratios(f: Callable[[np.ndarray], Any], x: Any, sigmas: Any, *, seed: int = 0,
                 lower: Any = None, upper: Any = None, f_x: Any = None) -> dict:
    """Alvarez-Melis & Jaakkola (2018), Fig. 5: the ratio of eq. (1) at Gaussian-noise
    versions of x instead of at an adversarial x',

    ``delta_s = ||f(x) - f(x'_s)||_2 / ||x - x'_s||_2``, ``x'_s = clip(x + s z, lower, upper)``,

    for each ``s`` in ``sigmas``, with one draw ``z ~ N(0, I)`` (``default_rng(seed)``) shared
    by all sigmas (common random numbers: the versions differ only in the noise scale).
    ``lower``/``upper`` as in :func:`estimate` (None: unbounded).

    Returns ``x_noisy`` (S, *x.shape) in x's dtype, ``f_noisy`` (S, ...) the explanations
    there, ``f_x``, and ``ratio`` (S,) float64 (0 where clipping left x' == x).
    """
    seed = _check_int(seed, "seed", 0)
    x = _finite_array(x, "x")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    sig = np.asarray(sigmas, dtype=np.float64).ravel()
    if sig.size == 0 or not np.all(np.isfinite(sig)) or np.any(sig <= 0):
        raise LipschitzError(f"sigmas must be finite numbers > 0; got {sigmas!r}")
    lo = _bound(lower, x, -np.inf, "lower").reshape(x.shape)
    hi = _bound(upper, x, np.inf, "upper").reshape(x.shape)
    z = np.random.default_rng(seed).standard_normal(x.shape)
    f_x = _finite_array(f(x.copy()) if f_x is None else f_x, "f(x)").astype(np.float64)
    xs, fs, ratio = [], [], []
    for s in sig:
        xp = np.clip(x.astype(np.float64) + s * z, lo, hi).astype(x.dtype)
        fp = _finite_array(f(xp.copy()), "f(x')").astype(np.float64)
        if fp.size != f_x.size:
            raise LipschitzError(f"f returned {fp.size} values at x' but {f_x.size} at x")
        dist = float(np.linalg.norm(xp.astype(np.float64).ravel() - x.astype(np.float64).ravel()))
        ratio.append(0.0 if dist == 0 else float(np.linalg.norm(fp.ravel() - f_x.ravel()) / dist))
        xs.append(xp)
        fs.append(fp.reshape(f_x.shape))
    return {"x_noisy": np.stack(xs), "f_noisy": np.stack(fs), "f_x": f_x,
            "ratio": np.asarray(ratio, dtype=np.float64)}


def summary(chunks) -> "pandas.DataFrame":
    """Tidy rows from :func:`points` results (a list of chunk dicts as saved by the workflow,
    with ``outputs``/``outputs_max`` the model's outputs at x and x'): the estimate, the noise
    floor, and how much the explanation and the prediction moved at the maximiser
    (relative: ||f(x) - f(x')|| / ||f(x)|| and max_c |p_c(x) - p_c(x')|), and
    ``explanation_norm`` ||f(x)||_2 (to compare methods whose attributions differ in scale)."""
    import pandas as pd

    rows = []
    for c in chunks:
        for i in range(len(c["L"])):
            fx, fm = c["f_x"][i].ravel(), c["f_max"][i].ravel()
            rows.append({
                "L": float(c["L"][i]), "noise_floor": float(c["noise_floor"][i]),
                "explanation_change": float(np.linalg.norm(fx - fm) / max(np.linalg.norm(fx), 1e-12)),
                "prediction_change": float(np.abs(np.atleast_1d(c["outputs"][i]) - np.atleast_1d(c["outputs_max"][i])).max()),
                "explanation_norm": float(np.linalg.norm(fx)),
            })
    table = pd.DataFrame(rows)
    table.insert(0, "point", range(len(table)))
    return table
