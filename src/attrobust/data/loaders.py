"""Loaders: raw files (or scikit-learn's bundled sets) to arrays, one per dataset name.

``_LOADERS`` maps each registered name (:mod:`attrobust.data.registry`) to its loader;
its keyword-only arguments are the dataset's options (config ``datasets.<name>``).
Formats: scikit-learn bundles, gzipped IDX (MNIST, Fashion-MNIST), the CIFAR-10 python
pickles, R ``.rda`` files of the mlbench package, CSV (COMPAS, Online Shoppers), ARFF in
a zip (Polish bankruptcy) and a folder of images (ImageNet validation). Heavy libraries
(scikit-learn, pandas, scipy, rdata, PIL) are imported inside the loaders.

Each loader ``(raw_dir, seed, **options)`` returns (X, y, feature_names, class_names,
n_train), where n_train is the size of the official training part at the front of X
(None: no official split). Image X may be uint8 (scaled by 1/255 in
:func:`attrobust.data.load`) or float in [0, 1].
"""
from __future__ import annotations

import gzip
import io
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import DataError


def _synthetic2d(raw_dir, seed, *, n: int = 1000):
    """Two Gaussian classes in 2-D with equal priors and different covariances.

    y ~ Bernoulli(1/2);  x | y=0 ~ N((-1, 0), diag(1, 2));  x | y=1 ~ N((1, 0), diag(1/4, 1/4)),
    drawn with ``np.random.default_rng(seed)`` (labels, then standard normals z, x = mu_y + L_y z
    with L_y the Cholesky factor). The Bayes boundary (equal log densities) is an ellipse
    around class 1; Bayes accuracy is about 94 %, the best linear rule about 91 %.
    Stands in for the unspecified 2-D sets of Alvarez-Melis & Jaakkola (2018, Fig. 1) and
    Agarwal et al. (2021, Sec. 5 'Simulated', n=1000).
    """
    if int(n) < 10:
        raise DataError(f"dataset 'synthetic2d': option n={n} must be >= 10")
    rng = np.random.default_rng(seed)
    mu = np.array([[-1.0, 0.0], [1.0, 0.0]])
    chol = np.stack([np.linalg.cholesky(np.diag([1.0, 2.0])),
                     np.linalg.cholesky(np.diag([0.25, 0.25]))])
    y = rng.integers(0, 2, int(n))
    z = rng.standard_normal((int(n), 2))
    X = mu[y] + np.einsum("nij,nj->ni", chol[y], z)
    return X, y, ["x1", "x2"], ["class0", "class1"], None


def _sklearn(loader_name: str, **kw):
    def load_(raw_dir, seed):
        from sklearn import datasets

        b = getattr(datasets, loader_name)(**kw)
        names_ = [str(c) for c in getattr(b, "target_names", [])]
        return b.data, b.target, [str(f) for f in b.feature_names], names_, None
    return load_


def _digits(raw_dir, seed):
    from sklearn.datasets import load_digits

    b = load_digits()
    X = (b.images / 16.0).astype(np.float32)[:, None]
    return X, b.target, [f"pixel_{i}_{j}" for i in range(8) for j in range(8)], \
        [str(c) for c in b.target_names], None


def _read_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (LeCun's MNIST format) of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file; delete it and refetch")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise DataError(f"{path}: IDX header says {dims} but holds {arr.size} bytes; "
                        "delete it and refetch")
    return arr.reshape(dims)


def _idx_loader(class_names):
    def load_(raw_dir, seed):
        parts = [(_read_idx(raw_dir / f"{p}-images-idx3-ubyte.gz"),
                  _read_idx(raw_dir / f"{p}-labels-idx1-ubyte.gz")) for p in ("train", "t10k")]
        X = np.concatenate([p[0] for p in parts])[:, None]
        y = np.concatenate([p[1] for p in parts])
        h, w = X.shape[2:]
        return X, y, [f"pixel_{i}_{j}" for i in range(h) for j in range(w)], \
            list(class_names), len(parts[0][1])
    return load_


_FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                    "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _cifar10(raw_dir, seed):
    import pickle
    import tarfile

    # the archive is checksummed by fetch(); its members are python pickles
    batches = {}
    with tarfile.open(raw_dir / "cifar-10-python.tar.gz", "r:gz") as tar:
        for m in tar.getmembers():
            base = m.name.rsplit("/", 1)[-1]
            if base.startswith(("data_batch_", "test_batch", "batches.meta")):
                batches[base] = pickle.load(tar.extractfile(m), encoding="bytes")
    train = [batches[k] for k in sorted(batches) if k.startswith("data_batch_")]
    test = batches.get("test_batch")
    if not train or test is None:
        raise DataError(f"dataset 'cifar10': {raw_dir / 'cifar-10-python.tar.gz'} lacks "
                        "data_batch_*/test_batch; delete it and refetch")
    X = np.concatenate([b[b"data"] for b in train + [test]]).reshape(-1, 3, 32, 32)
    y = np.concatenate([b[b"labels"] for b in train + [test]])
    meta = batches.get("batches.meta", {})
    classes = [c.decode() for c in meta.get(b"label_names", [])] or \
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"]
    feats = [f"{c}_{i}_{j}" for c in "rgb" for i in range(32) for j in range(32)]
    return X.astype(np.uint8), y, feats, classes, sum(len(b[b"labels"]) for b in train)


def _read_rda(path: Path):
    import rdata

    with warnings.catch_warnings():  # mlbench files declare no string encoding
        warnings.simplefilter("ignore", UserWarning)
        objs = rdata.read_rda(str(path))
    return objs.get(path.stem, next(iter(objs.values())))


def _factor_codes(col, name, path):
    if col.isna().any():
        raise DataError(f"{path}: target {name!r} has missing values")
    return col.cat.codes.to_numpy().astype(np.int64), [str(c) for c in col.cat.categories]


def _votes(df):
    """HouseVotes84: y=1, n=0, missing (not voting) = 0.5, halfway between the two."""
    return df.apply(lambda c: c.astype(object).map({"y": 1.0, "n": 0.0})).astype(float) \
        .fillna(0.5)


def _mlbench_loader(rda: str, target: str, drop=(), votes=False):
    def load_(raw_dir, seed):
        import pandas as pd

        path = raw_dir / rda
        df = _read_rda(path)
        if target not in df.columns:
            raise DataError(f"{path}: no column {target!r}; is this the mlbench file?")
        feats = df.drop(columns=[target, *drop])
        if votes:
            X = _votes(feats)
        else:  # numeric factors (chas, Ionosphere V1) -> their level values
            X = feats.apply(lambda c: pd.to_numeric(c.astype(str)) if c.dtype == "category"
                            else c).astype(float)
        col = df[target]
        if col.dtype == "category":
            y, classes = _factor_codes(col, target, path)
        else:
            y, classes = col.to_numpy(float), []
        return X.to_numpy(), y, [str(c) for c in X.columns], classes, None
    return load_


def _compas(raw_dir, seed):
    """ProPublica's filter (compas-analysis notebook) and a small numeric encoding."""
    import pandas as pd

    df = pd.read_csv(raw_dir / "compas-scores-two-years.csv")
    df = df[df.days_b_screening_arrest.between(-30, 30) & (df.is_recid != -1)
            & (df.c_charge_degree != "O") & (df.score_text.notna())
            & (df.score_text != "N/A")]
    num = ["age", "priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count"]
    X = df[num].astype(float)
    X["sex_male"] = (df.sex == "Male").astype(float)
    X["c_charge_degree_F"] = (df.c_charge_degree == "F").astype(float)
    for r in sorted(df.race.unique()):
        X[f"race_{r}"] = (df.race == r).astype(float)
    y = df.two_year_recid.to_numpy().astype(np.int64)
    return X.to_numpy(), y, list(X.columns), ["no_recid", "recid"], None


_SHOPPERS_NUMERIC = ["Administrative", "Administrative_Duration", "Informational",
                     "Informational_Duration", "ProductRelated", "ProductRelated_Duration",
                     "BounceRates", "ExitRates", "PageValues", "SpecialDay"]


def _online_shoppers(raw_dir, seed):
    """The 10 numeric features; Month, OperatingSystems, Browser, Region, TrafficType,
    VisitorType and Weekend are categorical and dropped (Agarwal et al. 2021, Sec. 5)."""
    import pandas as pd

    df = pd.read_csv(raw_dir / "online_shoppers_intention.csv")
    y = df.Revenue.astype(str).str.upper().map({"TRUE": 1, "FALSE": 0})
    if y.isna().any():
        raise DataError("dataset 'online_shoppers': column Revenue must be TRUE/FALSE")
    return df[_SHOPPERS_NUMERIC].to_numpy(float), y.to_numpy().astype(np.int64), \
        list(_SHOPPERS_NUMERIC), ["no_purchase", "purchase"], None


def _find_in_zip(zf, fname: str):
    import zipfile

    for m in zf.namelist():
        if m.rsplit("/", 1)[-1] == fname:
            return zf.read(m)
    for m in zf.namelist():  # some UCI archives nest another zip
        if m.endswith(".zip"):
            found = _find_in_zip(zipfile.ZipFile(io.BytesIO(zf.read(m))), fname)
            if found is not None:
                return found
    return None


