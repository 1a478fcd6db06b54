"""Local Lipschitz estimates of explanation functions (Alvarez-Melis & Jaakkola 2018).

An explanation method is treated as a vector-valued function ``f: x -> attribution``.

- :func:`estimate` -- the continuous estimate, eq. (1):
  ``L(x) = max_{x' in B_eps(x)} ||f(x) - f(x')||_2 / ||x - x'||_2`` with ``B_eps`` the
  L-infinity ball of radius ``eps`` (the paper's footnote 2), intersected with a box
  ``[lower, upper]`` (e.g. the data range). The max is searched by one of
  :data:`ESTIMATORS`: ``'bo'`` (Bayesian optimisation with skopt, as in the paper, Sec. 3),
  ``'random'`` (uniform search in the box), ``'bo_refine'`` (BO, then a local search).
- :func:`discrete` -- the sample-based estimate, eq. (2): the max over the other points of a
  finite set that lie within ``eps``.
- :func:`noise_ratios` -- the ratio of eq. (1) at Gaussian-noise versions of x (Fig. 5).
- :func:`noise_floor` -- how far a stochastic explainer moves between seeds at x itself.
- :func:`explainer` -- ``f`` for :func:`estimate` from an :func:`attrobust.explain.explain`
  method, with the class and the seed held fixed.

Stochastic explainers (LIME, SHAP, SmoothGrad, C-LIME) are evaluated with the *same* seed at
x and at every x', so the ratio measures sensitivity to the input, not sampling noise; the
noise floor says how large the latter would be.

All estimates are lower bounds of the true local constant: they report the largest ratio
actually evaluated.
"""
from __future__ import annotations

import contextlib
import math
import time
import warnings
from typing import Any, Callable

import numpy as np


class LipschitzError(ValueError):
    """Bad estimator name, parameter or input for the Lipschitz estimates."""


# ----------------------------------------------------------------------- the objective

class _Ratio:
    """``z -> ||f(x') - f(x)||_2 / ||x' - x||_2`` over the free coordinates ``z`` of x'.

    Coordinates where the box has zero width are held at their only value. Records every
    ratio (the trace) and the best point. x' == x gives ratio 0 without calling f (the
    ratio is undefined there, and x can never be the maximiser).
    """

    def __init__(self, f, x, f_x, lo, hi, n_calls, progress):
        self.f, self.shape, self.dtype = f, x.shape, x.dtype
        self.x = x.astype(np.float64).ravel()
        self.f_x = f_x
        self.free = np.flatnonzero(hi > lo)
        self.base = np.clip(self.x, lo, hi)  # the value of the fixed coordinates
        self.lo, self.hi = lo[self.free], hi[self.free]
        self.trace: list[float] = []
        self.best, self.x_best, self.n_f = -1.0, None, 0
        self.pbar = None
        self.f_blas = None  # BLAS thread limits to restore around f (set by _bo)
        if progress:
            from tqdm.auto import tqdm

            self.pbar = tqdm(total=n_calls, desc="lipschitz", leave=False)

    def point(self, z) -> np.ndarray:
        xp = self.base.copy()
        xp[self.free] = np.clip(np.asarray(z, dtype=np.float64), self.lo, self.hi)
        # f sees x' in x's dtype; distances use exactly what f saw
        return xp.reshape(self.shape).astype(self.dtype)

    def _f_threads(self):
        if not self.f_blas:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(self.f_blas)

    def __call__(self, z) -> float:
        xp = self.point(z)
        dist = float(np.linalg.norm(xp.astype(np.float64).ravel() - self.x))
        if dist == 0.0:
            r = 0.0
        else:
            with self._f_threads():
                a = np.asarray(self.f(xp), dtype=np.float64).ravel()
            self.n_f += 1
            if a.shape != self.f_x.shape:
                raise LipschitzError(f"f returned {a.size} values at x' but {self.f_x.size} at x; "
                                     "an explainer must return arrays of one shape")
            if not np.all(np.isfinite(a)):
                raise LipschitzError("f returned NaN/Inf at a perturbed input x'")
            r = float(np.linalg.norm(a - self.f_x) / dist)
        self.trace.append(r)
        if r > self.best:
            self.best, self.x_best = r, xp
        if self.pbar is not None:
            self.pbar.update(1)
        return r


