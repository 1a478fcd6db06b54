"""Attacks on feature-importance maps (Ghorbani, Abid & Zou 2019), batched over images.

Entry point :func:`attack` over the registry :data:`ATTACKS`:

- ``random_sign``: x + eps * (random sign per input value), clipped to [0, 1] (Sec. 3);
- ``lens`` (Kamath et al. 2023, Appendix E.1): Algorithm 1 with D = 1 - w-LENS-prec@k,
  differentiated through a relaxed top-k set (see ``_Objective._lens_prec``);
- ``topk`` and ``mass_center``: Algorithm 1 (Appendix A), iterative signed-gradient ascent
  on a dissimilarity D of the normalised saliency map R, projected onto
  B_inf(x, eps) ∩ [0, 1]; the iterate with the largest D whose predicted label equals the
  original one is returned.

The attacked maps must be differentiable in the input: the methods of
:data:`attrobust.explain.METHODS` whose spec carries a ``differentiable`` implementation
(:mod:`attrobust.differentiable`: saliency, alias ``simple_gradient``, integrated
gradients, DeepLIFT; :func:`attackable`), through :func:`saliency`. An attack's result
is evaluated with the method's captum map (``explain.spec(method).name``).

Conventions. Images are (N, C, H, W) in [0, 1]; eps and step are in the same units
(the paper's eps in {1, 2, 4, 8}/255, step alpha = 0.5/255). Ghorbani's R is |attribution|
summed over channels and normalised to sum 1 (``metrics.saliency_map``). Softplus trick
(footnote c): with ``softplus_beta`` the gradient of D is taken through
``models.softplus(model, beta)``; the label check and the returned dissimilarity always
use the original model. The returned dissimilarity is shifted so that the clean input
scores 0: top-k: sum_B R(x) - sum_B R(x') (B: the k most salient pixels of x);
mass-center: ||C(x') - C(x)||_2 in pixels.

Only stdlib and numpy at module level; torch is imported inside functions.
"""
from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import explain, utils
from .differentiable import AttackError, _as_tensor, _device, _logits, _targets


def attackable() -> list[str]:
    """Method names (aliases included) that can be attacked: their spec in
    :data:`attrobust.explain.METHODS` has a differentiable implementation."""
    return explain.attackable()


def _method_spec(method: str):
    if method not in attackable():
        raise AttackError(f"unknown saliency method {method!r}; known: {attackable()}")
    return explain.spec(method)


def method_params(method: str, *, mean_image=None, ig_steps: int = 100) -> dict:
    """Ghorbani et al.'s settings for ``method``: IG with ``ig_steps`` steps, IG and DeepLIFT
    from the per-pixel mean image when given (Appendix B), else their defaults."""
    defaults = _method_spec(method).attack_defaults
    params = {}
    if "baseline" in defaults and mean_image is not None:
        params["baseline"] = np.asarray(mean_image, dtype=np.float32)
    if "n_steps" in defaults:
        params["n_steps"] = int(ig_steps)
    return params


def normalised_map(A):
    """Ghorbani et al. (2019), Sec. 2.1, differentiable: |A| summed over channels (N, H, W),
    divided by its sum per image (an all-zero map stays zero). Torch twin of
    ``metrics.saliency_map``."""
    R = A.abs().sum(1) if A.ndim == 4 else A.abs()
    total = R.flatten(1).sum(1).view((-1,) + (1,) * (R.ndim - 1))
    return R / total.clamp_min(1e-30)


def center(R):
    """Centre of mass (N, 2) of maps (N, H, W) as (row, col) (footnote b); zero maps -> image
    centre, as ``metrics.center_of_mass``."""
    import torch

    n, h, w = R.shape
    total = R.sum((1, 2))
    rows = (R.sum(2) * torch.arange(h, dtype=R.dtype, device=R.device)).sum(1)
    cols = (R.sum(1) * torch.arange(w, dtype=R.dtype, device=R.device)).sum(1)
    c = torch.stack([rows, cols], 1) / total.clamp_min(1e-30)[:, None]
    mid = torch.tensor([(h - 1) / 2, (w - 1) / 2], dtype=R.dtype, device=R.device)
    return torch.where((total > 0)[:, None], c, mid)


