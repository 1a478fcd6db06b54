"""The torch networks trained here: their module classes, builders, and the softplus copy.

Torch networks are built so that captum's DeepLift, guided backprop and LRP accept them:
every activation is its own ``nn.ReLU`` (or ``nn.ELU``) instance used exactly once, never
in-place, and flattening happens in ``forward`` (``x.flatten(1)``) instead of in an
``nn.Flatten`` module, because captum's LRP raises on any leaf module outside its
``SUPPORTED_LAYERS_WITH_RULES`` / ``SUPPORTED_NON_LINEAR_LAYERS`` lists (Conv2d, Linear,
MaxPool2d, ReLU, ... but not Flatten). ``model.features`` (convolutional part, when there is
one) and ``model.head`` (fully connected part) are ``nn.Sequential``.

:func:`softplus` (Ghorbani et al. 2019) swaps a network's ReLUs for softplus.

torch is imported inside the functions: the registry (:mod:`.registry`) holds these builders
and reads their signatures at parse time, torch-free.
"""
from __future__ import annotations

import copy
import math
import sys

import numpy as np

from .spec import ModelError


# --------------------------------------------------------------------------- torch classes
# Defined on first use so that importing this module does not import torch; they are named
# after the package (``attrobust.models.FlatNet``), whose ``__getattr__`` lets pickle find them.
_TORCH_CLASSES: dict[str, type] = {}


def _torch_classes() -> dict[str, type]:
    if _TORCH_CLASSES:
        return _TORCH_CLASSES
    import torch
    from torch import nn

    class FlatNet(nn.Module):
        """``head(features(x).flatten(1))``; ``features`` may be absent (MLPs)."""

        def __init__(self, features: nn.Module | None, head: nn.Module):
            super().__init__()
            self.features = features
            self.head = head

        def forward(self, x):
            if self.features is not None:
                x = self.features(x)
            return self.head(x.flatten(1))

    class Normalize(nn.Module):
        """Per-channel ``(x - mean) / std`` so that pretrained nets take images in [0, 1]."""

        def __init__(self, mean, std):
            super().__init__()
            self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

        def forward(self, x):
            return (x - self.mean) / self.std

    for cls in (FlatNet, Normalize):
        cls.__module__ = __package__  # attrobust.models
        cls.__qualname__ = cls.__name__
        _TORCH_CLASSES[cls.__name__] = cls
    return _TORCH_CLASSES


# --------------------------------------------------------------------------- torch builders
def _n_out(task: str, n_classes: int) -> int:
    return 1 if task == "regression" else n_classes


def _image_shape(name: str, input_shape: tuple, min_hw: int) -> tuple[int, int, int]:
    if len(input_shape) != 3 or min(input_shape[1:]) < min_hw:
        raise ModelError(
            f"architecture {name!r} needs input_shape (C, H, W) with H, W >= {min_hw}; "
            f"got {tuple(input_shape)}"
        )
    return input_shape


def _mlp_layers(d_in: int, hidden, d_out: int, act) -> list:
    from torch import nn

    layers, d = [], d_in
    for h in hidden:
        layers += [nn.Linear(d, int(h)), act()]  # a fresh activation module per layer
        d = int(h)
    return layers + [nn.Linear(d, d_out)]


def _head_after(features, input_shape, hidden, d_out):
    """Fully connected head whose input size is read off a dummy forward pass."""
    import torch
    from torch import nn

    with torch.no_grad():
        d_in = features(torch.zeros(1, *input_shape)).flatten(1).shape[1]
    return nn.Sequential(*_mlp_layers(d_in, hidden, d_out, nn.ReLU))


def _cnn_small(input_shape, n_classes, task, *, hidden=64):
    """Conv(16,3,p1)-ReLU-Conv(32,3,p1)-ReLU-MaxPool2-flatten-Linear(hidden)-ReLU-Linear."""
    from torch import nn

    c = _image_shape("cnn_small", input_shape, 4)[0]
    features = nn.Sequential(
        nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
    )
    head = _head_after(features, input_shape, [hidden], _n_out(task, n_classes))
    return _torch_classes()["FlatNet"](features, head)


def _cifar_cnn(input_shape, n_classes, task, *, hidden=1024):
    """Ghorbani et al. (2019), Appendix B: 3x(3x3 conv 96 ReLU), stride 2,
    3x(3x3 conv 192 ReLU), stride 2, 1024-unit hidden layer, output.

    "Stride 2" is read all-convolutional style (Springenberg et al., 2015): the third
    convolution of each block has stride 2 and does the downsampling (no pooling layer).
    All convolutions have padding 1; 32x32 inputs give 192x8x8 features.
    """
    from torch import nn

    c = _image_shape("cifar_cnn", input_shape, 4)[0]
    layers, c_in = [], c
    for width in (96, 192):
        for stride in (1, 1, 2):
            layers += [nn.Conv2d(c_in, width, 3, stride=stride, padding=1), nn.ReLU()]
            c_in = width
    features = nn.Sequential(*layers)
    head = _head_after(features, input_shape, [hidden], _n_out(task, n_classes))
    return _torch_classes()["FlatNet"](features, head)


def _mlp_with(act_name: str, default_hidden: tuple):
    def builder(input_shape, n_classes, task, *, hidden=default_hidden):
        from torch import nn

        d_in = int(np.prod(input_shape))
        act = getattr(nn, act_name)
        head = nn.Sequential(*_mlp_layers(d_in, hidden, _n_out(task, n_classes), act))
        return _torch_classes()["FlatNet"](None, head)

    return builder


_mlp_elu = _mlp_with("ELU", (10, 10))
_mlp = _mlp_with("ReLU", (64, 64))


def is_torch(model) -> bool:
    """Whether ``model`` is a torch module, without importing torch: a torch model exists only
    in a process that has imported torch, so a scikit-learn job never loads it (~0.8 s)."""
    nn = sys.modules.get("torch.nn")
    return nn is not None and isinstance(model, nn.Module)


# --------------------------------------------------------------------------- softplus
def softplus(model, beta: float = 10.0):
    """Deep copy of ``model`` with every ``nn.ReLU`` replaced by ``nn.Softplus(beta)``.

    Ghorbani et al. (2019), Algorithm 1 footnote c: ReLU nets have zero second derivatives,
    so the gradient of the attribution dissimilarity is taken through the softplus copy,
    and the perturbed input is then evaluated on the original ReLU network. Functional
    ``F.relu`` calls in ``forward`` are not replaced (none in the networks here).
    """
    if not is_torch(model):
        raise ModelError("softplus() needs a torch model; scikit-learn models have no ReLU modules")
    beta = float(beta)
    if not (beta > 0 and math.isfinite(beta)):
        raise ModelError(f"softplus beta must be a positive finite number, got {beta}")
    from torch import nn

    def swap(module):
        for name, child in module.named_children():
            if isinstance(child, nn.ReLU):
                setattr(module, name, nn.Softplus(beta=beta))
            else:
                swap(child)

    out = copy.deepcopy(model)
    swap(out)
    if hasattr(out, "attrobust_spec"):
        out.attrobust_spec = {**out.attrobust_spec, "softplus_beta": beta}
    return out
