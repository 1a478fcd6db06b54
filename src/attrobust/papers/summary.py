"""Checks of the summary sections (beyond the papers) that the schema cannot express."""
from __future__ import annotations

from ..config import ConfigError, figures, section_info


def check(config: dict) -> None:
    """The robustness matrix draws from at least one enabled section (its schema's x-sources)."""
    sources = section_info("robustness_matrix", "x-sources", [])
    if "robustness_matrix" in figures(config) and not set(figures(config)) & set(sources):
        raise ConfigError("figures.robustness_matrix needs at least one of the sections it draws "
                          f"from: figures.{', figures.'.join(sources)}; enable one, or set "
                          "figures.robustness_matrix.enabled: false")