def _method_params(method: str, params: dict) -> dict:
    defaults = _method_spec(method).attack_defaults
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise AttackError(f"{method}: unknown parameter(s) {unknown}; allowed: "
                          f"{sorted(defaults) or 'none'}")
    return {**defaults, **params}


def saliency(model, x, target, method: str, create_graph: bool = True, **params):
    """Attributions (N, C, H, W) of ``model``'s ``target`` logit (None: the predicted class)
    by ``method`` (one of :func:`attackable`), as a torch tensor.

    If ``x`` requires grad and ``create_graph`` is true, the result is differentiable with
    respect to ``x`` (what the attacks need); otherwise it is computed on a detached copy.
    The model's train/eval mode is left to the caller (use eval mode)."""
    import torch

    p = _method_params(method, params)
    x = _as_tensor(x, _device(model))
    if not (x.requires_grad and create_graph):
        x = x.detach().requires_grad_(True)
        create_graph = False
    with torch.enable_grad():
        t = _targets(model, x.detach(), target)
        a = explain.spec(method).differentiable(model, x, t, create_graph, **p)
    return a if create_graph else a.detach()


# ------------------------------------------------------------------------- attacks

class _Objective:
    """Dissimilarity D of Algorithm 1 for one batch, relative to the clean input x.
    ``kind``: 'topk', 'mass_center', or ('lens', w, tau) for Kamath et al.'s variant."""

    def __init__(self, kind, R0, k: int | None):
        import torch

        if isinstance(kind, tuple):  # ('lens', w, tau)
            kind, self.w, self.tau = kind
            self.k = int(k)
        self.kind = kind
        if kind in ("topk", "lens"):
            from .metrics import topk_mask

            mask = topk_mask(R0.detach().cpu().numpy().reshape(len(R0), -1), k)
            self.B = torch.as_tensor(mask, device=R0.device).view_as(R0).to(R0.dtype)
            self.ref = (R0 * self.B).sum((1, 2))
        else:
            self.c0 = center(R0)

    def value(self, R):
        """Returned dissimilarity, 0 at x: sum_B R(x) - sum_B R(x') or ||C(x') - C(x)||."""
        if self.kind == "topk":
            return self.ref - (R * self.B).sum((1, 2))
        if self.kind == "lens":
            return 1.0 - self._lens_prec(R, soft=False)
        return (center(R) - self.c0).norm(dim=1)

    def _lens_prec(self, R, soft: bool):
        """w-LENS-prec@k of R against the clean top-k set B (Kamath et al. 2023, Sec. 3.1):
        |B ∩ N_w(T_k(R))| / k. soft: T_k relaxed to sigmoid((R - t) / (tau t)), t the
        midpoint of R's k-th and (k+1)-th largest values (detached), and N_w to a
        (2w+1) x (2w+1) max-pool (zero outside the image): differentiable in R."""
        import torch
        import torch.nn.functional as F

        flat = R.flatten(1)
        if soft:
            top = torch.topk(flat.detach(), min(self.k + 1, flat.shape[1]), dim=1).values
            t = (top[:, self.k - 1] + top[:, -1]).clamp_min(1e-12)[:, None, None] / 2
            T = torch.sigmoid((R - t) / (self.tau * t))
        else:
            idx = torch.topk(flat, self.k, dim=1).indices
            T = torch.zeros_like(flat).scatter_(1, idx, 1.0).view_as(R)
        N = F.max_pool2d(T[:, None], 2 * self.w + 1, stride=1, padding=self.w)[:, 0] if self.w else T
        return (N * self.B).sum((1, 2)) / self.k

    def ascent(self, R, anchor):
        """What the gradient step maximises (per image). Top-k: -sum_B R (Algorithm 1).
        Mass-center: ||C(x') - anchor||^2, the same sign of gradient as the norm. At x' = x
        that gradient vanishes; like the authors' code (which measures from the
        integer-truncated centre) we then measure from floor(C(x)) (C(x) - 0.5 if C(x) is
        integral) so the first step has a direction."""
        import torch

        if self.kind == "topk":
            return -(R * self.B).sum((1, 2))
        if self.kind == "lens":  # Kamath et al. 2023, Appendix E.1: minimise soft LENS-prec
            return -self._lens_prec(R, soft=True)
        c = center(R)
        fl = torch.floor(anchor)
        fl = torch.where(fl == anchor, anchor - 0.5, fl)
        stuck = (c.detach() - anchor).norm(dim=1, keepdim=True) < 1e-4  # not moved yet
        return ((c - torch.where(stuck, fl, anchor)) ** 2).sum(1)