# ------------------------------------------------------------------------- estimators

_BO_KW = ("acq_func", "acq_optimizer", "n_points", "n_restarts_optimizer", "xi", "kappa",
          "initial_point_generator", "ard", "gp_restarts", "refit_every", "space")


def _gp(n_dims: int, seed: int, ard: bool, restarts: int, refit_every: int = 1):
    """skopt's own GP surrogate (``cook_estimator('GP')``: constant x Matern-5/2 plus fitted
    Gaussian noise, normalised y), optionally with one shared length scale instead of one
    per dimension (ARD), and two speed-ups that leave the GP itself as skopt defines it:

    - its hyperparameters (L-BFGS on the log marginal likelihood: most of skopt's time per
      call) are refitted only once at least ``refit_every`` new points have come in since
      the last refit; in between, the GP is refitted to all points with the last fitted
      kernel (one Cholesky factorisation);
    - ``predict(X, return_std=True)`` computes the predictive variance with one matrix
      product instead of skopt's ``np.einsum("ki,kj,ij->k", ...)`` (the same numbers up to
      rounding; the einsum was ~25% of a 200-call run), and returns the previous result when
      asked again for the same candidate array (``gp_hedge`` asks once per acquisition
      function).
    """
    from sklearn.base import clone
    from skopt.learning import GaussianProcessRegressor
    from skopt.learning.gaussian_process.gpr import _param_for_white_kernel_in_Sum
    from skopt.learning.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    state = {"kernel": None, "n": 0}  # shared by skopt's clones of the estimator (one run)

    class GP(GaussianProcessRegressor):
        def fit(self, X, y):
            refit = state["kernel"] is None or len(X) - state["n"] >= refit_every
            if not refit:
                self.kernel, self.optimizer = clone(state["kernel"]), None
            super().fit(X, y)
            if refit:
                k = clone(self.kernel_)
                white = _param_for_white_kernel_in_Sum(k)
                if white[0] and self.noise_ is not None:  # the fitted noise (skopt zeroes it)
                    k.set_params(**{white[1]: WhiteKernel(noise_level=self.noise_)})
                state["kernel"], state["n"] = k, len(X)
            self._cache = None
            return self

        def predict(self, X, return_std=False, return_cov=False, return_mean_grad=False,
                    return_std_grad=False):
            if (not return_std or return_cov or return_mean_grad or return_std_grad
                    or not hasattr(self, "X_train_")):
                return super().predict(X, return_std=return_std, return_cov=return_cov,
                                       return_mean_grad=return_mean_grad,
                                       return_std_grad=return_std_grad)
            cache = getattr(self, "_cache", None)
            if cache is not None and cache[0] is X:
                return cache[1]
            Xa = np.asarray(X, dtype=np.float64)
            K_trans = self.kernel_(Xa, self.X_train_)
            y_mean = self.y_train_std_ * K_trans.dot(self.alpha_) + self.y_train_mean_
            y_var = self.kernel_.diag(Xa) - np.einsum("ij,ij->i", K_trans @ self.K_inv_, K_trans)
            y_std = np.sqrt(np.maximum(y_var, 0.0) * self.y_train_std_ ** 2)
            self._cache = (X, (y_mean, y_std))
            return y_mean, y_std

    ls = (np.ones(n_dims), [(0.01, 100.0)] * n_dims) if ard else (1.0, (0.01, 100.0))
    kernel = ConstantKernel(1.0, (0.01, 1000.0)) * Matern(length_scale=ls[0],
                                                          length_scale_bounds=ls[1], nu=2.5)
    return GP(kernel=kernel, normalize_y=True, noise="gaussian",
              n_restarts_optimizer=restarts, random_state=seed)


