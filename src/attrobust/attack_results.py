"""The `attack` stage's result files: one per (budget, model, method, attack, chunk of images),
holding every eps the sections ask for (Ghorbani et al. 2019, Algorithm 1, run once per eps).

One job per chunk over all eps, instead of one per eps, saves a process start-up (imports,
data and model loading) per eps; chunks over images keep each job at paper budgets inside a
cluster's walltime (workflow/rules/common.smk: attack_chunking). Arrays that do not depend on
eps (the clean images, their maps, labels and predictions) are stored once; the others have a
leading eps axis. Only numpy here: the figure jobs read these files without torch.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from . import utils

#: Arrays with a leading eps axis; every other array is the same for all eps.
PER_EPS = ("x_adv", "A_adv", "label_kept", "dissimilarity", "probs_adv")


def save(path: str | os.PathLike, eps: Sequence[float], per_eps: Sequence[dict], **shared) -> None:
    """Write one chunk: ``per_eps[i]`` holds the :data:`PER_EPS` arrays of ``eps[i]`` (0-255
    units), ``shared`` the arrays common to all eps."""
    if len(eps) != len(per_eps) or not eps:
        raise ValueError(f"{path}: {len(eps)} eps values for {len(per_eps)} results")
    stacked = {k: np.stack([np.asarray(r[k]) for r in per_eps]) for k in PER_EPS}
    utils.save_npz(path, eps=np.asarray(eps, dtype=np.float64), **shared, **stacked)


def load(paths: Sequence[str | os.PathLike], eps: float) -> dict[str, np.ndarray]:
    """The results at ``eps`` (0-255 units) of one (model, method, attack), its chunk files
    ``paths`` in image order concatenated: x, x_adv, A, A_adv, label, label_kept,
    dissimilarity, y, probs, probs_adv (and device, from the first chunk)."""
    if not paths:
        raise ValueError("no attack files to load")
    parts = []
    for path in paths:
        r = utils.load_npz(path)
        hit = np.flatnonzero(np.isclose(r["eps"], float(eps)))
        if hit.size != 1:
            raise ValueError(f"{path} holds eps {r['eps'].tolist()}, not {eps:g}: rerun its `attack` job")
        parts.append({k: (v[hit[0]] if k in PER_EPS else v) for k, v in r.items() if k != "eps"})
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if parts[0][k].ndim > 0}
    out.update({k: v for k, v in parts[0].items() if v.ndim == 0})  # scalars: device
    return out
