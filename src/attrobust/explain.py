"""Attribution methods behind one entry point, ``explain(method, model, inputs, target)``.

``METHODS`` maps a name to a :class:`Method`. Gradient methods wrap captum (they need a
differentiable ``torch.nn.Module``); black-box methods (LIME, Kernel SHAP, C-LIME) also take
a scikit-learn estimator (``predict_proba`` if present, else ``predict``) or any callable
``numpy -> outputs``. Every method returns a float32 array with the shape of ``inputs``.

What a torch model must look like (captum's constraints, checked where cheap):

- it returns logits ``(N, n_classes)``, or ``(N, 1)`` / ``(N,)`` for regression (then
  ``target`` and ``output`` are ignored and the single output is explained);
- every nonlinearity is its own ``nn.Module`` instance used once, never a functional
  ``F.relu`` and never one ``nn.ReLU`` reused (DeepLift, LRP, guided backprop and
  deconvolution hook the modules, so functional calls are silently treated as linear);
- ``lrp_epsilon``: every leaf module is one captum's LRP has a rule for (Linear, Conv2d,
  Max/AvgPool, BatchNorm2d, ReLU, Tanh, Dropout); ``nn.Flatten`` / ``nn.Unflatten`` /
  ``nn.Identity`` are passed through here (as ``x.flatten(1)`` in ``forward`` is, which
  also works). ELU, Softplus etc. raise :class:`ExplainError`;
- ``gradcam`` / ``guided_gradcam``: image inputs and an ``nn.Conv2d`` (or ``layer=``).

Randomness: a stochastic method depends only on ``seed`` and draws the *same* noise for
every input (each input is explained on its own with that seed), so an explanation does not
depend on which batch an input came in, and x and x' are compared under the same noise
(Alvarez-Melis & Jaakkola 2018, Sec. 3). Global RNG states are restored afterwards.
"""
from __future__ import annotations

import contextlib
import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import differentiable
from .models import is_torch


class ExplainError(ValueError):
    """Bad method name, parameter, model or input for :func:`explain`."""


@dataclass(frozen=True)
class Method:
    """An attribution method: its implementation ``fn`` (what :func:`explain` runs), its
    parameters with defaults, the display name figures use, the paper it follows, and,
    where one exists, a ``differentiable`` implementation that attacks differentiate
    (:mod:`attrobust.differentiable`, with its own ``attack_defaults``)."""
    name: str
    fn: Callable
    kind: str  # 'gradient' (needs a torch nn.Module) | 'blackbox' (any model)
    stochastic: bool
    defaults: dict
    reference: str
    label: str = ""
    differentiable: Callable | None = None
    attack_defaults: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- torch glue

@functools.lru_cache(maxsize=None)
def _torch_classes() -> dict:
    """nn.Module wrappers, defined lazily so that importing this module stays torch-free."""
    import torch
    from torch import nn

    class Head(nn.Module):
        """The explained function: logits, or softmax probabilities (``output='prob'``).

        Softmax is a module (not ``F.softmax``) so DeepLift treats it as a nonlinearity.
        A ``(N,)`` output becomes ``(N, 1)`` so captum and shap can index column 0.
        """

        def __init__(self, model: nn.Module, prob: bool):
            super().__init__()
            self.model = model
            self.softmax = nn.Softmax(dim=1) if prob else None

        def forward(self, x):
            out = self.model(x)
            if out.ndim == 1:
                out = out[:, None]
            if self.softmax is not None and out.shape[1] > 1:
                out = self.softmax(out)
            return out

    class Select(nn.Module):
        """One output column, for explainers (shap) that explain all outputs."""

        def __init__(self, head: nn.Module, k: int):
            super().__init__()
            self.head, self.k = head, k

        def forward(self, x):
            return self.head(x)[:, self.k : self.k + 1]

    return {"Head": Head, "Select": Select, "torch": torch}


# Input values per forward pass on a GPU (~64 MB of float32: 111 rows of 3x224x224, 21 400
# of 28x28). On an H200, captum's IG with passes of 256 rows was 1.2-1.3x faster than with
# the CPU's 2**16 values (benchmarks/README.md (i)); ResNet-18 held 6.5 GiB at 256 rows.
_PASS_VALUES_GPU = 2**24
# IG's passes also keep the activations for the backward pass: 2**25 values (222 rows of
# 3x224x224; ResNet-18 held 5.1 GiB), measured on an H200 against 2**24 and 2**26.
_IG_PASS_VALUES_GPU = 2**25


