"""attrobust.utils: results written byte-for-byte reproducibly, so that a job rerun with the
same results leaves its file's checksum, and every job downstream of it, as it was."""
import hashlib
import os
import time

import numpy as np

from attrobust import utils


def test_save_npz_gives_the_same_bytes_for_the_same_arrays(tmp_path, monkeypatch):
    arrays = {"X": np.arange(12.0).reshape(3, 4), "y": np.array([1, 2, 3]), "names": np.array(["a", "bb"])}
    utils.save_npz(tmp_path / "a.npz", **arrays)
    # zip entries carry a timestamp (numpy 2 writes a fixed one): a write an hour later
    # must still give the same bytes
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    utils.save_npz(tmp_path / "b.npz", **arrays)
    digest = [hashlib.sha256((tmp_path / f).read_bytes()).hexdigest() for f in ("a.npz", "b.npz")]
    assert digest[0] == digest[1]
    back = utils.load_npz(tmp_path / "a.npz")
    assert set(back) == set(arrays) and all(np.array_equal(back[k], v) for k, v in arrays.items())
    assert np.load(tmp_path / "a.npz")["X"].dtype == np.float64  # numpy's own reader too
    utils.save_npz(tmp_path / "c.npz", **{**arrays, "y": np.array([1, 2, 4])})
    assert (tmp_path / "c.npz").read_bytes() != (tmp_path / "a.npz").read_bytes()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no temporary left
