"""The datasets' exceptions (:mod:`attrobust.data`); every one is a :class:`ValueError`
whose message says what to do."""
from __future__ import annotations


class DataError(ValueError):
    """Bad dataset name, option or raw file; the message says what to do."""


class ChecksumError(DataError):
    """A fetched file does not match any of its pinned checksums."""


class DataUnavailableError(DataError):
    """The raw files can be neither copied from a mirror nor downloaded."""
