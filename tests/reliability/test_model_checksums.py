"""Model files carry a sha256 of their contents, recorded by ``models.save`` and checked by
``models.load``: a flipped bit never loads as a silently changed model (issue #21, item 6).

Neither container checks its payload by itself: torch's zip reader skips the CRCs, and a
pickle has none. (npz results are checked by their zip CRCs: ``test_corrupt_data.py``.)
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from attrobust import models

HOW_TO_FIX = "delete it and rerun the job that wrote it"


def _torch_model():
    return models.build("mlp", (4,), 3, seed=0)


def _sklearn_model():
    rng = np.random.default_rng(0)
    X = rng.random((60, 4))
    data = {"X_train": X, "y_train": (X[:, 0] > 0.5).astype(int), "X_test": X[:10],
            "y_test": (X[:10, 0] > 0.5).astype(int)}
    m = models.build("mlp_sklearn", (4,), 2, seed=0, max_iter=20, hidden_layer_sizes=[4])
    models.train(m, data, seed=0)
    return m


def _weights(m) -> list[np.ndarray]:
    """Everything a load could change: torch state tensors, or the estimator's fitted arrays."""
    if hasattr(m, "state_dict"):
        return [v.numpy().copy() for _, v in sorted(m.state_dict().items())]
    return [np.asarray(a) for a in (*m.coefs_, *m.intercepts_)]


def _flipped(path: Path, offset: int, bit: int = 0) -> Path:
    b = bytearray(path.read_bytes())
    b[offset] ^= 1 << bit
    out = path.with_name(f"flipped-{path.name}")
    out.write_bytes(bytes(b))
    return out


def _payload_offset(path: Path) -> int:
    """A byte in the middle of the largest weight tensor's record of a torch file."""
    with zipfile.ZipFile(path) as z:
        rec = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    with open(path, "rb") as f:  # the local header: 30 bytes + name + extra field
        f.seek(rec.header_offset + 26)
        n_name, n_extra = (int.from_bytes(f.read(2), "little") for _ in range(2))
    return rec.header_offset + 30 + n_name + n_extra + rec.file_size // 2


@pytest.mark.parametrize("kind", ["torch", "sklearn"])
def test_flipped_weight_bit_is_refused_naming_the_file(tmp_path, kind):
    """The issue's reproduction: one bit of a weight flipped."""
    m = _torch_model() if kind == "torch" else _sklearn_model()
    path = tmp_path / "model.pt"
    models.save(m, path, m.attrobust_spec)
    if kind == "torch":
        offset = _payload_offset(path)
    else:  # the first weight's bytes inside the pickled estimator
        offset = path.read_bytes().index(m.coefs_[0].tobytes()) + 3
    bad = _flipped(path, offset, bit=6)
    with pytest.raises(models.ModelError) as err:
        models.load(bad)
    msg = str(err.value)
    assert str(bad) in msg and "sha256" in msg and HOW_TO_FIX in msg, msg
    for a, b in zip(_weights(models.load(path)), _weights(m)):  # the intact file loads as saved
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["torch", "sklearn"])
def test_no_single_bit_flip_loads_a_changed_model(tmp_path, kind):
    """Over every byte of the file (torch: every 11th, scikit-learn: every 3rd), one flipped bit either gives a
    ModelError naming the file or loads the very same weights (a flip in zip padding or a
    name nobody reads), never a changed model."""
    m = _torch_model() if kind == "torch" else _sklearn_model()
    path = tmp_path / "model.pt"
    models.save(m, path, m.attrobust_spec)
    want, spec = _weights(m), m.attrobust_spec
    size = path.stat().st_size
    refused = same = 0
    for offset in range(0, size, 11 if kind == "torch" else 3):
        bad = _flipped(path, offset, bit=offset % 8)
        try:
            got = models.load(bad)
        except models.ModelError as e:
            assert str(bad) in str(e), (offset, str(e))
            refused += 1
            continue
        assert got.attrobust_spec == spec, offset
        for a, b in zip(_weights(got), want):
            np.testing.assert_array_equal(a, b, err_msg=f"flip at byte {offset} changed the model")
        same += 1
    assert refused > same  # most bytes matter; the rest change nothing that is read


def test_files_written_before_checksums_still_load(tmp_path):
    """Models saved before checksums existed (format without "/2") load as they did, so
    no trained model is lost; they are not checked."""
    import torch

    m = _torch_model()
    state = {k: v.detach().cpu() for k, v in m.state_dict().items()}
    with open(tmp_path / "old.pt", "wb") as f:
        torch.save({"format": "attrobust-torch", "spec": m.attrobust_spec, "state_dict": state}, f)
    for a, b in zip(_weights(models.load(tmp_path / "old.pt")), _weights(m)):
        np.testing.assert_array_equal(a, b)

    sk = _sklearn_model()
    with open(tmp_path / "old_sk.pt", "wb") as f:
        pickle.dump({"format": "attrobust-sklearn", "spec": sk.attrobust_spec, "model": sk}, f)
    for a, b in zip(_weights(models.load(tmp_path / "old_sk.pt")), _weights(sk)):
        np.testing.assert_array_equal(a, b)


def test_a_checksummed_file_without_its_checksum_is_refused(tmp_path):
    """The new format needs its sha256: a file that lost it is not loaded unchecked."""
    import torch

    m = _torch_model()
    path = tmp_path / "model.pt"
    models.save(m, path, m.attrobust_spec)
    obj = torch.load(path, weights_only=True)
    del obj["sha256"]
    torch.save(obj, path)
    with pytest.raises(models.ModelError, match=HOW_TO_FIX):
        models.load(path)