def _polish_bankruptcy(raw_dir, seed, *, year: int = 1):
    """Attr1..Attr64 of ``{year}year.arff``; '?' -> NaN, imputed in load() with the
    train median. Agarwal et al. report 15 features after their (unspecified) selection;
    we keep all 64."""
    import zipfile

    from scipy.io import arff

    if year not in (1, 2, 3, 4, 5):
        raise DataError(f"dataset 'polish_bankruptcy': option year={year!r} must be 1..5")
    path = raw_dir / "polish+companies+bankruptcy+data.zip"
    with zipfile.ZipFile(path) as zf:
        text = _find_in_zip(zf, f"{year}year.arff")
    if text is None:
        raise DataError(f"{path}: no {year}year.arff inside; delete it and refetch")
    data, meta = arff.loadarff(io.StringIO(text.decode("utf-8", "replace")))
    feats = [n for n in meta.names() if meta[n][0] == "numeric"]
    target = [n for n in meta.names() if n not in feats][-1]
    X = np.column_stack([data[n].astype(float) for n in feats])
    y = np.array([int(v.decode() if isinstance(v, bytes) else v) for v in data[target]])
    return X, y, feats, ["not_bankrupt", "bankrupt"], None


_IMAGE_EXT = (".jpeg", ".jpg", ".png")


def _image_files(root: Path, name: str) -> list[tuple[Path, int]]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    files = [(p, c) for c, cls in enumerate(classes) for p in sorted((root / cls).iterdir())
             if p.suffix.lower() in _IMAGE_EXT]
    if not files:
        raise DataError(f"dataset {name!r}: {root} has no images in class subfolders "
                        "(expected DIR/<synset>/<image>.JPEG); set mirrors.imagenet_val")
    return files


def _imagenet_val(raw_dir, seed, *, n_images: int | None = None):
    """Resize the shorter side to 256 and centre-crop 224 (the usual ImageNet eval
    transform); classes are the sorted subfolder names. ``n_images`` draws a
    seed-determined subset."""
    from PIL import Image

    root = raw_dir / "images" if (raw_dir / "images").is_dir() else raw_dir
    files = _image_files(root, "imagenet_val")
    # every class folder, also those without a drawn image: labels index this list, and a
    # pretrained network's 1000 outputs are its classes (512 images reach ~400 of them)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if n_images is not None and n_images < len(files):
        keep = np.sort(np.random.default_rng(seed).permutation(len(files))[: int(n_images)])
        files = [files[i] for i in keep]
    X = np.empty((len(files), 3, 224, 224), np.uint8)
    for i, (p, _) in enumerate(files):
        with Image.open(p) as im:
            im = im.convert("RGB")
            s = 256 / min(im.size)
            im = im.resize((max(224, round(im.width * s)), max(224, round(im.height * s))),
                           Image.BILINEAR)
            left, top = (im.width - 224) // 2, (im.height - 224) // 2
            X[i] = np.asarray(im.crop((left, top, left + 224, top + 224))).transpose(2, 0, 1)
    y = np.array([c for _, c in files], np.int64)
    return X, y, [f"{c}_{i}_{j}" for c in "rgb" for i in range(224) for j in range(224)], \
        classes, None


_LOADERS: dict[str, Callable] = {
    "synthetic2d": _synthetic2d,
    "digits": _digits,
    "wine": _sklearn("load_wine"),
    "breast_cancer": _sklearn("load_breast_cancer"),
    "iris": _sklearn("load_iris"),
    "diabetes": _sklearn("load_diabetes", scaled=False),
    "fashion_mnist": _idx_loader(_FASHION_CLASSES),
    "mnist": _idx_loader([str(i) for i in range(10)]),
    "cifar10": _cifar10,
    "compas": _compas,
    "online_shoppers": _online_shoppers,
    "polish_bankruptcy": _polish_bankruptcy,
    "imagenet_val": _imagenet_val,
    "boston_housing": _mlbench_loader("BostonHousing.rda", "medv"),
    "glass": _mlbench_loader("Glass.rda", "Type"),
    "ionosphere": _mlbench_loader("Ionosphere.rda", "Class", drop=("V2",)),  # constant
    "sonar": _mlbench_loader("Sonar.rda", "Class"),
    "pima_diabetes": _mlbench_loader("PimaIndiansDiabetes.rda", "diabetes"),
    "house_votes84": _mlbench_loader("HouseVotes84.rda", "Class", votes=True),
}
