"""Agarwal et al. (2021), "Towards the Unification and Robustness of Perturbation and
Gradient Based Explanations": Figs. 1-5 from the tidy curves of
:func:`attrobust.unification.curves` (columns dataset, model, sigma, n, point, gap,
maxdist_smoothgrad, maxdist_clime, ...)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..unification import add_relative_gap, sigma_slopes
from . import check_finite, label, style

METHOD_COLORS = {"SmoothGrad": "#1f77b4", "C-LIME": "#d62728"}


def fig1(ds: Mapping):
    """The simulated 2-D data, coloured by class (train and test splits)."""
    style()
    import matplotlib.pyplot as plt

    X = np.concatenate([ds["X_train"], ds["X_test"]])
    y = np.concatenate([ds["y_train"], ds["y_test"]])
    fig, ax = plt.subplots(figsize=(3.6, 3.4), constrained_layout=True)
    for c, color in zip(np.unique(y), ["#1f77b4", "#ff7f0e"]):
        ax.scatter(*X[y == c].T, s=5, alpha=0.6, color=color, label=f"class {c}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(frameon=False, markerscale=3)
    ax.set_title(f"Simulated data (n = {len(X)})")
    return fig


def _long(curves, columns: Mapping[str, str]):
    """Stack the given value columns into one (method, value) pair of columns."""
    import pandas as pd

    parts = [curves.assign(method=label, value=curves[col]) for col, label in columns.items()]
    return pd.concat(parts, ignore_index=True)


def _loglog(ax, xlabel="number of perturbations n"):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)


def _select(curves, **eq):
    mask = np.ones(len(curves), bool)
    for k, v in eq.items():
        mask &= np.isclose(curves[k], v) if isinstance(v, float) else (curves[k] == v).to_numpy()
    out = curves[mask]
    if out.empty:
        raise ValueError(f"no curves with {eq}; the workflow did not compute them")
    values = out[["gap", "maxdist_smoothgrad", "maxdist_clime"]].to_numpy()
    bad = out[~np.isfinite(values).all(1)]  # name the curves files (jobs) that hold them
    where = sorted({f"{r.dataset}/{r.model}/sigma{r.sigma:g}" for r in bad.itertuples()})
    check_finite(values, f"curves {eq} (results/metrics/agarwal: {', '.join(where)})")
    return out


def fig2(curves, *, model: str, sigma: float, datasets: Sequence[str]):
    """Equivalence: mean ||SmoothGrad - C-LIME||_2 over test points against n, per dataset."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = _select(curves, model=model, sigma=float(sigma))
    fig, ax = plt.subplots(figsize=(4.2, 3.3), constrained_layout=True)
    d = d.assign(dataset=d["dataset"].map(label))
    sns.lineplot(d, x="n", y="gap", hue="dataset", hue_order=[label(x) for x in datasets], marker="o",
                 errorbar="se", ax=ax)
    _loglog(ax)
    ax.set_ylabel("mean ||SmoothGrad − C-LIME||₂")
    ax.set_title(f"Equivalence (σ = {sigma:g})")
    return fig


def _robustness_panels(axes, d, title):
    import seaborn as sns

    long = _long(d, {"maxdist_smoothgrad": "SmoothGrad", "maxdist_clime": "C-LIME"})
    for ax, (name, g) in zip(axes, long.groupby("dataset", sort=False)):
        sns.lineplot(g, x="n", y="value", hue="method", palette=METHOD_COLORS, marker="o",
                     errorbar="se", ax=ax)
        _loglog(ax)
        ax.set_title(title(name))
        ax.set_ylabel("mean max distance to neighbours")


def fig3(curves, *, model: str, sigma: float, datasets: Sequence[str]):
    """Robustness: average over points of the max distance between the explanation at x
    and at its neighbours, against n, for both methods; one panel per dataset."""
    style()
    import matplotlib.pyplot as plt

    d = _select(curves, model=model, sigma=float(sigma))
    d = d.set_index("dataset").loc[list(datasets)].reset_index()
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.6 * len(datasets), 3.2),
                             squeeze=False, constrained_layout=True)
    _robustness_panels(axes[0], d, lambda name: f"{label(name)} (σ = {sigma:g})")
    return fig


#: Figs. 4-5's equivalence panels: the gap relative to SmoothGrad's norm, the quantity the
#: ledger decides (agarwal-smaller-sigma-faster, agarwal-undertrained-slower); the absolute gap
#: also scales with the model's gradients, which differ between the compared settings.
REL_GAP = "mean ||SmoothGrad − C-LIME||₂ / ||SmoothGrad||₂"


