"""The error class, the ratio objective that every estimator maximises (eq. 1 of
Alvarez-Melis & Jaakkola 2018 over the free coordinates of x'), and the input checks shared
by the estimates."""
from __future__ import annotations

import contextlib
import math
from typing import Any

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

    def __init__(self, f, x, f_x, lo, hi, n_calls, progress, measure="lipschitz"):
        self.f, self.shape, self.dtype = f, x.shape, x.dtype
        # max_sensitivity: ||f(x') - f(x)|| / ||f(x)|| (1 where f(x) = 0, as captum)
        self.fx_norm = (float(np.linalg.norm(f_x)) or 1.0) if measure == "max_sensitivity" else None
        self.x = x.astype(np.float64).ravel()
        self.f_x = f_x
        self.free = np.flatnonzero(hi > lo)
        self.base = np.clip(self.x, lo, hi)  # the value of the fixed coordinates
        self.lo, self.hi = lo[self.free], hi[self.free]
        self.trace: list[float] = []
        self.best, self.x_best, self.f_best, self.n_f = -1.0, None, None, 0
        self.pbar = None
        self._blas = None  # (threadpoolctl controller, f's BLAS threads) while single_blas runs
        if progress:
            from tqdm.auto import tqdm

            self.pbar = tqdm(total=n_calls, desc="lipschitz", leave=False)

    def point(self, z) -> np.ndarray:
        xp = self.base.copy()
        xp[self.free] = np.clip(np.asarray(z, dtype=np.float64), self.lo, self.hi)
        # f sees x' in x's dtype; distances use exactly what f saw
        return xp.reshape(self.shape).astype(self.dtype)

    @contextlib.contextmanager
    def single_blas(self):
        """Hold BLAS to one thread for the optimiser, whose linear algebra is tiny (n_calls x
        n_calls; multi-threaded BLAS is ~3x slower on 2 cores), and give f its usual threads
        back for each of its calls. One threadpoolctl controller for the whole estimate:
        ``threadpool_limits`` rescans the loaded libraries each time, ~3 ms per call with
        torch loaded, as much as an IG call of the digits CNN (benchmarks/README.md (b))."""
        from threadpoolctl import ThreadpoolController

        ctl = ThreadpoolController()
        blas = {i["prefix"]: i["num_threads"] for i in ctl.info() if i["user_api"] == "blas"}
        self._blas = (ctl, blas)
        try:
            with ctl.limit(limits=1, user_api="blas"):
                yield
        finally:
            self._blas = None

    def _f_threads(self):
        if not self._blas or not self._blas[1]:
            return contextlib.nullcontext()
        ctl, blas = self._blas
        return ctl.limit(limits=blas)

    def __call__(self, z) -> float:
        xp = self.point(z)
        dist = float(np.linalg.norm(xp.astype(np.float64).ravel() - self.x))
        a = None
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
            r = float(np.linalg.norm(a - self.f_x) / (self.fx_norm or dist))
        self.trace.append(r)
        if r > self.best:
            self.best, self.x_best = r, xp
            self.f_best = self.f_x.copy() if a is None else a
        if self.pbar is not None:
            self.pbar.update(1)
        return r


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
