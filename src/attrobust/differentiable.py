"""Saliency maps that are differentiable in the input, for the attacks on explanations.

Attacks need saliency maps that can be differentiated again (captum's attributions are
computed without a graph, captum issue #361), so these re-implement the three methods of
Ghorbani, Abid & Zou (2019), Sec. 2.1 with ``create_graph=True``. Each is the
``differentiable`` implementation of its method's spec in :data:`attrobust.explain.METHODS`
(the one method registry); :func:`attrobust.attacks.saliency` is the entry point.

- ``saliency`` (Ghorbani et al.'s "simple gradient"): gradient of the target logit
  (Simonyan et al. 2014);
- ``integrated_gradients``: right Riemann sum (x - x0)/M * sum_{k=1..M} grad S(x0 + k/M (x - x0))
  (Ghorbani et al. Sec. 2.1 and their code), ``n_steps`` = M = 100, ``baseline`` x0;
- ``deeplift``: DeepLIFT with the Rescale rule (Shrikumar et al. 2017, Sec. 3.3) as a
  *modified gradient*: attribution = (x - x0) * m, where m is backpropagated with each
  nonlinearity's local derivative replaced by the multiplier (f(z) - f(z0)) / (z - z0)
  (its ordinary derivative where |z - z0| < 1e-10, as captum). The multipliers are
  differentiable functions of x and enter a linearised copy of the forward pass, so the
  map can be differentiated again exactly (double backprop, see :func:`deeplift`); no
  softplus is needed, since the multipliers of a ReLU net vary with x.
  Max-pooling routes the gradient to each window's maximum (the "gradient" mode of
  Shrikumar et al.'s reference code, and Ghorbani et al.'s ``back_maxpool``). captum's
  DeepLift nominally has its own max-pool rule, but its hook on the preceding ReLU
  records the unmodified gradient, so for ReLU -> MaxPool (every net here) captum also
  routes the plain gradient; our maps equal captum's to float precision (tested).
  Nonlinear modules other than ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softplus, and
  functional calls, keep their ordinary gradient, as in captum (their second-order
  dependence on x is then not propagated).

Signature of a map: ``fn(model, x, target, create_graph, **params)`` with ``target`` a
long tensor of class indices. Only stdlib and numpy at module level; torch is imported
inside functions.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class AttackError(ValueError):
    """Bad attack name, saliency method, parameter or input."""


_DEEPLIFT_EPS = 1e-10  # captum's DeepLift eps: below it the ordinary derivative is used


# ------------------------------------------------------------------ helpers (torch)

def _as_tensor(x: Any, device=None, dtype=None):
    import torch

    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    return t.to(device=device, dtype=dtype or torch.float32)


def _device(model):
    import torch

    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _targets(model, x, target):
    import torch

    n = len(x)
    if target is None:
        with torch.no_grad():
            return _logits(model, x).argmax(1)
    t = torch.as_tensor(np.asarray(target.detach().cpu() if hasattr(target, "detach") else target))
    if t.ndim == 0:
        t = t.expand(n)
    if t.shape != (n,) or t.dtype.is_floating_point or t.dtype == torch.bool:
        raise AttackError(f"target must be None, an int or {n} ints (class indices); got {tuple(t.shape)} "
                          f"{t.dtype}")
    with torch.no_grad():
        n_out = _logits(model, x[:1]).shape[1]
    if n and (t.min() < 0 or t.max() >= n_out):
        raise AttackError(f"target {t.tolist()} is out of range: the model has {n_out} outputs")
    return t.to(device=x.device, dtype=torch.long)


def _logits(model, x):
    out = model(x)
    return out[:, None] if out.ndim == 1 else out


def _baseline(spec: Any, x):
    """Reference input x0 (detached): 'zero', a number, an array shaped like one input or
    like the batch. The paper's mean image must be passed as an array."""
    import torch

    if isinstance(spec, str):
        if spec != "zero":
            raise AttackError(f"baseline={spec!r}: use 'zero', a number, or an array shaped like one "
                              f"input {tuple(x.shape[1:])} (e.g. the per-pixel mean training image, "
                              "Ghorbani et al. App. B) or like the batch")
        return torch.zeros_like(x).detach()
    b = _as_tensor(spec.detach() if hasattr(spec, "detach") else spec, x.device, x.dtype)
    if b.ndim == 0:
        b = torch.full_like(x, float(b))
    elif tuple(b.shape) == tuple(x.shape[1:]):
        b = b[None].expand_as(x)
    elif tuple(b.shape) != tuple(x.shape):
        raise AttackError(f"baseline of shape {tuple(b.shape)} fits neither one input "
                          f"{tuple(x.shape[1:])} nor the batch {tuple(x.shape)}")
    if not torch.isfinite(b).all():
        raise AttackError("baseline contains NaN or Inf")
    return b.detach()


# ------------------------------------------------------------ differentiable saliency


