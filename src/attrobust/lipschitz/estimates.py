"""The two local Lipschitz estimates of Alvarez-Melis & Jaakkola (2018): :func:`estimate`,
the continuous one of eq. (1) searched by one of :data:`~attrobust.lipschitz.bo.ESTIMATORS`,
and :func:`discrete`, the sample-based one of eq. (2)."""
from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from .bo import _KW, ESTIMATORS
from .objective import LipschitzError, _bound, _check_eps, _check_int, _finite_array, _radius, _Ratio


def estimate(f: Callable[[np.ndarray], Any], x: Any, *, eps: float = 0.1, n_calls: int = 200,
             method: str = "bo", lower: Any = None, upper: Any = None, seed: int = 0,
             n_initial_points: int = 10, f_x: Any = None, progress: bool = False,
             measure: str = "lipschitz", **kw: Any) -> dict:
    """Local Lipschitz estimate of ``f`` at ``x``, Alvarez-Melis & Jaakkola (2018), eq. (1):

    ``L(x) = max ||f(x) - f(x')||_2 / ||x - x'||_2`` over x' in ``[x - eps, x + eps]``
    (L-infinity ball, their footnote 2) intersected with ``[lower, upper]``.

    f: one input shaped like ``x`` (and of its float dtype) -> an attribution array (any
        shape, flattened here). Ratios use the x' that f actually received.
    x: one input of any shape; the optimiser works on its flattened coordinates.
    eps: radius of the L-infinity ball (the paper: 0.1), or per-coordinate radii broadcastable
        to x (the authors' released code: eps times each feature's training std).
    n_calls: evaluations of f at perturbed points (the paper: 200; 40 for LIME/SHAP).
    method: a name in :data:`ESTIMATORS` ('bo' as in the paper, 'random', 'bo_refine').
    lower, upper: scalars or arrays broadcastable to ``x`` (None: unbounded), e.g. the range
        of the data; coordinates where the box has zero width stay fixed.
    seed: ``random_state`` of the optimiser (same seed -> the same points and numbers).
    n_initial_points: random points before BO fits its GP (skopt's default 10).
    f_x: ``f(x)`` if already known (then f is not called at x).
    progress: show a tqdm bar over the calls.
    measure: ``'lipschitz'`` (eq. 1) or ``'max_sensitivity'``: the max over the same box of
        ``||f(x) - f(x')||_2 / ||f(x)||_2`` (Yeh et al. 2019; captum's ``sensitivity_max``,
        Quantus' ``MaxSensitivity``), searched the same way.
    kw: estimator options, see ``_bo``, ``_skopt`` (skopt settings, ``ard``,
        ``gp_restarts``) and ``_bo_refine`` (``refine_frac``, ``step``).

    Returns a dict: ``L`` (float, the largest ratio evaluated: a lower bound of the true
    constant), ``x_max`` (its x', shaped like x), ``trace`` (float64 array of the n_calls
    ratios in evaluation order), ``best_so_far`` (running max of the trace), ``f_max`` (f
    at ``x_max`` as evaluated in the search, flattened: for an explainer that draws afresh at
    every call, the draw that gave L), ``n_evals`` (calls of f, including the one at x; x' ==
    x is not evaluated), ``seconds``.
    """
    if measure not in ("lipschitz", "max_sensitivity"):
        raise LipschitzError(f"measure must be 'lipschitz' or 'max_sensitivity'; got {measure!r}")
    if method not in ESTIMATORS:
        raise LipschitzError(f"unknown Lipschitz estimator {method!r}; known: {list(ESTIMATORS)}")
    unknown = sorted(set(kw) - _KW[method])
    if unknown:
        raise LipschitzError(f"estimator {method!r}: unknown option(s) {unknown}; "
                             f"allowed: {sorted(_KW[method])}")
    if not callable(f):
        raise LipschitzError(f"f must be callable (input -> attribution); got {type(f).__name__}")
    n_calls = _check_int(n_calls, "n_calls", 1)
    n_initial_points = _check_int(n_initial_points, "n_initial_points", 1)
    seed = _check_int(seed, "seed", 0)
    x = _finite_array(x, "x")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    lower = _bound(lower, x, -np.inf, "lower")
    upper = _bound(upper, x, np.inf, "upper")
    if np.any(lower > upper):
        raise LipschitzError("lower > upper in some coordinate")
    xf = x.astype(np.float64).ravel()
    radius = _radius(eps, x)
    lo, hi = np.maximum(xf - radius, lower), np.minimum(xf + radius, upper)
    if np.any(lo > hi):
        raise LipschitzError(f"x lies more than eps outside [lower, upper] in "
                             f"{int(np.sum(lo > hi))} coordinate(s): the box is empty")
    if not np.any(hi > lo):
        raise LipschitzError("the box [x - eps, x + eps] & [lower, upper] has zero width in every "
                             "coordinate: there is nothing to perturb")

    t0 = time.perf_counter()
    n_fx = 0
    if f_x is None:
        f_x, n_fx = f(x.copy()), 1
    f_x = _finite_array(f_x, "f(x)").astype(np.float64).ravel()
    obj = _Ratio(f, x, f_x, lo, hi, n_calls, progress, measure)
    try:
        ESTIMATORS[method](obj, n_calls, seed, n_initial_points, **kw)
    finally:
        if obj.pbar is not None:
            obj.pbar.close()
    trace = np.asarray(obj.trace, dtype=np.float64)
    assert len(trace) == n_calls, (len(trace), n_calls)  # every estimator spends the budget
    return {"L": float(obj.best), "x_max": obj.x_best, "f_max": obj.f_best, "trace": trace,
            "best_so_far": np.maximum.accumulate(trace), "n_evals": obj.n_f + n_fx,
            "seconds": time.perf_counter() - t0}


