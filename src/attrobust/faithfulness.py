"""Faithfulness and sensitivity of attribution maps, as surveyed by Nielsen et al. (2022),
Sec. 4 ("Feature Perturbation-based Evaluation", "(In)fidelity and Sensitivity").

- Infidelity (Yeh et al. 2019, Definition 2.1, eq. 1): INFD(Phi, f, x) =
  E_I[(I^T Phi(f, x) - (f(x) - f(x - I)))^2], I ~ N(0, sigma^2 I) here ("noisy baseline",
  Yeh et al. Sec. 2.1), with captum.metrics.infidelity.
- Max-sensitivity (Yeh et al. 2019, Definition 3.1, eq. 4): max over ||y - x||_inf <= r of
  ||Phi(f, y) - Phi(f, x)|| (relative to ||Phi(f, x)||, as captum.metrics.sensitivity_max
  computes it), estimated by Monte Carlo sampling of the ball.
- Pixel removal (Samek et al. 2017, Sec. II-A: MoRF, eq. 7; Tomsett et al. 2020: LeRF):
  remove pixels in order of decreasing (MoRF) or increasing (LeRF) relevance, replace them
  by a value (the data mean, zero, or the blurred image), and record the class score; the
  area under the curve summarises it (MoRF: lower is better; LeRF: higher is better).

Plain functions over numpy arrays and torch modules; torch is imported where it is used.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable

import numpy as np

from . import explain as _explain

REPLACEMENTS = ("mean", "zero", "blur")


class FaithfulnessError(ValueError):
    """Bad replacement, step count, or inputs."""


@contextlib.contextmanager
def _seeded(seed: int):
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


def _forward(model, output: str) -> Callable:
    import torch

    def f(x):
        out = model(x)
        return torch.softmax(out, 1) if output == "prob" else out

    return f


def explainer(method: str, model: Any, *, seed: int = 0, background=None, batch_size: int = 64,
              device=None, **params) -> Callable:
    """``(inputs, target) -> attributions`` (numpy) of ``method`` with fixed parameters,
    the way the workflow's explain jobs call :func:`attrobust.explain.explain`; LIME/SHAP
    get ``background`` (reference inputs) unless ``params`` give one."""
    if "background" in _explain.METHODS[method].defaults and background is not None:
        params.setdefault("background", background)

    def fn(x, target):
        return _explain.explain(method, model, x, target, seed=seed, batch_size=batch_size,
                                device=device, **params)

    return fn


def background(X_train, n: int, seed: int = 0) -> np.ndarray:
    """``n`` training inputs drawn without replacement from ``seed`` (in their order): the
    reference data of LIME / SHAP, as the workflow's explain jobs draw it."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(X_train), min(int(n), len(X_train)), replace=False)
    return np.asarray(X_train)[np.sort(pick)]


def infidelity(model, x, A, target, *, sigma: float = 0.1, n_perturb: int = 50,
               normalize: bool = False, output: str = "logit", seed: int = 0) -> np.ndarray:
    """Infidelity (Yeh et al. 2019, eq. 1) of attributions ``A`` of ``model``'s ``target``
    output at ``x`` (both (N, ...)), perturbations I ~ N(0, sigma^2 I) (``n_perturb`` per
    input, drawn from ``seed``), via captum.metrics.infidelity. ``normalize`` rescales A by
    the optimal scalar first (Yeh et al. Sec. 2.2; captum's ``normalize``). (N,) values;
    the exact gradient of a linear model gives 0."""
    import torch
    from captum.metrics import infidelity as _infidelity

    xt = torch.as_tensor(np.asarray(x, np.float32))
    At = torch.as_tensor(np.asarray(A, np.float32))
    if At.shape != xt.shape:
        raise FaithfulnessError(f"attributions {tuple(At.shape)} and inputs {tuple(xt.shape)} differ in shape")

    def perturb(inputs):
        noise = torch.randn_like(inputs) * float(sigma)
        return noise, inputs - noise

    was = model.training
    model.eval()
    try:
        with _seeded(seed):
            out = _infidelity(_forward(model, output), perturb, xt, At,
                              target=torch.as_tensor(np.asarray(target), dtype=torch.long),
                              n_perturb_samples=int(n_perturb), normalize=bool(normalize))
    finally:
        model.train(was)
    return out.detach().cpu().numpy().astype(np.float64)


