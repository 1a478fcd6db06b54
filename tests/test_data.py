"""Tests for attrobust.data: registry, fetching (mirror / file:// download) and loaders.

All offline: raw files are tiny synthetic ones written here; the real Debian mirrors
are used by two smoke tests (fixture `debian_data`: installed as root on Debian, else skipped).
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import pickle
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest

from attrobust import data as D

EMBEDDED = ["synthetic2d", "digits", "wine", "breast_cancer", "iris", "diabetes"]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pin(monkeypatch, name: str, src: Path, **changes) -> D.DatasetInfo:
    """Replace the registry entry's checksums by those of the files in ``src``."""
    ds = D.REGISTRY[name]
    files = tuple(dataclasses.replace(f, checksums=(f"sha256:{sha256(src / f.name)}",))
                  for f in ds.files)
    new = dataclasses.replace(ds, files=files, **changes)
    monkeypatch.setitem(D.REGISTRY, name, new)
    return new


def files_in(d: Path) -> list[str]:
    return sorted(p.name for p in Path(d).iterdir()) if Path(d).exists() else []


# --------------------------------------------------------------------------- registry

def test_registry_is_consistent():
    assert set(D.REGISTRY) == set(D._LOADERS)
    for name, ds in D.REGISTRY.items():
        assert ds.name == name
        assert ds.kind in ("tabular", "image") and ds.task in ("classification", "regression")
        assert ds.origin in D.ORIGINS and ds.source and ds.license
        if ds.origin == "embedded":
            assert ds.files == () and D.raw_files(name) == []
        if ds.origin in ("mirror", "download"):
            assert ds.files and ds.mirror_key
        if ds.origin == "mirror":
            assert ds.default_mirror
        for f in ds.files:
            for c in f.checksums:
                algo, _, hexd = c.partition(":")
                assert len(hexd) == {"sha256": 64, "md5": 32}[algo], (name, c)
    assert set(D.names("embedded")) == set(EMBEDDED)
    assert "fashion_mnist" in D.names("mirror") and "mnist" in D.names("download")
    assert D.raw_files("fashion_mnist") == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_unknown_name_origin_and_option():
    with pytest.raises(D.DataError, match="registered datasets: .*iris.*wine"):
        D.info("imagenette")
    with pytest.raises(D.DataError, match="registered datasets"):
        D.load("nope")
    with pytest.raises(D.DataError, match="origin"):
        D.names("cloud")
    with pytest.raises(D.DataError, match=r"unknown option\(s\) bogus.*allowed: n "):
        D.load("synthetic2d", bogus=1)
    with pytest.raises(D.DataError, match="allowed: none"):
        D.load("iris", year=2)
    with pytest.raises(D.DataError, match="scaling='zscore'.*standard, minmax, none"):
        D.load("iris", scaling="zscore")
    with pytest.raises(D.DataError, match="test_fraction"):
        D.load("iris", test_fraction=1.0)


