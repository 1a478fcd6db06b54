"""Predictions of any model of the registry: :func:`predict_proba`, and :func:`inference`,
the no-grad forward passes it and the black-box explainers (attrobust.explain) share.
torch is imported only for a torch model (a scikit-learn job never imports it)."""
from __future__ import annotations

import contextlib

import numpy as np

from ..utils import get_device
from .archs import is_torch
from .sklearn import sklearn_predict
from .spec import ModelError


def _pool_channels_last(module, args):
    import torch

    return (args[0].contiguous(memory_format=torch.channels_last),) + tuple(args[1:])


@contextlib.contextmanager
def inference(model, device):
    """``torch.no_grad()`` for forward passes of ``model`` on ``device``; on a CPU, each
    ``nn.MaxPool2d`` pools a channels-last copy of its input. torch's CPU max-pool kernel for
    the default (NCHW) layout is ~17x slower than its channels-last one on cnn_small's 32 x
    8 x 8 maps, and was 40% of a Kernel SHAP call on an 8x8 digit: forward passes of the
    8x8 / 28x28 CNNs take about half the CPU time (benchmarks/README.md (a)). A maximum is
    exact, so the outputs are bit-identical (tested); no gradients flow here, so which of
    tied inputs a pool routes a gradient to never matters. The hooks are removed on exit."""
    import torch

    hooks = []
    if torch.device(device).type == "cpu":
        hooks = [m.register_forward_pre_hook(_pool_channels_last) for m in model.modules()
                 if isinstance(m, torch.nn.MaxPool2d)]
    try:
        with torch.no_grad():
            yield
    finally:
        for h in hooks:
            h.remove()


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
    if not is_torch(model):
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
    with inference(model, dev):
        for i in range(0, len(X), batch_size):
            z = model(torch.as_tensor(X[i:i + batch_size], device=dev))
            outs.append((z.squeeze(1) if regression else torch.softmax(z, 1)).cpu().numpy())
    model.train(was_training)
    return np.concatenate(outs).astype(np.float64) if outs else np.zeros((0,))