def max_sensitivity(explain_fn: Callable, x, target, *, radius: float = 0.1, n_perturb: int = 10,
                    seed: int = 0) -> np.ndarray:
    """Max-sensitivity (Yeh et al. 2019, eq. 4) of the explainer ``explain_fn(x, target) ->
    attributions`` (numpy, e.g. :func:`explainer`) at inputs ``x``: the largest
    ||Phi(y) - Phi(x)|| / ||Phi(x)|| (Frobenius) over ``n_perturb`` points y drawn uniformly
    from the L-infinity ball of ``radius`` around x (captum.metrics.sensitivity_max's
    default perturbation), drawn from ``seed``. (N,) values."""
    import torch
    from captum.metrics import sensitivity_max

    xt = torch.as_tensor(np.asarray(x, np.float32))

    def fn(inputs, target):
        if isinstance(inputs, tuple):  # captum passes the original inputs as a 1-tuple
            (inputs,) = inputs
        t = target.detach().cpu().numpy() if hasattr(target, "detach") else np.asarray(target)
        # a 1-tuple: captum iterates over the explanation of the original inputs
        # contiguous: captum views the maps flat, and some maps are broadcast (Grad-CAM's
        # channels on 3-channel images)
        return (torch.as_tensor(np.ascontiguousarray(explain_fn(inputs.detach().cpu().numpy(), t))),)

    with _seeded(seed):
        out = sensitivity_max(fn, xt, perturb_radius=float(radius), n_perturb_samples=int(n_perturb),
                              target=torch.as_tensor(np.asarray(target), dtype=torch.long))
    return out.detach().cpu().numpy().astype(np.float64)


def replacement(x, kind: str, *, mean=None, blur_sigma: float = 1.0) -> np.ndarray:
    """What removed pixels are replaced with (Nielsen et al. 2022, Sec. 4; Samek et al.
    2017): ``mean`` (per-channel ``mean``, e.g. of the training data; default: of ``x``),
    ``zero``, or ``blur`` (each image Gaussian-blurred with ``blur_sigma`` pixels)."""
    x = np.asarray(x, np.float64)
    if kind == "zero":
        return np.zeros_like(x)
    if kind == "mean":
        m = x.mean((0, 2, 3)) if mean is None else np.asarray(mean, np.float64)
        return np.broadcast_to(m.reshape(1, -1, 1, 1) if m.ndim == 1 else m, x.shape).copy()
    if kind == "blur":
        from scipy.ndimage import gaussian_filter

        return gaussian_filter(x, sigma=(0, 0, float(blur_sigma), float(blur_sigma)), mode="nearest")
    raise FaithfulnessError(f"replacement {kind!r} is not known; use one of {list(REPLACEMENTS)}")


def removal_order(A, order: str = "morf") -> np.ndarray:
    """Pixel indices (N, H*W) in removal order: by |A| summed over channels, decreasing
    (``morf``) or increasing (``lerf``); ties go to the lower row-major index."""
    if order not in ("morf", "lerf"):
        raise FaithfulnessError(f"order {order!r}: use 'morf' or 'lerf'")
    R = np.abs(np.asarray(A, np.float64)).sum(1).reshape(len(A), -1)
    return np.argsort(-R if order == "morf" else R, axis=1, kind="stable")


