"""Checks of the Agarwal et al. (2021) section that the schema cannot express."""
from __future__ import annotations

from ..config import ConfigError, figures


def check(config: dict) -> None:
    """Fig. 1's simulated data and Fig. 5's focus dataset are among the section's datasets
    (drawn from their curves and data)."""
    ag = config.get("figures", {}).get("agarwal", {})
    for k in ("simulated", "focus"):
        if "agarwal" in figures(config) and k in ag and ag[k] not in ag.get("datasets", []):
            raise ConfigError(f"figures.agarwal.{k} = {ag[k]!r} must be one of "
                              f"figures.agarwal.datasets: {', '.join(ag.get('datasets', []))}")