def _check_inputs(x, eps, step, n_iter):
    import torch

    if x.ndim != 4:
        raise AttackError(f"attacks take image batches (N, C, H, W); got shape {tuple(x.shape)}")
    if len(x) == 0:
        raise AttackError(f"x is an empty batch (shape {tuple(x.shape)}); attack at least one image")
    if not torch.isfinite(x).all() or x.min() < -1e-6 or x.max() > 1 + 1e-6:
        raise AttackError(f"attack inputs must be finite images in [0, 1]; got values in "
                          f"[{float(x.min()):.4g}, {float(x.max()):.4g}]")
    for name, v, lo in (("eps", eps, 0.0), ("step", step, 0.0)):
        if not (isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v) and v >= lo):
            raise AttackError(f"{name} must be a finite number >= {lo} in [0, 1] pixel units; got {v!r}")
        # the images are in [0, 1] (checked above): a larger L_inf budget or step is a
        # 0-255 value passed unscaled, and the ball would hold every image
        if v > 1:
            raise AttackError(f"{name}={v!r} exceeds the images' value range [0, 1]; {name} is in "
                              f"[0, 1] pixel units (a 0-255 value v is v / 255, e.g. {v!r} -> "
                              f"{v / 255:.4g})")
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise AttackError(f"n_iter must be an int >= 1; got {n_iter!r}")


class _Run:
    """Shared state of one attack call: models, labels, clean maps and the objective."""

    def __init__(self, model, x, method, target, k, softplus_beta, objective, sparams):
        import torch

        from .models import softplus

        self.model, self.x, self.method, self.sparams = model, x, method, sparams
        self.fn = explain.spec(method).differentiable
        with torch.no_grad():
            self.label = _logits(model, x).argmax(1)
        self.target = self.label if target is None else _targets(model, x, target)
        self.grad_model = model if softplus_beta is None else softplus(model, softplus_beta).eval()
        if objective in ("topk", "lens") or isinstance(objective, tuple):
            if k is None:
                raise AttackError("the top-k or LENS dissimilarity needs k (the number of most salient pixels)")
        R0 = self.maps(x, model)
        if objective == "topk" or isinstance(objective, tuple):
            k = int(k)
            if not 1 <= k <= R0[0].numel():
                raise AttackError(f"k must be in 1..{R0[0].numel()} (pixels per map); got {k}")
        self.D = _Objective(objective, R0, k)
        # the surrogate's own clean centre anchors its mass-center gradient
        self.anchor = (center(R0) if self.grad_model is model
                       else center(self.maps(x, self.grad_model))) if objective == "mass_center" else None

    def maps(self, x, model, create_graph=False):
        """Normalised maps R (N, H, W); with create_graph, differentiable in x (a leaf)."""
        import torch

        with torch.enable_grad():
            xx = x if create_graph else x.detach().requires_grad_(True)
            a = self.fn(model, xx, self.target, create_graph, **self.sparams)
        return normalised_map(a if create_graph else a.detach())

    def evaluate(self, x):
        """(dissimilarity, label kept) on the original model, no graph."""
        import torch

        with torch.no_grad():
            kept = _logits(self.model, x).argmax(1) == self.label
        return self.D.value(self.maps(x, self.model)).detach(), kept