class _Model:
    """What methods see: a torch module (``head``) or a black box (``predict``)."""

    def __init__(self, model: Any, device: Any, batch_size: int):
        self.model, self.device, self.batch_size = model, device, batch_size
        self.is_torch = device is not None

    @property
    def on_gpu(self) -> bool:
        return getattr(self.device, "type", "cpu") == "cuda"

    def head(self, output: str):
        return _torch_classes()["Head"](self.model, output == "prob")

    def predict(self, X: np.ndarray, output: str = "logit") -> np.ndarray:
        """Outputs ``(n, K)`` float64 for a batch; torch models in memory-sized chunks."""
        X = np.asarray(X)
        if self.is_torch:
            from .models.predict import inference

            torch = _torch_classes()["torch"]
            head = self.head(output)
            # forward passes of ~128 KB of float32 input on a CPU, which stay in its caches:
            # Kernel SHAP's 41 000 rows of an 8x8 digit through cnn_small took half the CPU
            # time in passes of 2**15 values as in passes of 2**18 (28x28: 0.6x), and 10^4
            # 28x28 images in one pass were 2x slower per image and held 2 GB
            # (benchmarks/README.md (a)); ~64 MB on a GPU; never fewer than batch_size rows
            values = _PASS_VALUES_GPU if self.on_gpu else 2**15
            rows = max(self.batch_size, values // max(1, int(np.prod(X.shape[1:]))))
            outs = []
            with inference(self.model, self.device):
                for s in range(0, len(X), rows):
                    xb = torch.as_tensor(X[s : s + rows], dtype=torch.float32, device=self.device)
                    outs.append(head(xb).double().cpu().numpy())
            out = np.concatenate(outs) if outs else np.zeros((0, 1))
        elif hasattr(self.model, "predict_proba") or hasattr(self.model, "predict"):
            from .models import sklearn_predict

            out = sklearn_predict(self.model, X.reshape(len(X), -1) if X.ndim > 2 else X,  # (n, D)
                                  proba=hasattr(self.model, "predict_proba"))
        else:
            out = self.model(X)
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or len(out) != len(X):
            raise ExplainError(
                f"the model returned outputs of shape {out.shape} for {len(X)} inputs; "
                "expected (n, n_classes), (n, 1) or (n,)"
            )
        return out


@contextlib.contextmanager
def _prepared(model: Any, device: Any, batch_size: int):
    """Eval mode and the requested device for a torch model; both restored afterwards.
    torch is not imported for a black box (a scikit-learn job never loads it)."""
    if not is_torch(model):
        yield _Model(model, None, batch_size)
        return
    import torch

    params = list(model.parameters())
    home = params[0].device if params else torch.device("cpu")
    if device is None:
        dev = home
    else:
        from .utils import get_device

        try:
            dev = get_device(device)
        except ValueError as err:
            raise ExplainError(str(err)) from None
    was_training = model.training
    model.eval()
    if dev != home:
        model.to(dev)
    try:
        yield _Model(model, dev, batch_size)
    finally:
        if dev != home:
            model.to(home)
        model.train(was_training)


@contextlib.contextmanager
def _torch_seed(seed: int, device):
    """Seed torch's global RNG for one call (captum draws noise from it), then restore it."""
    import torch

    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def _numpy_global_seed(seed: int):
    """Seed numpy's global RNG (used by shap) for one call, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _captum_loop(mdl: _Model, x: np.ndarray, targets: np.ndarray, attribute: Callable) -> np.ndarray:
    """``attribute(x_chunk, target_chunk, slice)`` over ``batch_size`` chunks of the inputs."""
    torch = _torch_classes()["torch"]
    out = []
    for s in range(0, len(x), mdl.batch_size):
        sl = slice(s, s + mdl.batch_size)
        xb = torch.as_tensor(x[sl], device=mdl.device).requires_grad_()
        tb = torch.as_tensor(targets[sl], dtype=torch.long, device=mdl.device)
        with warnings.catch_warnings():  # captum's notes on the hooks it sets and removes
            warnings.filterwarnings("ignore", message=r"Setting (forward|backward)", category=UserWarning)
            out.append(attribute(xb, tb, sl).detach().cpu().numpy())
    return np.concatenate(out)


def _baseline(spec: Any, x: np.ndarray, method: str) -> Callable:
    """Resolve ``baseline``: 'zero', 'mean' (of this batch), a number, an array shaped like
    one input, or one array per input. Returns ``(slice, chunk tensor) -> tensor``."""
    if isinstance(spec, str):
        if spec not in ("zero", "mean"):
            raise ExplainError(
                f"{method}: baseline={spec!r} is not known; use 'zero', 'mean' (per-feature "
                "mean of the inputs), a number, or an array shaped like one input"
            )
        b = np.zeros((1,) + x.shape[1:], np.float32) if spec == "zero" else x.mean(0, keepdims=True)
    else:
        b = np.asarray(spec, dtype=np.float32)
        if b.ndim == 0:
            b = np.full((1,) + x.shape[1:], b, np.float32)
        elif b.shape == x.shape[1:]:
            b = b[None]
        elif b.shape != x.shape:
            raise ExplainError(
                f"{method}: baseline of shape {b.shape} fits neither one input "
                f"{x.shape[1:]} nor the batch {x.shape}"
            )
        if not np.all(np.isfinite(b)):
            raise ExplainError(f"{method}: baseline contains NaN or Inf")
    per_input = len(b) == len(x) and len(b) > 1

    def get(sl, xb):
        torch = _torch_classes()["torch"]
        bb = torch.as_tensor(b[sl] if per_input else b, device=xb.device)
        return bb.expand_as(xb).contiguous()

    return get


def _background(background: Any, x: np.ndarray, method: str) -> np.ndarray:
    if background is None:
        raise ExplainError(
            f"{method} needs background=<array of reference inputs, shape (M, "
            f"{', '.join(map(str, x.shape[1:]))})>, e.g. a sample of the training data"
        )
    bg = np.asarray(background.detach().cpu() if hasattr(background, "detach") else background,
                    dtype=np.float32)
    if bg.shape[1:] != x.shape[1:] or len(bg) == 0:
        raise ExplainError(
            f"{method}: background has shape {bg.shape}; expected (M, {', '.join(map(str, x.shape[1:]))})"
        )
    if not np.all(np.isfinite(bg)):
        raise ExplainError(f"{method}: background contains NaN or Inf")
    return bg


def _need_images(x: np.ndarray, method: str) -> None:
    if x.ndim != 4:
        raise ExplainError(f"{method} needs image inputs (N, C, H, W); got shape {x.shape}")


def _conv_layer(mdl: _Model, layer: str | None, method: str):
    """The module named ``layer``, else the last ``nn.Conv2d`` (Selvaraju et al. 2017, Sec. 3)."""
    from torch import nn

    modules = dict(mdl.model.named_modules())
    if layer is not None:
        if layer not in modules or layer == "":
            raise ExplainError(
                f"{method}: layer={layer!r} is not a submodule; known: {sorted(k for k in modules if k)}"
            )
        return modules[layer]
    convs = [m for m in modules.values() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ExplainError(
            f"{method} needs a model with an nn.Conv2d layer (or layer=<submodule name>); "
            f"{type(mdl.model).__name__} has none"
        )
    return convs[-1]


# ------------------------------------------------------------------- gradient methods

def _saliency(mdl, x, targets, *, seed, output):
    """Raw input gradient of the target output (Simonyan et al. 2014, Sec. 3.1, eq. 2)."""
    from captum.attr import Saliency

    sal = Saliency(mdl.head(output))
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: sal.attribute(xb, target=tb, abs=False))


def _gradient_x_input(mdl, x, targets, *, seed, output):
    """Gradient times input (Shrikumar et al. 2016; Ancona et al. 2018, Sec. 2.1)."""
    from captum.attr import InputXGradient

    ixg = InputXGradient(mdl.head(output))
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: ixg.attribute(xb, target=tb))


IG_QUADRATURES = ("gausslegendre", "riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid")


def _integrated_gradients(mdl, x, targets, *, seed, output, n_steps, baseline, quadrature):
    """Path integral of gradients from a baseline (Sundararajan et al. 2017, eq. 1);
    ``quadrature``: captum's ``method``, Gauss-Legendre by default (captum's), or a Riemann
    sum (``riemann_right``: Ghorbani et al.'s, which :mod:`attrobust.attacks` differentiates). The ``batch_size`` inputs x ``n_steps``
    path points go through the model in forward passes of about 2**16 input values on a CPU,
    2**25 on a GPU (``internal_batch_size``; at least 2 points per input): one pass of all
    of them was 2-4x slower than one input at a time on a CPU (cnn_small, 28x28, 64 x 100
    rows; see benchmarks/bench_attribution.py) and holds batch_size x n_steps activations
    on a GPU, where 2**25 was 1.10-1.17x faster than 2**24 at 224x224 and within 6% of 2**26
    with half its memory (benchmarks/README.md (i))."""
    from captum.attr import IntegratedGradients

    if quadrature not in IG_QUADRATURES:
        raise ExplainError(f"integrated_gradients: quadrature={quadrature!r} is not known; use one of "
                           f"{list(IG_QUADRATURES)}")
    ig = IntegratedGradients(mdl.head(output))
    base = _baseline(baseline, x, "integrated_gradients")
    values = _IG_PASS_VALUES_GPU if mdl.on_gpu else 2**16
    rows = lambda xb: max(2 * len(xb), values // max(1, xb[0].numel()))  # noqa: E731
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: ig.attribute(
        xb, baselines=base(sl, xb), target=tb, n_steps=int(n_steps), method=quadrature,
        internal_batch_size=rows(xb)))


def _smoothgrad(mdl, x, targets, *, seed, output, n_samples, sigma):
    """Mean gradient at x + N(0, sigma^2 I), sigma in input units (Smilkov et al. 2017, eq. 3).

    captum's NoiseTunnel draws from torch's global RNG, so each input is explained on its
    own under ``seed``: every input sees the same noise, whatever the batching."""
    from captum.attr import NoiseTunnel, Saliency

    torch = _torch_classes()["torch"]
    nt = NoiseTunnel(Saliency(mdl.head(output)))
    out = np.empty_like(x)
    for i in range(len(x)):
        xi = torch.as_tensor(x[i : i + 1], device=mdl.device).requires_grad_()
        with _torch_seed(seed, mdl.device):
            a = nt.attribute(xi, nt_type="smoothgrad", nt_samples=int(n_samples),
                             stdevs=float(sigma), target=int(targets[i]), abs=False)
        out[i] = a[0].detach().cpu().numpy()
    return out


def _deeplift(mdl, x, targets, *, seed, output, baseline):
    """DeepLIFT with the Rescale rule (Shrikumar et al. 2017, Sec. 3.3), captum's DeepLift."""
    from captum.attr import DeepLift

    dl = DeepLift(mdl.head(output))
    base = _baseline(baseline, x, "deeplift")
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: dl.attribute(
        xb, baselines=base(sl, xb), target=tb))