def _box_space(space):
    """``space`` (skopt's normalised :class:`skopt.space.Space` of ``Real`` dimensions with
    uniform priors, as ``Optimizer`` builds it for a GP) as a subclass whose ``rvs``,
    ``transform``, ``inverse_transform``, ``distance`` and ``in`` work on all dimensions at
    once. skopt loops over dimensions in Python in each of them, on every call: in 61
    dimensions ~70% of skopt's time in a 120-call run with a free objective (1000 candidates
    drawn and transformed, all points so far transformed, the new point's distance to each).
    The same numbers as skopt's: the same draws from the same random state, the same
    element-wise float operations (``test_lipschitz`` checks both, and a whole run); only
    ``distance``, which skopt uses just to compare with 1e-8, sums in another order.
    """
    from skopt.space import Real, Space
    from sklearn.utils import check_random_state

    dims = space.dimensions
    if not all(isinstance(d, Real) and d.prior == "uniform" and d.transform_ == "normalize"
               for d in dims):
        raise LipschitzError("internal: the vectorised search space needs normalised uniform "
                             "Real dimensions")
    low = np.array([d.low for d in dims], dtype=np.float64)
    high = np.array([d.high for d in dims], dtype=np.float64)
    width = high - low
    divisor = np.where(width == 0.0, 1.0, width)  # skopt maps a zero-width dimension to 0
    scale = np.nextafter(1.0, 2.0)  # skopt's _uniform_inclusive(0, 1): U[0, 1] incl. 1
    bounds = [(0.0, 1.0)] * len(dims)

    class BoxSpace(Space):
        @property
        def transformed_bounds(self):
            return bounds

        def rvs(self, n_samples=1, random_state=None):
            # skopt: per dimension, scipy's uniform.rvs(size=n) (one rng.uniform call each),
            # then Normalize's and Real's inverse transforms
            u = check_random_state(random_state).uniform(0.0, 1.0, (len(dims), n_samples))
            return self._inverse(u.T * scale).tolist()

        def _inverse(self, Xt):
            return np.clip(Xt * width + low, low, high)

        def transform(self, X):
            X = np.asarray(X, dtype=np.float64)
            if np.any(X > high + 1e-8) or np.any(X < low - 1e-8):  # Normalize's check
                raise ValueError("All values should be within the bounds of the space")
            return (X - low) / divisor

        def inverse_transform(self, Xt):
            Xt = np.asarray(Xt, dtype=np.float64)
            if np.any(Xt > 1.0 + 1e-8) or np.any(Xt < -1e-8):
                raise ValueError("All values should be within [0, 1]")
            return self._inverse(Xt).tolist()

        def distance(self, point_a, point_b):
            return float(np.abs(np.subtract(point_a, point_b)).sum())

        def __contains__(self, point):
            p = np.asarray(point, dtype=np.float64)
            return p.shape == low.shape and bool(np.all((low <= p) & (p <= high)))

    return BoxSpace(dims)


