"""Input-space curvature of a score (Ghorbani, Abid & Zou 2019, Appendices F and H, Fig. 11a).

For a score S(x) (a class logit), the change of the gradient map under a perturbation delta
is grad S(x + delta) - grad S(x) ≈ H delta, with H = grad_x^2 S (Appendix F). The most
fragile direction of the gradient interpretation is v1, the first right singular vector of
H; the steepest direction of the prediction is grad_x S. Fig. 11a histograms the angle
between them over test images (Appendix H: for a two-layer net they are not parallel unless
g' = g'').

- :func:`hvp`: Hessian-vector products by double backprop (torch.autograd), batched: for a
  score that is a sum of per-image scores (a network in eval mode), one call gives
  H_n v_n for every image n;
- :func:`top_singular_vector`: power iteration on H^T H = H^2 (H is symmetric), so it
  converges to the direction of the largest |eigenvalue| = largest singular value, also
  when eigenvalues of both signs occur;
- :func:`angle`: degrees between two directions, per row;
- :func:`score_hessian_angles`: Fig. 11a for a model (ReLU nets have H = 0 almost
  everywhere: pass the softplus copy, :func:`attrobust.models.softplus`, footnote c).

Only numpy at module level; torch is imported inside functions.
"""
from __future__ import annotations

import copy
from typing import Callable

import numpy as np


def hvp(f: Callable, x, v):
    """H v for H = grad_x^2 sum_n f(x)_n, per image; x, v: tensors of one shape (N, ...)."""
    import torch

    xg = x.detach().requires_grad_(True)
    with torch.enable_grad():
        g = torch.autograd.grad(f(xg).sum(), xg, create_graph=True)[0]
        return torch.autograd.grad((g * v).sum(), xg)[0].detach()


def top_singular_vector(f: Callable, x, *, n_iter: int = 50, seed: int = 0, tol: float = 1e-7):
    """(v1 (N, ...) unit rows, sigma1 (N,)): the top right singular vector of the input
    Hessian of ``f`` at each image of ``x``, by power iteration on H^2 (seeded start)."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(int(seed))
    v = torch.randn(x.shape, generator=gen, dtype=torch.float64).to(device=x.device, dtype=x.dtype)
    v = _unit(v)
    sigma = torch.zeros(len(x), dtype=x.dtype, device=x.device)
    for _ in range(int(n_iter)):
        w = hvp(f, x, hvp(f, x, v))  # H^2 v
        norm = w.flatten(1).norm(dim=1)
        new = _unit(w)
        done = bool(((new - v).flatten(1).norm(dim=1).min(
            (new + v).flatten(1).norm(dim=1)) < tol).all())
        v = torch.where((norm > 0).view(-1, *[1] * (x.ndim - 1)), new, v)
        sigma = norm.sqrt()
        if done:
            break
    return v, sigma


def _unit(v):
    n = v.flatten(1).norm(dim=1).clamp_min(1e-30)
    return v / n.view(-1, *[1] * (v.ndim - 1))


def angle(u, v, *, unsigned: bool = True):
    """Angle in degrees between rows of u and v (N, D) (torch or numpy). ``unsigned``: the
    angle between lines, in [0, 90] (a singular vector's sign is arbitrary); else [0, 180].
    A zero row gives NaN."""
    import torch

    u = torch.as_tensor(u).flatten(1).double()
    v = torch.as_tensor(v).flatten(1).double()
    nu, nv = u.norm(dim=1), v.norm(dim=1)
    c = (u * v).sum(1) / (nu * nv)
    c = c.abs() if unsigned else c
    c = torch.where((nu > 0) & (nv > 0), c.clamp(-1, 1), torch.full_like(c, float("nan")))
    return torch.rad2deg(torch.arccos(c))


def score_hessian_angles(model, x, target=None, *, n_iter: int = 50, seed: int = 0) -> dict:
    """Fig. 11a: per image, the angle between grad_x S and v1 of grad_x^2 S, S the ``target``
    logit (default: the predicted class) of ``model`` (use a smooth model, e.g. the softplus
    copy). Returns numpy {'angle' (N,) degrees in [0, 90], 'sigma1' (N,), 'grad_norm' (N,)}."""
    import torch

    dev = next(model.parameters()).device
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float64, device=dev)
    model = copy.deepcopy(model).double().eval()  # float64 power iteration; caller's model untouched
    with torch.no_grad():
        t = model(xt).argmax(1) if target is None else torch.as_tensor(np.asarray(target), device=dev).long()

    def f(z):
        return model(z).gather(1, t[:, None])[:, 0]

    xg = xt.detach().requires_grad_(True)
    with torch.enable_grad():
        g = torch.autograd.grad(f(xg).sum(), xg)[0]
    v1, s1 = top_singular_vector(f, xt, n_iter=n_iter, seed=seed)
    return {"angle": angle(g, v1).cpu().numpy(), "sigma1": s1.cpu().numpy(),
            "grad_norm": g.flatten(1).norm(dim=1).cpu().numpy()}