_LRP_RESHAPES = ("Flatten", "Unflatten", "Identity")


@functools.lru_cache(maxsize=None)
def _pass_rule():
    """An LRP "rule" that hooks nothing: relevance flows through a reshape like the gradient,
    exactly as for ``x.flatten(1)`` in ``forward``. (captum's IdentityRule on nn.Flatten
    fails: "hook '_backward_hook_input' has changed the size of value".)"""
    from captum.attr._utils.lrp_rules import PropagationRule

    class PassRule(PropagationRule):
        def forward_hook(self, module, inputs, outputs):
            return None

        def forward_hook_weights(self, module, inputs, outputs):
            return None

        def forward_pre_hook_activations(self, module, inputs):
            return None

        def _manipulate_weights(self, module, inputs, outputs):
            return None

    return PassRule


def _lrp_epsilon(mdl, x, targets, *, seed, output, epsilon):
    """epsilon-LRP (Bach et al. 2015, eq. 58; Montavon et al. 2019, Sec. 10.2.1):
    captum's LRP with ``EpsilonRule(epsilon)`` on every linear/conv/pool layer."""
    from captum.attr import LRP
    from captum.attr._core.lrp import SUPPORTED_LAYERS_WITH_RULES, SUPPORTED_NON_LINEAR_LAYERS
    from captum.attr._utils.lrp_rules import EpsilonRule

    if output == "prob":
        raise ExplainError("lrp_epsilon explains logits (relevance is conserved from the "
                           "output layer); use output='logit'")
    head = mdl.head(output)
    leaves = [m for m in head.modules() if not list(m.children())]
    bad = sorted({type(m).__name__ for m in leaves
                  if type(m) not in SUPPORTED_LAYERS_WITH_RULES
                  and type(m) not in SUPPORTED_NON_LINEAR_LAYERS
                  and type(m).__name__ not in _LRP_RESHAPES})
    if bad:
        allowed = sorted({t.__name__ for t in SUPPORTED_LAYERS_WITH_RULES}
                         | {t.__name__ for t in SUPPORTED_NON_LINEAR_LAYERS} | set(_LRP_RESHAPES))
        raise ExplainError(f"lrp_epsilon: captum's LRP has no rule for {bad}; a model for LRP "
                           f"may only contain {allowed}")
    lrp = LRP(head)

    def attribute(xb, tb, sl):
        # captum deletes the rules after every call, so attach them before each one
        for m in leaves:
            if type(m) in SUPPORTED_LAYERS_WITH_RULES:
                m.rule = EpsilonRule(epsilon=float(epsilon))
            elif type(m).__name__ in _LRP_RESHAPES:
                m.rule = _pass_rule()()
        return lrp.attribute(xb, target=tb)

    try:
        return _captum_loop(mdl, x, targets, attribute)
    finally:
        for m in leaves:  # leave the user's model as it was
            for attr in ("rule", "activations"):
                if attr in m.__dict__:
                    delattr(m, attr)


