"""Corrupt or missing data: caught by checksums, never taken as complete, clear errors.

Raw files come from a ``file://`` download mirror and a directory mirror written here
(tiny IDX files, checksums pinned to them), so everything runs offline.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from attrobust import data as D
from attrobust import models
from attrobust.data import fetching  # where fetch looks up _copy_stream
from attrobust.standins import write_idx

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    """IDX files for 'mnist' (download origin) and 'fashion_mnist' (mirror origin), with
    the registry's checksums pinned to them and no default mirror."""
    web = tmp_path / "web"
    web.mkdir()
    rng = np.random.default_rng(0)
    for part, n in (("train", 30), ("t10k", 10)):
        write_idx(web / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 4, 4)))
        write_idx(web / f"{part}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    for name in ("mnist", "fashion_mnist"):
        ds = D.REGISTRY[name]
        files = tuple(dataclasses.replace(f, checksums=(f"sha256:{_sha256(web / f.name)}",)) for f in ds.files)
        monkeypatch.setitem(D.REGISTRY, name, dataclasses.replace(
            ds, files=files, default_mirror=str(tmp_path / "absent")))
    return web


def _fetch(how: str, mirror: Path, dest: Path) -> Path:
    if how == "download":
        return D.fetch("mnist", dest, base_url=mirror.as_uri())
    return D.fetch("fashion_mnist", dest, mirror=mirror)


def _damage(path: Path, how: str) -> None:
    b = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(bytes(b[: len(b) // 2]))
    else:  # one byte altered, same length
        b[len(b) // 2] ^= 0x55
        path.write_bytes(bytes(b))


@pytest.mark.parametrize("how", ["download", "mirror"])
@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_damaged_source_file_is_caught_by_its_checksum(mirror, tmp_path, how, damage):
    _damage(mirror / "t10k-images-idx3-ubyte.gz", damage)
    dest = tmp_path / "raw"
    with pytest.raises(D.ChecksumError) as err:
        _fetch(how, mirror, dest)
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "checksum mismatch" in msg
    assert "Rerun to fetch it again" in msg and "mirrors." in msg  # how to refetch / where from
    # nothing kept that looks complete: not the file, not the completion marker, no temp file
    assert "t10k-images-idx3-ubyte.gz" not in _listing(dest)
    assert "SHA256SUMS" not in _listing(dest)
    assert not [f for f in _listing(dest) if f.startswith(".")]


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_raw_file_damaged_after_fetch_is_refetched(mirror, tmp_path, damage):
    dest = _fetch("download", mirror, tmp_path / "raw")
    good = _sha256(dest / "train-labels-idx1-ubyte.gz")
    _damage(dest / "train-labels-idx1-ubyte.gz", damage)
    _fetch("download", mirror, dest)
    assert _sha256(dest / "train-labels-idx1-ubyte.gz") == good
    assert f"{good}  train-labels-idx1-ubyte.gz" in (dest / "SHA256SUMS").read_text()


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_load_refuses_a_raw_file_damaged_after_fetch(mirror, tmp_path, damage):
    """The prepare job (``data.load``) reads files that fetch checked earlier; one changed
    since must not be read as data."""
    dest = _fetch("download", mirror, tmp_path / "raw")
    _damage(dest / "train-images-idx3-ubyte.gz", damage)
    with pytest.raises(D.DataError) as err:
        D.load("mnist", dest)
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and ("refetch" in msg or "fetch(" in msg), msg


class _Interrupted(Exception):
    pass


@pytest.mark.parametrize("how", ["download", "mirror"])
def test_interrupted_copy_leaves_nothing_taken_for_complete(mirror, tmp_path, monkeypatch, how):
    """An exception in the middle of copying the third file: the two finished files may
    stay (they are checked again), the third and the completion marker must not."""
    real = fetching._copy_stream
    calls = []

    def broken(src, dst, total, progress, label):
        calls.append(label)
        if len(calls) == 3:
            Path(dst).write_bytes(src.read(100))  # half written
            raise _Interrupted("killed mid-copy")
        return real(src, dst, total, progress, label)

    monkeypatch.setattr(fetching, "_copy_stream", broken)
    dest = tmp_path / "raw"
    with pytest.raises(_Interrupted):
        _fetch(how, mirror, dest)
    third = FILES[2]
    assert third not in _listing(dest) and "SHA256SUMS" not in _listing(dest)
    assert not [f for f in _listing(dest) if f.startswith(".")]
    with pytest.raises(D.DataError, match=third):  # prepare cannot run on the half fetch
        D.load("mnist" if how == "download" else "fashion_mnist", dest)
    monkeypatch.setattr(fetching, "_copy_stream", real)
    _fetch(how, mirror, dest)
    assert _listing(dest) == sorted(FILES + ["SHA256SUMS"])
    for f in FILES:
        assert _sha256(dest / f) == _sha256(mirror / f)


def test_killed_fetch_leaves_no_temp_file_after_the_next_fetch(mirror, tmp_path):
    """SIGKILL while a raw file is being written: its temporary file stays behind (no
    cleanup runs); the next fetch must not take it for anything and must remove it."""
    dest = tmp_path / "raw"
    code = f"""
import sys, time
from pathlib import Path
sys.path.insert(0, {str(Path(D.__file__).parents[2])!r})
from attrobust import utils
with utils.atomic_path(Path({str(dest)!r}) / {FILES[0]!r}) as tmp:
    tmp.write_bytes(b"half a file")
    print("writing", flush=True)
    time.sleep(60)
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    left = [f for f in _listing(dest) if f.startswith(".")]
    assert left and FILES[0] not in _listing(dest)  # the kill left a temp file, no output
    _fetch("download", mirror, dest)
    assert _listing(dest) == sorted(FILES + ["SHA256SUMS"])  # temp file gone


@pytest.mark.parametrize("damage", ["truncated", "altered", "empty"])
def test_corrupt_prepared_npz_raises_naming_the_file(tmp_path, damage):
    npz = tmp_path / "results/data/synthetic2d.npz"
    D.prepare("synthetic2d", None, npz, tmp_path / "results/data/synthetic2d.json", n=60)
    if damage == "empty":
        npz.write_bytes(b"")
    elif damage == "truncated":
        _damage(npz, damage)
    else:  # one byte inside the compressed X_train (not in zip padding nobody reads)
        import zipfile

        with zipfile.ZipFile(npz) as z:
            first = z.infolist()[0]
        b = bytearray(npz.read_bytes())
        b[first.header_offset + 30 + len(first.filename) + 20 + first.compress_size // 2] ^= 0x55
        npz.write_bytes(bytes(b))
    with pytest.raises(ValueError) as err:
        D.load_prepared(npz)
    assert str(npz) in str(err.value) and "truncated or corrupt" in str(err.value)


def test_corrupt_model_file_raises_naming_the_file(tmp_path):
    m = models.build("mlp", (4,), 3, seed=0)
    path = tmp_path / "model.pt"
    models.save(m, path, m.attrobust_spec)
    _damage(path, "truncated")
    with pytest.raises(models.ModelError) as err:
        models.load(path)
    assert str(path) in str(err.value) and "truncated or corrupt" in str(err.value)
    path.write_bytes(b"")
    with pytest.raises(models.ModelError, match="model.pt"):
        models.load(path)


def test_same_model_saves_to_the_same_bytes(tmp_path):
    """Bit-identical results include checkpoints: no temp-file name inside the archive."""
    m = models.build("mlp", (4,), 3, seed=0)
    models.save(m, tmp_path / "a.pt", m.attrobust_spec)
    models.save(m, tmp_path / "b.pt", m.attrobust_spec)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
