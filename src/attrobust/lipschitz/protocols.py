"""The two protocols of the Alvarez-Melis & Jaakkola (2018) estimates, the paper's text and
the authors' released code (:data:`PROTOCOLS`), and the explainer parameters and box each
gives (:func:`protocol_params`, :func:`protocol_box`)."""
from __future__ import annotations

import numpy as np

from .objective import LipschitzError


#: Two protocols for the estimates of Alvarez-Melis & Jaakkola (2018). ``paper``: the text
#: (Sec. 3-4): an L-infinity ball of radius eps = 0.1 in the (standardised) input units, clipped
#: to each feature's data range, 200 calls (40 for LIME and SHAP), the explainers' own
#: settings. ``released-code``: what the authors' public code (dmelis/robust_interpret) runs:
#: ``gp_minimize`` with 10 calls (= skopt's 10 initial random points, so a random search), a
#: box of eps x (each feature's training std) with eps = 0.01 on UCI and 1.0 on MNIST, clipped
#: to the global data min/max, LIME with 100 samples, Kernel SHAP with 100 samples and the
#: whole training set as background, IG with 100 steps from a zero baseline, eps-LRP with
#: epsilon 1e-4, occlusion with a 1-pixel window and value 0, pre-softmax scores of the
#: predicted class for torch models. ``section`` holds a figure section's defaults for
#: tabular and image data; ``methods`` overrides explainer parameters; ``box``: "ball"
#: (radius eps) or "std" (eps x training std); ``clip``: "feature" or "global".
PROTOCOLS = {
    "paper": {"box": "ball", "clip": "feature", "whole_background": False, "methods": {},
              "torch_output": None,
              "section": {"tabular": {}, "image": {}}},
    "released-code": {
        "box": "std", "clip": "global", "whole_background": True,
        "methods": {
            "lime": {"num_samples": 100},
            "kernel_shap": {"nsamples": 100, "n_background": 10**9},  # no k-means summary
            "integrated_gradients": {"n_steps": 100, "baseline": "zero"},
            "lrp_epsilon": {"epsilon": 1e-4},
            "occlusion": {"window": 1, "stride": 1, "baseline": "zero"},
        },
        "torch_output": "logit",  # every method explains the pre-softmax score
        # 'skopt': skopt's Optimizer in gp_minimize's loop (with 10 calls, its 10 random
        # initial points: exactly the points the authors' gp_minimize call evaluates)
        "section": {"tabular": {"eps": 0.01, "n_calls": 10, "estimator": "skopt"},
                    "image": {"eps": 1.0, "n_calls": 10, "n_calls_blackbox": None, "estimator": "skopt"}},
    },
}


def protocol_params(protocol: str, method: str, params: dict, *, torch_model: bool,
                    X_train: np.ndarray, n_background: int, seed: int,
                    output: str | None = None) -> dict:
    """The explainer parameters of ``method`` under ``protocol`` (see :data:`PROTOCOLS`): the
    config's ``params``, the protocol's overrides, for torch models the explained output
    (``output``, a section's one output for all its methods: 'logit' or 'prob'; None: the
    protocol's, else the method's own default), and for methods that take one a background
    of ``n_background`` training rows drawn with ``seed`` (the whole training set under
    ``released-code``)."""
    from ..explain import METHODS

    if protocol not in PROTOCOLS:
        raise LipschitzError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    pr = PROTOCOLS[protocol]
    out = {**params, **pr["methods"].get(method, {})}
    if torch_model and (output or pr["torch_output"]):
        out["output"] = output or pr["torch_output"]
    if "background" in METHODS[method].defaults and "background" not in out:  # LIME, SHAP
        n = len(X_train) if pr["whole_background"] else min(n_background, len(X_train))
        rows = np.random.default_rng(seed).choice(len(X_train), n, replace=False)
        out["background"] = X_train[np.sort(rows)]
    return out


def protocol_box(protocol: str, eps: float, X_train: np.ndarray, X_all: np.ndarray) -> dict:
    """``eps``, ``lower`` and ``upper`` for :func:`estimate` under ``protocol`` (see
    :data:`PROTOCOLS`), from the training inputs and all inputs (train and test)."""
    if protocol not in PROTOCOLS:
        raise LipschitzError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    pr = PROTOCOLS[protocol]
    radius = eps * X_train.std(0) if pr["box"] == "std" else eps
    if pr["clip"] == "global":
        return {"eps": radius, "lower": float(X_all.min()), "upper": float(X_all.max())}
    return {"eps": radius, "lower": X_all.min(0), "upper": X_all.max(0)}