def _two_rows(curves, key: str, values: Sequence, label):
    """Row 1: equivalence (relative gap), row 2: robustness; one column per value of ``key``,
    one y-axis per row so the columns compare by eye."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(2, len(values), figsize=(3.6 * len(values), 6.2),
                             squeeze=False, constrained_layout=True, sharey="row")
    for c, v in enumerate(values):
        d = curves[np.isclose(curves[key], v)] if isinstance(v, float) else curves[curves[key] == v]
        sns.lineplot(add_relative_gap(d), x="n", y="rel", marker="o", errorbar="se", color="k", ax=axes[0, c])
        _loglog(axes[0, c])
        axes[0, c].set_ylabel(REL_GAP)
        axes[0, c].set_title(label(v))
        _robustness_panels([axes[1, c]], d, lambda name: label(v))
    return fig


def fig4(curves, *, model: str, sigmas: Sequence[float], dataset: str):
    """Figs. 2 and 3 on one dataset for several perturbation scales sigma."""
    d = _select(curves, model=model, dataset=dataset)
    sigmas = [float(s) for s in sigmas]
    return _two_rows(d, "sigma", sigmas, lambda s: f"{label(dataset)}, σ = {s:g}")


def fig5(curves, *, models: Sequence[str], sigma: float, dataset: str,
         accuracies: Mapping[str, float]):
    """Fig. 5: Figs. 2 and 3 on one dataset for a well-trained and an under-trained model,
    both models on one axis per panel (the paper's point is their difference: the
    under-trained model converges more slowly), each named with its test accuracy
    (``accuracies[model]``, from the model's metrics.json). Left: mean ||SmoothGrad -
    C-LIME|| / ||SmoothGrad|| (the ledger's quantity); right: the average maximum distance to neighbours' explanations, colour for
    the method, line style for the model."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    d = _select(curves, sigma=float(sigma), dataset=dataset)
    d = d[d["model"].isin(models)]
    roles = dict(zip(models, ("well-trained", "under-trained")))
    names = {m: f"{roles[m]}, test acc. {accuracies[m]:.1%}" for m in models}
    d = d.assign(model=d["model"].map(names))
    order = [names[m] for m in models]
    fig, axes = plt.subplots(1, 2, figsize=(9.4, 3.6), constrained_layout=True)
    sns.lineplot(add_relative_gap(d), x="n", y="rel", hue="model", hue_order=order, palette=["k", "#8c8c8c"],
                 style="model", style_order=order, marker="o", errorbar="se", ax=axes[0])
    _loglog(axes[0])
    axes[0].set_ylabel(REL_GAP)
    axes[0].set_title("Equivalence")
    axes[0].legend(title=None, fontsize=7)
    long = _long(d, {"maxdist_smoothgrad": "SmoothGrad", "maxdist_clime": "C-LIME"})
    sns.lineplot(long, x="n", y="value", hue="method", palette=METHOD_COLORS, style="model",
                 style_order=order, dashes=dict(zip(order, [(1, 0), (4, 2)])), marker="o",
                 errorbar="se", ax=axes[1])
    _loglog(axes[1])
    axes[1].set_ylabel("mean max distance to neighbours")
    axes[1].set_title("Robustness")
    axes[1].legend(title=None, fontsize=7)
    fig.suptitle(f"{label(dataset)} (σ = {sigma:g}): well-trained vs under-trained model", fontsize=9)
    return fig


def lipschitz_sigma(table):
    """Beyond the paper: local Lipschitz estimate (Alvarez-Melis & Jaakkola eq. 1) of
    SmoothGrad and C-LIME against sigma on log-log axes, with the fitted slopes (Theorem 2's
    bound has slope -1)."""
    style()
    import matplotlib.pyplot as plt
    import seaborn as sns

    check_finite(table["L"].to_numpy(), "Lipschitz estimates (results/lipschitz/agarwal)")
    fitted = sigma_slopes(table)
    names = {"smoothgrad": "SmoothGrad", "clime": "C-LIME"}
    t = table.assign(method=table["method"].map(lambda m: f"{names[m]} (slope {fitted[m]:.2f})"))
    palette = {f"{names[m]} (slope {fitted[m]:.2f})": METHOD_COLORS[names[m]] for m in fitted}
    fig, ax = plt.subplots(figsize=(4.2, 3.3), constrained_layout=True)
    sns.lineplot(t, x="sigma", y="L", hue="method", palette=palette, marker="o", errorbar="se", ax=ax)
    _loglog(ax, "perturbation scale σ")
    ax.set_ylabel("local Lipschitz estimate L(x)")
    ax.set_title(f"{label(table['dataset'].iloc[0])}: robustness against σ")
    return fig