def _random_sign(run: _Run, eps, seed, n_trials=1, **_):
    """x + eps * s, s in {-1, +1} per input value, clipped to [0, 1] (Ghorbani et al. Sec. 3).
    Each image draws its own signs from a generator seeded with (seed, crc32 of its bytes),
    so its result does not depend on the batch it came in. With n_trials > 1 the trial with
    the largest dissimilarity among those keeping the label is kept (the authors' code)."""
    import torch

    x = run.x
    n_trials = int(n_trials)
    if n_trials < 1:
        raise AttackError(f"random_sign: n_trials must be >= 1; got {n_trials}")
    xs = x.detach().cpu().numpy()
    signs = np.stack([np.random.default_rng([int(seed), zlib.crc32(xi.tobytes())])
                      .integers(0, 2, size=(n_trials,) + xi.shape, dtype=np.int8) * 2 - 1 for xi in xs], 1)
    best = torch.full((len(x),), -math.inf, device=x.device)
    x_best, found = x.clone(), torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for s in torch.as_tensor(signs, dtype=x.dtype, device=x.device):
        cand = (x + float(eps) * s).clamp(0, 1)
        d, kept = run.evaluate(cand)
        better = kept & (d > best)
        best, found = torch.where(better, d, best), found | kept
        x_best[better] = cand[better]
    return x_best, best, found, n_trials


def _iterative(run: _Run, eps, n_iter, step, **_):
    """Algorithm 1 of Ghorbani et al. (2019), all images advancing together."""
    import torch

    x = run.x
    lo, hi = (x - eps).clamp_min(0), (x + eps).clamp_max(1)
    x_t = x.clone()
    best = torch.full((len(x),), -math.inf, device=x.device)
    x_best, found = x.clone(), torch.zeros(len(x), dtype=torch.bool, device=x.device)
    progress = utils.Progress(f"attack {run.method} ({len(x)} images)", n_iter, "iteration")
    for p in range(n_iter):
        xg = x_t.detach().requires_grad_(True)
        with torch.enable_grad():
            R = run.maps(xg, run.grad_model, create_graph=True)
            g = torch.autograd.grad(run.D.ascent(R, run.anchor).sum(), xg)[0]
        if p == 0:
            dead = int((g.flatten(1).abs().sum(1) == 0).sum())
            if dead:
                warnings.warn(
                    f"the gradient of the dissimilarity is 0 for {dead} of {len(x)} images; "
                    f"with {run.method!r} on a ReLU network pass softplus_beta (Ghorbani et al. "
                    "2019, Algorithm 1 footnote c)", RuntimeWarning, stacklevel=3)
        x_t = utils.sign_step(x_t, g, step, lo, hi)
        d, kept = run.evaluate(x_t)
        better = kept & (d > best)
        best, found = torch.where(better, d, best), found | kept
        x_best[better] = x_t[better]
        progress.update()
    return x_best, best, found, int(n_iter)


def _sign_objective(p: dict, k: int | None):
    """random_sign scores its trials with the top-k dissimilarity when k is given, else the
    mass-center one (``objective`` overrides)."""
    objective = p.pop("objective") or ("topk" if k is not None else "mass_center")
    if objective not in ("topk", "mass_center"):
        raise AttackError(f"random_sign: objective={objective!r}; use 'topk' or 'mass_center'")
    return objective


def _lens_objective(p: dict, k: int | None):
    """D = 1 - w-LENS-prec@k, relaxed with temperature tau (Kamath et al. 2023, App. E.1)."""
    w, tau = p.pop("w"), p.pop("tau")
    if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
        raise AttackError(f"lens: w must be an int >= 0; got {w!r}")
    if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
        raise AttackError(f"lens: tau must be a number > 0; got {tau!r}")
    return ("lens", int(w), float(tau))


@dataclass(frozen=True)
class Attack:
    """An attack on explanations: its loop, its own parameters with their defaults, and
    ``objective(own_params, k)``, which checks those parameters (popping the ones the loop
    does not take) and returns the dissimilarity D the loop maximises."""
    name: str
    fn: Callable
    defaults: dict
    objective: Callable[[dict, int | None], Any]
    label: str
    reference: str