def _occlusion_shapes(shape, window, stride):
    if len(shape) == 2:
        w = int(window or 1)
        return (w,), (int(stride or w),)
    c, h, wd = shape[1:]
    # ~ 1/14 of the image side: 2x2 for 8x8..32x32, 16x16 for 224x224 (Zeiler & Fergus 2014)
    w = window or max(2, round(min(h, wd) / 14))
    win = (c, w, w) if np.ndim(w) == 0 else tuple(int(v) for v in w)
    s = stride or max(1, win[-1] // 2)
    st = (c, s, s) if np.ndim(s) == 0 else tuple(int(v) for v in s)
    return tuple(int(v) for v in win), tuple(int(v) for v in st)


def _occlusion(mdl, x, targets, *, seed, output, window, stride, baseline):
    """Output drop when a sliding patch is set to ``baseline`` (Zeiler & Fergus 2014, Sec. 4.2).

    Defaults: 1 feature for tabular inputs; for images a (C, w, w) patch over all channels with
    w = max(2, round(min(H, W) / 14)) and stride max(1, w // 2). ``window``/``stride`` take an
    int (side) or a full shape tuple."""
    from captum.attr import Occlusion

    torch = _torch_classes()["torch"]
    occ = Occlusion(mdl.head(output))
    win, st = _occlusion_shapes(x.shape, window, stride)
    base = _baseline(baseline, x, "occlusion")
    with torch.no_grad():
        return _captum_loop(mdl, x, targets, lambda xb, tb, sl: occ.attribute(
            xb, sliding_window_shapes=win, strides=st, baselines=base(sl, xb), target=tb,
            perturbations_per_eval=max(1, mdl.batch_size // len(xb))))


def _guided_backprop(mdl, x, targets, *, seed, output):
    """Guided backpropagation (Springenberg et al. 2015, Sec. 3.4): ReLU modules only."""
    from captum.attr import GuidedBackprop

    gb = GuidedBackprop(mdl.head(output))
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: gb.attribute(xb, target=tb))


def _deconvolution(mdl, x, targets, *, seed, output):
    """Deconvnet backward pass (Zeiler & Fergus 2014, Sec. 2.1): ReLU modules only."""
    from captum.attr import Deconvolution

    dc = Deconvolution(mdl.head(output))
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: dc.attribute(xb, target=tb))


def _gradcam(mdl, x, targets, *, seed, output, layer):
    """Grad-CAM (Selvaraju et al. 2017, eqs. 1-2): ReLU of the gradient-weighted channel sum
    of ``layer`` (default: last nn.Conv2d), bilinearly upsampled to H x W and repeated over
    the input channels."""
    from captum.attr import LayerAttribution, LayerGradCam

    _need_images(x, "gradcam")
    gc = LayerGradCam(mdl.head(output), _conv_layer(mdl, layer, "gradcam"))

    def attribute(xb, tb, sl):
        a = gc.attribute(xb, target=tb, relu_attributions=True)
        if a.ndim != 4:
            raise ExplainError(f"gradcam: layer output must be (N, C, h, w); got {tuple(a.shape)}")
        a = LayerAttribution.interpolate(a, tuple(x.shape[2:]), interpolate_mode="bilinear")
        return a.expand(-1, x.shape[1], -1, -1)

    return _captum_loop(mdl, x, targets, attribute)


def _guided_gradcam(mdl, x, targets, *, seed, output, layer):
    """Guided Grad-CAM (Selvaraju et al. 2017, Sec. 3.1): guided backprop x upsampled Grad-CAM."""
    from captum.attr import GuidedGradCam

    _need_images(x, "guided_gradcam")
    ggc = GuidedGradCam(mdl.head(output), _conv_layer(mdl, layer, "guided_gradcam"))
    return _captum_loop(mdl, x, targets, lambda xb, tb, sl: ggc.attribute(
        xb, target=tb, interpolate_mode="bilinear"))


def _gradient_shap(mdl, x, targets, *, seed, output, background, nsamples):
    """Expected gradients / GradientSHAP (Lundberg & Lee 2017, Sec. 4; Erion et al. 2021):
    shap.GradientExplainer, one input at a time with ``rseed=seed``."""
    import shap

    torch = _torch_classes()["torch"]
    bg = torch.as_tensor(_background(background, x, "gradient_shap"), device=mdl.device)
    head, select = mdl.head(output), _torch_classes()["Select"]
    explainers: dict[int, Any] = {}
    out = np.empty_like(x)
    for i in range(len(x)):
        k = int(targets[i])
        if k not in explainers:  # one explainer per class: shap would explain every output
            explainers[k] = shap.GradientExplainer(select(head, k), bg, batch_size=mdl.batch_size)
        xi = torch.as_tensor(x[i : i + 1], device=mdl.device)
        with _numpy_global_seed(seed):
            sv = explainers[k].shap_values(xi, nsamples=int(nsamples), rseed=seed % 2**32)
        out[i] = np.asarray(sv).reshape(x.shape[1:])
    return out


# ------------------------------------------------------------------- black-box methods

def _tile_segments(h: int, w: int, size: int) -> np.ndarray:
    """Square ``size`` x ``size`` superpixels, numbered 0..S-1 row-major."""
    cols = -(-w // size)
    return (np.arange(h)[:, None] // size) * cols + np.arange(w)[None, :] // size


def segment_side(h: int, w: int, segment_size=None) -> int:
    """Side of the square tiles of an h x w image: ``segment_size``, or by default about
    8 x 8 superpixels (1 pixel for <= 8x8 images, 4 for 28x28 / 32x32)."""
    return int(segment_size or max(1, math.ceil(min(h, w) / 8)))


def n_tiles(h: int, w: int, segment_size=None) -> int:
    """How many tiles :func:`_tile_segments` cuts an h x w image into (Kernel SHAP's players)."""
    side = segment_side(h, w, segment_size)
    return -(-h // side) * -(-w // side)


def _segment_size(x: np.ndarray, segment_size) -> int:
    return segment_side(*x.shape[2:], segment_size)


#: Superpixel segmenters of image LIME (``segmentation``): lime's wrapper of scikit-image's
#: algorithm with these settings. quickshift: those of Alvarez-Melis & Jaakkola's released code
#: for MNIST (dmelis/robust_interpret, scripts/main_mnist.py); slic: ~50 segments.
SEGMENTERS = {"quickshift": {"kernel_size": 1, "max_dist": 200, "ratio": 0.1},
              "slic": {"n_segments": 50, "compactness": 10, "start_label": 0}}
SEGMENTATIONS = ("tiles",) + tuple(SEGMENTERS)


def _superpixels(img: np.ndarray, segmentation: str) -> np.ndarray:
    """Segments (H, W) of one image (H, W, C) by a :data:`SEGMENTERS` algorithm (grey images
    are repeated to RGB, as lime does); deterministic (scikit-image's fixed seeds)."""
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    rgb = img if img.shape[-1] == 3 else np.repeat(img[..., :1], 3, axis=-1)
    seg = np.asarray(SegmentationAlgorithm(segmentation, **SEGMENTERS[segmentation])(rgb))
    return np.unique(seg, return_inverse=True)[1].reshape(seg.shape)  # numbered 0..S-1


def _lime(mdl, x, targets, *, seed, output, background, num_samples, segment_size,
          kernel_width, sample_around_instance, segmentation):
    """LIME (Ribeiro et al. 2016, eqs. 1-2) with the ``lime`` package; the dense vector of
    local-model coefficients for the target label.

    Tabular: LimeTabularExplainer(background, discretize_continuous=False,
    feature_selection='none'); coefficients are per standardised feature (lime scales by the
    background's std). Images: LimeImageExplainer over superpixels, hidden ones set to 0;
    each pixel gets its superpixel's weight, repeated over channels. ``segmentation``:
    ``'tiles'`` (square ``segment_size`` tiles, default ceil(min(H, W) / 8): for images too
    small for a segmenter, such as 8 x 8 digits) or a scikit-image segmenter of
    :data:`SEGMENTERS` (``'quickshift'``: the paper's, computed on each image explained, so
    x and x' may get different superpixels)."""
    out = np.empty_like(x)
    regression = _n_outputs(mdl, x) == 1
    if x.ndim == 2:
        from lime.lime_tabular import LimeTabularExplainer

        bg = _background(background, x, "lime").astype(np.float64)

        def predict(z):
            y = mdl.predict(z, output)
            return y[:, 0] if regression else y

        for i in range(len(x)):
            expl = LimeTabularExplainer(
                bg, mode="regression" if regression else "classification",
                discretize_continuous=False, feature_selection="none",
                kernel_width=kernel_width, sample_around_instance=sample_around_instance,
                random_state=seed)
            e = expl.explain_instance(x[i].astype(np.float64), predict, labels=(int(targets[i]),),
                                      num_features=x.shape[1], num_samples=int(num_samples))
            key = 1 if regression else int(targets[i])  # lime stores regressions under 1
            out[i] = _dense(e.local_exp[key], x.shape[1])
        return out

    from unittest import mock

    import lime.lime_image
    from lime.lime_image import LimeImageExplainer

    _need_images(x, "lime")
    if segmentation not in SEGMENTATIONS:
        raise ExplainError(f"lime: segmentation={segmentation!r} is not known; use one of {list(SEGMENTATIONS)}")
    tiles = _tile_segments(x.shape[2], x.shape[3], _segment_size(x, segment_size))

    def classify(imgs):  # lime works on (n, H, W, C)
        return mdl.predict(np.transpose(imgs, (0, 3, 1, 2)), output)

    # lime 0.2.0.1 draws a tqdm bar per image with no switch to turn it off
    with mock.patch.object(lime.lime_image, "tqdm", lambda it, *a, **k: it):
        for i in range(len(x)):
            img = np.transpose(x[i], (1, 2, 0)).astype(np.float64)
            segments = tiles if segmentation == "tiles" else _superpixels(img, segmentation)
            if segments.max() == 0:
                raise ExplainError(f"lime: segmentation={segmentation!r} found one superpixel in a "
                                   f"{x.shape[2]} x {x.shape[3]} image; use segmentation='tiles' for "
                                   "images too small for a segmenter (config key methods.lime.segmentation)")
            expl = LimeImageExplainer(kernel_width=kernel_width or 0.25,
                                      feature_selection="none", random_state=seed)
            e = expl.explain_instance(
                img, classify,
                labels=(int(targets[i]),), hide_color=0, top_labels=None,
                num_features=int(segments.max()) + 1, num_samples=int(num_samples),
                batch_size=mdl.batch_size, segmentation_fn=lambda _, s=segments: s)
            w = _dense(e.local_exp[int(targets[i])], int(segments.max()) + 1)
            out[i] = w[segments][None]
    return out


def _dense(pairs, n: int) -> np.ndarray:
    v = np.zeros(n, np.float32)
    for j, w in pairs:
        v[j] = w
    return v


_KMEANS: dict = {}


def _kmeans_summary(bg: np.ndarray, k: int):
    """``shap.kmeans(bg, k)``, computed once per background and k in a process (a copy each
    time). It is deterministic (k-means++ with ``random_state=0``), and a Lipschitz search
    calls Kernel SHAP hundreds of times with the same background: recomputing it was 15% of a
    search on a random forest (benchmarks/README.md (e))."""
    import copy

    import shap

    key = (bg.shape, bg.dtype.str, bg.tobytes(), k)
    if key not in _KMEANS:
        if len(_KMEANS) >= 8:  # a process explains with a few backgrounds at most
            _KMEANS.clear()
        _KMEANS[key] = shap.kmeans(bg, k)
    return copy.deepcopy(_KMEANS[key])


def _kernel_shap(mdl, x, targets, *, seed, output, background, n_background, nsamples, l1_reg,
                 segment_size):
    """Kernel SHAP (Lundberg & Lee 2017, Theorem 2) with shap.KernelExplainer.

    Tabular: the background is summarised with ``shap.kmeans`` (deterministic) to
    ``n_background`` rows; ``nsamples='auto'`` is shap's 2 D + 2048; ``l1_reg=False`` keeps
    every feature (shap's own default would keep only 10).

    Images: the players are square ``segment_size`` tiles (as LIME's superpixels, default
    ceil(min(H, W) / 8): single pixels for 8 x 8 digits); a hidden tile takes the values of
    each background image (summarised to ``n_background`` k-means centres, weighted), so
    the value function is the background-weighted mean output, as for tabular inputs. A
    tile's SHAP value is spread evenly over its pixels and channels, so attributions still
    add up to f(x) - E[f(background)]. A tile equal in x and every background image gets
    exactly 0 and is not sampled (shap does the same for tabular features that do not vary).

    Budget: with 64 players, 200 coalitions left a feature the model ignores at 0.19-0.34 of
    the largest attribution, 2048 at 0.02-0.04 (tests/test_shap_budget.py checks every
    shipped config's budget)."""
    import shap

    bg = _background(background, x, "kernel_shap").astype(np.float64)
    if x.ndim == 4:
        return _kernel_shap_tiles(mdl, x, targets, bg, seed=seed, output=output,
                                  n_background=n_background, nsamples=nsamples, l1_reg=l1_reg,
                                  segment_size=segment_size)
    data = _kmeans_summary(bg, int(n_background)) if len(bg) > n_background else bg
    explainers: dict[int, Any] = {}
    out = np.empty_like(x)
    for i in range(len(x)):
        k = int(targets[i])
        if k not in explainers:
            explainers[k] = shap.KernelExplainer(lambda z, k=k: mdl.predict(z, output)[:, k], data)
        with _numpy_global_seed(seed):  # KernelExplainer samples coalitions from np.random
            sv = explainers[k].shap_values(x[i : i + 1].astype(np.float64), nsamples=nsamples,
                                           l1_reg=l1_reg, silent=True)
        out[i] = np.asarray(sv).reshape(x.shape[1:])
    return out


def _kernel_shap_tiles(mdl, x, targets, bg, *, seed, output, n_background, nsamples, l1_reg,
                       segment_size):
    """Kernel SHAP over image tiles (see :func:`_kernel_shap`): shap sees S binary players
    (1 = the tile of x, 0 = the background's) and a value function that pastes them."""
    import shap

    size = _segment_size(x, segment_size)
    segments = _tile_segments(x.shape[2], x.shape[3], size)
    n_tiles = int(segments.max()) + 1
    if len(bg) > n_background:
        summary = _kmeans_summary(bg.reshape(len(bg), -1), int(n_background))
        bg, w = summary.data.reshape((-1,) + x.shape[1:]), np.asarray(summary.weights, np.float64)
    else:
        w = np.full(len(bg), 1.0 / len(bg))
    w = w / w.sum()
    per_tile = np.bincount(segments.ravel(), minlength=n_tiles) * x.shape[1]  # pixels x channels
    out = np.empty_like(x)
    for i in range(len(x)):
        k, xi = int(targets[i]), x[i].astype(np.float64)
        # A tile equal in x and in every background image is a null player (the value
        # function does not depend on it): its Shapley value is exactly 0, and it is left out
        # of the estimate, as shap.KernelExplainer leaves out tabular features that do not vary
        # (its `varyingInds`). Only the varying tiles are sampled.
        same = (bg == xi[None]).all(1)  # (B, H, W): every channel equal
        varying = np.flatnonzero(~np.array([same[:, segments == s].all() for s in range(n_tiles)]))
        sv = np.zeros(n_tiles)
        if len(varying):
            def value(z, k=k, xi=xi):
                z = np.asarray(z, np.float64)
                rows = max(1, 2**22 // (len(bg) * xi.size))  # ~32 MB of pasted images at a time
                y = []
                for s in range(0, len(z), rows):
                    full = np.ones((len(z[s : s + rows]), n_tiles))
                    full[:, varying] = z[s : s + rows]
                    keep = full[:, segments][:, None, None]  # (n, 1, 1, H, W)
                    imgs = keep * xi + (1 - keep) * bg[None]  # (n, B, C, H, W)
                    p = mdl.predict(imgs.reshape((-1,) + x.shape[1:]).astype(np.float32), output)
                    y.append(p[:, k].reshape(len(keep), len(bg)) @ w)
                return np.concatenate(y)

            m = len(varying)
            expl = shap.KernelExplainer(value, np.zeros((1, m)))
            with _numpy_global_seed(seed):
                sv[varying] = np.asarray(expl.shap_values(np.ones((1, m)), nsamples=nsamples,
                                                          l1_reg=l1_reg, silent=True)).reshape(m)
        out[i] = (sv / per_tile)[segments][None]
    return out


def _clime(mdl, x, targets, *, seed, output, n_samples, sigma, ridge):
    """Continuous LIME (Agarwal et al. 2021, Sec. 2.3): ordinary least squares with intercept
    of f(x + e_i) on x + e_i, e_i ~ N(0, sigma^2 I), unweighted; returns the coefficients.

    ``ridge`` > 0 adds ridge * ||w||^2 to the *mean* squared error, leaving the intercept
    unpenalised (Appendix D, Lemma 6). All inputs share the seeded noise e_1..e_n, so one
    design matrix serves the whole batch. f is the target output of ``output`` for torch
    models (default the probability), the model's own outputs otherwise."""
    n, d = int(n_samples), int(np.prod(x.shape[1:]))
    if ridge == 0 and n <= d + 1:
        raise ExplainError(f"clime: n_samples={n} <= number of features + 1 ({d + 1}); least "
                           "squares is underdetermined. Raise n_samples or set ridge > 0")
    if sigma <= 0:
        raise ExplainError(f"clime: sigma must be > 0; got {sigma}")
    noise = np.random.default_rng(seed).standard_normal((n, d)) * float(sigma)
    y = np.empty((n, len(x)))
    for i in range(len(x)):
        xp = (x[i].reshape(1, d).astype(np.float64) + noise).reshape((n,) + x.shape[1:])
        y[:, i] = mdl.predict(xp, output)[:, int(targets[i])]
    return clime_fit(noise, y, ridge).T.reshape(x.shape)


def clime_fit(noise: np.ndarray, y: np.ndarray, ridge: float = 0.0) -> np.ndarray:
    """C-LIME's slopes: least squares with intercept of ``y`` (n,) or (n, m) on the draws
    ``noise`` (n, d) - regressing on e_i gives the same slopes as on x + e_i, better
    conditioned. ``ridge`` adds ridge * ||w||^2 to the mean squared error, intercept
    unpenalised (Agarwal et al. 2021, Appendix D). Returns (d,) or (d, m)."""
    n, d = noise.shape
    design = np.hstack([np.ones((n, 1)), noise])
    if ridge:
        penalty = np.eye(d + 1) * float(ridge)
        penalty[0, 0] = 0.0
        beta = np.linalg.solve(design.T @ design / n + penalty, design.T @ y / n)
    else:
        beta = np.linalg.lstsq(design, y, rcond=None)[0]
    return beta[1:]


# ------------------------------------------------------------------------- registry

METHODS: dict[str, Method] = {m.name: m for m in [
    Method("saliency", _saliency, "gradient", False, {"output": "logit"},
           "Simonyan et al. 2014, Sec. 3.1 (raw gradient, no abs)", "Saliency",
           differentiable.simple_gradient),
    Method("gradient_x_input", _gradient_x_input, "gradient", False, {"output": "logit"},
           "Shrikumar et al. 2016; Ancona et al. 2018, Sec. 2.1", "Gradient*Input"),
    Method("integrated_gradients", _integrated_gradients, "gradient", False,
           {"output": "logit", "n_steps": 50, "baseline": "zero", "quadrature": "gausslegendre"},
           "Sundararajan et al. 2017, eq. 1", "Integrated Gradients",
           differentiable.integrated_gradients, {"n_steps": 100, "baseline": "zero"}),
    Method("smoothgrad", _smoothgrad, "gradient", True,
           {"output": "logit", "n_samples": 50, "sigma": 0.15},
           "Smilkov et al. 2017, eq. 3", "SmoothGrad"),
    Method("deeplift", _deeplift, "gradient", False, {"output": "logit", "baseline": "zero"},
           "Shrikumar et al. 2017, Sec. 3.3 (Rescale rule)", "DeepLIFT",
           differentiable.deeplift, {"baseline": "zero"}),
    Method("lrp_epsilon", _lrp_epsilon, "gradient", False, {"output": "logit", "epsilon": 1e-2},
           "Bach et al. 2015, eq. 58 (epsilon rule)", "ε-LRP"),
    Method("occlusion", _occlusion, "gradient", False,
           {"output": "logit", "window": None, "stride": None, "baseline": "zero"},
           "Zeiler & Fergus 2014, Sec. 4.2", "Occlusion"),
    Method("guided_backprop", _guided_backprop, "gradient", False, {"output": "logit"},
           "Springenberg et al. 2015, Sec. 3.4", "Guided Backprop"),
    Method("deconvolution", _deconvolution, "gradient", False, {"output": "logit"},
           "Zeiler & Fergus 2014, Sec. 2.1", "DeconvNet"),
    Method("gradcam", _gradcam, "gradient", False, {"output": "logit", "layer": None},
           "Selvaraju et al. 2017, eqs. 1-2", "Grad-CAM"),
    Method("guided_gradcam", _guided_gradcam, "gradient", False, {"output": "logit", "layer": None},
           "Selvaraju et al. 2017, Sec. 3.1", "Guided Grad-CAM"),
    Method("gradient_shap", _gradient_shap, "gradient", True,
           {"output": "logit", "background": None, "nsamples": 200},
           "Lundberg & Lee 2017, Sec. 4 (shap.GradientExplainer, expected gradients)", "Gradient SHAP"),
    Method("lime", _lime, "blackbox", True,
           {"output": "prob", "background": None, "num_samples": 1000, "segment_size": None,
            "kernel_width": None, "sample_around_instance": False, "segmentation": "tiles"},
           "Ribeiro et al. 2016, eqs. 1-2", "LIME"),
    Method("kernel_shap", _kernel_shap, "blackbox", True,
           {"output": "prob", "background": None, "n_background": 50, "nsamples": "auto",
            "l1_reg": False, "segment_size": None},
           "Lundberg & Lee 2017, Theorem 2", "SHAP"),
    Method("clime", _clime, "blackbox", True,
           {"output": "prob", "n_samples": 1000, "sigma": 0.1, "ridge": 0.0},
           "Agarwal et al. 2021, Sec. 2.3 and Theorem 1; Appendix D (ridge)", "C-LIME"),
]}

KINDS = ("gradient", "blackbox")

#: Other names of a method, as a paper writes them: name -> (method, display name). Configs
#: and result paths may use them (Ghorbani et al. 2019, Sec. 2.1, call the saliency map
#: the "simple gradient").
ALIASES: dict[str, tuple[str, str]] = {"simple_gradient": ("saliency", "Simple Gradient")}


def spec(name: str) -> Method:
    """The :class:`Method` of ``name`` (a key of :data:`METHODS` or of :data:`ALIASES`)."""
    method = ALIASES[name][0] if name in ALIASES else name
    if method not in METHODS:
        raise ExplainError(f"unknown method {name!r}; known: {sorted([*METHODS, *ALIASES])}")
    return METHODS[method]


def attackable() -> list[str]:
    """Names (aliases included) of the methods with a differentiable implementation, which
    the attacks of :mod:`attrobust.attacks` can attack."""
    return [n for n in [*METHODS, *ALIASES] if spec(n).differentiable is not None]

#: Value ranges of the numeric method parameters (the config schema's `methods.<name>`
#: ranges): (kind, lower bound, whether the bound is included). captum, lime and shap
#: fail on 0 samples or steps with an IndexError or ZeroDivisionError that names nothing.
_PARAM_RULES = {
    ("integrated_gradients", "n_steps"): ("int", 1, True),
    ("smoothgrad", "n_samples"): ("int", 1, True),
    ("smoothgrad", "sigma"): ("number", 0, False),
    ("lrp_epsilon", "epsilon"): ("number", 0, True),
    ("gradient_shap", "nsamples"): ("int", 1, True),
    ("lime", "num_samples"): ("int", 1, True),
    ("lime", "segment_size"): ("int?", 1, True),
    ("lime", "kernel_width"): ("number?", 0, False),
    ("kernel_shap", "n_background"): ("int", 1, True),
    ("kernel_shap", "nsamples"): ("int|auto", 1, True),
    ("kernel_shap", "segment_size"): ("int?", 1, True),
    ("clime", "n_samples"): ("int", 2, True),
    ("clime", "sigma"): ("number", 0, False),
    ("clime", "ridge"): ("number", 0, True),
}


def _check_param_values(method: str, p: dict) -> None:
    for (meth, name), (kind, lo, closed) in _PARAM_RULES.items():
        if meth != method:
            continue
        v = p[name]
        if (kind.endswith("?") and v is None) or (kind == "int|auto" and v == "auto"):
            continue
        is_int = isinstance(v, (int, np.integer)) and not isinstance(v, bool)
        is_num = is_int or (isinstance(v, (float, np.floating)) and math.isfinite(v))
        ok = (is_int if kind.startswith("int") else is_num) and (v >= lo if closed else v > lo)
        if not ok:
            what = "an int" if kind.startswith("int") else "a finite number"
            extra = {"?": " or None", "o": " or 'auto'"}.get(kind[-1], "")
            raise ExplainError(f"{method}: {name}={v!r} must be {what} {'>=' if closed else '>'} {lo}{extra}")


def names(kind: str | None = None) -> list[str]:
    """Registered method names, optionally only those of ``kind`` ('gradient' | 'blackbox')."""
    if kind is not None and kind not in KINDS:
        raise ExplainError(f"kind={kind!r} is not known; use one of {list(KINDS)} or None")
    return [n for n, m in METHODS.items() if kind is None or m.kind == kind]


# ----------------------------------------------------------------------- entry point

def _as_inputs(inputs: Any) -> np.ndarray:
    if hasattr(inputs, "detach"):
        inputs = inputs.detach().cpu().numpy()
    x = np.asarray(inputs)
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise ExplainError(f"inputs must be numeric; got dtype {x.dtype}")
    if x.ndim not in (2, 4):
        raise ExplainError(f"inputs must be a batch, tabular (N, D) or images (N, C, H, W); "
                           f"got shape {x.shape}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        bad = int((~np.isfinite(x)).reshape(len(x), -1).any(1).sum())
        raise ExplainError(f"inputs contain NaN or Inf ({bad} of {len(x)} rows)")
    return x


def _n_outputs(mdl: _Model, x: np.ndarray) -> int:
    return mdl.predict(x[:1]).shape[1]


def _targets(target: Any, out: np.ndarray) -> np.ndarray:
    n, k = out.shape
    if k == 1:  # regression / single output: nothing to choose
        return np.zeros(n, dtype=np.int64)
    if target is None:
        return out.argmax(1).astype(np.int64)
    if hasattr(target, "detach"):
        target = target.detach().cpu().numpy()
    t = np.asarray(target)
    if t.size == 1:  # a one-element array is one class for all inputs (captum's convention:
        t = np.full(n, t.reshape(()))  # sensitivity_max leaves such a target unexpanded)
    if t.shape != (n,):
        raise ExplainError(f"target must be None, an int or {n} ints (one per input); got shape {t.shape}")
    if not (np.issubdtype(t.dtype, np.integer) or (np.issubdtype(t.dtype, np.floating)
                                                    and np.all(t == np.round(t)))):
        raise ExplainError(f"target must hold class indices (ints); got dtype {t.dtype}")
    t = t.astype(np.int64)
    if t.min() < 0 or t.max() >= k:
        raise ExplainError(f"target {int(t[(t < 0) | (t >= k)][0])} is out of range: "
                           f"the model has {k} outputs (classes 0..{k - 1})")
    return t


def explain(method: str, model: Any, inputs: Any, target: Any = None, *, seed: int = 0,
            batch_size: int = 64, device: Any = None, **params: Any) -> np.ndarray:
    """Attributions of ``model``'s ``target`` output for a batch of ``inputs``.

    method: a name in :data:`METHODS` (see :func:`names`).
    model: torch ``nn.Module`` returning logits (N, K) or regression outputs (N, 1)/(N,);
        for black-box methods also a scikit-learn estimator or a callable numpy -> outputs.
    inputs: numpy array or torch tensor (N, D) or (N, C, H, W).
    target: None (the predicted class), an int, or N ints; ignored for single-output models.
    seed: the only source of randomness of stochastic methods; same seed, same bits.
    batch_size: inputs per captum call (rows per forward for black-box evaluation).
    device: where a torch model runs (default: where its parameters are; restored after).
    params: override ``METHODS[method].defaults``; ``output='logit'|'prob'`` chooses the
        explained function for torch models (softmax probability as in Agarwal et al. 2021).

    Returns a float32 array with the shape of ``inputs``.
    """
    if method not in METHODS:
        raise ExplainError(f"unknown attribution method {method!r}; known: {names()}")
    m = METHODS[method]
    unknown = sorted(set(params) - set(m.defaults))
    if unknown:
        raise ExplainError(f"{method}: unknown parameter(s) {unknown}; allowed: {sorted(m.defaults)}")
    p = {**m.defaults, **params}
    if p["output"] not in ("logit", "prob"):
        raise ExplainError(f"{method}: output={p['output']!r}; use 'logit' or 'prob'")
    _check_param_values(method, p)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ExplainError(f"batch_size must be a positive int; got {batch_size!r}")
    x = _as_inputs(inputs)
    shape = getattr(model, "attrobust_spec", {}).get("input_shape")  # models.build's models
    if shape is not None and int(np.prod(x.shape[1:])) != int(np.prod(shape)):
        raise ExplainError(f"inputs have shape {x.shape}; model {model.attrobust_spec['arch']!r} "
                           f"takes a batch (N, {', '.join(map(str, shape))})")
    with _prepared(model, device, int(batch_size)) as mdl:
        if m.kind == "gradient" and not mdl.is_torch:
            raise ExplainError(
                f"{method} needs a differentiable torch model (nn.Module); got "
                f"{type(model).__name__}. Black-box methods work with any model: {names('blackbox')}"
            )
        if not mdl.is_torch and not (callable(model) or hasattr(model, "predict")):
            raise ExplainError(f"model must be a torch nn.Module, a scikit-learn estimator or a "
                               f"callable; got {type(model).__name__}")
        if len(x) == 0:
            return np.zeros(x.shape, np.float32)
        targets = _targets(target, mdl.predict(x))
        attr = m.fn(mdl, x, targets, seed=int(seed), **p)
    attr = np.asarray(attr, dtype=np.float32)
    if attr.shape != x.shape:  # pragma: no cover - a bug in a method, not user input
        raise RuntimeError(f"{method} returned shape {attr.shape} for inputs {x.shape}")
    if not np.all(np.isfinite(attr)):
        raise ExplainError(f"{method} produced NaN/Inf attributions (check the model's outputs "
                           f"and the parameters {p})")
    return attr


def resolve_target(spec, y, outputs) -> np.ndarray | None:
    """The class explained for each input: ``"predicted"`` (argmax of ``outputs``),
    ``"true"`` (the labels ``y``) or a fixed class index; ``None`` for regression."""
    outputs = np.asarray(outputs)
    if outputs.ndim == 1 or outputs.shape[1] == 1:
        return None
    if spec == "predicted":
        return outputs.argmax(1)
    if spec == "true":
        return np.asarray(y, dtype=np.int64)
    if isinstance(spec, (int, np.integer)) and 0 <= spec < outputs.shape[1]:
        return np.full(len(outputs), int(spec), dtype=np.int64)
    raise ExplainError(
        f"target {spec!r} is not 'predicted', 'true' or a class index in [0, {outputs.shape[1] - 1}]"
    )


def saved(path) -> dict[str, dict[str, np.ndarray]]:
    """The explanations in a file of the workflow's `explain` stage, by method: each a dict
    of ``X``, ``A`` (the method's attributions), ``y``, ``outputs``, ``target``, ``method``,
    ``params`` (JSON) and ``device``. One file holds every method of its budget
    (workflow/rules/explain.smk)."""
    from .utils import load_npz

    z = load_npz(path)
    shared = {k: v for k, v in z.items() if not k.startswith(("A.", "params.")) and k != "methods"}
    return {str(m): {**shared, "A": z[f"A.{m}"], "params": z[f"params.{m}"], "method": np.array(str(m))}
            for m in z["methods"]}
