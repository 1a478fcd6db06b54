"""Sanity checks for attribution maps (Adebayo et al. 2018), as surveyed by Nielsen et al.
(2022), Sec. 4 ("Sanity Checks") and Sec. 5 ("Class Agnostic Behaviour").

- Model parameter randomisation, *cascading* (Adebayo et al. 2018, Sec. 3.1): re-initialise
  the learnable layers from the top (output) layer down, one more layer at each stage, and
  compare the maps of the partly random model with the trained model's.
- Data randomisation (Adebayo et al. 2018, Sec. 3.2): a model trained on permuted labels;
  its maps are compared with those of the model trained on the true labels.
- Map similarity (Adebayo et al. 2018, Sec. 3 "Similarity metrics"): Spearman rank
  correlation of absolute and of signed maps, and SSIM (Wang et al. 2004) of the
  normalised absolute maps.
- Class sensitivity (Nielsen et al. 2022, Fig. 2; released code): Spearman correlation of
  the map for the true class with the maps for other target classes.

Maps follow Nielsen et al.'s released code: attributions summed over channels, absolute
value, min-max scaled to [0, 1] (:func:`normalise`). Plain functions over numpy arrays and
torch modules; torch is imported where it is used.
"""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np

from . import metrics


class SanityError(ValueError):
    """Bad layer name, stage or input maps."""


# ----------------------------------------------------------------------------- maps