def simple_gradient(model, x, target, create_graph):
    import torch

    sel = _logits(model, x).gather(1, target[:, None]).sum()
    return torch.autograd.grad(sel, x, create_graph=create_graph)[0]


def integrated_gradients(model, x, target, create_graph, n_steps, baseline):
    """Right Riemann sum with M = n_steps points k/M, k = 1..M (captum's 'riemann_right'),
    the points of all images in forward passes of ~2**15 input values (at least one point
    per image): one pass of all of them ran 2x slower per point on 28x28 images (caches;
    benchmarks/bench_attacks.py)."""
    import torch

    m = int(n_steps)
    if m < 1:
        raise AttackError(f"integrated_gradients: n_steps must be >= 1; got {n_steps}")
    x0 = _baseline(baseline, x)
    alphas = torch.linspace(1 / m, 1, m).tolist()  # the same floats as captum
    per = max(1, _PATH_VALUES // max(1, x[0].numel() * len(x)))  # points per pass
    g = 0
    for s in range(0, m, per):
        path = torch.cat([x0 + a * (x - x0) for a in alphas[s : s + per]])
        sel = _logits(model, path).gather(1, target.repeat(len(path) // len(x))[:, None]).sum()
        gs = torch.autograd.grad(sel, path, create_graph=create_graph)[0]
        g = g + gs.view(-1, *x.shape).sum(0)
    return (x - x0) * g / m


_PATH_VALUES = 2**15


_ELEMENTWISE = ("ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softplus")  # captum's set


def _derivative(module, z, y):
    """Ordinary derivative f'(z) of an elementwise nonlinearity, from z and y = f(z)."""
    import torch

    name = type(module).__name__
    if name == "ReLU":
        return (z > 0).to(z.dtype)
    if name == "LeakyReLU":
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, module.negative_slope))
    if name == "ELU":
        return torch.where(z > 0, torch.ones_like(z), y + module.alpha)
    if name == "Sigmoid":
        return y * (1 - y)
    if name == "Tanh":
        return 1 - y * y
    bz = module.beta * z  # Softplus
    return torch.where(bz > module.threshold, torch.ones_like(z), torch.sigmoid(bz))


def deeplift(model, x, target, create_graph, baseline):
    """DeepLIFT-Rescale as (x - x0) * modified gradient, differentiable in x.

    Three forward passes. (1) At x0: record each nonlinearity's input z0 and output y0.
    (2) At x (with graph): the multipliers m = (f(z) - f(z0)) / (z - z0), f'(z) where
    |z - z0| < 1e-10, as differentiable functions of x. (3) At a detached copy u of x, each
    nonlinearity's output is replaced by y + m * (z_u - z_u.detach()): the same value, but
    local derivative m with respect to u. The gradient with respect to u is then the
    modified gradient, and it depends on x only through the m's, so differentiating the
    map again with respect to x is exact (checked with gradcheck). Records are kept per
    call, in call order, so a module used twice is handled.
    """
    import torch

    hooked = [m for m in model.modules()
              if type(m).__name__ in _ELEMENTWISE and type(m).__module__.startswith("torch.nn")]
    bad = sorted({type(m).__name__ for m in hooked if getattr(m, "inplace", False)})
    if bad:
        raise AttackError(f"deeplift: in-place activations {bad} are not supported; set inplace=False")
    x0 = _baseline(baseline, x)
    records: dict[str, dict[int, list]] = {"ref": {}, "x": {}}

    def recorder(key):
        def hook(m, inputs, out):
            records[key].setdefault(id(m), []).append((inputs[0], out))
        return hook

    def run(hook, inp):
        handles = [m.register_forward_hook(hook) for m in hooked]
        try:
            return _logits(model, inp)
        finally:
            for h in handles:
                h.remove()

    with torch.no_grad():
        run(recorder("ref"), x0)
    with torch.set_grad_enabled(create_graph):
        run(recorder("x"), x)
        mult: dict[int, list] = {}
        for m in hooked:
            for (z0, y0), (z, y) in zip(records["ref"].get(id(m), []), records["x"].get(id(m), [])):
                dz = z - z0
                small = dz.abs() < _DEEPLIFT_EPS
                rescale = (y - y0) / torch.where(small, torch.ones_like(dz), dz)  # no 0/0
                mult.setdefault(id(m), []).append(torch.where(small, _derivative(m, z, y), rescale))
    calls: dict[int, int] = {}

    def linearise(m, inputs, out):
        i = calls.get(id(m), 0)
        calls[id(m)] = i + 1
        z = inputs[0]
        return out.detach() + mult[id(m)][i] * (z - z.detach())

    u = x.detach().requires_grad_(True)
    sel = run(linearise, u).gather(1, target[:, None]).sum()
    g = torch.autograd.grad(sel, u, create_graph=create_graph)[0]
    return (x - x0) * g
