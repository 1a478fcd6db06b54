"""Architectures, training, save/load and the softplus swap.

One registry, :data:`ARCHS`, of named architectures of three kinds:

- ``torch``: small networks trained here (Adam, cross-entropy or MSE);
- ``sklearn``: scikit-learn estimators (classifier or regressor chosen by ``task``);
- ``torchvision``: pretrained ImageNet networks (paper config only, needs ``.[paper]``).

Torch networks are built so that captum's DeepLift, guided backprop and LRP accept them:
every activation is its own ``nn.ReLU`` (or ``nn.ELU``) instance used exactly once, never
in-place, and flattening happens in ``forward`` (``x.flatten(1)``) instead of in an
``nn.Flatten`` module, because captum's LRP raises on any leaf module outside its
``SUPPORTED_LAYERS_WITH_RULES`` / ``SUPPORTED_NON_LINEAR_LAYERS`` lists (Conv2d, Linear,
MaxPool2d, ReLU, ... but not Flatten). ``model.features`` (convolutional part, when there is
one) and ``model.head`` (fully connected part) are ``nn.Sequential``.

Hyper-parameters: :func:`build` takes both architecture parameters (e.g. ``hidden``; for
scikit-learn any constructor parameter) and training parameters (``epochs``, ``lr``,
``batch_size``, ``weight_decay``), so one ``hp`` dict per model in the config describes it
fully; the training ones are remembered on the model and used by :func:`train`, where they
can be overridden. ``model.attrobust_spec`` carries the spec that :func:`save` expects.

Training regimes (:data:`REGIMES`, :func:`train`): ``natural``; ``pgd`` (Madry et al. 2018) and
``ig_sum_norm`` (Chen et al. 2019), whose own parameters (:data:`REGIME_HP`: eps, steps,
step_size, random_start; lam, ig_steps) go to :func:`train` as keywords; :func:`pgd` gives the
same L_inf adversary for evaluation.

Only stdlib and numpy are imported at module level so that the registry is cheap to import.
"""
from __future__ import annotations

import copy
import inspect
import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .utils import Progress, atomic_path, get_device, seed_everything, sign_step


class ModelError(ValueError):
    """Bad architecture name, hyper-parameter, regime, data or file."""


@dataclass(frozen=True)
class Arch:
    name: str
    kind: str  # 'torch' | 'sklearn' | 'torchvision'
    builder: Callable[..., Any]
    defaults: dict = field(default_factory=dict)  # torch: training hp; sklearn: constructor params
    reference: str = ""


KINDS = ("torch", "sklearn", "torchvision")
TASKS = ("classification", "regression")
REGIMES = ("natural", "pgd", "ig_sum_norm")
#: Other spellings of a regime name, accepted by :func:`train` (the config takes only REGIMES).
REGIME_ALIASES = {"ig-sum-norm": "ig_sum_norm", "igsumnorm": "ig_sum_norm", "madry": "pgd"}
#: Each regime's own hyper-parameters and defaults (units: those of the inputs, e.g. [0, 1]
#: pixels). ``step_size`` None: eps / 4 (Madry et al. 2018 take 2.5 eps / steps; the brief of
#: this repo and Kamath et al.'s setting use eps / 4). ``lam``: Chen et al.'s beta.
REGIME_HP: dict[str, dict[str, Any]] = {
    "natural": {},
    "pgd": {"eps": 0.1, "steps": 7, "step_size": None, "random_start": True},
    "ig_sum_norm": {"eps": 0.1, "steps": 7, "step_size": None, "random_start": True,
                    "lam": 1.0, "ig_steps": 5},
}
TRAIN_HP = ("epochs", "lr", "batch_size", "weight_decay")
_SPEC_KEYS = ("arch", "input_shape", "n_classes", "task", "hp", "seed")


# --------------------------------------------------------------------------- torch classes
# Defined on first use so that importing this module does not import torch; the module
# ``__getattr__`` below lets pickle find them by name.
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
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        _TORCH_CLASSES[cls.__name__] = cls
    return _TORCH_CLASSES


def __getattr__(name: str):
    if name in ("FlatNet", "Normalize"):
        return _torch_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


#: Pretrained ImageNet weights of the torchvision architectures (their ``DEFAULT`` weights
#: in torchvision 0.28): file name (torch hub's ``<name>-<first 8 hex of its SHA-256>.pth``).
#: The workflow fetches them into ``resources/torch/hub/checkpoints`` (TORCH_HOME, rule
#: ``fetch_weights``, on the submitting node) and the train job loads that file; no compute
#: job downloads anything.
PRETRAINED = {
    "squeezenet1_1": "squeezenet1_1-b8a52dc0.pth",
    "resnet18": "resnet18-f37072fd.pth",
    "resnet50": "resnet50-11ad3fa6.pth",   # IMAGENET1K_V2
}
#: Where torch hub (and torchvision) keep them; ``resources/torch`` is the workflow's TORCH_HOME.
WEIGHTS_URL = "https://download.pytorch.org/models/"
TORCH_HOME = "resources/torch"


