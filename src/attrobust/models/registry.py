"""The architecture registry, :data:`ARCHS`, its hyper-parameter checks and :func:`build`.

One registry of named architectures of three kinds:

- ``torch``: small networks trained here (Adam, cross-entropy or MSE; :mod:`.archs`);
- ``sklearn``: scikit-learn estimators (classifier or regressor chosen by ``task``; :mod:`.sklearn`);
- ``torchvision``: pretrained ImageNet networks (paper config only, needs ``.[paper]``;
  :mod:`.pretrained`).

Hyper-parameters: :func:`build` takes both architecture parameters (e.g. ``hidden``; for
scikit-learn any constructor parameter) and training parameters (``epochs``, ``lr``,
``batch_size``, ``weight_decay``), so one ``hp`` dict per model in the config describes it
fully; the training ones are remembered on the model and used by
:func:`attrobust.models.train`, where they can be overridden. ``model.attrobust_spec``
carries the spec that :func:`attrobust.models.save` expects.

Only stdlib and numpy are imported at module level (torch inside :func:`build`), so that the
Snakefile and ``attrobust.config`` read the registry cheaply.
"""
from __future__ import annotations

import inspect

import numpy as np

from .archs import _cifar_cnn, _cnn_small, _mlp, _mlp_elu
from .pretrained import _torchvision
from .sklearn import _sklearn
from .spec import KINDS, TASKS, TRAIN_HP, Arch, ModelError, _plain


# --------------------------------------------------------------------------- registry
_GHORBANI = "Ghorbani, Abid & Zou (2019), Appendix B"
ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch("cnn_small", "torch", _cnn_small,
             {"epochs": 15, "lr": 1e-3, "batch_size": 32, "weight_decay": 0.0},
             "small CNN for 8x8 / 28x28 digits (stands in for the MNIST CNNs of "
             "Alvarez-Melis & Jaakkola 2018, Sec. 3.3)"),
        Arch("cifar_cnn", "torch", _cifar_cnn,
             {"epochs": 30, "lr": 1e-3, "batch_size": 128, "weight_decay": 0.0},
             f"{_GHORBANI}: CIFAR-10 network, Adam with default parameters"),
        Arch("mlp_elu", "torch", _mlp_elu,
             {"epochs": 50, "lr": 1e-2, "batch_size": 32, "weight_decay": 0.0},
             "Agarwal et al. (2021), Sec. 5: two hidden layers of 10 ELU units, Adam, cross-entropy"),
        Arch("mlp", "torch", _mlp,
             {"epochs": 50, "lr": 1e-3, "batch_size": 64, "weight_decay": 0.0},
             "ReLU multilayer perceptron (classification or regression)"),
        Arch("random_forest", "sklearn", _sklearn("random_forest"), {"n_estimators": 100},
             "Alvarez-Melis & Jaakkola (2018), Sec. 3.2: random forest on UCI data"),
        Arch("logistic_regression", "sklearn", _sklearn("logistic_regression"), {"max_iter": 1000},
             "linear baseline"),
        Arch("linear_svm", "sklearn", _sklearn("linear_svm"), {"C": 1.0},
             "Alvarez-Melis & Jaakkola (2018), Fig. 1 (top): linear SVM (Platt-scaled probabilities)"),
        Arch("mlp_sklearn", "sklearn", _sklearn("mlp_sklearn"),
             {"hidden_layer_sizes": (100, 100), "max_iter": 1000},
             "Alvarez-Melis & Jaakkola (2018), Fig. 1 (bottom): two-layer neural network"),
        Arch("squeezenet1_1", "torchvision", _torchvision("squeezenet1_1"), {},
             f"{_GHORBANI}; Kamath et al. (2023), Fig. 2: pretrained SqueezeNet on ImageNet"),
        Arch("resnet18", "torchvision", _torchvision("resnet18"), {},
             "Kamath et al. (2023): ResNet"),
        Arch("resnet50", "torchvision", _torchvision("resnet50"), {},
             "Kamath et al. (2023), Table 2; Nielsen et al. (2022), Fig. 3: ResNet50"),
    ]
}


