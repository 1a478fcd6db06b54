"""Checks of the Ghorbani, Abid & Zou (2019) sections that the schema cannot express."""
from __future__ import annotations

from ..config import ConfigError, check_index, figures, index_in_test_images, topk_in_pixels


def check_ranges(config: dict, sizes) -> None:
    """Fig. 1's example within the attacked images; the influence section's classes and its
    sets of training points within the data; the top-k set within a map's pixels (Fig. 9
    attacks with figures.ghorbani.k)."""
    figs, secs = figures(config), config.get("figures", {})
    if "ghorbani" in figs:
        index_in_test_images(config, sizes, "ghorbani", "example", secs["ghorbani"].get("n_images"))
    if "ghorbani_influence" in figs:
        inf = secs["ghorbani_influence"]
        size, split = sizes(inf.get("dataset"))
        for i, c in enumerate(inf.get("classes", [])):
            check_index(f"figures.ghorbani_influence.classes[{i}]", c, size and size.n_classes,
                  f"the classes of dataset {inf.get('dataset')!r}")
        for key in ("k", "n_top"):  # sets of training points
            if split is not None and inf.get(key, 1) > split[0]:
                raise ConfigError(f"figures.ghorbani_influence.{key} = {inf[key]} is out of range: allowed "
                                  f"1..{split[0]} (the training examples of dataset {inf.get('dataset')!r})")
    for sec in ("ghorbani", "ghorbani_fig9"):
        if sec in figs:
            topk_in_pixels(config, sizes, "ghorbani", "k", [secs.get(sec, {}).get("dataset")])
