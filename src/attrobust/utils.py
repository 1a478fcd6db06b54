"""Small shared helpers: seeding, device choice and atomic writes.

Outputs are always written to a temporary name in the same directory and renamed,
so an interrupted job never leaves a file that looks complete.
"""
from __future__ import annotations

import glob
import json
import os
import random
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np


def seed_everything(seed: int) -> None:
    """Seed python, numpy and, if this process has imported it, torch; make torch
    deterministic on CPU. Not imported here: a process that has not imported torch has no
    torch model or tensor to draw for (a scikit-learn job, which then never loads it), and
    every caller that uses torch has imported it before (its model is loaded)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is None:
        return
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


#: Device strings the library takes (the config schema's `device` pattern).
DEVICE_PATTERN = r"auto|cpu|cuda(:[0-9]+)?"


def get_device(preference: str = "auto"):
    """Return a torch device: ``"auto"`` picks CUDA when present, else CPU; a
    ``torch.device`` is returned as it is."""
    import re

    import torch

    if isinstance(preference, torch.device):
        return preference
    # checked here: torch's own error for 'gpu' is a RuntimeError that names no argument
    if not isinstance(preference, str) or not re.fullmatch(DEVICE_PATTERN, preference):
        raise ValueError(f"device={preference!r} is not a device; use 'auto', 'cpu', 'cuda' "
                         "or 'cuda:<index>' (config key 'device')")
    given = gpu_assigned()
    if preference != "cpu" and given and not torch.cuda.is_available():
        # a job the scheduler gave a GPU: never a silent CPU run (hours instead of minutes)
        raise RuntimeError(
            f"this job was given a GPU ({given}) but torch {torch.__version__} cannot use CUDA "
            f"({_cuda_problem(torch)}); config key 'device' is {preference!r}. Install a CUDA build of "
            "torch in the job's environment (PyPI's torch on Linux x86-64), or set device: cpu to run "
            "on the CPU on purpose.")
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"config key 'device' asks for {preference!r} but no CUDA device is visible; "
            "use 'auto' or 'cpu'."
        )
    return torch.device(preference)


#: Environment variables through which a scheduler hands a job its GPUs.
GPU_ENV = ("CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS", "SLURM_STEP_GPUS")


def gpu_assigned() -> str | None:
    """``NAME=value`` of the first variable of :data:`GPU_ENV` that gives this process a
    GPU (SLURM sets them for jobs with --gpus/--gres), else None ('', -1 and NoDevFiles
    give none)."""
    for var in GPU_ENV:
        v = os.environ.get(var, "").strip()
        if v and v not in ("-1", "NoDevFiles") and not v.startswith("-"):
            return f"{var}={v}"
    return None


def _cuda_problem(torch) -> str:
    if not torch.version.cuda:
        return "it is a CPU-only build"
    try:
        n = torch.cuda.device_count()
    except Exception as e:  # pragma: no cover - driver errors
        return f"{type(e).__name__}: {e}"
    return f"built for CUDA {torch.version.cuda}, {n} device(s) usable: a driver or a device-file problem"


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    ``suffix`` keeps the extension that some writers (``np.savez``) append.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # temporary files of a writer that was killed (SIGKILL skips the cleanup below); one
    # job writes one output, so no live writer owns them
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=suffix or path.suffix
    )
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are shared files
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def save_npz(path: str | os.PathLike, **arrays: Any) -> None:
    """``np.savez_compressed`` through a temporary file."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file; a truncated or corrupt file raises ValueError naming it."""
    import zipfile
    import zlib

    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as e:
        raise ValueError(
            f"{str(path)!r} is not a readable .npz file ({type(e).__name__}: {e}); it is "
            "truncated or corrupt: delete it and rerun the job that wrote it"
        ) from e


def save_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON (sorted keys, numpy scalars converted) through a temporary file."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_to_builtin) + "\n")


