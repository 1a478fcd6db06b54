"""Architectures, training, save/load and the softplus swap.

Submodules:

- :mod:`.spec`: :class:`ModelError`, :class:`Arch`, kinds, tasks, spec keys, the training
  regimes and their parameters (:data:`REGIMES`, :data:`REGIME_HP`) and their checks;
- :mod:`.registry`: the architecture registry :data:`ARCHS`, :func:`names`,
  :func:`split_hp` and :func:`build`;
- :mod:`.archs`: the torch networks (captum-friendly builders, ``FlatNet``, ``Normalize``)
  and :func:`softplus`, :func:`is_torch` (without importing torch);
- :mod:`.pretrained`: torchvision's pretrained ImageNet networks and their weights
  (:data:`PRETRAINED`, :func:`weights_path`, :func:`fetch_weights`, ...);
- :mod:`.sklearn`: scikit-learn builders and :func:`sklearn_predict`;
- :mod:`.predict`: :func:`predict_proba`;
- :mod:`.regimes`: the PGD (Madry et al. 2018) and IG-SUM-NORM (Chen et al. 2019)
  adversaries and :func:`pgd`;
- :mod:`.training`: :func:`train`;
- :mod:`.io`: :func:`save` and :func:`load`, with checksums.

Importing this package imports neither torch nor scikit-learn (the Snakefile and
``attrobust.config`` read the registry at parse time): the names of the modules that import
torch (:func:`train`, :func:`pgd`, :func:`predict_proba`, :func:`save`, :func:`load`) and
the torch classes are provided on first use by the module ``__getattr__`` below.
"""
from __future__ import annotations

from .archs import is_torch, softplus
from .pretrained import (PRETRAINED, TORCH_HOME, WEIGHTS_URL, _one_relu_per_use, _reachable,
                         fetch_weights, torchvision_available, weights_path, weights_sources)
from .registry import ARCHS, build, names, split_hp
from .sklearn import sklearn_predict
from .spec import (KINDS, REGIME_ALIASES, REGIME_HP, REGIMES, TASKS, TRAIN_HP, Arch, ModelError,
                   _regime_params)

__all__ = [
    "ARCHS", "KINDS", "PRETRAINED", "REGIMES", "REGIME_ALIASES", "REGIME_HP", "TASKS",
    "TORCH_HOME", "TRAIN_HP", "WEIGHTS_URL", "Arch", "FlatNet", "ModelError", "Normalize",
    "build", "fetch_weights", "is_torch", "load", "names", "pgd", "predict_proba", "save",
    "sklearn_predict", "softplus", "split_hp", "torchvision_available", "train", "weights_path",
    "weights_sources",
]


def __getattr__(name: str):
    """The names whose modules import torch, on first use (then kept here)."""
    if name in ("FlatNet", "Normalize"):  # pickle finds the torch classes by these names
        from .archs import _torch_classes

        return _torch_classes()[name]
    if name == "train":
        from .training import train as value
    elif name == "pgd":
        from .regimes import pgd as value
    elif name == "_ig_sum_norm_objective":
        from .regimes import _ig_sum_norm_objective as value
    elif name == "predict_proba":
        from .predict import predict_proba as value
    elif name == "save":
        from .io import save as value
    elif name == "load":
        from .io import load as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | {"_ig_sum_norm_objective"})