def weights_path(arch: str, torch_home: str = TORCH_HOME) -> str:
    """The pretrained weights file of torchvision architecture ``arch`` under ``torch_home``."""
    if arch not in PRETRAINED:
        raise ModelError(f"architecture {arch!r} has no pretrained weights; those that do: {sorted(PRETRAINED)}")
    return f"{torch_home}/hub/checkpoints/{PRETRAINED[arch]}"


def torchvision_available() -> bool:
    """Whether torchvision imports (without importing torch's CUDA runtime twice)."""
    import importlib

    try:
        importlib.import_module("torchvision")
    except Exception:  # ImportError, or a torchvision built for another torch (RuntimeError, OSError)
        return False
    return True


def _torchvision(arch: str):
    def builder(input_shape, n_classes, task, *, pretrained=True, normalize=True):
        """Pretrained ImageNet network. With ``normalize`` it takes images in [0, 1]
        (ImageNet mean/std normalisation is its first module), so attacks can clip to [0, 1].

        ``pretrained``: True (torchvision's default weights, from $TORCH_HOME or downloaded
        there), False (random weights: a saved model's state_dict is loaded over them), or the
        path of a state-dict file (the workflow's ``resources/torch/hub/checkpoints/...``),
        loaded with ``weights_only=True``: nothing is downloaded."""
        from torch import nn

        try:
            import torchvision
        except ImportError as e:
            raise ModelError(
                f"architecture {arch!r} needs torchvision: pip install -e '.[paper]' "
                "(torchvision needs the regular PyPI torch build, not the CPU-only one)"
            ) from e
        if task != "classification" or n_classes != 1000:
            raise ModelError(
                f"architecture {arch!r} is a pretrained ImageNet classifier: it needs "
                f"task='classification' and n_classes=1000, got {task!r}, {n_classes}"
            )
        _image_shape(arch, input_shape, 32)
        if isinstance(pretrained, (str, Path)):
            net = torchvision.models.get_model(arch, weights=None)
            _load_weights(net, arch, pretrained)
        else:
            weights = torchvision.models.get_model_weights(arch).DEFAULT if pretrained else None
            try:
                net = torchvision.models.get_model(arch, weights=weights)
            except (OSError, RuntimeError) as e:  # URLError is an OSError
                raise ModelError(
                    f"could not get the pretrained weights of {arch!r} ({e}). They are downloaded "
                    "once into $TORCH_HOME (default ~/.cache/torch); on an offline machine copy "
                    "them there beforehand."
                ) from e
        for m in net.modules():
            if isinstance(m, nn.ReLU):
                m.inplace = False  # captum's hooks cannot handle in-place activations
        _one_relu_per_use(net)
        if normalize:
            net = nn.Sequential(_torch_classes()["Normalize"](_IMAGENET_MEAN, _IMAGENET_STD), net)
        return net

    return builder


