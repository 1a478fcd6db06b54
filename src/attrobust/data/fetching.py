"""Fetching raw files: checksummed copies from a local mirror or downloads.

:func:`fetch` obtains a dataset's raw files into a directory, either copied from a local
mirror (config key ``mirrors.<mirror_key>``) or downloaded from the upstream URL. Every
file is checked against its pinned checksum before it is renamed into place, and
``SHA256SUMS`` is written last as the completion marker. A ``user`` dataset's directory
is linked and listed (``MANIFEST``) instead.
"""
from __future__ import annotations

import hashlib
import sys
import urllib.error
import urllib.request
import warnings
from dataclasses import replace
from pathlib import Path

from ..utils import atomic_path
from .errors import ChecksumError, DataError, DataUnavailableError
from .loaders import _image_files
from .registry import DatasetInfo, RawFile, howto, info, raw_files

SUMS_FILE = "SHA256SUMS"
MANIFEST_FILE = "MANIFEST"  # user-origin sets: list of image files (path, size)


def _digests(path: Path) -> dict[str, str]:
    h = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            for d in h.values():
                d.update(chunk)
    return {k: d.hexdigest() for k, d in h.items()}


def _matches(digests: dict[str, str], checksums: tuple[str, ...]) -> bool:
    for c in checksums:
        algo, _, hexd = c.partition(":")
        if algo not in digests:
            raise DataError(f"checksum {c!r}: algorithm must be 'sha256' or 'md5'")
        if digests[algo] == hexd.lower():
            return True
    return False


