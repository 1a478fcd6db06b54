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

#: Display names, as the papers write them, of every identifier a figure shows: methods,
#: attacks, models and datasets. Plots use :func:`label`. The methods' and attacks' names are
#: their registry specs' labels (explain.METHODS, attacks.ATTACKS), written out here so that
#: figure jobs do not import the explainers, attacks and torch (their reruns follow imports:
#: attrobust.deps); tests/test_plots_summary.py checks that the two agree.
LABELS = {
    # attribution methods
    "saliency": "Saliency",
    "simple_gradient": "Simple Gradient",
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
    # attacks (Ghorbani et al. 2019; Kamath et al. 2023, Appendix E.1)
    "random_sign": "Random sign perturbation",
    "topk": "Top-k attack",
    "mass_center": "Center attack",
    "lens": "Top-k attack, LENS objective",
    "targeted": "Targeted attack (eq. 2)",  # Ghorbani et al.'s attack on influence functions
    # models
    "linear_svm": "Linear SVM",
    "mlp_sklearn": "Two-layer neural network",
    "cnn_small": "CNN",
    "cnn_small_pgd": "CNN, PGD-trained",
    "cnn_small_igsn": "CNN, IG-SUM-NORM-trained",
    "mlp": "ReLU MLP",
    "mlp_elu": "ELU network (2 x 10 units)",
    "mlp_elu_under": "ELU network, under-trained",
    "random_forest": "Random forest",
    "logistic_regression": "Logistic regression",
    "kamath_pgd": "CNN, PGD-trained",
    "kamath_igsn": "CNN, IG-SUM-NORM-trained",
    "resnet18": "ResNet-18",
    "resnet50": "ResNet-50",
    "squeezenet1_1": "SqueezeNet 1.1",
    "cifar_cnn": "CIFAR-10 CNN",
    # datasets (scikit-learn's bundled sets; `_minmax`: features scaled to [0, 1])
    "synthetic2d": "Synthetic 2-D",
    "digits": "Digits (8x8)",
    "wine": "Wine",
    "iris": "Iris",
    "diabetes": "Diabetes",
    "breast_cancer": "Breast cancer",
    "simulated_minmax": "Simulated",
    "breast_cancer_minmax": "Breast cancer",
    "wine_minmax": "Wine",
    "fashion_mnist": "Fashion-MNIST",
    "mnist": "MNIST",
    "cifar10": "CIFAR-10",
    "compas": "COMPAS",
    "bankruptcy_minmax": "Polish bankruptcy",
    "shoppers_minmax": "Online shoppers",
    "imagenet_val": "ImageNet",
    "boston_housing": "Boston housing",  # mlbench's UCI tables (config/fashion.yaml)
    "glass": "Glass",
    "ionosphere": "Ionosphere",
    "sonar": "Sonar",
    "sonar_minmax": "Sonar",
    "pima_diabetes": "Pima diabetes",
    "pima_minmax": "Pima diabetes",
    "house_votes84": "House votes '84",
}


def label(name) -> str:
    """Display name of an identifier (:data:`LABELS`); unknown names are shown as they are."""
    return LABELS.get(str(name), str(name))


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


def colorbar_below(ax, im, label: str | None = None, fontsize: float = 5):
    """A small horizontal colour bar just under ``ax`` for the mappable ``im`` (an inset, so
    it works with any layout): the scale of that map, or of every map drawn with the same
    norm (then say so in ``label``)."""
    fig = ax.figure
    cax = ax.inset_axes([0.05, -0.13, 0.9, 0.07])
    cb = fig.colorbar(im, cax=cax, orientation="horizontal")
    cb.ax.tick_params(labelsize=fontsize, length=1.5, pad=1)
    cb.locator = __import__("matplotlib.ticker", fromlist=["MaxNLocator"]).MaxNLocator(3, symmetric=im.norm.vmin < 0)
    cb.update_ticks()
    if label:
        cb.set_label(label, fontsize=fontsize, labelpad=1)
    return cb


def check_finite(A: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(A)):
        raise ValueError(f"refusing to plot non-finite values in {what}; rerun the job that produced them")

