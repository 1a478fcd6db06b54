"""Model files: :func:`save` and :func:`load`, with a sha256 of the contents that ``load``
checks (the same file name for torch and scikit-learn models). torch is imported only for
a torch model's file: a scikit-learn job never imports it."""
from __future__ import annotations

import pickle
from pathlib import Path

from ..utils import atomic_path, get_device
from .archs import is_torch, softplus
from .registry import _arch, build
from .spec import _SPEC_KEYS, ModelError, _plain


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
        if is_torch(model):
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


def is_torch_file(path) -> bool:
    """Whether :func:`load` reads ``path`` as a torch model: a zip archive (``torch.save``'s
    format), or no file yet (then :func:`load` says so). Read without importing torch, so
    that a job can tell before it loads torch whether it needs it."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:  # no file, a folder: load() says what is wrong
        return True


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
    if not is_torch_file(path):
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