#: The attacks, by name (:func:`attack`). Adding one: its loop (or :func:`_iterative` with
#: a new dissimilarity in :class:`_Objective`) and one entry here.
ATTACKS: dict[str, Attack] = {a.name: a for a in [
    Attack("random_sign", _random_sign, {"n_trials": 1, "objective": None}, _sign_objective,
           "Random sign perturbation", "Ghorbani et al. 2019, Sec. 3"),
    Attack("topk", _iterative, {}, lambda p, k: "topk",
           "Top-k attack", "Ghorbani et al. 2019, Algorithm 1 and Sec. 3"),
    Attack("mass_center", _iterative, {}, lambda p, k: "mass_center",
           "Center attack", "Ghorbani et al. 2019, Algorithm 1 and Sec. 3 (footnote b)"),
    Attack("lens", _iterative, {"w": 1, "tau": 0.1}, _lens_objective,
           "Top-k attack, LENS objective", "Kamath et al. 2023, Appendix E.1"),
]}


def attack(name: str, model, x, *, method: str, eps: float, target=None, k: int | None = None,
           n_iter: int = 300, step: float | None = None, seed: int = 0,
           softplus_beta: float | None = None, **params) -> dict:
    """Attack the ``method`` saliency maps of ``model`` on images ``x`` (N, C, H, W) in [0, 1].

    name: 'random_sign' | 'topk' | 'mass_center' | 'lens' (:data:`ATTACKS`; 'lens': Kamath et
    al. 2023, Appendix E.1, the top-k attack with D = 1 - w-LENS-prec@k, its gradient through
    a sigmoid-relaxed top-k set and a max-pool neighbourhood; params ``w`` (1), ``tau`` (0.1)).
    method: one of :func:`attackable`; its parameters (n_steps, baseline) go in ``params``.
    eps: L_inf budget in [0, 1] units; step: Algorithm 1's alpha (default 0.5/255);
    n_iter: Algorithm 1's P. k: size of the top-k set B (top-k attack; random_sign's
    top-k dissimilarity). target: explained class (default: the predicted one).
    softplus_beta: take the gradient through a softplus copy (footnote c).
    random_sign params: ``n_trials`` (default 1), ``objective`` ('topk' | 'mass_center';
    default 'topk' when k is given, else 'mass_center') to score and pick the trials.

    Returns {'x_adv' (N, C, H, W) float32, 'dissimilarity' (N,) float64 (0 for the clean
    input, see module docstring), 'label_kept' (N,) bool, 'n_iter' int, 'label' (N,) the
    original predictions}. Every returned x_adv has the original predicted label: when no
    candidate keeps it, x itself is returned with dissimilarity 0 and label_kept False
    (label_kept is False only then). Deterministic given the inputs and ``seed``.
    """
    import torch

    if name not in ATTACKS:
        raise AttackError(f"unknown attack {name!r}; known: {list(ATTACKS)}")
    spec = ATTACKS[name]
    sparams = _method_params(method, {p: v for p, v in params.items() if p not in spec.defaults})
    aparams = {**spec.defaults, **{p: v for p, v in params.items() if p in spec.defaults}}
    objective = spec.objective(aparams, k)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise AttackError(f"seed must be an int >= 0; got {seed!r}")
    step = 0.5 / 255 if step is None else step
    dev = _device(model)
    xt = _as_tensor(x, dev).detach()
    _check_inputs(xt, eps, step, n_iter)
    shape = getattr(model, "attrobust_spec", {}).get("input_shape")  # models.build's models
    if shape is not None and tuple(xt.shape[1:]) != tuple(shape):
        raise AttackError(f"x has images of shape {tuple(xt.shape[1:])}; model "
                          f"{model.attrobust_spec['arch']!r} takes {tuple(shape)}")
    if softplus_beta is not None and not (float(softplus_beta) > 0 and math.isfinite(float(softplus_beta))):
        raise AttackError(f"softplus_beta must be a positive number or None; got {softplus_beta!r}")
    was_training = model.training
    model.eval()
    try:
        run = _Run(model, xt, method, target, k, softplus_beta, objective, sparams)
        x_adv, best, found, n = spec.fn(run, eps=float(eps), n_iter=n_iter, step=float(step),
                                   seed=seed, **aparams)
    finally:
        model.train(was_training)
    best = torch.where(found, best, torch.zeros_like(best))
    return {
        "x_adv": x_adv.detach().cpu().numpy().astype(np.float32),
        "dissimilarity": best.detach().cpu().numpy().astype(np.float64),
        "label_kept": found.cpu().numpy(),
        "n_iter": n,
        "label": run.label.cpu().numpy(),
    }
