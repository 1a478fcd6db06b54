"""The estimators of :func:`attrobust.lipschitz.estimate` (:data:`ESTIMATORS`): ``'bo'``
(our GP-BO, :mod:`attrobust.lipschitz.gpbo`), ``'skopt'`` (skopt's Optimizer in
``gp_minimize``'s loop, with the vectorised search space and the GP surrogate defined here),
``'random'`` and ``'bo_refine'``, and the options each takes. Each maximises a
:class:`~attrobust.lipschitz.objective._Ratio` with exactly ``n_calls`` calls; skopt, scipy
and threadpoolctl are imported only when an estimator runs."""
from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np

from .objective import LipschitzError, _Ratio


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


def _skopt(obj: _Ratio, n_calls: int, seed: int, n_initial_points: int, *,
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
    n_dims = len(obj.free)
    gp = _gp(n_dims, seed, n_dims <= 16 if ard is None else bool(ard), int(gp_restarts),
             max(1, int(refit_every)))
    with warnings.catch_warnings(), obj.single_blas():
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


_GPBO_KW = ("n_points", "n_restarts", "xi", "ard_max_dims", "refit_growth", "maxiter", "local_frac",
            "lbfgs_max_dims")


def _bo(obj: _Ratio, n_calls: int, seed: int, n_initial_points: int, **kw) -> None:
    """The default: Bayesian optimisation with :func:`attrobust.lipschitz.gpbo.maximise` (skopt's GP
    surrogate and EI, the acquisition climbed by projected gradient ascent from the best of
    uniform and local candidates, all in numpy; see that module) over the box of the free
    coordinates: ``n_calls`` evaluations, the first ``min(n_initial_points, n_calls)`` uniform
    at random, deterministic given ``seed``. Options: ``n_points`` candidates (1000; fewer
    above 64 dimensions), ``n_restarts`` starts of the climb (5), ``xi`` (EI's margin, 0.01),
    ``ard_max_dims`` (one length scale per dimension up to 16 dimensions), ``refit_growth``
    (hyperparameters refitted when the points have grown by this factor, 1.25), ``maxiter``
    (steps of the climb, 20), ``local_frac`` (share of local candidates, 0.5),
    ``lbfgs_max_dims`` (climb with L-BFGS-B, as skopt, up to this many dimensions; 0).

    Compared at equal calls with plain ``skopt.gp_minimize`` (its defaults) and with
    ``'skopt'`` (skopt's Optimizer with our speed settings) in benchmarks/README.md (b).
    """
    from .gpbo import maximise

    bad = sorted(set(kw) - set(_GPBO_KW))
    if bad:
        raise LipschitzError(f"bo: unknown option(s) {bad}")
    lo, width = obj.lo, obj.hi - obj.lo
    with obj.single_blas():
        maximise(lambda u: obj(lo + u * width), len(obj.free), n_calls, seed, n_initial_points, **kw)


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


ESTIMATORS: dict[str, Callable] = {"bo": _bo, "skopt": _skopt, "random": _random,
                                   "bo_refine": _bo_refine}

_KW = {"bo": set(_GPBO_KW), "skopt": set(_BO_KW), "random": set(),
       "bo_refine": set(_GPBO_KW) | {"refine_frac", "step"}}