def pixel_removal(model, x, A, target, *, order: str = "morf", n_steps: int = 16,
                  replace: str = "mean", mean=None, blur_sigma: float = 1.0,
                  output: str = "prob") -> tuple[np.ndarray, np.ndarray]:
    """MoRF / LeRF curves (Samek et al. 2017, eq. 7; Tomsett et al. 2020): at step s of
    ``n_steps`` the first round(s H W / n_steps) pixels of :func:`removal_order` (all
    channels) are set to :func:`replacement` and the ``target`` output (``prob``: softmax
    probability; ``logit``) is recorded. Returns (fractions removed (n_steps + 1,),
    curves (N, n_steps + 1)); step 0 is the intact image."""
    import torch

    x = np.asarray(x, np.float32)
    if x.ndim != 4 or np.shape(A) != x.shape:
        raise FaithfulnessError(f"need images x (N, C, H, W) and attributions of that shape; "
                                f"got {x.shape} and {np.shape(A)}")
    if int(n_steps) < 1:
        raise FaithfulnessError(f"n_steps = {n_steps} must be >= 1")
    n, c, h, w = x.shape
    ranks = removal_order(A, order)
    repl = replacement(x, replace, mean=mean, blur_sigma=blur_sigma).astype(np.float32)
    counts = np.round(np.arange(int(n_steps) + 1) * h * w / int(n_steps)).astype(int)
    rank_of = np.empty_like(ranks)
    np.put_along_axis(rank_of, ranks, np.arange(h * w)[None].repeat(n, 0), axis=1)
    # every step's images at once: (S, N, C, H, W)
    removed = rank_of[None] < counts[:, None, None]  # (S, N, H*W)
    removed = removed.reshape(len(counts), n, 1, h, w)
    imgs = np.where(removed, repl[None], x[None]).reshape(-1, c, h, w)
    f = _forward(model, output)
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = torch.cat([f(torch.as_tensor(imgs[s : s + 4096])) for s in range(0, len(imgs), 4096)])
    finally:
        model.train(was)
    out = out.detach().cpu().numpy().astype(np.float64).reshape(len(counts), n, -1)
    t = np.asarray(target, np.int64).reshape(1, n, 1)
    curves = np.take_along_axis(out, np.broadcast_to(t, (len(counts), n, 1)), 2)[..., 0].T
    return counts / (h * w), curves


def area(fractions, curves) -> np.ndarray:
    """Area under removal curves (trapezoidal rule over the fraction removed, in [0, 1]):
    (N,). MoRF: lower is better; LeRF: higher is better (Samek et al. 2017, Sec. II-A)."""
    f, c = np.asarray(fractions, np.float64), np.asarray(curves, np.float64)
    return ((c[:, 1:] + c[:, :-1]) / 2 * np.diff(f)[None]).sum(1)


# ------------------------------------------------------------ summaries and concentration

def summarise(table):
    """Per method, mean and standard deviation over images of every scalar quantity of the
    faithfulness jobs' tidy table (columns method, image, quantity, fraction, value):
    infidelity, max_sensitivity, morf_area, lerf_area. Methods in table order."""
    import pandas as pd

    s = table[table["fraction"].isna()]
    g = s.groupby(["method", "quantity"], sort=False)["value"]
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.size()}).reset_index()
    return out


def mass_inside(maps, mask) -> np.ndarray:
    """Fraction of each map's total |attribution| that lies inside ``mask`` (e.g. the pixels
    of the digit): (N,). Maps (N, H, W), mask (N, H, W) booleans. Used for Nielsen et al.
    (2022), Fig. 3: a PGD-trained model's saliency is more concentrated on the object."""
    m = np.abs(np.asarray(maps, np.float64)).reshape(len(maps), -1)
    k = np.asarray(mask, bool).reshape(len(maps), -1)
    tot = m.sum(1)
    return np.where(tot > 0, (m * k).sum(1) / np.where(tot > 0, tot, 1.0), np.nan)


def gini(maps) -> np.ndarray:
    """Gini coefficient of each map's |attribution| (N,): 0 for a uniform map, close to 1
    when all mass is on one pixel (Hurley & Rickard 2009, the sparsity index used by
    Chalasani et al. 2020 for attributions of adversarially trained models)."""
    m = np.sort(np.abs(np.asarray(maps, np.float64)).reshape(len(maps), -1), axis=1)
    n = m.shape[1]
    tot = m.sum(1)
    k = np.arange(1, n + 1)
    g = 1 - 2 * ((m / np.where(tot > 0, tot, 1.0)[:, None]) * (n - k + 0.5)[None] / n).sum(1)
    return np.where(tot > 0, g, np.nan)
