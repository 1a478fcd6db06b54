"""SmoothGrad and C-LIME as estimators of one expected explanation (Agarwal et al. 2021).

For a model f (the probability of the explained class) and x'_i = x + e_i with
e_i ~ N(0, sigma^2 I), i = 1..n:

- SmoothGrad is the mean of the input gradients grad f(x'_i);
- C-LIME is the coefficient vector of the ordinary least squares fit, with an
  intercept and unweighted, of f(x'_i) on x'_i;
- both converge to E[grad f(x')] = Cov(x', f(x')) / sigma^2 (Theorem 1), and both are
  Lipschitz in x with a constant that scales like 1/sigma (Theorem 2).

:func:`smoothgrad_clime` computes both from the same draws (common random numbers), so
their difference is the estimators' difference and not two independent samples' noise.
The registry methods ``smoothgrad`` (captum's NoiseTunnel) and ``clime`` in
:mod:`attrobust.explain` compute each on its own; this module pairs them and runs the
convergence and robustness protocols of the paper's Section 5.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def smoothgrad_clime(model, x, target, *, n_samples: int, sigma: float, seed: int = 0,
                     ridge: float = 0.0, output: str = "prob"):
    """SmoothGrad and C-LIME of one input ``x`` (shape (D,)) from the same n draws.

    ``model`` is a torch module returning logits; ``output='prob'`` explains the softmax
    probability of ``target`` (the paper's f), ``'logit'`` the logit. A model with one
    output ((N,) or (N, 1): a regression or a single score) is explained as it is, for
    either ``output`` and any ``target``, as :func:`attrobust.explain.explain` does. ``ridge`` adds
    ridge * ||w||^2 to the mean squared error of C-LIME (Appendix D), intercept unpenalised.
    Returns (smoothgrad, clime) as float64 arrays of shape (D,).
    """
    import torch

    from .explain import _torch_classes, clime_fit

    if output not in ("prob", "logit"):
        raise ValueError(f"output must be 'prob' or 'logit', got {output!r}")
    if not (sigma > 0 and np.isfinite(sigma)):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma}")
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    d, n = x.size, int(n_samples)
    if not np.isfinite(x).all():  # the model would return NaN explanations without a word
        raise ValueError(f"x contains NaN or inf at features {np.flatnonzero(~np.isfinite(x)).tolist()}")
    shape = getattr(model, "attrobust_spec", {}).get("input_shape")  # models.build's models
    if shape is not None and d != int(np.prod(shape)):
        raise ValueError(f"x has {d} features; model {model.attrobust_spec['arch']!r} takes {tuple(shape)}")
    if ridge == 0 and n <= d + 1:
        raise ValueError(f"C-LIME needs n_samples > D + 1 = {d + 1} without ridge; got {n}")
    eps = np.random.default_rng(seed).standard_normal((n, d)) * sigma
    param = next(model.parameters(), torch.zeros((), dtype=torch.float64))
    xp = torch.tensor(x + eps, dtype=param.dtype, device=param.device, requires_grad=True)
    # the explained function of explain('smoothgrad'/'clime', ...): softmax over the
    # classes for output='prob', and a one-output model's output as it is (a softmax over
    # one column is the constant 1, whose explanations are all zero)
    out = _torch_classes()["Head"](model, output == "prob")(xp)
    if out.shape[1] == 1:
        target = 0  # the single output, whatever the target (as in explain)
    if not 0 <= int(target) < out.shape[1]:  # a negative index would explain another class
        raise ValueError(f"target {int(target)} is out of range: the model has {out.shape[1]} "
                         f"outputs (classes 0..{out.shape[1] - 1})")
    f = out[:, int(target)]
    (grad,) = torch.autograd.grad(f.sum(), xp)
    sg = grad.double().mean(0).cpu().numpy()
    cl = clime_fit(eps, f.detach().double().cpu().numpy(), ridge)
    if not (np.isfinite(sg).all() and np.isfinite(cl).all()):
        raise ValueError("SmoothGrad/C-LIME are not finite: the model's outputs or gradients "
                         "at x + noise are NaN or inf (check the model and sigma)")
    return sg, cl


def expected_sin_explanation(x, sigma: float) -> np.ndarray:
    """E[grad f(x + e)] for f(x) = sum_i sin(x_i), e ~ N(0, sigma^2 I): exp(-sigma^2/2) cos(x).

    A closed form to test the estimators against (E[cos(x + e)] = cos(x) exp(-sigma^2/2)).
    """
    return np.exp(-(sigma**2) / 2) * np.cos(np.asarray(x, dtype=np.float64))


def curves(model, X, targets, *, ns: Sequence[int], sigma: float, n_neighbours: int = 10,
           neighbour_sigma: float = 0.01, seed: int = 0, ridge: float = 0.0) -> list[dict]:
    """The convergence (Fig. 2) and robustness (Fig. 3) measurements for each x and n.

    For every test point x (rows of ``X``) and every n in ``ns``:

    - ``gap``: ||SmoothGrad(x) - C-LIME(x)||_2 from common random numbers;
    - ``maxdist_smoothgrad``, ``maxdist_clime``: the maximum over ``n_neighbours``
      neighbours x_j = x + N(0, neighbour_sigma^2 I) of ||E(x) - E(x_j)||_2. Each neighbour
      gets its own draws (seed + j + 1), so the distance includes the sampling noise that
      shrinks as n grows; within one point the two methods share every draw.
    - ``norm_smoothgrad``, ``norm_clime``: ||E(x)||_2, to read distances relative to size.

    Values of n with n <= D + 1 are skipped unless ``ridge`` > 0 (C-LIME's least squares
    is underdetermined there). Returns tidy rows (one per point x n); deterministic given
    ``seed``.
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    ns = [n for n in ns if ridge > 0 or n > X.shape[1] + 1]
    rng = np.random.default_rng(seed)
    neighbours = X[:, None, :] + rng.standard_normal((len(X), n_neighbours, X.shape[1])) * neighbour_sigma
    rows = []
    for i, (x, t) in enumerate(zip(X, np.asarray(targets))):
        for n in ns:
            sg, cl = smoothgrad_clime(model, x, t, n_samples=n, sigma=sigma, seed=seed, ridge=ridge)
            d_sg = d_cl = 0.0
            for j, xj in enumerate(neighbours[i]):
                sg_j, cl_j = smoothgrad_clime(model, xj, t, n_samples=n, sigma=sigma,
                                              seed=seed + j + 1, ridge=ridge)
                d_sg = max(d_sg, float(np.linalg.norm(sg - sg_j)))
                d_cl = max(d_cl, float(np.linalg.norm(cl - cl_j)))
            rows.append({
                "point": i, "n": int(n), "sigma": float(sigma),
                "gap": float(np.linalg.norm(sg - cl)),
                "maxdist_smoothgrad": d_sg, "maxdist_clime": d_cl,
                "norm_smoothgrad": float(np.linalg.norm(sg)), "norm_clime": float(np.linalg.norm(cl)),
            })
    return rows


def lipschitz_vs_sigma(model, X, targets, *, sigmas: Sequence[float], n_samples: int,
                       eps: float = 0.1, n_calls: int = 30, estimator: str = "bo",
                       seed: int = 0, lower=None, upper=None, output: str = "prob") -> list[dict]:
    """Local Lipschitz estimates (Alvarez-Melis & Jaakkola 2018, eq. 1) of SmoothGrad and
    C-LIME against sigma, beyond Agarwal et al.: Theorem 2 bounds both constants by a
    multiple of 1/sigma, so log L against log sigma should fall with slope near -1 where the
    bound is tight. The perturbation draws are held fixed (``seed``) while x' moves, so the
    ratio measures sensitivity to the input. Returns rows (point, sigma, method, L).
    """
    from . import lipschitz

    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    rows = []
    for i, (x, t) in enumerate(zip(X, np.asarray(targets))):
        for sigma in sigmas:
            for j, method in enumerate(("smoothgrad", "clime")):
                def f(xp, sigma=sigma, j=j, t=t):
                    return smoothgrad_clime(model, xp, t, n_samples=n_samples, sigma=sigma,
                                            seed=seed, output=output)[j]

                est = lipschitz.estimate(f, x, eps=eps, n_calls=n_calls, method=estimator,
                                         lower=lower, upper=upper, seed=seed + i)
                rows.append({"point": i, "sigma": float(sigma), "method": method, "L": est["L"]})
    return rows


def add_relative_gap(table):
    """``table`` (rows of :func:`curves`) with ``rel`` = ||SmoothGrad - C-LIME|| /
    ||SmoothGrad|| per row: scale-free, so settings whose gradients differ in size (sigma, an
    under-trained model, datasets) compare."""
    return table.assign(rel=table["gap"] / table["norm_smoothgrad"].clip(lower=1e-12))


def sigma_slopes(table) -> dict[str, float]:
    """Least-squares slope of log(mean L) against log(sigma), per method, from the rows of
    :func:`lipschitz_vs_sigma` (a DataFrame)."""
    out = {}
    for method, g in table.groupby("method"):
        mean = g.groupby("sigma")["L"].mean()
        out[method] = float(np.polyfit(np.log(mean.index.to_numpy()), np.log(mean.to_numpy()), 1)[0])
    return out
