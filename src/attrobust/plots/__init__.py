"""Paper-style figures from the workflow's results: one module per paper, one function per figure.

Each function takes what the workflow wrote (prepared data, fitted models, explanation
files as dicts of arrays, tidy tables) and returns a matplotlib Figure; :func:`save`
writes it as PDF and PNG. Nothing is computed here that a figure does not need.
"""
from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from .. import utils

#: Display names of methods, as the papers write them.
LABELS = {
    "saliency": "Saliency",
    "gradient_x_input": "Gradient*Input",
    "integrated_gradients": "Integrated Gradients",
    "smoothgrad": "SmoothGrad",
    "deeplift": "DeepLIFT",
    "lrp_epsilon": "ε-LRP",
    "occlusion": "Occlusion",
    "guided_backprop": "Guided Backprop",
    "deconvolution": "DeconvNet",
    "gradcam": "Grad-CAM",
    "guided_gradcam": "Guided Grad-CAM",
    "gradient_shap": "Gradient SHAP",
    "lime": "LIME",
    "kernel_shap": "SHAP",
    "clime": "C-LIME",
    "linear_svm": "Linear SVM",
    "mlp_sklearn": "Two-layer neural network",
    "cnn_small": "CNN",
}


def label(name: str) -> str:
    return LABELS.get(name, name)


def style() -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on clusters and CI
    import seaborn as sns

    sns.set_theme(style="white", context="paper")


def save(fig, pdf: str | os.PathLike, png: str | os.PathLike, dpi: int = 150) -> None:
    """Write ``fig`` to ``pdf`` and ``png`` (through temporary files) and close it."""
    import matplotlib.pyplot as plt

    for path in (pdf, png):
        with utils.atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=str(path).rsplit(".", 1)[-1])
    plt.close(fig)


def check_finite(A: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(A)):
        raise ValueError(f"refusing to plot non-finite values in {what}; rerun the job that produced them")