def _one_relu_per_use(net) -> None:
    """torchvision's ResNet blocks apply one ReLU module two (BasicBlock) or three
    (Bottleneck) times and add the skip connection in place; captum's DeepLift needs each
    module used once ("a Module ReLU() was detected that does not contain some of the
    input/output attributes"). Give every use its own ReLU and add out of place: the same
    function, the same state dict (ReLU has no parameters)."""
    import types

    from torch import nn

    def basic(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu_out(out + identity)

    def bottleneck(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu_mid(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu_out(out + identity)

    # torchvision.models.resnet's two block classes, by name (no import of torchvision here)
    for m in list(net.modules()):
        kind = type(m).__name__ if type(m).__module__ == "torchvision.models.resnet" else None
        if kind in ("BasicBlock", "Bottleneck"):
            m.relu_out = nn.ReLU()
            if kind == "Bottleneck":
                m.relu_mid = nn.ReLU()
            m.forward = types.MethodType(basic if kind == "BasicBlock" else bottleneck, m)


def weights_sources(arch: str, base_url: str | None = None) -> list[str]:
    """Where :func:`fetch_weights` looks for ``arch``'s weights, in order: the user's own
    torch hub cache ($TORCH_HOME, else ~/.cache/torch), then the download URL
    (``base_url`` replaces the host/directory part, as the config key download_base_url)."""
    import os

    name = PRETRAINED[arch]
    home = os.environ.get("TORCH_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "torch")
    url = (base_url.rstrip("/") + "/" if base_url else WEIGHTS_URL) + name
    return [os.path.join(home, "hub", "checkpoints", name), url]


def _reachable(source: str, timeout: float = 5.0) -> bool:
    """A local file that exists, or a URL that answers a HEAD request within ``timeout``."""
    import urllib.request

    if "://" not in source:
        return Path(source).is_file()
    if source.startswith("file://"):
        return Path(source[len("file://"):]).is_file()
    try:
        with urllib.request.urlopen(urllib.request.Request(source, method="HEAD"), timeout=timeout) as r:
            return r.status < 400
    except Exception:
        return False


def fetch_weights(arch: str, dest, base_url: str | None = None, *, source=None,
                  sha256: str | None = None) -> str:
    """Copy or download ``arch``'s pretrained weights to ``dest`` (checked against the
    SHA-256 prefix in their file name); returns where they came from. ``source`` and
    ``sha256``: the only file to copy and its full digest instead (generated weights,
    :func:`attrobust.standins.write_weights`)."""
    import hashlib
    import shutil
    import urllib.request

    from .utils import atomic_path

    name = PRETRAINED[arch]
    want = name.rsplit("-", 1)[1].split(".")[0]
    sources = weights_sources(arch, base_url)
    if source is not None:
        sources, want = [str(source)], sha256 or ""
    tried = []
    for src in sources:
        if not _reachable(src, timeout=30):
            tried.append(src)
            continue
        with atomic_path(dest) as tmp:
            if "://" in src:
                with urllib.request.urlopen(src, timeout=60) as r, open(tmp, "wb") as f:
                    shutil.copyfileobj(r, f)
            else:
                shutil.copyfile(src, tmp)
            got = hashlib.sha256(tmp.read_bytes()).hexdigest()
            if not got.startswith(want):
                raise ModelError(f"{src}: SHA-256 {got[:8]}... does not match the {want} of {name}; "
                                 "the file is not torchvision's; remove it")
        return src
    raise ModelError(f"pretrained weights {name} of {arch!r} are in none of {tried}; copy the file "
                     f"to {dest} by hand (e.g. from a machine with internet access)")


def _load_weights(net, arch: str, path) -> None:
    """Load the state-dict file ``path`` into ``net`` (all keys, same shapes)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"pretrained weights of {arch!r}: {str(path)!r} does not exist; the workflow's "
                         "fetch_weights rule puts them there (snakemake runs it before training)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except Exception as e:
        raise ModelError(f"pretrained weights of {arch!r}: {str(path)!r} is not a state dict of this "
                         f"architecture ({type(e).__name__}: {e}); delete it and rerun") from e


# --------------------------------------------------------------------------- sklearn builders
def _sk(path: str, **fixed):
    """Factory for ``sklearn.<path>(**fixed)``, imported on call."""
    def make():
        import importlib

        module, cls = path.rsplit(".", 1)
        return getattr(importlib.import_module(f"sklearn.{module}"), cls)(**fixed)

    return make


def _calibrated_linear_svc():
    """Linear SVC with Platt-scaled probabilities for LIME/SHAP: what ``SVC(probability=True)``
    did (5-fold internal CV + sigmoid), spelled the way scikit-learn >= 1.9 asks for."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(SVC(kernel="linear"), method="sigmoid", ensemble=False)


# name: (classifier factory, regressor factory or None)
_SKLEARN = {
    "random_forest": (_sk("ensemble.RandomForestClassifier"), _sk("ensemble.RandomForestRegressor")),
    "logistic_regression": (_sk("linear_model.LogisticRegression"), None),
    "linear_svm": (_calibrated_linear_svc, _sk("svm.SVR", kernel="linear")),
    "mlp_sklearn": (_sk("neural_network.MLPClassifier"), _sk("neural_network.MLPRegressor")),
}


def _sklearn(name: str):
    def builder(input_shape, n_classes, task, seed, **params):
        make = _SKLEARN[name][0 if task == "classification" else 1]
        if make is None:
            raise ModelError(
                f"architecture {name!r} has no regressor; for task='regression' use one of "
                f"{[n for n, (_, r) in _SKLEARN.items() if r]}"
            )
        est = make()
        known = est.get_params()
        # wrapped estimators (the calibrated SVC) take the inner model's parameters unprefixed
        inner = {k.split("__", 1)[1]: k for k in known if k.startswith("estimator__")}
        allowed = sorted({k for k in known if "__" not in k} | set(inner))
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ModelError(
                f"unknown hyper-parameter(s) {unknown} for architecture {name!r} "
                f"({type(est).__name__}); allowed: {allowed}"
            )
        params = {(k if k in known else inner[k]): v for k, v in params.items()}
        for key in ("random_state", "estimator__random_state"):
            if key in known:
                params.setdefault(key, seed)
        return est.set_params(**params)

    return builder


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


def _plain(o: Any) -> Any:
    """Builtin types only (numpy scalars -> Python, tuples -> lists), so specs load with
    ``weights_only=True`` and serialise to JSON."""
    if isinstance(o, dict):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.generic):
        return o.item()
    return o


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


# --------------------------------------------------------------------------- training
def _spec_of(model) -> dict:
    spec = getattr(model, "attrobust_spec", None)
    if spec is None:
        raise ModelError("model has no attrobust_spec: build it with attrobust.models.build()")
    return spec


def _check_data(data: dict, spec: dict, need_train: bool = True) -> None:
    keys = ("X_train", "y_train", "X_test", "y_test") if need_train else ("X_test", "y_test")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ModelError(f"data is missing {missing}; it needs numpy arrays {list(keys)}")
    for split in ("train", "test"):
        if f"X_{split}" not in data:
            continue
        X, y = np.asarray(data[f"X_{split}"]), np.asarray(data[f"y_{split}"])
        if len(X) != len(y) or len(X) == 0:
            raise ModelError(f"X_{split} and y_{split} need the same, non-zero length; "
                             f"got {len(X)} and {len(y)}")
        if tuple(X.shape[1:]) != tuple(spec["input_shape"]) and \
                int(np.prod(X.shape[1:])) != int(np.prod(spec["input_shape"])):
            raise ModelError(f"X_{split} has example shape {X.shape[1:]}, model "
                             f"{spec['arch']!r} was built for {tuple(spec['input_shape'])}")
        if not np.isfinite(X).all():
            raise ModelError(f"X_{split} contains NaN or inf")
        if spec["task"] == "classification" and not (
                np.issubdtype(y.dtype, np.integer) or y.dtype == bool
                or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
            # cast to int64 for the loss, 0.7 would train as class 0 and score accuracy 0
            raise ModelError(f"y_{split} must hold class indices (ints) for the classification "
                             f"model {spec['arch']!r}; got dtype {y.dtype} with non-integer values "
                             "(for a numeric target build the model with task='regression')")
        if spec["task"] == "classification" and (y.min() < 0 or y.max() >= spec["n_classes"]):
            raise ModelError(f"y_{split} has labels outside [0, {spec['n_classes']}) "
                             f"for model {spec['arch']!r}")


def _scores(model, data: dict, task: str, splits=("train", "test")) -> dict:
    out = {}
    for split in splits:
        if f"X_{split}" not in data:
            continue
        y = np.asarray(data[f"y_{split}"])
        p = predict_proba(model, data[f"X_{split}"])
        if task == "classification":
            out[f"{split}_accuracy"] = float((p.argmax(1) == y).mean())
        else:
            from sklearn.metrics import r2_score

            out[f"{split}_r2"] = float(r2_score(y, p))
    return out


def train(model, data: dict, *, regime: str = "natural", seed: int = 0, device: str = "auto",
          progress: bool = False, **hp) -> dict:
    """Train ``model`` (built by :func:`build`) in place and return its metrics.

    torch: Adam on cross-entropy (classification) or MSE (regression), minibatches
    reshuffled every epoch by a ``torch.Generator`` seeded with ``seed``; bit-identical
    on CPU for a given seed. scikit-learn: ``fit``. torchvision: pretrained, only evaluated.
    ``hp`` overrides the training hyper-parameters given to :func:`build` and
    ``ARCHS[name].defaults``, and sets the regime's own ones (:data:`REGIME_HP`).
    Metrics: train/test accuracy (or R^2), epochs, seconds, device, n_params (torch),
    regime, seed, arch, and for the robust regimes their parameters (``regime_params``).

    Regimes (torch classifiers only, besides ``natural``), both over the L_inf ball
    B(x, eps) intersected with the training data's value range [min X_train, max X_train]:

    - ``pgd`` (Madry et al. 2018, eq. 2.1): min_theta E[max_{x' in B(x, eps)} CE(f(x'), y)];
      the inner max by ``steps`` steps of projected signed-gradient ascent of size
      ``step_size`` (default eps / 4) from a uniform random start in the ball
      (``random_start``); each minibatch is replaced by its adversarial version.
    - ``ig_sum_norm`` (Chen et al. 2019, "Robust attribution regularization", Sec. 4,
      IG-SUM-NORM): min_theta E[max_{x' in B(x, eps)} CE(f(x'), y) + lam * ||IG^CE_y(x, x')||_1]
      where IG^CE_y(x, x') = (x' - x) * 1/m sum_{j=1..m} grad_z CE(f(z), y) at
      z = x + j/m (x' - x), the integrated gradients of the *loss* from x to x' (right
      Riemann sum, m = ``ig_steps``; by completeness its sum is CE(x') - CE(x), hence
      "SUM"). The inner max runs PGD on the whole objective (double backpropagation
      through the IG term), the outer step minimises the same objective at the found x'.
      ``lam`` is Chen et al.'s beta.

    Regime names: :data:`REGIMES`; ``ig-sum-norm`` and other :data:`REGIME_ALIASES` are
    accepted too. Deterministic on CPU for a given seed (the random starts come from a
    seeded CPU generator).
    """
    spec = _spec_of(model)
    arch = _arch(spec["arch"])
    regime = _regime_name(regime)
    allowed = _train_params(arch) + tuple(REGIME_HP[regime])
    unknown = sorted(set(hp) - set(allowed))
    if unknown:
        hint = " (pass scikit-learn parameters to build())" if arch.kind == "sklearn" else ""
        raise ModelError(f"unknown training hyper-parameter(s) {unknown} for architecture "
                         f"{arch.name!r} and regime {regime!r}; allowed: {list(allowed)}{hint}")
    rhp = {k: hp.pop(k) for k in list(hp) if k in REGIME_HP[regime]}
    rhp = _regime_params(regime, rhp)
    if regime != "natural" and (arch.kind != "torch" or spec["task"] != "classification"):
        raise ModelError(f"regime {regime!r} trains torch classifiers only; model {arch.name!r} "
                         f"is a {arch.kind} {spec['task']} model (use regime 'natural')")
    _check_data(data, spec, need_train=arch.kind != "torchvision")
    seed_everything(int(seed))
    t0 = time.perf_counter()
    metrics = {"arch": arch.name, "regime": regime, "seed": int(seed)}
    if rhp:
        metrics["regime_params"] = dict(rhp)

    if arch.kind == "sklearn":
        X = np.asarray(data["X_train"]).reshape(len(data["X_train"]), -1)
        model.fit(X, np.asarray(data["y_train"]))
        metrics.update(epochs=0, device="cpu")
    else:
        import torch

        dev = get_device(device)
        model.to(dev)
        epochs = 0
        if arch.kind == "torch":
            _, build_train = split_hp(arch.name, spec["hp"])
            thp = {**arch.defaults, **build_train, **hp}
            epochs = _fit_torch(model, data, spec["task"], dev, int(seed), progress,
                                regime=regime, regime_params=rhp, **thp)
        n_params = sum(p.numel() for p in model.parameters())
        metrics.update(epochs=epochs, device=str(dev), n_params=int(n_params))
    metrics.update(_scores(model, data, spec["task"]))
    metrics["seconds"] = round(time.perf_counter() - t0, 3)
    return metrics


def _regime_name(regime: str) -> str:
    if not isinstance(regime, str):
        raise ModelError(f"regime must be a string; got {regime!r}")
    name = REGIME_ALIASES.get(regime.lower(), regime.lower())
    if name not in REGIMES:
        raise ModelError(f"unknown training regime {regime!r}; available: {list(REGIMES)} "
                         f"(also accepted: {sorted(REGIME_ALIASES)})")
    return name


def _regime_params(regime: str, given: dict) -> dict:
    """The regime's parameters with defaults filled in and checked."""
    p = {**REGIME_HP[regime], **given}
    if not p:
        return p
    eps = p["eps"]
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
        raise ModelError(f"regime {regime!r}: eps must be a number > 0 (input units); got {eps!r}")
    steps = p["steps"]
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ModelError(f"regime {regime!r}: steps must be an int >= 1; got {steps!r}")
    if p["step_size"] is None:
        p["step_size"] = eps / 4
    ss = p["step_size"]
    if isinstance(ss, bool) or not isinstance(ss, (int, float)) or not math.isfinite(ss) or ss <= 0:
        raise ModelError(f"regime {regime!r}: step_size must be a number > 0; got {ss!r}")
    if regime == "ig_sum_norm":
        lam, m = p["lam"], p["ig_steps"]
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not math.isfinite(lam) or lam < 0:
            raise ModelError(f"regime 'ig_sum_norm': lam must be a number >= 0; got {lam!r}")
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
            raise ModelError(f"regime 'ig_sum_norm': ig_steps must be an int >= 1; got {m!r}")
    p["eps"], p["step_size"] = float(eps), float(p["step_size"])
    return p


def _ig_sum_norm_objective(model, x, x_adv, y, lam: float, ig_steps: int, create_graph: bool):
    """Per-example CE(f(x'), y) + lam * ||IG^CE_y(x, x')||_1 (Chen et al. 2019, IG-SUM-NORM):
    IG of the loss along the straight path from x to x' (right Riemann sum, ig_steps
    points), differentiable in x' and in the weights (double backpropagation)."""
    import torch
    import torch.nn.functional as F

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
    import torch
    import torch.nn.functional as F

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
    import torch

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


def _fit_torch(model, data, task, dev, seed, progress, *, epochs, lr, batch_size,
               weight_decay, regime="natural", regime_params=None) -> int:
    import torch
    from torch import nn
    from tqdm.auto import tqdm

    epochs, batch_size = int(epochs), int(batch_size)
    if epochs < 1 or batch_size < 1 or not lr > 0 or weight_decay < 0:
        raise ModelError(f"need epochs >= 1, batch_size >= 1, lr > 0, weight_decay >= 0; got "
                         f"{epochs=}, {batch_size=}, {lr=}, {weight_decay=}")
    X = torch.as_tensor(np.asarray(data["X_train"], dtype=np.float32), device=dev)
    X = X.reshape(len(X), *model.attrobust_spec["input_shape"])
    if task == "classification":
        y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.int64), device=dev)
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.float32), device=dev).view(-1, 1)
        loss_fn = nn.MSELoss()
        # Learn standardised targets (raw ones such as diabetes' 25..346 train badly with
        # Adam at small lr) and fold the scale into the last Linear afterwards, so the
        # model still predicts on the original scale with no extra module.
        mu, sd = y.mean(), y.std().clamp_min(1e-12)
        y = (y - mu) / sd
        _rescale_output(model, 1 / sd, -mu / sd)
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    gen = torch.Generator().manual_seed(seed)  # CPU generator: same order on every device
    adv_gen = torch.Generator().manual_seed(seed + 1)  # random starts of the adversary
    lo, hi = float(X.min()), float(X.max())  # the ball is clipped to the data's range
    model.train()
    n_batches = -(-len(X) // batch_size)
    # progress lines in the job's log: every epoch, and every 30 s within long epochs
    per_epoch = Progress("train", epochs, "epoch", every=0)
    per_batch = Progress(f"train ({len(X)} examples, {regime})", epochs * n_batches, "batch")
    for epoch in tqdm(range(epochs), disable=not progress, desc="epochs", leave=False):
        perm = torch.randperm(len(X), generator=gen).to(dev)
        total = torch.zeros((), device=dev)
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            if regime == "natural":
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
            else:
                x_adv = _adversary(model, X[idx], y[idx], regime, regime_params, lo, hi, adv_gen)
                opt.zero_grad()
                if regime == "pgd":
                    loss = loss_fn(model(x_adv), y[idx])
                else:
                    loss = _ig_sum_norm_objective(model, X[idx], x_adv, y[idx], regime_params["lam"],
                                                  regime_params["ig_steps"], True).mean()
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
            per_batch.update()
        per_epoch.update(extra=f"mean loss {total.item() / len(X):.4g}")
        if not math.isfinite(total.item()):
            raise ModelError(f"training diverged (loss {total.item()}) at epoch {epoch + 1}; "
                             f"lower lr (now {lr}) or standardise the data")
    if task == "regression":
        _rescale_output(model, sd, mu)
    model.eval()
    return epochs


def _rescale_output(model, scale, shift) -> None:
    """Make the last Linear layer output ``scale * out + shift`` (exact: it is affine)."""
    import torch
    from torch import nn

    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.weight.mul_(scale)
        last.bias.mul_(scale).add_(shift)


# --------------------------------------------------------------------------- prediction
def sklearn_predict(model, X, *, proba: bool = True) -> np.ndarray:
    """``model.predict_proba(X)`` (``proba``) or ``model.predict(X)`` of a scikit-learn
    estimator, as float64.

    Random forests and extra-trees with one output take a fast path that computes exactly
    what scikit-learn's own method does (the same float32 input, each tree's prediction
    added in the same order to a float64 zero array, then divided by the number of trees;
    bit-identical, ``test_models``) without dispatching every tree through
    ``sklearn.utils.parallel``, whose per-call config and warning-filter bookkeeping costs
    ~60 us per tree: ~6 ms of the ~8 ms a 100-tree forest takes for a few rows. LIME,
    Kernel SHAP and the Lipschitz searches send thousands of such small batches.
    """
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                                  RandomForestClassifier, RandomForestRegressor)

    forests = (RandomForestClassifier, ExtraTreesClassifier) if proba else \
        (RandomForestRegressor, ExtraTreesRegressor)
    X = np.asarray(X)
    fast = (isinstance(model, forests) and getattr(model, "n_outputs_", 0) == 1
            and not hasattr(model, "feature_names_in_") and X.ndim == 2
            and X.shape[1] == getattr(model, "n_features_in_", -1) and np.isfinite(X).all())
    if not fast:  # scikit-learn's own checks and errors
        return np.asarray(model.predict_proba(X) if proba else model.predict(X), dtype=np.float64)
    X = np.ascontiguousarray(X, dtype=np.float32)  # what _validate_X_predict gives the trees
    out = np.zeros((len(X), model.n_classes_) if proba else (len(X),), dtype=np.float64)
    for tree in model.estimators_:
        out += tree.predict_proba(X, check_input=False) if proba else tree.predict(X, check_input=False)
    out /= len(model.estimators_)
    return out


