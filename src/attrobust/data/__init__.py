"""Datasets: registry, checksummed raw-file fetching and loaders.

Submodules (callers use the names re-exported here, ``from attrobust import data``; the
modules are not called ``fetch``/``prepare`` so as not to clash with those functions):

- :mod:`.registry`: one :class:`DatasetInfo` per name (``REGISTRY``), :func:`names`,
  :func:`info`, :func:`raw_files`, :func:`howto`; read at parse time by the Snakefile
  and the config check.
- :mod:`.fetching`: :func:`fetch`, raw files copied from a mirror or downloaded, checked
  against pinned checksums, ``SHA256SUMS`` written last as the completion marker.
- :mod:`.loaders`: raw files to arrays, one loader per name (``_LOADERS``).
- :mod:`.preparation`: :func:`load` (train/test split, train-only scaling),
  :func:`prepare` (``.npz`` without pickles, provenance ``.json``), :func:`load_prepared`.
- :mod:`.errors`: :class:`DataError` and its subclasses.

Only the standard library and numpy are imported at module level so that the
registry is cheap to import.
"""
from __future__ import annotations

from .errors import ChecksumError, DataError, DataUnavailableError
# _copy_stream is not re-exported: tests patch it in .fetching, where _obtain looks it up
from .fetching import MANIFEST_FILE, SUMS_FILE, _read_sums, _write_sums, fetch
from .loaders import _LOADERS, _SHOPPERS_NUMERIC, _compas, _read_idx, _votes
from .preparation import SCALINGS, _options, load, load_prepared, prepare
from .registry import ORIGINS, REGISTRY, DatasetInfo, RawFile, howto, info, names, raw_files

__all__ = [
    "DataError", "ChecksumError", "DataUnavailableError", "RawFile", "DatasetInfo",
    "REGISTRY", "names", "info", "raw_files", "fetch", "load", "prepare", "load_prepared",
]