def names(kind: str | None = None) -> list[str]:
    """Architecture names, optionally only those of one ``kind``."""
    if kind is not None and kind not in KINDS:
        raise ModelError(f"unknown architecture kind {kind!r}; allowed: {list(KINDS)}")
    return [n for n, a in ARCHS.items() if kind is None or a.kind == kind]


def _arch(name: str) -> Arch:
    try:
        return ARCHS[name]
    except KeyError:
        raise ModelError(f"unknown architecture {name!r}; available: {names()}") from None


def _build_params(arch: Arch) -> list[str]:
    sig = inspect.signature(arch.builder)
    return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]


def _train_params(arch: Arch) -> tuple[str, ...]:
    return TRAIN_HP if arch.kind == "torch" else ()


def split_hp(name: str, hp: dict) -> tuple[dict, dict]:
    """Split one hyper-parameter dict into (architecture, training) parts.

    scikit-learn constructor parameters are checked by :func:`build` itself.
    """
    arch = _arch(name)
    train_keys = _train_params(arch)
    build_hp = {k: v for k, v in hp.items() if k not in train_keys}
    train_hp = {k: v for k, v in hp.items() if k in train_keys}
    if arch.kind != "sklearn":
        allowed = _build_params(arch) + list(train_keys)
        unknown = sorted(set(build_hp) - set(allowed))
        if unknown:
            raise ModelError(
                f"unknown hyper-parameter(s) {unknown} for architecture {name!r}; allowed: {allowed}"
            )
        _check_build_values(arch, build_hp)
    return build_hp, train_hp


def _positive_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1


def _check_build_values(arch: Arch, build_hp: dict) -> None:
    """Layer sizes have the form of the builder's default (an int, or a list of ints),
    so that a wrong form fails here, not as a TypeError inside a training job."""
    sig = inspect.signature(arch.builder).parameters
    for k, v in build_hp.items():
        default = sig[k].default
        if isinstance(default, (tuple, list)):
            if not (isinstance(v, (tuple, list)) and all(_positive_int(u) for u in v)):
                raise ModelError(f"{k} = {v!r} must be a list of ints >= 1 (one per layer), "
                                 f"like the default {list(default)}")
        elif isinstance(default, int) and not isinstance(default, bool) and not _positive_int(v):
            raise ModelError(f"{k} = {v!r} must be an int >= 1 (default {default})")


def build(name: str, input_shape, n_classes: int, *, task: str = "classification",
          seed: int = 0, **hp):
    """Build architecture ``name`` for inputs of shape ``input_shape`` (one example).

    ``hp``: architecture parameters (torch builders' keyword arguments, e.g. ``hidden``;
    any scikit-learn constructor parameter, defaults from ``ARCHS[name].defaults``) and,
    for torch, training parameters that :func:`train` will use. Weights are initialised
    from ``seed`` without touching the global torch RNG.
    """
    arch = _arch(name)
    if task not in TASKS:
        raise ModelError(f"unknown task {task!r}; allowed: {list(TASKS)}")
    try:
        input_shape = tuple(int(s) for s in input_shape)
    except TypeError:
        raise ModelError(f"input_shape must be a tuple of ints, got {input_shape!r}") from None
    if not input_shape or min(input_shape) < 1:
        raise ModelError(f"input_shape must be non-empty with positive sizes, got {input_shape}")
    n_classes = int(n_classes)
    if task == "classification" and n_classes < 2:
        raise ModelError(f"classification needs n_classes >= 2, got {n_classes}")
    build_hp, _ = split_hp(name, hp)
    spec = _plain({"arch": name, "input_shape": input_shape, "n_classes": n_classes,
                   "task": task, "hp": hp, "seed": int(seed)})

    if arch.kind == "sklearn":
        model = arch.builder(input_shape, n_classes, task, int(seed), **{**arch.defaults, **build_hp})
    else:
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            model = arch.builder(input_shape, n_classes, task, **build_hp)
        model.eval()
    model.attrobust_spec = spec
    return model
