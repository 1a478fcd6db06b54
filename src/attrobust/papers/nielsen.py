"""Checks of the Nielsen et al. (2022) sections that the schema cannot express."""
from __future__ import annotations

from .. import models
from ..config import ConfigError, _check_hp, check_index, figures, index_in_test_images, model_spec


def check(config: dict) -> None:
    """The data-randomisation model (trained here on permuted labels): a torch architecture,
    and the model's hyper-parameters with `permuted_hp` over them valid."""
    if "nielsen_sanity" in figures(config):
        ns = config["figures"]["nielsen_sanity"]
        m = ns.get("model", "cnn_small")
        spec = model_spec(config, m)
        if models.ARCHS[spec["arch"]].kind != "torch":
            raise ConfigError(f"figures.nielsen_sanity.model = {m!r} is not trained here (a pretrained or "
                              "scikit-learn model); data randomisation trains it on permuted labels, so "
                              "use a torch architecture (e.g. cnn_small)")
        try:
            _check_hp(m, {**spec, "hp": {**spec["hp"], **(ns.get("permuted_hp") or {})}})
        except ConfigError as err:
            raise ConfigError(f"figures.nielsen_sanity.permuted_hp: {str(err).split(': ', 1)[1]}") from None


def check_ranges(config: dict, sizes) -> None:
    """Examples within the explained images, fixed classes within the dataset's classes, and
    Fig. 2's other classes within those there are."""
    figs, secs = figures(config), config.get("figures", {})
    for sec in ("nielsen_class", "nielsen_sanity"):
        if sec in figs:
            index_in_test_images(config, sizes, sec, "example", secs[sec].get("n_images"))
    for sec in ("nielsen_sanity", "nielsen_faithfulness"):
        if sec in figs and isinstance(secs[sec].get("target"), int):
            size, _ = sizes(secs[sec].get("dataset"))
            check_index(f"figures.{sec}.target", secs[sec]["target"], size and size.n_classes,
                  f"the classes of dataset {secs[sec].get('dataset')!r}; or 'predicted' or 'true'")
    if "nielsen_class" in figs:
        size, _ = sizes(secs["nielsen_class"].get("dataset"))
        if size and size.n_classes and secs["nielsen_class"].get("n_other", 1) > size.n_classes - 1:
            raise ConfigError(f"figures.nielsen_class.n_other = {secs['nielsen_class']['n_other']} is out of "
                              f"range: allowed 1..{size.n_classes - 1} (the other classes of dataset "
                              f"{secs['nielsen_class'].get('dataset')!r})")