def predict_proba(model, X, *, batch_size: int = 256, device=None) -> np.ndarray:
    """Class probabilities (N, n_classes), or predictions (N,) for regression, as float64.

    torch models run batched under ``no_grad`` in eval mode on ``device`` (default: where
    the model's parameters are); scikit-learn models get X flattened to (N, D).
    """
    spec = getattr(model, "attrobust_spec", {})
    regression = spec.get("task") == "regression"
    X = np.asarray(X, dtype=np.float32)
    if X.ndim < 2 or ("input_shape" in spec and int(np.prod(X.shape[1:])) != int(np.prod(spec["input_shape"]))):
        raise ModelError(f"X has shape {X.shape}; model {spec.get('arch', type(model).__name__)!r} "
                         f"takes a batch (N, {', '.join(map(str, spec.get('input_shape', ['...'])))})")
    if not np.isfinite(X).all():  # a model would return NaN probabilities without a word
        raise ModelError(f"X contains NaN or inf in {int((~np.isfinite(X)).reshape(len(X), -1).any(1).sum())} "
                         f"of {len(X)} rows")
    if not _is_torch(model):
        return sklearn_predict(model, X.reshape(len(X), -1), proba=not regression)
    import torch

    if device is None:
        p = next(model.parameters(), None)
        dev = p.device if p is not None else torch.device("cpu")
    else:
        dev = get_device(device) if isinstance(device, str) else torch.device(device)
    model.to(dev)
    if "input_shape" in spec:
        X = X.reshape(len(X), *spec["input_shape"])
    was_training = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(X), batch_size):
            z = model(torch.as_tensor(X[i:i + batch_size], device=dev))
            outs.append((z.squeeze(1) if regression else torch.softmax(z, 1)).cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs).astype(np.float64) if outs else np.zeros((0,))