def _bo(obj: _Ratio, n_calls: int, seed: int, n_initial_points: int, *,
        acq_func: str = "gp_hedge", acq_optimizer: str = "sampling", n_points: int = 1000,
        n_restarts_optimizer: int = 5, xi: float = 0.01, kappa: float = 1.96,
        initial_point_generator: str = "random", ard: bool | None = None,
        gp_restarts: int = 0, refit_every: int = 10, space: str = "vectorised") -> None:
    """Bayesian optimisation with skopt (``gp_minimize``'s ask/tell loop over
    ``skopt.Optimizer``) of ``-ratio`` over the box of the free (flattened) coordinates:
    ``n_calls`` evaluations, the first
    ``min(n_initial_points, n_calls)`` uniform at random, ``random_state=seed``.

    Time: with a cheap ``f``, skopt's own work per call dominates: refitting the GP's
    hyperparameters (L-BFGS on the marginal likelihood, one length scale per dimension with
    ARD), the predictive std of the ``n_points`` candidates for each of ``gp_hedge``'s three
    acquisition functions, and skopt's per-dimension Python in transforming the candidates
    and all points so far and in checking the new point's distance to each of them (growing
    with calls x dimensions). The last is gone with ``space='vectorised'`` (the default:
    :func:`_box_space`, the same points as skopt's own ``'skopt'`` space; 2.3x less time in
    a 61-dimension 120-call run with a free objective). BLAS is held to one thread
    inside the optimiser (not inside f). Hence the defaults differ from skopt's
    (``acq_optimizer='auto'`` -> L-BFGS from 10000 candidates, 2 GP restarts, ARD always,
    hyperparameters refitted every call): ``acq_optimizer='sampling'``, ``n_points=1000``,
    ``gp_restarts=0``, ARD only up to 16 free dimensions (``ard=None``; beyond, one shared
    length scale), and the hyperparameters refitted once ``refit_every=10`` new points have
    come in (see :func:`_gp`; 1 refits every call, as skopt). On the digits IG case of
    benchmarks/bench_lipschitz.py (61 dimensions, 200 calls) these took skopt's part from
    ~40 s to ~13 s per point (500 candidates instead of 1000 saved another ~20% there, but
    found lower maxima); ``refit_every=1`` gives the previous points (up to rounding in the
    acquisition values).
    """
    if space not in ("vectorised", "skopt"):
        raise LipschitzError(f"bo: space must be 'vectorised' or 'skopt'; got {space!r}")
    from skopt import Optimizer
    from skopt.utils import normalize_dimensions
    from threadpoolctl import threadpool_info, threadpool_limits

    n_dims = len(obj.free)
    gp = _gp(n_dims, seed, n_dims <= 16 if ard is None else bool(ard), int(gp_restarts),
             max(1, int(refit_every)))
    # The GP's linear algebra is tiny (n_calls x n_calls); multi-threaded BLAS only adds
    # overhead (3x slower on 2 cores). f gets its usual threads back for each call.
    obj.f_blas = {i["prefix"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore")  # skopt: "objective has been evaluated at point ..."
        # gp_minimize's loop (skopt.optimizer.base_minimize) with the same Optimizer
        # settings, written out to give the Optimizer the vectorised space
        opt = Optimizer(normalize_dimensions([(float(a), float(b)) for a, b in zip(obj.lo, obj.hi)]),
                        gp, n_initial_points=min(n_initial_points, n_calls),
                        initial_point_generator=initial_point_generator, acq_func=acq_func,
                        acq_optimizer=acq_optimizer, random_state=seed, model_queue_size=1,
                        acq_optimizer_kwargs={"n_points": int(n_points), "n_jobs": 1,
                                              "n_restarts_optimizer": n_restarts_optimizer},
                        acq_func_kwargs={"xi": xi, "kappa": kappa})
        if space == "vectorised":
            opt.space = _box_space(opt.space)
        for _ in range(n_calls):
            z = opt.ask()
            opt.tell(z, -obj(z))


def _random(obj: _Ratio, n_calls: int, seed: int, n_initial_points: int) -> None:
    """``n_calls`` points uniform in the box (``np.random.default_rng(seed)``). This is what
    the authors' released code amounts to: ``gp_minimize(n_calls=10)`` with skopt's default
    10 initial random points never reaches the GP."""
    rng = np.random.default_rng(seed)
    for z in rng.uniform(obj.lo, obj.hi, size=(n_calls, len(obj.free))):
        obj(z)


def _bo_refine(obj: _Ratio, n_calls: int, seed: int, n_initial_points: int, *,
               refine_frac: float = 0.25, step: float = 0.1, **bo_kw) -> None:
    """Beyond the paper: ``'bo'`` with ``n_bo = n_calls - floor(refine_frac * n_calls)``
    calls (same seed, so the same points as ``estimate(method='bo', n_calls=n_bo)``), then
    the remaining ``floor(refine_frac * n_calls)`` calls (default a quarter) on a (1+1)
    evolution strategy started at the BO maximiser x*:

    ``x' = clip(x + exp(0.3 g) (x* - x) + sigma * w * N(0, I))``, g ~ N(0, 1),

    a random rescaling of the perturbation (ratios of non-smooth explainers grow as x' -> x)
    plus a random direction scaled by the box widths ``w``; a better x' becomes x*. sigma
    starts at ``step`` and follows the 1/5 success rule (x1.5 on success, x1.5^(-1/4) on
    failure). The result is never below plain BO's with ``n_bo`` calls: it starts there
    and only keeps improvements.
    """
    if not 0.0 <= refine_frac < 1.0:
        raise LipschitzError(f"bo_refine: refine_frac must be in [0, 1); got {refine_frac!r}")
    n_local = int(math.floor(refine_frac * n_calls))
    _bo(obj, n_calls - n_local, seed, n_initial_points, **bo_kw)
    rng = np.random.default_rng([seed, 1])  # a stream of its own, apart from BO's
    free, width = obj.free, obj.hi - obj.lo
    best_z, sigma = obj.x_best.astype(np.float64).ravel()[free], float(step)
    for _ in range(n_local):
        d = best_z - obj.x[free]
        z = obj.x[free] + math.exp(0.3 * rng.standard_normal()) * d \
            + sigma * width * rng.standard_normal(len(free))
        z = np.clip(z, obj.lo, obj.hi)
        before = obj.best
        if obj(z) > before:
            best_z, sigma = z, sigma * 1.5
        else:
            sigma *= 1.5 ** -0.25


ESTIMATORS: dict[str, Callable] = {"bo": _bo, "random": _random, "bo_refine": _bo_refine}

_KW = {"bo": set(_BO_KW), "random": set(), "bo_refine": set(_BO_KW) | {"refine_frac", "step"}}


#: Two protocols for the estimates of Alvarez-Melis & Jaakkola (2018). ``paper``: the text
#: (Sec. 3-4): an L-infinity ball of radius eps = 0.1 in the (standardised) input units, clipped
#: to each feature's data range, 200 calls (40 for LIME and SHAP), the explainers' own
#: settings. ``released-code``: what the authors' public code (dmelis/robust_interpret) runs:
#: ``gp_minimize`` with 10 calls (= skopt's 10 initial random points, so a random search), a
#: box of eps x (each feature's training std) with eps = 0.01 on UCI and 1.0 on MNIST, clipped
#: to the global data min/max, LIME with 100 samples, Kernel SHAP with 100 samples and the
#: whole training set as background, IG with 100 steps from a zero baseline, eps-LRP with
#: epsilon 1e-4, occlusion with a 1-pixel window and value 0, pre-softmax scores of the
#: predicted class for torch models. ``section`` holds a figure section's defaults for
#: tabular and image data; ``methods`` overrides explainer parameters; ``box``: "ball"
#: (radius eps) or "std" (eps x training std); ``clip``: "feature" or "global".
PROTOCOLS = {
    "paper": {"box": "ball", "clip": "feature", "whole_background": False, "methods": {},
              "torch_output": None,
              "section": {"tabular": {}, "image": {}}},
    "released-code": {
        "box": "std", "clip": "global", "whole_background": True,
        "methods": {
            "lime": {"num_samples": 100},
            "kernel_shap": {"nsamples": 100, "n_background": 10**9},  # no k-means summary
            "integrated_gradients": {"n_steps": 100, "baseline": "zero"},
            "lrp_epsilon": {"epsilon": 1e-4},
            "occlusion": {"window": 1, "stride": 1, "baseline": "zero"},
        },
        "torch_output": "logit",  # every method explains the pre-softmax score
        "section": {"tabular": {"eps": 0.01, "n_calls": 10, "estimator": "bo"},
                    "image": {"eps": 1.0, "n_calls": 10, "n_calls_blackbox": None, "estimator": "bo"}},
    },
}


def protocol_params(protocol: str, method: str, params: dict, *, torch_model: bool,
                    X_train: np.ndarray, n_background: int, seed: int) -> dict:
    """The explainer parameters of ``method`` under ``protocol`` (see :data:`PROTOCOLS`): the
    config's ``params``, the protocol's overrides, its output for torch models, and for
    methods that take one a background of ``n_background`` training rows drawn with
    ``seed`` (the whole training set under ``released-code``)."""
    from .explain import METHODS

    if protocol not in PROTOCOLS:
        raise LipschitzError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    pr = PROTOCOLS[protocol]
    out = {**params, **pr["methods"].get(method, {})}
    if pr["torch_output"] and torch_model:
        out["output"] = pr["torch_output"]
    if "background" in METHODS[method].defaults and "background" not in out:  # LIME, SHAP
        n = len(X_train) if pr["whole_background"] else min(n_background, len(X_train))
        rows = np.random.default_rng(seed).choice(len(X_train), n, replace=False)
        out["background"] = X_train[np.sort(rows)]
    return out


def protocol_box(protocol: str, eps: float, X_train: np.ndarray, X_all: np.ndarray) -> dict:
    """``eps``, ``lower`` and ``upper`` for :func:`estimate` under ``protocol`` (see
    :data:`PROTOCOLS`), from the training inputs and all inputs (train and test)."""
    if protocol not in PROTOCOLS:
        raise LipschitzError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    pr = PROTOCOLS[protocol]
    radius = eps * X_train.std(0) if pr["box"] == "std" else eps
    if pr["clip"] == "global":
        return {"eps": radius, "lower": float(X_all.min()), "upper": float(X_all.max())}
    return {"eps": radius, "lower": X_all.min(0), "upper": X_all.max(0)}


# ------------------------------------------------------------------------- validation

def _finite_array(a: Any, name: str) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    a = np.asarray(a)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool) or a.size == 0:
        raise LipschitzError(f"{name} must be a non-empty numeric array; got dtype {a.dtype}, "
                             f"shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise LipschitzError(f"{name} contains NaN or Inf")
    return a


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not math.isfinite(eps) or eps <= 0:
        raise LipschitzError(f"eps must be a finite number > 0; got {eps!r}")
    return float(eps)


def _radius(eps: Any, x: np.ndarray) -> np.ndarray:
    """eps as a flat per-coordinate radius: a number > 0, or an array broadcastable to x
    of finite values >= 0 (0 holds that coordinate fixed) with at least one > 0."""
    if np.ndim(eps) == 0:
        return np.full(x.size, _check_eps(eps))
    r = _finite_array(eps, "eps").astype(np.float64)
    if np.any(r < 0) or not np.any(r > 0):
        raise LipschitzError("eps as an array needs values >= 0, at least one > 0")
    try:
        return np.broadcast_to(r, x.shape).ravel().copy()
    except ValueError:
        raise LipschitzError(f"eps of shape {r.shape} does not broadcast to x's shape {x.shape}") from None


def _check_int(v: Any, name: str, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise LipschitzError(f"{name} must be an int >= {low}; got {v!r}")
    return int(v)


def _bound(b: Any, x: np.ndarray, default: float, name: str) -> np.ndarray:
    if b is None:
        return np.full(x.size, default)
    b = np.asarray(b, dtype=np.float64)
    if np.isnan(b).any():
        raise LipschitzError(f"{name} contains NaN")
    try:
        return np.broadcast_to(b, x.shape).ravel().copy()
    except ValueError:
        raise LipschitzError(f"{name} of shape {b.shape} does not broadcast to x's shape "
                             f"{x.shape}; pass a scalar or an array shaped like x") from None


# ------------------------------------------------------------------------ entry points

def estimate(f: Callable[[np.ndarray], Any], x: Any, *, eps: float = 0.1, n_calls: int = 200,
             method: str = "bo", lower: Any = None, upper: Any = None, seed: int = 0,
             n_initial_points: int = 10, f_x: Any = None, progress: bool = False,
             **kw: Any) -> dict:
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
    kw: estimator options, see ``_bo`` (skopt settings, ``ard``, ``gp_restarts``) and
        ``_bo_refine`` (``refine_frac``, ``step``).

    Returns a dict: ``L`` (float, the largest ratio evaluated: a lower bound of the true
    constant), ``x_max`` (its x', shaped like x), ``trace`` (float64 array of the n_calls
    ratios in evaluation order), ``best_so_far`` (running max of the trace), ``n_evals``
    (calls of f, including the one at x; x' == x is not evaluated), ``seconds``.
    """
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
    obj = _Ratio(f, x, f_x, lo, hi, n_calls, progress)
    try:
        ESTIMATORS[method](obj, n_calls, seed, n_initial_points, **kw)
    finally:
        if obj.pbar is not None:
            obj.pbar.close()
    trace = np.asarray(obj.trace, dtype=np.float64)
    assert len(trace) == n_calls, (len(trace), n_calls)  # every estimator spends the budget
    return {"L": float(obj.best), "x_max": obj.x_best, "trace": trace,
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
              **params: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``f(x) = explain(method, model, x[None], target=[target], seed=seed, **params)[0]``.

    The class (``target``, the class explained at the original x; None only for
    single-output models) and the seed are fixed, so f(x') explains the same class under
    the same sampling noise as f(x). ``x`` may be flat or shaped; it is reshaped to
    ``shape`` (one input, e.g. ``(4,)`` or ``(1, 28, 28)``). Parameters are checked by
    :func:`attrobust.explain.explain` on the first call.
    """
    from .explain import METHODS, explain

    if method not in METHODS:
        raise LipschitzError(f"unknown attribution method {method!r}; known: {list(METHODS)}")
    seed = _check_int(seed, "seed", 0)
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    if target is not None:
        target = _check_int(target, "target", 0)
    tgt = None if target is None else [target]

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.size != math.prod(shape):
            raise LipschitzError(f"explainer for inputs of shape {shape} got {x.size} values")
        return explain(method, model, x.reshape(shape)[None], target=tgt, seed=seed, **params)[0]

    return f


def points(method: str, model: Any, X: Any, targets: Any, *, eps: float = 0.1,
           n_calls: int = 200, estimator: str = "bo", lower: Any = None, upper: Any = None,
           seed: int = 0, noise_seeds: int = 3, first_index: int = 0, **params: Any) -> dict:
    """:func:`estimate` for every row of ``X`` with explainer ``method`` of ``model``.

    Row i is point ``first_index + i`` of a larger set and its search is seeded with
    ``seed + first_index + i``, so a point's estimate does not depend on how the set is
    cut into chunks (jobs).

    Each point is explained for its own ``targets`` class (None: single-output models)
    with the seed held fixed; for stochastic methods the noise floor (:func:`noise_floor`
    over ``noise_seeds`` seeds at x itself) says how large pure sampling noise is.
    Returns arrays: ``L`` (N,), ``x_max`` (like X), ``f_x`` and ``f_max`` (explanations at
    x and at the maximiser), ``trace`` (N, n_calls), ``noise_floor`` (N,; 0 for
    deterministic methods), ``seconds`` (N,).
    """
    from . import explain as ex

    X = np.asarray(X)
    stochastic = ex.METHODS[method].stochastic if method in ex.METHODS else False
    out = {k: [] for k in ("L", "x_max", "f_x", "f_max", "trace", "noise_floor", "seconds")}
    from .utils import Progress

    progress = Progress(f"lipschitz {method} ({n_calls} calls per point)", len(X), "point", every=0)
    for i, x in enumerate(X):
        t = None if targets is None else targets[i]
        f = explainer(method, model, target=t, seed=seed, shape=x.shape, **params)
        fx = np.asarray(f(x))
        est = estimate(f, x, eps=eps, n_calls=n_calls, method=estimator, lower=lower, upper=upper,
                       seed=seed + first_index + i, f_x=fx)
        floor = 0.0
        if stochastic and noise_seeds > 1:
            def f_seeded(xx, s, t=t):
                return explainer(method, model, target=t, seed=s, shape=x.shape, **params)(xx)

            floor = noise_floor(f_seeded, x, [seed + 1000 + s for s in range(noise_seeds)])
        out["L"].append(est["L"])
        out["x_max"].append(est["x_max"])
        out["f_x"].append(fx)
        out["f_max"].append(np.asarray(f(est["x_max"])))
        out["trace"].append(est["trace"])
        out["noise_floor"].append(floor)
        out["seconds"].append(est["seconds"])
        progress.update(extra=f"L = {est['L']:.4g}, {n_calls / max(est['seconds'], 1e-9):.3g} calls/s")
    return {k: np.asarray(v) for k, v in out.items()}


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
