"""The vocabulary of model specs, torch-free: :class:`ModelError`, the :class:`Arch` record
of the registry (:mod:`.registry`), the kinds, tasks and training hyper-parameter names, the
keys of a saved model's spec, and the training regimes with their own parameters.

Training regimes (:data:`REGIMES`, :func:`attrobust.models.train`): ``natural``; ``pgd``
(Madry et al. 2018) and ``ig_sum_norm`` (Chen et al. 2019), whose own parameters
(:data:`REGIME_HP`: eps, steps, step_size, random_start; lam, ig_steps) go to ``train`` as
keywords; :func:`attrobust.models.pgd` gives the same L_inf adversary for evaluation. Their
names and values are checked here (:func:`_regime_params`) so that ``attrobust.config``
checks them at parse time without importing torch; the adversaries are in :mod:`.regimes`.

Only stdlib and numpy are imported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


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


def _spec_of(model) -> dict:
    spec = getattr(model, "attrobust_spec", None)
    if spec is None:
        raise ModelError("model has no attrobust_spec: build it with attrobust.models.build()")
    return spec


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