def _is_torch(model) -> bool:
    try:
        from torch import nn
    except ImportError:  # pragma: no cover
        return False
    return isinstance(model, nn.Module)


# --------------------------------------------------------------------------- save / load
def save(model, path, spec: dict) -> None:
    """Write ``model`` and its ``spec`` to ``path`` atomically (same file name for all kinds),
    with a sha256 of its contents that :func:`load` verifies.

    torch: ``torch.save({'format', 'spec', 'state_dict', 'sha256'})``, reloaded with
    ``weights_only=True``; scikit-learn: a pickle of ``{'format', 'spec', 'model', 'sha256'}``
    with the estimator pickled again inside (bytes), so that it is checked before it is
    unpickled. Neither container checks its payload: torch's zip reader skips the CRCs and a
    pickle has none, so without the checksum a flipped bit loads as a changed weight.
    """
    missing = [k for k in _SPEC_KEYS if k not in spec]
    if missing:
        raise ModelError(f"spec is missing {missing}; it needs {list(_SPEC_KEYS)}")
    _arch(spec["arch"])
    spec = _plain(spec)
    if "softplus_beta" in getattr(model, "attrobust_spec", {}):
        spec["softplus_beta"] = model.attrobust_spec["softplus_beta"]
    with atomic_path(path) as tmp:
        if _is_torch(model):
            import torch

            state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
            # through a file object: given a path, torch names the zip's records after the
            # (random) temporary file, and the same model would not give the same bytes
            with open(tmp, "wb") as f:
                torch.save({"format": _TORCH_FORMAT, "spec": spec, "state_dict": state,
                            "sha256": _torch_digest(spec, state)}, f)
        else:
            blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            with open(tmp, "wb") as f:
                pickle.dump({"format": _SKLEARN_FORMAT, "spec": spec, "model": blob,
                             "sha256": _digest(spec, [blob])}, f, protocol=pickle.HIGHEST_PROTOCOL)


