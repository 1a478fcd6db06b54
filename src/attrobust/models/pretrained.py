"""Pretrained torchvision ImageNet networks (paper config only, needs ``.[paper]``): their
builder, whether torchvision imports, and where their weights come from and go.

torch and torchvision are imported inside the functions, so that ``attrobust.config`` can
check weights and torchvision at parse time.
"""
from __future__ import annotations

from pathlib import Path

from .archs import _image_shape, _torch_classes
from .spec import ModelError


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

    from ..utils import atomic_path

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
