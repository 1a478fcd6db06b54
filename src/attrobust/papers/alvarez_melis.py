"""Checks of the Alvarez-Melis & Jaakkola (2018) sections that the schema cannot express."""
from __future__ import annotations

from .. import data
from ..config import ConfigError, figures, index_in_test_images, source


def check(config: dict) -> None:
    """Figs. 5-7 need an image dataset, LRP the logit, and Fig. 7 estimated images; Fig. 8
    an image dataset, and the image section's budget where it reads that section's estimates.
    (Sections that estimate on the same (dataset, model) do so under their own named budgets:
    workflow/rules/common.smk, lipschitz_budget.)"""
    figs, secs = figures(config), config.get("figures", {})
    if "alvarez_melis_images" in figs:
        im = secs["alvarez_melis_images"]
        src = source(config, im.get("dataset", "digits"))
        if src in data.REGISTRY and data.info(src).kind != "image":
            raise ConfigError(f"figures.alvarez_melis_images.dataset = {im['dataset']!r} is a "
                              f"{data.info(src).kind} dataset; Figs. 5-7 need images")
        if im.get("output") == "prob" and "lrp_epsilon" in im.get("methods", []):
            raise ConfigError("figures.alvarez_melis_images.output = 'prob' cannot apply to lrp_epsilon "
                              "(relevance is conserved from the logit layer); use output: logit, or "
                              "drop lrp_epsilon from figures.alvarez_melis_images.methods")
        if im.get("n_show", 1) > im.get("n_points", 1):
            raise ConfigError(f"figures.alvarez_melis_images.n_show = {im['n_show']} exceeds "
                              f"n_points = {im['n_points']} (Fig. 7 shows estimated images only)")
    if "alvarez_melis_fig8" in figs:
        _check_fig8(config)


def _check_fig8(config: dict) -> None:
    """Fig. 8 reads one `lipschitz` chunk: the image section's when it shares that section's
    (dataset, model), then made with that section's budget, else its own."""
    figs, secs = figures(config), config.get("figures", {})
    f8 = secs["alvarez_melis_fig8"]
    pair = (f8.get("dataset", "digits"), f8.get("model", "cnn_small"))
    src = source(config, pair[0])
    if src in data.REGISTRY and data.info(src).kind != "image":
        raise ConfigError(f"figures.alvarez_melis_fig8.dataset = {pair[0]!r} is a {data.info(src).kind} "
                          "dataset; Fig. 8 needs images")
    im = secs.get("alvarez_melis_images", {})
    if "alvarez_melis_images" in figs and pair == (im.get("dataset"), im.get("model")):
        for k in ("eps", "n_calls", "estimator"):
            if f8.get(k) is not None and f8[k] != im.get(k):
                raise ConfigError(
                    f"figures.alvarez_melis_fig8.{k} = {f8[k]!r}: Fig. 8 shares dataset {pair[0]!r} and model "
                    f"{pair[1]!r} with figures.alvarez_melis_images and so reads its estimates, made with "
                    f"{k} = {im.get(k)!r}; set it to null (or that value), or use another model name")


def check_ranges(config: dict, sizes) -> None:
    """Fig. 5's example and Fig. 8's point: indices into the test images."""
    figs = figures(config)
    for sec, key in (("alvarez_melis_images", "example"), ("alvarez_melis_fig8", "point")):
        if sec in figs:
            index_in_test_images(config, sizes, sec, key)
