"""A small Bayesian optimiser for :func:`attrobust.lipschitz.estimate` (estimator ``'bo'``).

Maximises a black-box ``g(u)`` over the unit cube ``[0, 1]^d`` in ``n_calls`` evaluations:
``n_initial`` uniform random points, then one point per call where the expected improvement
(EI) of a Gaussian-process surrogate is largest. The surrogate is skopt's (what
``skopt.gp_minimize`` fits): a constant times a Matern-5/2 kernel plus Gaussian noise, on
standardised y, with one length scale per dimension (ARD) up to ``ard_max_dims`` dimensions
and one shared length scale above; hyperparameters by maximum marginal likelihood (L-BFGS-B
with the analytic gradient). What differs from skopt is the work per call, all in numpy on
whole arrays:

- the hyperparameters are refitted only when the number of points has grown by
  ``refit_growth`` (x1.25) since the last fit (warm-started there); in between, the
  Cholesky factor of the kernel matrix is extended by one row per new point (O(n^2), not
  O(n^3)), and so is the matrix of squared distances the fits need;
- the EI is maximised from many scored candidates, as skopt's ``acq_optimizer='lbfgs'``
  does, but half of them are local, drawn around the best points so far (the other half
  uniform in the cube), which in many dimensions is where uniform candidates almost never
  land; and the best ``n_restarts`` are climbed all at once by a projected gradient ascent
  with EI's gradient in closed form (:func:`_ascend`). skopt's L-BFGS-B climb (all restarts
  as one L-BFGS-B problem: they are independent, so their sum separates) is one switch away
  (``lbfgs_max_dims``); at equal calls it found no higher maxima and cost ~30% more of the
  optimiser's time, most of it scipy's per-variable Python around the Fortran routine
  (benchmarks/README.md (b)).

Deterministic given ``seed`` (one ``numpy.random.Generator``; BLAS held to one thread by the
caller).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.optimize import Bounds, minimize
from scipy.special import ndtr

_S5 = math.sqrt(5.0)
_LOG_2PI = math.log(2 * math.pi)
# bounds of the log hyperparameters: length scales, signal variance (as skopt's GP), noise
_B_LS, _B_AMP, _B_NOISE = (math.log(0.01), math.log(100.0)), (math.log(0.01), math.log(1000.0)), \
    (math.log(1e-6), math.log(1.0))


class GP:
    """Matern-5/2 GP on points in [0, 1]^d with incremental updates (see the module doc)."""

    def __init__(self, d: int, ard: bool):
        self.d, self.ard = d, ard
        self.p = d if ard else 1
        self.theta = np.concatenate([np.zeros(self.p), [0.0, math.log(1e-2)]])  # ls=1, amp=1
        self.X = np.zeros((0, d))
        self.y = np.zeros(0)
        self.D2 = np.zeros((0, 0, self.p))  # squared differences (per dim with ARD)
        self.L = None

    # ---------------------------------------------------------------- kernel pieces
    def _r2(self, D2, ls):
        return (D2 / ls**2).sum(-1)

    @staticmethod
    def _matern(r, amp):
        return amp * (1.0 + _S5 * r + 5.0 / 3.0 * r * r) * np.exp(-_S5 * r)

    def _sqdiff(self, A, B):
        if self.ard:
            return (A[:, None, :] - B[None, :, :]) ** 2
        d2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
        return np.maximum(d2, 0.0)[..., None]

    def _K(self, theta):
        ls, amp, noise = np.exp(theta[:self.p]), math.exp(theta[self.p]), math.exp(theta[self.p + 1])
        r = np.sqrt(self._r2(self.D2, ls))
        Kf = self._matern(r, amp)
        K = Kf + (noise + 1e-10) * np.eye(len(r))
        return K, Kf, r, ls, amp, noise

    # ---------------------------------------------------------------------- fitting
    def _nlml(self, theta, ys):
        K, Kf, r, ls, amp, noise = self._K(theta)
        try:
            L = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        alpha = cho_solve((L, True), ys)
        n = len(ys)
        nlml = 0.5 * ys @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * _LOG_2PI
        W = np.outer(alpha, alpha) - cho_solve((L, True), np.eye(n))
        # dK/dlog(ls_j) = amp 5/3 (1 + sqrt5 r) exp(-sqrt5 r) D2_j / ls_j^2
        G = amp * 5.0 / 3.0 * (1.0 + _S5 * r) * np.exp(-_S5 * r)
        WG = W * G
        g_ls = np.einsum("ij,ijk->k", WG, self.D2) / ls**2
        grad = np.concatenate([g_ls, [(W * Kf).sum(), noise * np.trace(W)]])
        return nlml, -0.5 * grad

    def fit(self, restarts=()):
        """Maximum-likelihood hyperparameters from the current one (and ``restarts``)."""
        ys = self._ys()
        lo, hi = np.array([_B_LS] * self.p + [_B_AMP, _B_NOISE]).T
        bounds = Bounds(lo, hi)
        best = None
        for t0 in [self.theta, *restarts]:
            res = minimize(self._nlml, np.clip(t0, lo, hi),
                           args=(ys,), jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": 100})
            if best is None or res.fun < best.fun:
                best = res
        self.theta = best.x
        self._factor()

    def _ys(self):
        self.ym = float(self.y.mean())
        sd = float(self.y.std())
        self.ysd = sd if sd > 0 else 1.0
        return (self.y - self.ym) / self.ysd

    def _factor(self):
        K = self._K(self.theta)[0]
        self.L = np.linalg.cholesky(K)
        self._solve()

    def _solve(self):
        ys = self._ys()
        self.alpha = cho_solve((self.L, True), ys)
        Linv = solve_triangular(self.L, np.eye(len(ys)), lower=True)
        self.Kinv = Linv.T @ Linv

    # --------------------------------------------------------------------- updating
    def add(self, x, y):
        """Add one point; extend D2 and (if there is one) the Cholesky factor."""
        x = np.asarray(x, np.float64)[None]
        n = len(self.X)
        new = self._sqdiff(x, self.X)[0] if n else np.zeros((0, self.p))
        D2 = np.zeros((n + 1, n + 1, self.p))
        D2[:n, :n], D2[n, :n], D2[:n, n] = self.D2, new, new
        self.D2 = D2
        self.X = np.vstack([self.X, x])
        self.y = np.append(self.y, float(y))
        if self.L is not None:
            ls, amp = np.exp(self.theta[:self.p]), math.exp(self.theta[self.p])
            noise = math.exp(self.theta[self.p + 1])
            k = self._matern(np.sqrt(self._r2(new, ls)), amp)
            l = solve_triangular(self.L, k, lower=True)
            dd = amp + noise + 1e-10 - l @ l
            if dd <= 1e-12:  # lost positive definiteness: refactor from scratch
                self._factor()
                return
            L = np.zeros((n + 1, n + 1))
            L[:n, :n], L[n, :n], L[n, n] = self.L, l, math.sqrt(dd)
            self.L = L
            b = self.Kinv @ k  # the inverse by blocks (Schur complement dd): O(n^2)
            Ki = np.empty((n + 1, n + 1))
            Ki[:n, :n] = self.Kinv + np.outer(b, b) / dd
            Ki[n, :n] = Ki[:n, n] = -b / dd
            Ki[n, n] = 1.0 / dd
            self.Kinv = Ki
            self.alpha = Ki @ self._ys()

    # ------------------------------------------------------------------- predicting
    def _parts(self, U):
        ls, amp = np.exp(self.theta[:self.p]), math.exp(self.theta[self.p])
        key = (len(self.X), self.theta.tobytes())
        if getattr(self, "_scaled", (None,))[0] != key:  # X / ls and its row norms, once per state
            Xs = self.X / ls
            self._scaled = (key, Xs, (Xs * Xs).sum(1))
        _, Xs, xn = self._scaled
        Us = U / ls
        r2 = (Us * Us).sum(1)[:, None] + xn[None, :] - 2.0 * Us @ Xs.T
        r = np.sqrt(np.maximum(r2, 0.0))
        Kt = self._matern(r, amp)
        W = Kt @ self.Kinv
        mu = Kt @ self.alpha
        var = np.maximum(amp - (W * Kt).sum(1), 1e-18)
        return r, Kt, W, mu, np.sqrt(var), ls, amp

    def ei(self, U, y_best, xi):
        """EI for maximisation, in standardised units, at the rows of U."""
        _, _, _, mu, sd, _, _ = self._parts(U)
        return _ei(mu, sd, (y_best - self.ym) / self.ysd + xi)[0]

    def ei_grad(self, U, y_best, xi):
        """EI and its gradient with respect to each row of U (rows independent)."""
        r, Kt, W, mu, sd, ls, amp = self._parts(U)
        ei, z, cdf, pdf = _ei(mu, sd, (y_best - self.ym) / self.ysd + xi)
        g = -amp * 5.0 / 3.0 * (1.0 + _S5 * r) * np.exp(-_S5 * r)  # dk/dr / r
        inv = 1.0 / ls**2

        def wsum(w):  # sum_i w_i g_i (u - X_i) / ls^2, per row of U
            gw = g * w
            return (gw.sum(1)[:, None] * U - gw @ self.X) * inv

        dmu = wsum(self.alpha[None, :])
        dsd = -wsum(W) / sd[:, None]
        return ei, cdf[:, None] * dmu + pdf[:, None] * dsd


def _ei(mu, sd, target):
    imp = mu - target
    z = imp / sd
    cdf = ndtr(z)
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return imp * cdf + sd * pdf, z, cdf, pdf


def _ascend(gp, V, y_best, xi, iters):
    """Projected gradient ascent of EI from the rows of V (all at once): each row steps
    ``eta * grad / max|grad|`` (so no coordinate moves more than eta), clipped to the cube;
    a step that raises EI is kept and eta grows x1.5, else it is undone and eta shrinks x0.3."""
    V = V.copy()
    e, g = gp.ei_grad(V, y_best, xi)
    eta = np.full(len(V), 0.1)
    for _ in range(iters):
        step = g / np.maximum(np.abs(g).max(1, keepdims=True), 1e-300)
        Vn = np.clip(V + eta[:, None] * step, 0.0, 1.0)
        en, gn = gp.ei_grad(Vn, y_best, xi)
        up = en > e
        V[up], e[up], g[up] = Vn[up], en[up], gn[up]
        eta = np.where(up, eta * 1.5, eta * 0.3)
    return V


def maximise(g, d: int, n_calls: int, seed: int, n_initial: int = 10, *, n_points: int = 1000,
             n_restarts: int = 5, xi: float = 0.01, ard_max_dims: int = 16,
             refit_growth: float = 1.25, maxiter: int = 20, local_frac: float = 0.5,
             lbfgs_max_dims: int = 0) -> None:
    """Call ``g(u)`` (u in [0, 1]^d, returns a float to maximise) ``n_calls`` times.

    The EI is climbed by :func:`_ascend`, or by L-BFGS-B in up to ``lbfgs_max_dims``
    dimensions (0: never; 64 was the default until 2026-12-04)."""
    rng = np.random.default_rng(seed)
    n_initial = min(n_initial, n_calls)
    gp = GP(d, ard=d <= ard_max_dims)
    for u in rng.uniform(0.0, 1.0, (n_initial, d)):
        gp.add(u, g(u))
    n_fit = 0
    # candidates: fewer in many dimensions (their kernel rows cost n_points x n x d)
    n_cand = int(max(100, min(n_points, 64000 // max(d, 1))))
    n_local = int(round(local_frac * n_cand))
    lbfgs = d <= lbfgs_max_dims
    bounds = {k: Bounds(np.zeros(k * d), np.ones(k * d)) for k in range(1, n_restarts + 1)} if lbfgs else None
    for _ in range(n_calls - n_initial):
        n = len(gp.y)
        if n_fit == 0 or n >= refit_growth * n_fit:
            gp.fit(restarts=[] if n_fit else [np.concatenate([np.full(gp.p, math.log(0.3)), [0.0, math.log(1e-2)]])])
            n_fit = n
        y_best = float(gp.y.max())
        # candidates: uniform, and around the best points (a random subset of coordinates,
        # at two scales)
        C = rng.uniform(0.0, 1.0, (n_cand, d))
        if n_local:
            top = np.argsort(-gp.y, kind="stable")[:5]
            centre = gp.X[rng.choice(top, n_local)]
            mask = rng.uniform(size=(n_local, d)) < min(1.0, 20.0 / d)
            mask[np.arange(n_local), rng.integers(0, d, n_local)] = True
            scale = np.where(rng.uniform(size=(n_local, 1)) < 0.5, 0.05, 0.2)
            C[:n_local] = np.clip(centre + mask * scale * rng.standard_normal((n_local, d)), 0.0, 1.0)
        acq = gp.ei(C, y_best, xi)
        start = C[np.argsort(-acq, kind="stable")[:n_restarts]]
        k = len(start)

        if lbfgs:
            def neg(v, k=k):
                e, de = gp.ei_grad(v.reshape(k, d), y_best, xi)
                return -e.sum(), -de.ravel()

            res = minimize(neg, start.ravel(), jac=True, method="L-BFGS-B", bounds=bounds[k],
                           options={"maxiter": maxiter})
            V = np.clip(res.x.reshape(k, d), 0.0, 1.0)
        else:
            V = _ascend(gp, start, y_best, xi, maxiter)
        cand = np.vstack([V, start])
        val = gp.ei(cand, y_best, xi)
        order = np.argsort(-val, kind="stable")
        # a point already evaluated teaches the GP nothing: take the best new one
        u = cand[order[0]]
        for j in order:
            if np.min(np.abs(gp.X - cand[j]).sum(1)) > 1e-8:
                u = cand[j]
                break
        gp.add(u, g(u))
