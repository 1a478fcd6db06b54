"""Cluster requests (memory, walltime) of a job from its config budget: a sizing rule, not
a measurement.

A job's work is counted in *input gradients of the 28x28 ``cnn_small``* (one forward and
backward pass of one example), scaled by the architecture's cost per example (its MACs
relative to that CNN) and converted to seconds with the rates ``benchmarks/README.md``
measured: 2.7k such gradients per second on one CPU thread (table (a)), and a GPU at least
10x one thread (table (f)'s pessimistic, latency-bound bound; batched ImageNet work runs up
to ~330x faster). Walltime = start-up + SAFETY x that estimate, at least MIN_MINUTES;
memory = a base (torch, CUDA context) + the dataset's arrays a few times over. Both grow
with snakemake's ``attempt`` (the profiles' ``retries``), so a job killed for time or memory
is resubmitted with twice, then three times the request. ``make bench-table`` shows what the
jobs really took (their ``benchmark:`` files).
"""
from __future__ import annotations

import math

from . import data, datasizes, explain, models

#: 28x28 cnn_small input gradients per second on one CPU thread (benchmarks/README.md (a)).
CPU_GRADS_PER_S = 2700.0
#: A GPU job against one CPU thread: the pessimistic bound of benchmarks/README.md (f).
GPU_SPEEDUP = 10.0
#: Cost of one example relative to the 28x28 cnn_small (MACs; benchmarks/README.md (f)).
ARCH_COST = {"cnn_small": 1.0, "cifar_cnn": 65.0, "squeezenet1_1": 85.0, "resnet18": 441.0, "resnet50": 991.0,
             "mlp": 0.01, "mlp_elu": 0.01}
#: Margin on the estimate, start-up (imports, loading data and model) and the least walltime.
SAFETY, STARTUP_S, MIN_MINUTES = 2.0, 300.0, 15
#: Walltime a split job aims at (minutes, first attempt): well inside the 4-hour partitions
#: common on university clusters, with room for the retries' 2x and 3x.
JOB_TARGET_MINUTES = 120
#: Seconds of skopt's Bayesian optimisation per Lipschitz call (benchmarks/README.md (b): ~0.1 s
#: per call at 784 dimensions besides the explainer).
BO_S_PER_CALL = 0.1
#: Host memory: a CPU job's base, a GPU job's (CUDA context, cuDNN), and copies of the data held.
CPU_BASE_MB, GPU_BASE_MB, DATA_COPIES = 2000, 6000, 4


def arch_cost(arch: str) -> float:
    """Work of one example of ``arch`` in 28x28-cnn_small units (scikit-learn: 1, on the CPU)."""
    return ARCH_COST.get(arch, 1.0)


def method_cost(method: str, params: dict | None = None) -> float:
    """Model evaluations of one attribution of ``method`` with ``params`` (over its defaults)."""
    m = explain.METHODS.get(method)
    p = {**(m.defaults if m else {}), **(params or {})}
    for key in ("n_steps", "n_samples", "num_samples", "nsamples"):
        if isinstance(p.get(key), (int, float)) and not isinstance(p.get(key), bool):
            return float(p[key])
    if method == "kernel_shap":  # nsamples 'auto': 2 * features + 2048
        return 2048.0 + (p.get("n_background") or 50)
    if method == "occlusion":
        return 64.0  # one evaluation per window position (an 8x8 grid)
    return 1.0


def data_mb(source: str, options: dict | None = None, n_samples: int | None = None) -> float:
    """Size in MB of dataset ``source``'s float32 arrays (a guess of 100 MB where unknown)."""
    try:
        s = datasizes.size(source, options)
    except (KeyError, data.DataError, TypeError, ValueError):
        return 100.0
    n = n_samples or (options or {}).get("n_images") or s.n
    if n is None or s.input_shape is None:
        return 100.0
    return n * math.prod(s.input_shape) * 4 / 1e6


def runtime_minutes(grads: float, arch: str | None = None, *, gpu: bool, attempt: int = 1,
                    extra_s: float = 0.0) -> int:
    """Walltime in minutes for ``grads`` gradients of ``arch`` (plus ``extra_s`` seconds of
    host work), on a GPU or one CPU thread, for snakemake attempt ``attempt``."""
    s = grads * arch_cost(arch or "") / CPU_GRADS_PER_S / (GPU_SPEEDUP if gpu else 1.0) + extra_s
    return max(MIN_MINUTES, math.ceil((STARTUP_S + SAFETY * s) / 60)) * int(attempt)


def items_per_job(n_items: int, grads_per_item: float, arch: str | None = None, *, gpu: bool,
                  target_minutes: int | None = None) -> int:
    """How many of ``n_items`` (images), each ``grads_per_item`` gradients of ``arch``, one job
    takes so that its walltime (:func:`runtime_minutes`, first attempt) stays within
    ``target_minutes`` (default :data:`JOB_TARGET_MINUTES`); at least one, at most all.
    How the `attack` stage splits its images into jobs."""
    target = JOB_TARGET_MINUTES if target_minutes is None else target_minutes
    s = grads_per_item * arch_cost(arch or "") / CPU_GRADS_PER_S / (GPU_SPEEDUP if gpu else 1.0)
    if s <= 0:
        return max(1, n_items)
    fit = math.floor((60.0 * target - STARTUP_S) / (SAFETY * s))
    return int(min(max(1, n_items), max(1, fit)))


def mem_mb(dataset_mb: float, *, gpu: bool, attempt: int = 1) -> int:
    """Host memory in MB: the base of a CPU or GPU job and DATA_COPIES copies of the data."""
    base = GPU_BASE_MB if gpu else CPU_BASE_MB
    return int(math.ceil((base + DATA_COPIES * dataset_mb) / 100) * 100) * int(attempt)


def train_grads(arch: str, n_train: int, hp: dict, regime: str = "natural", regime_params: dict | None = None) -> float:
    """Gradients of a training run: epochs x examples x the regime's inner steps (PGD: steps
    + 1; IG-SUM-NORM: (steps + 1) x (ig_steps + 1) x 2, double backpropagation); a
    pretrained network is only evaluated (a third of a gradient per example)."""
    a = models.ARCHS.get(arch)
    if a is None or a.kind == "sklearn":
        return 0.0
    if a.kind == "torchvision":
        return n_train / 3
    epochs = hp.get("epochs", a.defaults.get("epochs", 1))
    p = {**models.REGIME_HP.get(regime, {}), **(regime_params or {})}
    mult = {"natural": 1, "pgd": p.get("steps", 1) + 1,
            "ig_sum_norm": (p.get("steps", 1) + 1) * (p.get("ig_steps", 1) + 1) * 2}.get(regime, 1)
    return float(epochs) * n_train * mult
