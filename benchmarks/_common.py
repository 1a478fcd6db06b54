"""Shared helpers of the benchmark suite (benchmarks/run.py): timing, machine facts, models.

Every benchmark runs on one CPU thread (``torch.set_num_threads(1)``, and run.py starts each
benchmark in its own process with OMP/MKL/OpenBLAS limited to one thread), so the numbers
are single-thread CPU numbers, comparable between machines with the same core.
"""
from __future__ import annotations

import functools
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402


def one_thread() -> None:
    """Torch (and the BLAS behind numpy) on one thread."""
    import torch

    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def interleaved(fns: dict[str, Callable[[], object]], repeats: int,
                warmup: dict[str, Callable[[], object]] | None = None) -> dict[str, list[float]]:
    """Wall-clock seconds of each function over ``repeats`` rounds, after one warm-up call
    each (``warmup`` if given, e.g. the same call on a smaller input, else the function
    itself). Rounds alternate between the functions (A B A B ...), so load from other
    processes on a shared machine hits ours and the baseline alike."""
    for name, fn in fns.items():
        (warmup or {}).get(name, fn)()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def median(xs) -> float:
    return float(statistics.median(xs))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux: ru_maxrss in KiB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024 if sys.platform != "darwin" else kb / 2**20, 1)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """Where the numbers come from: CPU, cores, library versions, device, threads."""
    import importlib.metadata as md

    versions = {}
    for pkg in ("torch", "numpy", "scipy", "captum", "scikit-learn", "scikit-optimize", "shap", "lime",
                "quantus"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads_used": 1,
        "device": "cpu",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


# ----------------------------------------------------------------------------- models

@functools.lru_cache(maxsize=None)
def digits() -> dict:
    """scikit-learn's 8x8 digits (embedded, offline), as the workflow's config loads them."""
    from attrobust import data

    return data.load("digits", scaling="none")


@functools.lru_cache(maxsize=None)
def digits_cnn():
    """``cnn_small`` on the 8x8 digits, trained with the registry's defaults (15 epochs,
    about 3 s on one thread): the model of the default config's image figures."""
    from attrobust import models

    ds = digits()
    net = models.build("cnn_small", ds["input_shape"], len(ds["class_names"]), seed=0)
    models.train(net, ds, seed=0, device="cpu")
    return net


@functools.lru_cache(maxsize=None)
def cnn28():
    """``cnn_small`` for 1x28x28 inputs (the registry architecture config/paper.yaml and
    config/fashion.yaml use for MNIST / Fashion-MNIST), random weights (seed 0): throughput
    does not depend on the weights, and no download is needed."""
    from attrobust import models

    return models.build("cnn_small", (1, 28, 28), 10, seed=0)


def upsample28(x) -> np.ndarray:
    """8x8 images (N, 1, 8, 8) upsampled (bilinear) to (N, 1, 28, 28), in [0, 1]."""
    import torch

    x = torch.as_tensor(np.asarray(x, np.float32))
    up = torch.nn.functional.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    return up.clamp(0, 1).numpy()


@functools.lru_cache(maxsize=None)
def images28(split: str = "test") -> np.ndarray:
    """The digits' test (or train) images upsampled to 1x28x28: inputs of the 28x28 CNN."""
    return upsample28(digits()[f"X_{split}"])


def macs(net, shape) -> int:
    """Multiply-accumulates of one forward pass (Conv2d and Linear layers), counted with hooks."""
    import torch

    total = [0]

    def hook(m, inp, out):
        if isinstance(m, torch.nn.Conv2d):
            total[0] += out[0].numel() * (m.in_channels // m.groups) * int(np.prod(m.kernel_size))
        elif isinstance(m, torch.nn.Linear):
            total[0] += m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        with torch.no_grad():
            net(torch.zeros((1,) + tuple(shape)))
    finally:
        for h in handles:
            h.remove()
    return total[0]