_BLOCK = 2**23  # distance-matrix entries per block in discrete()


def discrete(X: Any, A: Any, *, eps: float = 0.1, p: float = 2) -> dict:
    """Sample-based local Lipschitz estimate, Alvarez-Melis & Jaakkola (2018), eq. (2):

    ``L(x_i) = max_{j: 0 < ||x_i - x_j||_p <= eps} ||A_i - A_j||_2 / ||x_i - x_j||_2``

    over the set itself (inputs ``X`` (N, ...) and their attributions ``A`` (N, ...), both
    flattened per row). ``p`` is the norm of the neighbourhood (2 as in eq. 2; ``np.inf`` for
    the L-infinity box of eq. 1); the ratio always uses L2 norms. Duplicates of x_i
    (distance 0) are not neighbours: the ratio is undefined there. Vectorised with
    ``scipy.spatial.distance.cdist`` in blocks of rows (~64 MB each).

    Returns a dict: ``L`` (N,) float64, NaN where x_i has no neighbour (skip those);
    ``argmax`` (N,) index j of the maximiser (the smallest j on ties), -1 where none;
    ``n_neighbours`` (N,) int.
    """
    from scipy.spatial.distance import cdist

    eps = _check_eps(eps)
    X = _finite_array(X, "X").astype(np.float64)
    A = _finite_array(A, "A").astype(np.float64)
    if X.ndim < 1 or A.ndim < 1 or len(X) != len(A):
        raise LipschitzError(f"X and A need one row per input; got shapes {X.shape} and {A.shape}")
    if p == np.inf:
        metric, extra = "chebyshev", {}
    elif isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool) and p >= 1:
        metric, extra = "minkowski", {"p": float(p)}
    else:
        raise LipschitzError(f"p must be a number >= 1 or np.inf; got {p!r}")
    n = len(X)
    X, A = X.reshape(n, -1), A.reshape(n, -1)
    L = np.full(n, np.nan)
    arg = np.full(n, -1, dtype=np.int64)
    nn = np.zeros(n, dtype=np.int64)
    rows = max(1, _BLOCK // max(1, n))  # (rows, n) float64 blocks of ~64 MB
    for s in range(0, n, rows):
        d2 = cdist(X[s:s + rows], X)
        dp = d2 if p == 2 else cdist(X[s:s + rows], X, metric=metric, **extra)
        mask = (dp <= eps) & (d2 > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mask, cdist(A[s:s + rows], A) / d2, -np.inf)
        has = mask.any(1)
        j = ratio.argmax(1)
        idx = np.arange(s, s + len(d2))
        nn[idx] = mask.sum(1)
        arg[idx[has]] = j[has]
        L[idx[has]] = ratio[has, j[has]]
    return {"L": L, "argmax": arg, "n_neighbours": nn}