# Formats of :func:`save`; the versions without "/2" (before checksums) still load, unchecked.
_TORCH_FORMAT, _SKLEARN_FORMAT = "attrobust-torch/2", "attrobust-sklearn/2"


def _digest(spec: dict, blobs) -> str:
    import hashlib
    import json

    h = hashlib.sha256(json.dumps(spec, sort_keys=True).encode())
    for b in blobs:
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def _torch_digest(spec: dict, state: dict) -> str:
    """sha256 of the spec and of every tensor's name, dtype, shape and bytes, in name order."""
    import torch

    blobs = []
    for k in sorted(state):
        t = state[k].detach().cpu().contiguous()
        blobs.append(f"{k}|{t.dtype}|{tuple(t.shape)}".encode())
        blobs.append(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return _digest(spec, blobs)


def _check_digest(path: Path, recorded, actual: str) -> None:
    if recorded != actual:
        raise ModelError(
            f"{str(path)!r} does not match the sha256 recorded when it was written (recorded "
            f"{str(recorded)[:16]}..., now {actual[:16]}...): the file is corrupt (a changed "
            "bit, a bad disk or copy); delete it and rerun the job that wrote it")


def _not_ours(path: Path) -> ModelError:
    return ModelError(f"{str(path)!r} is not a model file written by save(), or it is corrupt: "
                      "delete it and rerun the job that wrote it")


def load(path, device: str = "cpu"):
    """Load a model written by :func:`save`, in eval mode (torch: on ``device``), after
    checking it against the sha256 recorded in it (:class:`ModelError` if it differs).

    torch files are zip archives (rebuilt with :func:`build`, weights loaded with
    ``weights_only=True``); anything else is read as our scikit-learn pickle, so only load
    files this workflow wrote.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file {str(path)!r} does not exist")
    with open(path, "rb") as f:
        is_zip = f.read(4) == b"PK\x03\x04"
    if not is_zip:
        with open(path, "rb") as f:
            try:
                obj = pickle.load(f)
            except Exception as e:
                raise ModelError(f"{str(path)!r} is not a model file written by save() ({e}); if it "
                                 "is one, it is truncated or corrupt: delete it and rerun the job "
                                 "that wrote it") from e
        if not isinstance(obj, dict) or obj.get("format") not in (_SKLEARN_FORMAT, "attrobust-sklearn") \
                or not isinstance(obj.get("spec"), dict) or "model" not in obj:
            raise _not_ours(path)
        model = obj["model"]
        if obj["format"] == _SKLEARN_FORMAT:
            try:
                actual = _digest(obj["spec"], [model])
            except Exception:  # a corrupt entry of another type
                actual = "(unreadable)"
            _check_digest(path, obj.get("sha256"), actual)
            try:
                model = pickle.loads(model)
            except Exception as e:  # pragma: no cover - the checksum matched
                raise ModelError(f"{str(path)!r}: its model does not unpickle ({e})") from e
        model.attrobust_spec = obj["spec"]
        return model

    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated/corrupt zip or pickle: torch names no file
        raise ModelError(f"{str(path)!r} is not a readable model file ({type(e).__name__}: {e}); it "
                         "is truncated or corrupt: delete it and rerun the job that wrote it") from e
    if not isinstance(obj, dict) or obj.get("format") not in (_TORCH_FORMAT, "attrobust-torch") \
            or not isinstance(obj.get("spec"), dict) or not isinstance(obj.get("state_dict"), dict):
        raise _not_ours(path)
    if obj["format"] == _TORCH_FORMAT:
        try:
            actual = _torch_digest(obj["spec"], obj["state_dict"])
        except Exception:  # a corrupt entry that is no longer a dict of tensors
            actual = "(unreadable)"
        _check_digest(path, obj.get("sha256"), actual)
    spec = obj["spec"]
    arch = _arch(spec["arch"])
    hp = dict(spec["hp"])
    if arch.kind == "torchvision":
        hp["pretrained"] = False  # the saved state_dict has the weights
    model = build(spec["arch"], spec["input_shape"], spec["n_classes"], task=spec["task"],
                  seed=spec["seed"], **hp)
    if "softplus_beta" in spec:
        model = softplus(model, spec["softplus_beta"])
    model.load_state_dict(obj["state_dict"])
    model.attrobust_spec = spec
    dev = get_device(device) if isinstance(device, str) else device
    return model.to(dev).eval()


# --------------------------------------------------------------------------- softplus
def softplus(model, beta: float = 10.0):
    """Deep copy of ``model`` with every ``nn.ReLU`` replaced by ``nn.Softplus(beta)``.

    Ghorbani et al. (2019), Algorithm 1 footnote c: ReLU nets have zero second derivatives,
    so the gradient of the attribution dissimilarity is taken through the softplus copy,
    and the perturbed input is then evaluated on the original ReLU network. Functional
    ``F.relu`` calls in ``forward`` are not replaced (none in the networks here).
    """
    if not _is_torch(model):
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
