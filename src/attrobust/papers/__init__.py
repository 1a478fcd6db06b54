"""The registry of papers this workflow reproduces.

Each paper is one folder, ``workflow/papers/<name>/``: its rules (``rules.smk``, helper
functions in ``common.smk``), its thin scripts (``scripts/``), its report captions
(``report/``) and the schema of its config sections under ``figures`` (``schema.yaml``, with
the description and default of every key). ``workflow/Snakefile`` includes the rules of each
in this order (a paper may read an earlier one's results: kamath and summary read ghorbani's
attack tables); :func:`attrobust.config.schema` and :func:`attrobust.config.validate` take
the config sections from their schemas. In the library, a paper's claims are
``attrobust.claims.<name>``, its figure code ``attrobust.plots.<name>``, and the checks of
its config sections that the schema cannot express ``attrobust.papers.<name>`` (optional:
``check(config)`` and ``check_ranges(config, sizes)``, called by :func:`attrobust.config.check`).

Torch-free: the Snakefile reads it at parse time.
"""
from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

#: The papers, in the order their rules are included.
PAPERS = ("alvarez_melis", "ghorbani", "kamath", "nielsen", "agarwal", "summary")

#: Where their folders are (the library is run from the repository's src/).
FOLDER = Path(__file__).resolve().parents[3] / "workflow" / "papers"


def schema_file(paper: str) -> Path:
    """The schema of ``paper``'s config sections."""
    return FOLDER / paper / "schema.yaml"


def checks(paper: str) -> ModuleType | None:
    """``attrobust.papers.<paper>``, the checks of its config sections, where it has them."""
    name = f"{__name__}.{paper}"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None