def normalise(A, signed: bool = False) -> np.ndarray:
    """Maps (N, H, W) of attributions (N, C, H, W): summed over channels, absolute value
    (``signed=False``), then min-max scaled per map to [0, 1] (Nielsen et al. 2022, released
    code; Adebayo et al. 2018, Sec. 3: "absolute value ... normalised"). With ``signed`` the
    sum keeps its sign and is divided by its largest absolute value ([-1, 1]). A constant
    map becomes all zeros."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 4:
        raise SanityError(f"attributions must be images (N, C, H, W); got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise SanityError("attributions contain NaN or Inf")
    m = A.sum(1)
    flat = m.reshape(len(m), -1)
    if signed:
        scale = np.abs(flat).max(1)
        return (flat / np.where(scale > 0, scale, 1.0)[:, None]).reshape(m.shape)
    flat = np.abs(flat)
    lo, hi = flat.min(1, keepdims=True), flat.max(1, keepdims=True)
    return ((flat - lo) / np.where(hi > lo, hi - lo, 1.0)).reshape(m.shape)


def ssim(a1, a2, data_range: float = 1.0) -> np.ndarray:
    """Structural similarity (Wang et al. 2004, eq. 13) per pair of maps (N, H, W), with
    scikit-image's ``structural_similarity`` (Adebayo et al. 2018 used scikit-image):
    uniform window of 7 x 7 pixels (smaller, odd, on maps smaller than 7 pixels),
    K1 = 0.01, K2 = 0.03, mean over the window positions."""
    from skimage.metrics import structural_similarity

    a1, a2 = np.asarray(a1, np.float64), np.asarray(a2, np.float64)
    if a1.shape != a2.shape or a1.ndim != 3:
        raise SanityError(f"ssim needs two batches of maps (N, H, W) of one shape; got {a1.shape}, {a2.shape}")
    side = min(a1.shape[1:])
    if side < 3:
        raise SanityError(f"ssim needs maps of at least 3 x 3 pixels; got {a1.shape[1:]}")
    win = min(7, side if side % 2 else side - 1)
    return np.array([structural_similarity(x, y, win_size=win, data_range=data_range)
                     for x, y in zip(a1, a2)])


def similarity(A_ref, A) -> dict[str, np.ndarray]:
    """Adebayo et al. (2018), Sec. 3: per image, Spearman rank correlation of the absolute
    maps and of the signed maps, and SSIM of the absolute maps (all min-max normalised,
    :func:`normalise`), between reference attributions ``A_ref`` and ``A`` (N, C, H, W)."""
    abs_ref, abs_new = normalise(A_ref), normalise(A)
    return {
        "spearman_abs": metrics.spearman(abs_ref, abs_new),
        "spearman_signed": metrics.spearman(normalise(A_ref, signed=True), normalise(A, signed=True)),
        "ssim": ssim(abs_ref, abs_new),
    }


# ---------------------------------------------------------------- cascading randomisation

def layers(model) -> list[str]:
    """Names of the learnable layers of ``model`` (modules with parameters of their own,
    e.g. Conv2d, Linear, BatchNorm), from the input to the output (registration order)."""
    if not hasattr(model, "named_modules"):  # a scikit-learn estimator has no layers to reset
        raise SanityError(f"model must be a torch nn.Module (cascading randomisation resets its "
                          f"layers); got {type(model).__name__}")
    names = [n for n, m in model.named_modules()
             if n and any(True for _ in m.parameters(recurse=False))]
    if not names:
        raise SanityError(f"{type(model).__name__} has no layer with parameters to randomise")
    return names


def cascade(model) -> list[list[str]]:
    """The stages of cascading randomisation (Adebayo et al. 2018, Sec. 3.1, Fig. 2): stage
    k re-initialises the top k learnable layers (k = 0 .. number of layers)."""
    top_down = layers(model)[::-1]
    return [top_down[:k] for k in range(len(top_down) + 1)]


def randomize(model, names: Sequence[str], seed: int = 0):
    """A deep copy of ``model`` whose layers ``names`` are re-initialised with their
    ``reset_parameters()`` (PyTorch's default initialisation, as a freshly built model),
    drawn from ``seed`` (layer i from seed + i, without touching the global RNG). Every
    other parameter is left as it was."""
    import torch

    modules = dict(model.named_modules())
    unknown = [n for n in names if n not in modules or not n]
    if unknown:
        raise SanityError(f"no layer(s) {unknown} in the model; learnable layers: {layers(model)}")
    out = copy.deepcopy(model)
    new = dict(out.named_modules())
    order = layers(model)
    for name in names:
        mod = new[name]
        if not hasattr(mod, "reset_parameters"):
            raise SanityError(f"layer {name!r} ({type(mod).__name__}) has no reset_parameters()")
        i = order.index(name) if name in order else 0
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed) + i)
            mod.reset_parameters()
    return out


# ------------------------------------------------------------------- data randomisation

def permute_labels(y, seed: int = 0) -> np.ndarray:
    """The labels ``y`` randomly permuted (Adebayo et al. 2018, Sec. 3.2: "we permute the
    training labels"), from ``seed``; the label distribution is unchanged."""
    y = np.asarray(y)
    return y[np.random.default_rng(seed).permutation(len(y))]


# ------------------------------------------------------------------- class sensitivity

def other_classes(probs, k: int, exclude=None) -> np.ndarray:
    """Per input, the ``k`` most probable classes, most probable first, leaving out
    ``exclude`` (one class per input, e.g. the true label): (N, k) class indices. Nielsen
    et al. (2022), released code: the top-5 predicted classes (the true class and 4 others
    when the prediction is right)."""
    probs = np.asarray(probs)
    n_left = probs.shape[1] - (exclude is not None)
    if not 1 <= k <= n_left:
        raise SanityError(f"k = {k} must be in [1, {n_left}] (number of classes"
                          + (" other than the excluded one)" if exclude is not None else ")"))
    order = np.argsort(-probs, axis=1, kind="stable")
    if exclude is not None:
        ex = np.asarray(exclude).reshape(-1, 1)
        order = np.array([row[row != e][:k] for row, e in zip(order, ex[:, 0])])
    return order[:, :k]


def class_spearman(A_true, A_other) -> np.ndarray:
    """Nielsen et al. (2022), Fig. 2: Spearman rank correlation of the flattened normalised
    map for the true class (N, C, H, W) with the map for each other target (N, K, C, H, W):
    (N, K). High values: the method is not class-discriminative."""
    A_other = np.asarray(A_other)
    if A_other.ndim != 5 or A_other.shape[0] != len(A_true):
        raise SanityError(f"A_other must be (N, K, C, H, W) with N = {len(A_true)}; got {A_other.shape}")
    ref = normalise(A_true)
    return np.stack([metrics.spearman(ref, normalise(A_other[:, j])) for j in range(A_other.shape[1])], 1)
