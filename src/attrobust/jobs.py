"""The harness of the workflow's scripts: what a job that runs a trained model starts with.

It sits above the library (it imports data and models), so that the helpers below it
(`attrobust.utils`) import nothing of ours and the package has no import cycle.
"""
from __future__ import annotations

from typing import Any

from . import data, models, utils
from .models import is_torch
from .models.io import is_torch_file


def model_job(snakemake) -> tuple[dict, Any, Any]:
    """Log to the job's log, give torch the job's threads, and return (prepared dataset,
    device, model) from ``input.data``, ``input.model`` and ``params.device`` (CPU when the
    rule has none). A scikit-learn model's job never imports torch (~0.8 s, a quarter of
    such a job): its device is ``"cpu"``."""
    torch_model = is_torch_file(snakemake.input.model)
    start(snakemake, torch_model)
    if torch_model:
        device = job_device(snakemake)
    else:
        import logging

        device = "cpu"
        logging.getLogger("attrobust.jobs").info("device cpu (a scikit-learn model, %s thread(s))",
                                                 snakemake.threads)
    model = models.load(snakemake.input.model, device=device)
    heartbeat(model)
    return data.load_prepared(snakemake.input.data), device, model


def start(snakemake, uses_torch: bool) -> None:
    """Start the job's log (:func:`attrobust.utils.log_to`) and give torch the job's threads,
    importing torch only for a job that ``uses_torch``. It is imported before the log
    starts, so that the start-up the log reports includes it, as when scripts imported it at
    the top (``make bench-table``'s start-up share)."""
    if uses_torch:
        import torch
    utils.log_to(snakemake.log[0])
    if uses_torch:
        torch.set_num_threads(snakemake.threads)


def job_device(snakemake):
    """``params.device`` (CPU when the rule has none) as a torch device, logged; a job given a
    GPU that torch cannot use fails here (:func:`attrobust.utils.get_device`)."""
    import logging

    import torch

    device = utils.get_device(getattr(snakemake.params, "device", "cpu"))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{snakemake.threads} thread(s)"
    logging.getLogger("attrobust.jobs").info("device %s (%s); scheduler GPU: %s", device, name,
                                             utils.gpu_assigned() or "none")
    return device


def heartbeat(model) -> None:
    """Log the rows a torch model has evaluated, with their rate, every 30 s (utils.Progress):
    a line for jobs whose loops are inside captum or shap (explain, Nielsen's jobs)."""
    if is_torch(model):
        progress = utils.Progress("model forward passes", None, "row")
        model.register_forward_hook(lambda m, inputs, out: progress.update(
            len(inputs[0]) if inputs and hasattr(inputs[0], "__len__") else 1))
