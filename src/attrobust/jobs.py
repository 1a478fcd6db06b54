"""The harness of the workflow's scripts: what a job that runs a trained model starts with.

It sits above the library (it imports data and models), so that the helpers below it
(`attrobust.utils`) import nothing of ours and the package has no import cycle.
"""
from __future__ import annotations

from typing import Any

import torch

from . import data, models, utils


def model_job(snakemake) -> tuple[dict, Any, Any]:
    """Log to the job's log, give torch the job's threads, and return (prepared dataset,
    device, model) from ``input.data``, ``input.model`` and ``params.device`` (CPU when the
    rule has none)."""
    utils.log_to(snakemake.log[0])
    torch.set_num_threads(snakemake.threads)
    device = utils.get_device(getattr(snakemake.params, "device", "cpu"))
    return data.load_prepared(snakemake.input.data), device, models.load(snakemake.input.model, device=device)