def _to_builtin(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot serialise {type(o).__name__} to JSON")


def sign_step(x, g, step: float, lo, hi):
    """One projected signed-gradient step, ``clip(x + step * sign(g), lo, hi)``, detached:
    the update of PGD (Madry et al. 2018), Ghorbani et al.'s Algorithm 1 and their influence
    attack (pass ``-g`` to descend). ``lo``/``hi``: the eps-box intersected with the data range."""
    import torch

    return torch.min(torch.max(x + step * g.sign(), lo), hi).detach()


def log_to(path: str | os.PathLike) -> None:
    """Send logging, warnings and stderr of a workflow job to its Snakemake log file."""
    import logging

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "w", buffering=1)
    sys.stderr = stream
    logging.basicConfig(
        stream=stream, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
    )
    logging.captureWarnings(True)
    logging.getLogger("shap").setLevel(logging.WARNING)  # one INFO line per explained row
    seconds = startup_seconds()
    if seconds is not None:  # read by attrobust.benchtable (start-up share per rule)
        logging.getLogger("attrobust.jobs").info("start-up %.2f s (interpreter and imports)", seconds)
    import atexit

    atexit.unregister(_freeze_at_exit)  # once per process, however often log_to runs
    atexit.register(_freeze_at_exit)


def _freeze_at_exit() -> None:
    """At a job's exit: collect the garbage once (the finalisers of objects in reference
    cycles run, as at a normal exit), then freeze what is left, so that the interpreter's
    teardown does not garbage-collect the ~165 000 objects of torch's (and shap's,
    matplotlib's) modules again. That teardown was ~0.25 s of every torch job and ~0.6 s of
    a job that also imports shap (benchmarks/README.md (e)); exit codes are unchanged."""
    import gc

    gc.collect()
    gc.freeze()


def startup_seconds() -> float | None:
    """Seconds since this process started, or None.

    On Linux, the boot-time clock minus the process's start in clock ticks since boot
    (``/proc/self/stat``, field 22; 10 ms ticks). Not ``psutil.Process().create_time()``:
    it adds those ticks to ``/proc/stat``'s boot time, a whole second, so it reads up to 1 s
    too early (0.47 s on the 2-core test host: a job that ran 0.14 s in all logged 0.59 s of
    start-up). Elsewhere psutil (which snakemake depends on), whose clocks there are exact.
    """
    import time

    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 onwards
        return time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        pass
    try:
        import psutil
    except ImportError:
        return None
    return time.time() - psutil.Process().create_time()



class Progress:
    """Progress lines of a long loop, for a job's log: ``<what>: i/total <unit>s (rate/s,
    elapsed, eta)`` through the logger ``attrobust.progress`` (INFO), at most one every
    ``every`` seconds (default: $ATTROBUST_PROGRESS_SECONDS, else 30) and always the last.
    A workflow job's log (:func:`log_to`) is line-buffered, so each line is on disk as it is
    written; in library use logging is not configured and nothing is shown."""

    def __init__(self, what: str, total: int | None = None, unit: str = "it", every: float | None = None):
        import time

        self.what, self.total, self.unit, self.i = what, total, unit, 0
        self.every = float(os.environ.get("ATTROBUST_PROGRESS_SECONDS", 30)) if every is None else every
        self.t0 = self.last = time.perf_counter()

    def update(self, n: int = 1, extra: str = "") -> None:
        import time

        self.i += n
        now = time.perf_counter()
        if now - self.last >= self.every or (self.total is not None and self.i >= self.total):
            self.last = now
            self._log(now, extra)

    def _log(self, now: float, extra: str = "") -> None:
        import logging

        dt = now - self.t0
        rate = self.i / dt if dt > 0 else float("inf")
        of = f"/{self.total}" if self.total is not None else ""
        eta = (f", eta {(self.total - self.i) / rate:.0f} s" if self.total is not None and 0 < rate < float("inf")
               else "")
        units = {"batch": "batches"}.get(self.unit, self.unit + "s")
        logging.getLogger("attrobust.progress").info(
            "%s: %d%s %s (%.3g %s/s, %.0f s elapsed%s)%s", self.what, self.i, of, units, rate,
            units, dt, eta, f" {extra}" if extra else "")
