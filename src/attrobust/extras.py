"""The optional dependencies (pyproject extras) a workflow config needs.

``python -m attrobust.extras CONFIG [CONFIG ...]`` prints them, space-separated (nothing for none): the
Makefile installs them before a run (``make venv|figures CONFIG=...``). ``paper``
(torchvision) when an enabled figure uses a torchvision architecture. CONFIG is read over
config/config.yaml, as snakemake merges them.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import config as cfg

#: The workflow's default config, which every --configfile is merged over.
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


def merged(*paths: str | Path) -> dict:
    """``paths`` in order over config/config.yaml, merged as snakemake merges config files."""
    import yaml
    from snakemake.utils import update_config

    conf = yaml.safe_load(DEFAULT_CONFIG.read_text()) or {}
    for path in paths:
        if Path(path).resolve() != DEFAULT_CONFIG:
            update_config(conf, yaml.safe_load(Path(path).read_text()) or {})
    return conf


def needed(config: dict) -> list[str]:
    """Extras of pyproject.toml that ``config`` needs."""
    return ["paper"] if cfg.torchvision_models(config) else []


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m attrobust.extras CONFIG [CONFIG ...]", file=sys.stderr)
        return 2
    print(" ".join(needed(merged(*argv))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