def test_module_import_is_cheap():
    import subprocess
    import sys

    code = ("import sys, attrobust.data; "
            "print([m for m in ('torch', 'sklearn', 'pandas', 'rdata', 'scipy') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# --------------------------------------------------------------------------- embedded

@pytest.mark.parametrize("name", EMBEDDED)
def test_embedded_loader(name):
    ds = D.info(name)
    d = D.load(name, seed=0)
    n = len(d["y_train"]) + len(d["y_test"])
    assert len(d["y_test"]) == int(np.ceil(0.2 * n))
    assert d["X_train"].dtype == np.float32 and d["X_test"].dtype == np.float32
    assert d["X_train"].shape[1:] == d["input_shape"] == d["X_test"].shape[1:]
    assert d["task"] == ds.task and d["kind"] == ds.kind
    assert int(np.prod(d["input_shape"])) == len(d["feature_names"])
    if ds.task == "classification":
        assert d["y_train"].dtype == np.int64
        assert set(np.unique(d["y_train"])) == set(range(len(d["class_names"])))
        # stratified: class proportions in train and test agree
        p_tr = np.bincount(d["y_train"]) / len(d["y_train"])
        p_te = np.bincount(d["y_test"], minlength=len(p_tr)) / len(d["y_test"])
        assert np.abs(p_tr - p_te).max() < 0.06
    else:
        assert d["y_train"].dtype == np.float32 and d["class_names"] == []
    if ds.kind == "image":
        assert d["X_train"].ndim == 4 and d["scaling"] is None
        assert d["X_train"].min() >= 0 and d["X_train"].max() <= 1
        assert d["X_train"].max() == 1.0
    else:
        Xtr = d["X_train"].astype(np.float64)
        np.testing.assert_allclose(Xtr.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(Xtr.std(0), 1, atol=1e-4)
        assert d["scaling"]["kind"] == "standard"
        assert len(d["scaling"]["loc"]) == len(d["feature_names"])
        mm = D.load(name, seed=0, scaling="minmax")
        assert mm["X_train"].min() == 0 and mm["X_train"].max() == 1
        np.testing.assert_allclose(mm["X_train"].min(0), 0, atol=1e-6)
        np.testing.assert_allclose(mm["X_train"].max(0), 1, atol=1e-6)
        raw = D.load(name, seed=0, scaling="none")
        assert raw["scaling"] is None
        # the documented inverse: X = X_scaled * scale + loc
        back = mm["X_test"] * np.array(mm["scaling"]["scale"]) + np.array(mm["scaling"]["loc"])
        np.testing.assert_allclose(back, raw["X_test"], rtol=1e-4, atol=1e-4)
    again = D.load(name, seed=0)
    for k in ("X_train", "y_train", "X_test", "y_test"):
        assert np.array_equal(d[k], again[k])
    other = D.load(name, seed=1)
    assert not np.array_equal(d["y_test"], other["y_test"]) or \
        not np.array_equal(d["X_test"], other["X_test"])


def test_synthetic2d_geometry():
    d = D.load("synthetic2d", seed=0, scaling="none", n=4000)
    assert len(d["y_train"]) + len(d["y_test"]) == 4000
    assert 0.45 < d["y_train"].mean() < 0.55  # equal priors
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis as QDA
    from sklearn.linear_model import LogisticRegression

    qda = QDA().fit(d["X_train"], d["y_train"]).score(d["X_test"], d["y_test"])
    lin = LogisticRegression().fit(d["X_train"], d["y_train"]).score(d["X_test"], d["y_test"])
    assert 0.90 <= qda <= 0.97
    assert lin < qda  # curved Bayes boundary: a linear rule does worse
    # class covariances differ (class 0 wide in x2, class 1 compact)
    X = np.concatenate([d["X_train"], d["X_test"]])
    y = np.concatenate([d["y_train"], d["y_test"]])
    assert X[y == 0, 1].var() > 4 * X[y == 1, 1].var()
    with pytest.raises(D.DataError, match="n=3"):
        D.load("synthetic2d", n=3)


def test_n_samples_subsampling():
    d = D.load("wine", n_samples=60, seed=3)
    assert len(d["y_train"]) + len(d["y_test"]) == 60 and len(d["y_test"]) == 12
    assert len(np.unique(d["y_test"])) == 3
    dd = D.load("wine", n_samples=60, seed=3)
    assert np.array_equal(d["X_train"], dd["X_train"])
    assert len(D.load("iris", n_samples=10_000)["y_train"]) == 120  # cap above size: no-op
    with pytest.raises(D.DataError, match="n_samples"):
        D.load("iris", n_samples=2)


# --------------------------------------------------------------------------- IDX mirror

from attrobust.standins import write_idx  # noqa: E402  (the IDX writer of the stand-ins)


def make_idx_mirror(root: Path, n_train=40, n_test=20, hw=(4, 5), seed=0):
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for part, n in (("train", n_train), ("t10k", n_test)):
        X = rng.integers(0, 256, (n, *hw), dtype=np.uint8)
        X[0, 0, 0] = 255
        y = np.arange(n) % 10
        write_idx(root / f"{part}-images-idx3-ubyte.gz", X)
        write_idx(root / f"{part}-labels-idx1-ubyte.gz", y)
        out[part] = (X, y)
    return out


def test_fashion_mnist_from_synthetic_mirror(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    arrays = make_idx_mirror(mirror)
    pin(monkeypatch, "fashion_mnist", mirror, default_mirror=str(tmp_path / "absent"))
    dest = D.fetch("fashion_mnist", tmp_path / "raw", mirror=mirror)
    assert files_in(dest) == sorted(D.raw_files("fashion_mnist") + ["SHA256SUMS"])
    lines = (dest / "SHA256SUMS").read_text().splitlines()
    assert f"{sha256(dest / 'train-images-idx3-ubyte.gz')}  train-images-idx3-ubyte.gz" in lines
    assert len(lines) == 4
    d = D.load("fashion_mnist", dest)
    assert d["X_train"].shape == (40, 1, 4, 5) and d["X_test"].shape == (20, 1, 4, 5)
    assert d["input_shape"] == (1, 4, 5) and d["scaling"] is None
    # official split kept in order, pixels / 255
    np.testing.assert_array_equal(d["y_test"], arrays["t10k"][1])
    np.testing.assert_allclose(d["X_train"][:, 0], arrays["train"][0] / 255, rtol=1e-6)
    assert d["class_names"][0] == "T-shirt/top" and len(d["class_names"]) == 10
    # n_samples keeps the train/test proportion of the official split
    s = D.load("fashion_mnist", dest, n_samples=30)
    assert (len(s["y_train"]), len(s["y_test"])) == (20, 10)
    assert len(np.unique(s["y_test"])) == 10  # stratified
    # corrupted file after fetch -> clear error naming it
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0\0\x08\x01\0\0\0\x09ab"))
    with pytest.raises(D.DataError, match="t10k-labels.*refetch"):
        D.load("fashion_mnist", dest)


def test_mirror_checksum_mismatch_keeps_nothing(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    make_idx_mirror(mirror)
    pin(monkeypatch, "fashion_mnist", mirror)
    write_idx(mirror / "t10k-labels-idx1-ubyte.gz", np.zeros(20))  # different content
    dest = tmp_path / "raw"
    with pytest.raises(D.ChecksumError) as e:
        D.fetch("fashion_mnist", dest, mirror=mirror)
    msg = str(e.value)
    assert "t10k-labels-idx1-ubyte.gz" in msg and "expected one of sha256:" in msg
    assert "got sha256:" in msg and "mirrors.fashion_mnist" in msg and "delete" in msg
    assert "t10k-labels-idx1-ubyte.gz" not in files_in(dest)
    assert "SHA256SUMS" not in files_in(dest)
    assert not [f for f in files_in(dest) if f.startswith(".")]  # no temp files left


def test_fashion_mnist_real_mirror(tmp_path, debian_data):
    # copies via the default mirror and checks the pinned Debian sha256s
    dest = D.fetch("fashion_mnist", tmp_path / "raw")
    assert (dest / "SHA256SUMS").is_file()
    d = D.load("fashion_mnist", dest, n_samples=700)
    assert d["X_train"].shape == (600, 1, 28, 28) and d["X_test"].shape == (100, 1, 28, 28)
    assert 0 <= d["X_train"].min() and d["X_train"].max() <= 1
    assert set(np.unique(d["y_test"])) == set(range(10))


# --------------------------------------------------------------------------- mlbench

def test_mlbench_from_tiny_rda(tmp_path, monkeypatch):
    import pandas as pd
    import rdata

    mirror = tmp_path / "mlbench"
    mirror.mkdir()
    rng = np.random.default_rng(0)
    n = 40
    iono = pd.DataFrame({
        "V1": pd.Categorical(rng.choice(["0", "1"], n), categories=["0", "1"]),
        "V2": pd.Categorical(["0"] * n, categories=["0"]),
        "V3": rng.normal(size=n),
        "V4": rng.normal(size=n),
        "Class": pd.Categorical(np.where(np.arange(n) % 3 == 0, "bad", "good"),
                                categories=["bad", "good"]),
    })
    rdata.write_rda(mirror / "Ionosphere.rda", {"Ionosphere": iono})
    pin(monkeypatch, "ionosphere", mirror)
    dest = D.fetch("ionosphere", tmp_path / "raw", mirror=mirror)
    assert files_in(dest) == ["Ionosphere.rda", "SHA256SUMS"]
    d = D.load("ionosphere", dest, scaling="none", test_fraction=0.25)
    assert d["feature_names"] == ["V1", "V3", "V4"]  # constant V2 dropped
    assert d["class_names"] == ["bad", "good"]
    assert d["X_train"].shape == (30, 3) and d["y_train"].dtype == np.int64
    X = np.concatenate([d["X_train"], d["X_test"]])
    assert set(np.unique(X[:, 0])) == {0.0, 1.0}  # factor V1 -> 0/1
    np.testing.assert_allclose(np.sort(X[:, 1]), np.sort(iono.V3.to_numpy()), rtol=1e-6)
    assert np.bincount(np.concatenate([d["y_train"], d["y_test"]])).tolist() == [14, 26]

    boston = pd.DataFrame({"crim": rng.random(n), "chas": pd.Categorical(
        rng.choice(["0", "1"], n), categories=["0", "1"]), "medv": rng.random(n) * 50})
    rdata.write_rda(mirror / "BostonHousing.rda", {"BostonHousing": boston})
    pin(monkeypatch, "boston_housing", mirror)
    b = D.load("boston_housing", mirror, scaling="none")
    assert b["task"] == "regression" and b["y_train"].dtype == np.float32
    assert b["feature_names"] == ["crim", "chas"] and b["class_names"] == []
    assert set(np.unique(b["X_train"][:, 1])) <= {0.0, 1.0}


def test_house_votes_coding():
    import pandas as pd

    votes = pd.DataFrame({"V1": pd.Categorical(["y", "n", None], categories=["n", "y"]),
                          "V2": pd.Categorical([None, "y", "y"], categories=["n", "y"])})
    np.testing.assert_array_equal(D._votes(votes).to_numpy(), [[1, 0.5], [0, 1], [0.5, 1]])


def test_mlbench_real_files(tmp_path, debian_data):
    MLBENCH_DIR = debian_data["mlbench"]
    shapes = {"boston_housing": (506, 13), "glass": (214, 9), "ionosphere": (351, 33),
              "sonar": (208, 60), "pima_diabetes": (768, 8), "house_votes84": (435, 16)}
    for name, (n, p) in shapes.items():
        dest = D.fetch(name, tmp_path / name, mirror=MLBENCH_DIR)  # pinned sha256s
        d = D.load(name, dest)
        assert len(d["y_train"]) + len(d["y_test"]) == n, name
        assert d["input_shape"] == (p,), name
        assert np.isfinite(d["X_train"]).all()
    assert D.load("glass", MLBENCH_DIR)["class_names"] == ["1", "2", "3", "5", "6", "7"]


# --------------------------------------------------------------------------- downloads

@pytest.fixture
def mnist_mirror(tmp_path, monkeypatch):
    web = tmp_path / "web"
    make_idx_mirror(web)
    pin(monkeypatch, "mnist", web)
    return web


def test_download_file_url(tmp_path, mnist_mirror):
    dest = D.fetch("mnist", tmp_path / "raw", base_url=mnist_mirror.as_uri() + "/")
    assert files_in(dest) == sorted(D.raw_files("mnist") + ["SHA256SUMS"])
    sums = dict(reversed(line.split("  ")) for line in
                (dest / "SHA256SUMS").read_text().splitlines())
    assert sums == {f: sha256(mnist_mirror / f) for f in D.raw_files("mnist")}
    d = D.load("mnist", dest)
    assert d["X_train"].shape == (40, 1, 4, 5) and d["class_names"][3] == "3"


def test_download_checksum_mismatch(tmp_path, mnist_mirror):
    write_idx(mnist_mirror / "train-labels-idx1-ubyte.gz", np.ones(40))
    dest = tmp_path / "raw"
    with pytest.raises(D.ChecksumError, match="train-labels-idx1-ubyte.gz") as e:
        D.fetch("mnist", dest, base_url=mnist_mirror.as_uri())
    assert "expected one of" in str(e.value) and "got sha256" in str(e.value)
    assert "train-labels-idx1-ubyte.gz" not in files_in(dest)
    assert "SHA256SUMS" not in files_in(dest)
    assert not [f for f in files_in(dest) if f.startswith(".")]


def test_present_valid_files_are_not_downloaded_again(tmp_path, mnist_mirror, monkeypatch):
    dest = D.fetch("mnist", tmp_path / "raw", base_url=mnist_mirror.as_uri())
    (dest / "SHA256SUMS").unlink()
    calls = []
    real = urllib.request.urlopen

    def spy(url, *a, **k):
        calls.append(url)
        return real(url, *a, **k)

    monkeypatch.setattr(urllib.request, "urlopen", spy)
    D.fetch("mnist", dest, base_url=mnist_mirror.as_uri())
    assert calls == [] and (dest / "SHA256SUMS").is_file()
    # a present but corrupt file is fetched again
    (dest / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    D.fetch("mnist", dest, base_url=mnist_mirror.as_uri())
    assert [u.rsplit("/", 1)[1] for u in calls] == ["t10k-labels-idx1-ubyte.gz"]
    assert sha256(dest / "t10k-labels-idx1-ubyte.gz") == \
        sha256(mnist_mirror / "t10k-labels-idx1-ubyte.gz")


@pytest.mark.parametrize("exc", [OSError("connection reset"), RuntimeError("killed")])
def test_interrupted_download_leaves_nothing(tmp_path, mnist_mirror, monkeypatch, exc):
    class Broken(io.BytesIO):
        headers = {}
        calls = 0

        def read(self, n=-1):
            Broken.calls += 1
            if Broken.calls > 1:
                raise exc
            return b"x" * 1000

        def __enter__(self):
            return self

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Broken())
    dest = tmp_path / "raw"
    expected = D.DataUnavailableError if isinstance(exc, OSError) else RuntimeError
    with pytest.raises(expected):
        D.fetch("mnist", dest, base_url=mnist_mirror.as_uri())
    assert files_in(dest) == []


def test_unreachable_url(tmp_path, monkeypatch):
    with pytest.raises(D.DataUnavailableError, match="downloading cifar-10.*mirrors.cifar10"):
        D.fetch("cifar10", tmp_path / "raw", base_url=(tmp_path / "nowhere").as_uri())
    assert files_in(tmp_path / "raw") == []


def test_unpinned_download_records_sha256(tmp_path, monkeypatch):
    web = tmp_path / "web"
    web.mkdir()
    cols = D._SHOPPERS_NUMERIC + ["Month", "VisitorType", "Weekend", "Revenue"]
    rng = np.random.default_rng(0)
    rows = [",".join([*(f"{v:.3f}" for v in rng.random(10)), "Feb", "Returning_Visitor",
                      "FALSE", "TRUE" if i % 4 == 0 else "FALSE"]) for i in range(20)]
    (web / "online_shoppers_intention.csv").write_text(",".join(cols) + "\n" +
                                                        "\n".join(rows) + "\n")
    dest = tmp_path / "raw"
    with pytest.warns(UserWarning, match="no pinned checksum.*online_shoppers_intention"):
        D.fetch("online_shoppers", dest, base_url=web.as_uri())
    assert (dest / "SHA256SUMS").read_text() == \
        f"{sha256(web / 'online_shoppers_intention.csv')}  online_shoppers_intention.csv\n"
    # recorded and unchanged: not downloaded again
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("refetched"))
    with pytest.warns(UserWarning):
        D.fetch("online_shoppers", dest, base_url=web.as_uri())
    d = D.load("online_shoppers", dest, scaling="minmax")
    assert d["feature_names"] == D._SHOPPERS_NUMERIC
    assert d["class_names"] == ["no_purchase", "purchase"]
    assert np.bincount(np.concatenate([d["y_train"], d["y_test"]])).tolist() == [15, 5]


def test_mirror_only_set_without_mirror(tmp_path, monkeypatch):
    ds = dataclasses.replace(D.REGISTRY["glass"], default_mirror=str(tmp_path / "absent"))
    monkeypatch.setitem(D.REGISTRY, "glass", ds)
    with pytest.raises(D.DataUnavailableError) as e:
        D.fetch("glass", tmp_path / "raw")
    msg = str(e.value)
    assert "'glass'" in msg and "mirrors.mlbench" in msg and "r-cran-mlbench" in msg
    assert "dpkg -x" in msg
    with pytest.raises(D.DataUnavailableError, match="mirrors.mlbench"):
        D.fetch("glass", tmp_path / "raw", mirror=tmp_path / "also-absent")
    with pytest.raises(D.DataError, match="fetch"):
        D.load("glass")
    with pytest.raises(D.DataUnavailableError, match="mirrors.imagenet_val"):
        D.fetch("imagenet_val", tmp_path / "inet")
    with pytest.raises(D.DataError, match="Glass.rda"):
        D.load("glass", tmp_path)
    assert D.fetch("iris", tmp_path / "emb") == tmp_path / "emb"


# --------------------------------------------------------------------------- download-set loaders

def test_compas_loader(tmp_path):
    header = ("age,priors_count,juv_fel_count,juv_misd_count,juv_other_count,sex,race,"
              "c_charge_degree,days_b_screening_arrest,is_recid,score_text,two_year_recid")
    rows = [
        "25,1,0,0,0,Male,African-American,F,0,1,High,1",
        "40,0,0,1,0,Female,Caucasian,M,-1,0,Low,0",
        "33,3,1,0,0,Male,Hispanic,F,-31,1,Medium,1",  # screening too early: dropped
        "50,2,0,0,1,Female,Caucasian,O,0,0,Low,0",  # ordinary traffic: dropped
        "22,5,0,0,0,Male,Caucasian,F,2,-1,Low,0",  # no COMPAS case: dropped
        "31,0,0,0,0,Male,African-American,M,,0,Low,0",  # missing days: dropped
        "28,4,0,0,0,Female,African-American,M,30,1,Medium,1",
        "60,0,0,0,0,Male,Caucasian,F,-30,0,N/A,0",  # score N/A: dropped
        "45,7,0,0,0,Male,Caucasian,M,1,0,Low,0",
    ]
    (tmp_path / "compas-scores-two-years.csv").write_text(header + "\n" + "\n".join(rows))
    X, y, feats, classes, n_train = D._compas(tmp_path, 0)
    assert n_train is None and classes == ["no_recid", "recid"]
    assert feats == ["age", "priors_count", "juv_fel_count", "juv_misd_count",
                     "juv_other_count", "sex_male", "c_charge_degree_F",
                     "race_African-American", "race_Caucasian"]
    assert X.shape == (4, 9) and y.tolist() == [1, 0, 1, 0]
    np.testing.assert_array_equal(X[0], [25, 1, 0, 0, 0, 1, 1, 1, 0])


def test_polish_bankruptcy_loader(tmp_path):
    arff = ("@relation '3year'\n@attribute Attr1 numeric\n@attribute Attr2 numeric\n"
            "@attribute class {0,1}\n@data\n")
    rows = [f"{i / 10},{'?' if i == 3 else i},{int(i % 4 == 0)}" for i in range(20)]
    with zipfile.ZipFile(tmp_path / "polish+companies+bankruptcy+data.zip", "w") as zf:
        zf.writestr("3year.arff", arff + "\n".join(rows) + "\n")
        zf.writestr("1year.arff", arff + "0,0,0\n")
    d = D.load("polish_bankruptcy", tmp_path, year=3, scaling="none", test_fraction=0.25)
    assert d["feature_names"] == ["Attr1", "Attr2"]
    assert np.isfinite(d["X_train"]).all() and np.isfinite(d["X_test"]).all()
    X = np.concatenate([d["X_train"], d["X_test"]])
    y = np.concatenate([d["y_train"], d["y_test"]])
    assert np.bincount(y).tolist() == [15, 5]
    row3 = X[np.isclose(X[:, 0], 0.3)][0]
    train_attr2 = [i for i in range(20) if i != 3 and not np.isclose(
        d["X_test"][:, 0], i / 10).any()]
    assert row3[1] == np.median(train_attr2)  # missing -> train median
    with pytest.raises(D.DataError, match="year=7"):
        D.load("polish_bankruptcy", tmp_path, year=7)
    with pytest.raises(D.DataError, match="no 2year.arff"):
        D.load("polish_bankruptcy", tmp_path, year=2)


def test_cifar10_loader(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "cifar-10-python.tar.gz"
    batches = {}
    with tarfile.open(path, "w:gz") as tar:
        for name, n in [("data_batch_1", 10), ("data_batch_2", 10), ("test_batch", 10)]:
            batches[name] = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                             b"labels": list(np.arange(n) % 10)}
        batches["batches.meta"] = {b"label_names": [b"airplane", b"car"] + [b"x"] * 8}
        for name, obj in batches.items():
            blob = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    d = D.load("cifar10", tmp_path)
    assert d["X_train"].shape == (20, 3, 32, 32) and d["X_test"].shape == (10, 3, 32, 32)
    assert d["class_names"][:2] == ["airplane", "car"]
    np.testing.assert_allclose(d["X_test"][2].ravel(), batches["test_batch"][b"data"][2] / 255,
                               rtol=1e-6)


def test_imagenet_user_dir(tmp_path):
    from PIL import Image

    src = tmp_path / "val"
    rng = np.random.default_rng(0)
    for syn in ["n02", "n01"]:
        (src / syn).mkdir(parents=True)
        for i in range(3):
            arr = rng.integers(0, 256, (260, 300, 3), dtype=np.uint8)
            Image.fromarray(arr).save(src / syn / f"img{i}.png")
    (src / "n01" / "notes.txt").write_text("ignored")
    dest = D.fetch("imagenet_val", tmp_path / "raw", mirror=src)
    assert {"images", "MANIFEST", "SHA256SUMS"} <= set(files_in(dest))
    assert len((dest / "MANIFEST").read_text().splitlines()) == 6
    d = D.load("imagenet_val", dest, n_images=4, test_fraction=0.5)
    assert d["class_names"] == ["n01", "n02"]
    assert d["X_train"].shape == (2, 3, 224, 224) and d["input_shape"] == (3, 224, 224)
    assert 0 <= d["X_test"].min() and d["X_test"].max() <= 1
    full = D.load("imagenet_val", src, test_fraction=0.5)
    assert len(full["y_train"]) + len(full["y_test"]) == 6


# --------------------------------------------------------------------------- prepare

def test_prepare_writes_npz_and_json(tmp_path, mnist_mirror):
    out_npz, out_json = tmp_path / "out" / "iris.npz", tmp_path / "out" / "iris.json"
    d = D.prepare("iris", None, out_npz, out_json, seed=2, scaling="minmax")
    with np.load(out_npz, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    assert set(arrays) == {"X_train", "y_train", "X_test", "y_test", "feature_names",
                           "class_names", "task", "kind"}
    np.testing.assert_array_equal(arrays["X_train"], d["X_train"])
    back = D.load_prepared(out_npz)
    assert back["task"] == "classification" and back["kind"] == "tabular"
    assert back["input_shape"] == (4,) and back["n_classes"] == 3
    np.testing.assert_array_equal(back["X_test"], d["X_test"])
    assert arrays["class_names"].tolist() == ["setosa", "versicolor", "virginica"]
    assert arrays["feature_names"].dtype.kind == "U"
    meta = json.loads(out_json.read_text())
    assert meta["dataset"]["name"] == "iris" and meta["load_kwargs"]["scaling"] == "minmax"
    assert meta["shapes"]["X_train"] == [120, 4]
    assert sum(meta["class_counts"]["test"].values()) == 30
    assert meta["versions"]["numpy"] == np.__version__ and "scikit-learn" in meta["versions"]
    assert not [p for p in out_npz.parent.iterdir() if p.name.startswith(".")]

    raw = D.fetch("mnist", tmp_path / "raw", base_url=mnist_mirror.as_uri())
    D.prepare("mnist", raw, tmp_path / "m.npz", tmp_path / "m.json", n_samples=30)
    meta = json.loads((tmp_path / "m.json").read_text())
    assert meta["raw_sha256"]["t10k-images-idx3-ubyte.gz"] == \
        sha256(mnist_mirror / "t10k-images-idx3-ubyte.gz")
    assert meta["input_shape"] == [1, 4, 5]

    D.prepare("diabetes", None, tmp_path / "r.npz", tmp_path / "r.json")
    with np.load(tmp_path / "r.npz", allow_pickle=False) as f:
        assert f["class_names"].shape == (0,) and f["y_train"].dtype == np.float32
