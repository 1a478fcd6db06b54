"""Stand-in raw files: the real formats, through the real fetch and loaders."""
import numpy as np
import pytest

from attrobust import data as D
from attrobust import standins as S

SMALL = {
    "mnist": {"n_train": 30, "n_test": 20},
    "fashion_mnist": {"n_train": 30, "n_test": 20},
    "cifar10": {"n_train": 23, "n_test": 10},
    "imagenet_val": {"n_images": 6, "n_classes": 1000},
    "compas": {"n": 300},
    "online_shoppers": {"n": 200},
    "polish_bankruptcy": {"n": 120},
}

# name -> (feature shape, None: not fixed; the real set's number of classes)
EXPECT = {
    "mnist": ((1, 28, 28), 10),
    "fashion_mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
    "imagenet_val": ((3, 224, 224), 1000),
    "compas": ((None,), 2),
    "online_shoppers": ((10,), 2),
    "polish_bankruptcy": ((64,), 2),
}


def test_every_paper_download_has_a_stand_in():
    # every dataset that is not embedded or a Debian mirror needs a stand-in to rehearse
    needed = set(D.names("download")) | set(D.names("user")) | {"fashion_mnist"}
    assert needed == set(S.WRITERS)


@pytest.mark.parametrize("name", sorted(S.WRITERS))
def test_stand_in_goes_through_fetch_and_load(tmp_path, name):
    src, dest = tmp_path / "standin", tmp_path / "resources" / name
    sums = S.write(name, src, seed=0, **SMALL[name])
    assert set(D.raw_files(name)) <= set(sums)
    D.fetch(name, dest, mirror=src, pins=S.checksums(src))
    d = D.load(name, dest, seed=0, scaling="none")
    X = np.concatenate([d["X_train"], d["X_test"]])
    shape, n_classes = EXPECT[name]
    if shape[0] is not None:
        assert X.shape[1:] == shape
    if D.info(name).kind == "image":
        assert X.min() >= 0 and X.max() <= 1 and X.max() > 0.5  # uint8 / 255
    if n_classes is not None:
        assert len(d["class_names"]) == n_classes  # also classes no image was drawn from
        y = np.concatenate([d["y_train"], d["y_test"]])
        assert set(np.unique(y)) <= set(range(n_classes)) and len(np.unique(y)) >= 2


def test_imagenet_stand_in_has_1000_synsets_and_jpegs(tmp_path):
    S.write("imagenet_val", tmp_path, n_images=4)
    dirs = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(dirs) == 1000
    jpegs = sorted(tmp_path.rglob("*.JPEG"))
    assert len(jpegs) == 4 and jpegs[0].read_bytes()[:3] == b"\xff\xd8\xff"


def test_idx_sizes_and_labels(tmp_path):
    S.write("mnist", tmp_path, n_train=30, n_test=20)
    X = D._read_idx(tmp_path / "train-images-idx3-ubyte.gz")
    y = D._read_idx(tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert X.shape == (30, 28, 28) and X.dtype == np.uint8 and y.shape == (20,)
    assert y.max() <= 9


@pytest.mark.parametrize("name", sorted(S.WRITERS))
def test_same_seed_same_bytes(tmp_path, name):
    a = S.write(name, tmp_path / "a", seed=3, **SMALL[name])
    b = S.write(name, tmp_path / "b", seed=3, **SMALL[name])
    c = S.write(name, tmp_path / "c", seed=4, **SMALL[name])
    assert a == b and a != c


def test_pins_replace_the_real_checksums(tmp_path):
    src = tmp_path / "standin"
    S.write("mnist", src, n_train=10, n_test=10)
    # the real MNIST pins reject the stand-in: nothing is kept
    with pytest.raises(D.ChecksumError):
        D.fetch("mnist", tmp_path / "real", mirror=src)
    # a stand-in file changed after it was written fails its own checksum
    S.write_idx(src / "t10k-labels-idx1-ubyte.gz", np.zeros(10))
    with pytest.raises(D.ChecksumError, match="t10k-labels"):
        D.fetch("mnist", tmp_path / "r2", mirror=src, pins=S.checksums(src))


def test_bad_names_and_sizes(tmp_path):
    with pytest.raises(ValueError, match="no stand-in for dataset 'wine'.*standins"):
        S.write("wine", tmp_path)
    with pytest.raises(ValueError, match="standins.mnist"):
        S.write("mnist", tmp_path, n_pixels=3)
    with pytest.raises(FileNotFoundError, match="SHA256SUMS"):
        S.checksums(tmp_path / "nothing")
    with pytest.raises(D.DataError, match="no checksum given"):
        D.fetch("mnist", tmp_path / "x", mirror=tmp_path, pins={})


def test_fetch_weights_takes_a_stand_in_checked_by_its_own_sums(tmp_path):
    from attrobust import models as M

    src = tmp_path / "standin"
    src.mkdir()
    name = M.PRETRAINED["resnet18"]
    (src / name).write_bytes(b"generated state dict")
    (src / S.SUMS_FILE).write_text(f"{S._sha256(src / name)}  {name}\n")
    dest = tmp_path / "torch" / name
    dest.parent.mkdir()
    def pins():
        return {"source": src / name, "sha256": S.checksums(src)[name][0].split(":", 1)[1]}

    assert M.fetch_weights("resnet18", dest, **pins()) == str(src / name)
    assert dest.read_bytes() == b"generated state dict"
    digest = pins()["sha256"]
    (src / name).write_bytes(b"changed afterwards")
    dest.unlink()
    with pytest.raises(M.ModelError, match="does not match"):
        M.fetch_weights("resnet18", dest, source=src / name, sha256=digest)
    assert not dest.exists()


def test_write_weights_loads_into_the_architecture(tmp_path):
    pytest.importorskip("torchvision", exc_type=ImportError)
    import torch
    import torchvision

    sums = S.write_weights(["squeezenet1_1"], tmp_path, seed=1)
    assert list(sums) == ["squeezenet1_1-b8a52dc0.pth"]
    net = torchvision.models.get_model("squeezenet1_1", weights=None)
    net.load_state_dict(torch.load(tmp_path / "squeezenet1_1-b8a52dc0.pth", weights_only=True))
    assert S.write_weights(["squeezenet1_1"], tmp_path / "again", seed=1) == sums
