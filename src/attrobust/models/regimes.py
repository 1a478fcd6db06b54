"""The L_inf adversaries of the robust training regimes, and :func:`pgd` for evaluation.

- ``pgd``: projected signed-gradient ascent of the cross-entropy (Madry et al. 2018);
- ``ig_sum_norm``: the same ascent of the IG-SUM-NORM objective (Chen et al. 2019, "Robust
  attribution regularization", Sec. 4), :func:`_ig_sum_norm_objective`.

The regimes' names and parameters are checked in :mod:`.spec` (torch-free); the training
loop that uses these is :func:`attrobust.models.train` (:mod:`.training`).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..utils import get_device, sign_step
from .spec import _regime_params, _spec_of


def _ig_sum_norm_objective(model, x, x_adv, y, lam: float, ig_steps: int, create_graph: bool):
    """Per-example CE(f(x'), y) + lam * ||IG^CE_y(x, x')||_1 (Chen et al. 2019, IG-SUM-NORM):
    IG of the loss along the straight path from x to x' (right Riemann sum, ig_steps
    points), differentiable in x' and in the weights (double backpropagation)."""
    m = int(ig_steps)
    alphas = torch.arange(1, m + 1, device=x.device, dtype=x.dtype) / m
    delta = x_adv - x
    path = (x[None] + alphas.view(-1, *([1] * x.dim())) * delta[None]).reshape(-1, *x.shape[1:])
    if not path.requires_grad:
        path.requires_grad_(True)
    loss_path = F.cross_entropy(model(path), y.repeat(m), reduction="sum")
    g = torch.autograd.grad(loss_path, path, create_graph=True)[0].view(m, *x.shape)
    ig = delta * g.mean(0)
    return F.cross_entropy(model(x_adv), y, reduction="none") + lam * ig.abs().flatten(1).sum(1)


def _adversary(model, x, y, regime: str, p: dict, lo: float, hi: float, gen):
    """x' in B_inf(x, eps) ∩ [lo, hi] that (approximately) maximises the regime's inner
    objective, by ``steps`` projected signed-gradient steps of ``step_size`` (PGD, Madry et
    al. 2018). Returned detached."""
    eps, step = p["eps"], p["step_size"]
    xl, xh = (x - eps).clamp_min(lo), (x + eps).clamp_max(hi)
    if p["random_start"]:
        u = torch.rand(x.shape, generator=gen, dtype=x.dtype).to(x.device)
        x_adv = torch.min(torch.max(x + (2 * u - 1) * eps, xl), xh)
    else:
        x_adv = x.clone()
    was_training = model.training
    model.eval()
    try:
        for _ in range(int(p["steps"])):
            xa = x_adv.detach().requires_grad_(True)
            with torch.enable_grad():
                if regime == "pgd":
                    obj = F.cross_entropy(model(xa), y, reduction="sum")
                else:
                    obj = _ig_sum_norm_objective(model, x, xa, y, p["lam"], p["ig_steps"], True).sum()
                g = torch.autograd.grad(obj, xa)[0]
            x_adv = sign_step(x_adv, g, step, xl, xh)
    finally:
        model.train(was_training)
    return x_adv


def pgd(model, X, y, *, eps: float, steps: int = 20, step_size: float | None = None,
        seed: int = 0, random_start: bool = True, clip=(0.0, 1.0), batch_size: int = 256,
        device=None) -> np.ndarray:
    """PGD adversarial examples (Madry et al. 2018) against cross-entropy: numpy in, numpy
    out (same shape as ``X``), each within L_inf ``eps`` of ``X`` and inside ``clip``.
    For evaluating robust accuracy; training uses the same routine."""
    spec = _spec_of(model)
    p = _regime_params("pgd", {"eps": eps, "steps": steps, "step_size": step_size,
                               "random_start": random_start})
    dev = next(model.parameters()).device if device is None else get_device(device)
    gen = torch.Generator().manual_seed(int(seed))
    Xa = np.asarray(X, dtype=np.float32)
    shape = Xa.shape
    Xt = torch.as_tensor(Xa.reshape(len(Xa), *spec["input_shape"]), device=dev)
    yt = torch.as_tensor(np.asarray(y, dtype=np.int64), device=dev)
    out = [_adversary(model, Xt[i:i + batch_size], yt[i:i + batch_size], "pgd", p,
                      float(clip[0]), float(clip[1]), gen) for i in range(0, len(Xt), batch_size)]
    return torch.cat(out).cpu().numpy().reshape(shape)