def _read_sums(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    sums = {}
    for line in path.read_text().splitlines():
        digest, _, fname = line.partition("  ")
        if fname:
            sums[fname] = digest
    return sums


def _write_sums(dest: Path, sums: dict[str, str]) -> None:
    with atomic_path(dest / SUMS_FILE) as tmp:
        tmp.write_text("".join(f"{d}  {f}\n" for f, d in sums.items()))


def _mirror_dir(ds: DatasetInfo, mirror) -> Path | None:
    if mirror not in (None, ""):  # an empty config value means "not set"
        if not Path(mirror).is_dir():
            raise DataUnavailableError(
                f"dataset {ds.name!r}: mirror directory {str(mirror)!r} (config key "
                f"mirrors.{ds.mirror_key}) does not exist. {howto(ds)}")
        return Path(mirror)
    if ds.default_mirror and Path(ds.default_mirror).is_dir():
        return Path(ds.default_mirror)
    return None


def _unavailable(ds: DatasetInfo) -> DataUnavailableError:
    where = f" (default {ds.default_mirror} is absent)" if ds.default_mirror else ""
    return DataUnavailableError(
        f"dataset {ds.name!r} cannot be mirrored or downloaded: set config key "
        f"mirrors.{ds.mirror_key} to a local directory holding "
        f"{', '.join(raw_files(ds.name)) or 'the images'}{where}. {howto(ds)}")


def _copy_stream(src, dst: Path, total: int | None, progress: bool, label: str) -> None:
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, desc=label, file=sys.stderr)
    try:
        with open(dst, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()


def _obtain(ds: DatasetInfo, f: RawFile, dest: Path, source: Path | None,
            base_url: str | None, progress: bool) -> str:
    """Copy or download ``f`` into ``dest`` through a temp file; return its sha256."""
    target = dest / f.name
    with atomic_path(target) as tmp:  # renamed onto target only if no exception
        if source is not None:
            origin = source / f.name
            if not origin.is_file():
                raise DataUnavailableError(
                    f"dataset {ds.name!r}: file {f.name} is missing from the mirror "
                    f"{source} (config key mirrors.{ds.mirror_key}). {howto(ds)}")
            with open(origin, "rb") as src:
                _copy_stream(src, tmp, origin.stat().st_size, progress, f.name)
        else:
            url = f.url
            if base_url:
                url = base_url.rstrip("/") + "/" + url.rsplit("/", 1)[1]
            origin = url
            try:
                with urllib.request.urlopen(url, timeout=60) as resp:
                    size = resp.headers.get("Content-Length")
                    _copy_stream(resp, tmp, int(size) if size else None, progress, f.name)
            except (urllib.error.URLError, OSError) as e:
                raise DataUnavailableError(
                    f"dataset {ds.name!r}: downloading {f.name} from {url} failed ({e}); "
                    f"nothing was kept. Check the network and rerun, or set config key "
                    f"mirrors.{ds.mirror_key} to a directory holding the file.") from e
        digests = _digests(tmp)
        if f.checksums and not _matches(digests, f.checksums):
            raise ChecksumError(
                f"dataset {ds.name!r}: checksum mismatch for {f.name} from {origin}: "
                f"expected one of {', '.join(f.checksums)}, got sha256:{digests['sha256']} "
                f"(md5:{digests['md5']}). The file was not kept. Rerun to fetch it again "
                f"(delete {target} first if it exists), or check that the mirror "
                f"(config key mirrors.{ds.mirror_key}) holds the right version.")
    return digests["sha256"]


def _fetch_user(ds: DatasetInfo, dest: Path, mirror) -> Path:
    """User-provided image folder: link it as ``dest/images`` and list its files."""
    source = _mirror_dir(ds, mirror)
    if source is None:
        raise _unavailable(ds)
    files = _image_files(source, ds.name)
    dest.mkdir(parents=True, exist_ok=True)
    link = dest / "images"
    if link.is_symlink() or link.exists():
        if link.resolve() != source.resolve():
            raise DataError(f"dataset {ds.name!r}: {link} exists and does not point to "
                            f"{source}; delete it and rerun")
    else:
        link.symlink_to(source.resolve(), target_is_directory=True)
    with atomic_path(dest / MANIFEST_FILE) as tmp:
        tmp.write_text("".join(f"{p.relative_to(source)}\t{p.stat().st_size}\n"
                               for p, _ in files))
    _write_sums(dest, {MANIFEST_FILE: _digests(dest / MANIFEST_FILE)["sha256"]})
    return dest


def fetch(name: str, dest_dir, *, mirror=None, base_url: str | None = None,
          progress: bool = False, pins: dict[str, tuple[str, ...]] | None = None) -> Path:
    """Obtain the raw files of ``name`` into ``dest_dir``; return ``dest_dir``.

    Source: the ``mirror`` directory if given, else the dataset's default mirror if it
    exists, else the upstream URLs (``base_url`` replaces the part before the file
    name). Each file is checked against its pinned checksums (any may match) before
    being renamed into place; files already present and valid are kept (an unpinned file
    counts as valid when it matches the sha256 recorded in an earlier SHA256SUMS).
    Unpinned files get their sha256 recorded. ``dest_dir/SHA256SUMS`` is written last, atomically:
    it marks a complete fetch. ``pins`` ({file: checksums}) replaces the pinned checksums:
    generated stand-ins (:mod:`attrobust.standins`) go through the same copy and check.
    """
    ds = info(name)
    if pins is not None:
        missing = [f.name for f in ds.files if f.name not in pins]
        if missing:
            raise DataError(f"dataset {name!r}: no checksum given for {', '.join(missing)}")
        ds = replace(ds, files=tuple(replace(f, checksums=tuple(pins[f.name]))
                                     for f in ds.files))
    dest = Path(dest_dir)
    if ds.origin == "embedded":
        return dest
    if ds.origin == "user":
        return _fetch_user(ds, dest, mirror)
    source = _mirror_dir(ds, mirror)
    if source is None and not all(f.url for f in ds.files):
        raise _unavailable(ds)
    dest.mkdir(parents=True, exist_ok=True)
    recorded = _read_sums(dest / SUMS_FILE)
    sums, unpinned = {}, []
    for f in ds.files:
        target = dest / f.name
        if not f.checksums:
            unpinned.append(f.name)
        if target.is_file():
            digests = _digests(target)
            ok = (_matches(digests, f.checksums) if f.checksums
                  else recorded.get(f.name) == digests["sha256"])
            if ok:
                sums[f.name] = digests["sha256"]
                continue
        sums[f.name] = _obtain(ds, f, dest, source, base_url, progress)
    if unpinned:
        warnings.warn(
            f"dataset {name!r}: no pinned checksum for {', '.join(unpinned)}; recorded "
            f"their sha256 in {dest / SUMS_FILE}", stacklevel=2)
    _write_sums(dest, sums)
    return dest
