"""Generated stand-ins for the paper config's downloads: same format, shape, dtype, value
range and class count as the real files, filled with seeded random data.

They let the paper path (config/paper.yaml: MNIST, Fashion-MNIST, CIFAR-10, ImageNet
validation images, COMPAS, Polish bankruptcy, Online shoppers) run end to end where the real files cannot
be had, e.g. a CI machine or a cluster rehearsal (config/rehearsal.yaml). The files go
through the same mirror-copy, checksum and loader code as the real ones; only the
checksums pinned in :mod:`attrobust.data` are replaced by the ``SHA256SUMS`` written
here. Labels depend on the inputs (a fixed linear rule or a class-dependent pattern) so
that models can fit them; the numbers mean nothing.

One entry point, :func:`write`, over the registry :data:`WRITERS` (dataset name ->
writer). Each writer takes ``(dest, rng, **size)`` and writes the raw files that
:func:`attrobust.data.fetch` expects in a mirror directory.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from .data import SUMS_FILE, _read_sums, _write_sums
from .utils import atomic_path


def write_idx(path: Path, arr: np.ndarray) -> None:
    """A gzipped IDX file of unsigned bytes (LeCun's MNIST format: magic 0x0000 08 ndim,
    big-endian dimension sizes, then the bytes)."""
    head = b"\0\0\x08" + bytes([arr.ndim]) + b"".join(int(s).to_bytes(4, "big")
                                                     for s in arr.shape)
    # mtime=0: the same arrays give the same bytes (and checksums)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(head + np.ascontiguousarray(arr, np.uint8).tobytes())


def _images(rng, n: int, shape: tuple, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images in 0..255 whose class shifts a class-specific pattern (learnable)."""
    y = rng.integers(0, n_classes, n)
    patterns = rng.integers(0, 96, (n_classes, *shape))
    X = rng.integers(0, 160, (n, *shape)) + patterns[y]
    return X.clip(0, 255).astype(np.uint8), y.astype(np.uint8)


def _mnist(dest: Path, rng, *, n_train: int = 600, n_test: int = 100) -> None:
    """train/t10k images (n, 28, 28) and labels 0..9, as the four MNIST .gz files."""
    for part, n in (("train", n_train), ("t10k", n_test)):
        X, y = _images(rng, n, (28, 28), 10)
        write_idx(dest / f"{part}-images-idx3-ubyte.gz", X)
        write_idx(dest / f"{part}-labels-idx1-ubyte.gz", y)


def _cifar10(dest: Path, rng, *, n_train: int = 500, n_test: int = 100) -> None:
    """cifar-10-python.tar.gz: five data_batch_i and test_batch pickles of
    ``{b'data': uint8 (n, 3072), b'labels': list}`` and batches.meta, as the real archive
    (python-2 pickles, hence bytes keys)."""
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog",
             b"horse", b"ship", b"truck"]
    sizes = [n_train // 5 + (i < n_train % 5) for i in range(5)]
    blobs = {}
    for i, n in enumerate(sizes, 1):
        X, y = _images(rng, n, (3072,), 10)
        blobs[f"data_batch_{i}"] = {b"batch_label": f"training batch {i} of 5".encode(),
                                    b"labels": [int(v) for v in y], b"data": X,
                                    b"filenames": [f"img_{i}_{j}.png".encode()
                                                   for j in range(n)]}
    X, y = _images(rng, n_test, (3072,), 10)
    blobs["test_batch"] = {b"batch_label": b"testing batch 1 of 1",
                           b"labels": [int(v) for v in y], b"data": X,
                           b"filenames": [f"test_{j}.png".encode() for j in range(n_test)]}
    blobs["batches.meta"] = {b"num_cases_per_batch": max(sizes), b"label_names": names,
                             b"num_vis": 3072}
    with open(dest / "cifar-10-python.tar.gz", "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for name, obj in blobs.items():
            blob = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size, info.mtime = len(blob), 0
            tar.addfile(info, io.BytesIO(blob))


def _imagenet_val(dest: Path, rng, *, n_images: int = 40, n_classes: int = 1000) -> None:
    """An ImageNet-style folder: ``n_classes`` synset-named subfolders (n0000000..), JPEGs
    of ImageNet's typical sizes (500x375, 375x500, 500x333) in the first ``n_images``
    classes, one each, cycling when there are more images than classes."""
    from PIL import Image

    synsets = [f"n{i:08d}" for i in range(n_classes)]
    for s in synsets:
        (dest / s).mkdir(parents=True, exist_ok=True)
    sizes = [(500, 375), (375, 500), (500, 333)]
    for i in range(n_images):
        c = i % n_classes
        w, h = sizes[i % len(sizes)]
        base = np.full((h, w, 3), c % 256, np.uint8)
        noise = rng.integers(0, 128, (h // 8 + 1, w // 8 + 1, 3)).astype(np.uint8)
        im = base + np.kron(noise, np.ones((8, 8, 1), np.uint8))[:h, :w]
        Image.fromarray(im).save(dest / synsets[c] / f"ILSVRC2012_val_{i + 1:08d}.JPEG",
                                 quality=90)


_COMPAS_COLUMNS = [
    "id", "name", "sex", "age", "age_cat", "race", "juv_fel_count", "decile_score",
    "juv_misd_count", "juv_other_count", "priors_count", "days_b_screening_arrest",
    "c_charge_degree", "is_recid", "score_text", "two_year_recid"]


def _compas(dest: Path, rng, *, n: int = 600) -> None:
    """compas-scores-two-years.csv with the columns the ProPublica filter and our
    encoding read (and a few others), including rows the filter drops."""
    import pandas as pd

    age = rng.integers(18, 70, n)
    priors = rng.poisson(3, n)
    risk = 0.15 * priors - 0.04 * (age - 35) + rng.normal(0, 1, n)
    df = pd.DataFrame({
        "id": np.arange(1, n + 1), "name": [f"person {i}" for i in range(n)],
        "sex": np.where(rng.random(n) < 0.8, "Male", "Female"), "age": age,
        "age_cat": pd.cut(age, [0, 24, 45, 200],
                          labels=["Less than 25", "25 - 45", "Greater than 45"]),
        "race": rng.choice(["African-American", "Caucasian", "Hispanic", "Other", "Asian",
                            "Native American"], n, p=[.5, .34, .08, .05, .02, .01]),
        "juv_fel_count": rng.poisson(0.1, n), "decile_score": rng.integers(1, 11, n),
        "juv_misd_count": rng.poisson(0.1, n), "juv_other_count": rng.poisson(0.1, n),
        "priors_count": priors,
        "days_b_screening_arrest": rng.integers(-40, 40, n),
        "c_charge_degree": rng.choice(["F", "M", "O"], n, p=[.6, .38, .02]),
        "is_recid": np.where(rng.random(n) < 0.03, -1, (risk > 0).astype(int)),
        "score_text": rng.choice(["Low", "Medium", "High", "N/A"], n, p=[.5, .3, .18, .02]),
        "two_year_recid": (risk > 0).astype(int),
    })[_COMPAS_COLUMNS]
    df.to_csv(dest / "compas-scores-two-years.csv", index=False)


def _online_shoppers(dest: Path, rng, *, n: int = 600) -> None:
    """online_shoppers_intention.csv: the 18 columns of the UCI file (10 numeric, 7
    categorical, Revenue TRUE/FALSE)."""
    import pandas as pd

    num = {
        "Administrative": rng.poisson(2, n), "Administrative_Duration": rng.exponential(80, n),
        "Informational": rng.poisson(0.5, n), "Informational_Duration": rng.exponential(30, n),
        "ProductRelated": rng.poisson(30, n), "ProductRelated_Duration": rng.exponential(1200, n),
        "BounceRates": rng.uniform(0, 0.2, n), "ExitRates": rng.uniform(0, 0.2, n),
        "PageValues": rng.exponential(6, n) * (rng.random(n) < 0.25),
        "SpecialDay": rng.choice([0, 0.2, 0.4, 0.6, 0.8, 1.0], n, p=[.9] + [.02] * 5),
    }
    bought = num["PageValues"] + rng.normal(0, 3, n) > 8
    df = pd.DataFrame({
        **num,
        "Month": rng.choice(["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov",
                             "Dec"], n),
        "OperatingSystems": rng.integers(1, 9, n), "Browser": rng.integers(1, 14, n),
        "Region": rng.integers(1, 10, n), "TrafficType": rng.integers(1, 21, n),
        "VisitorType": rng.choice(["Returning_Visitor", "New_Visitor", "Other"], n),
        "Weekend": np.where(rng.random(n) < 0.23, "TRUE", "FALSE"),
        "Revenue": np.where(bought, "TRUE", "FALSE"),
    })
    df.to_csv(dest / "online_shoppers_intention.csv", index=False)


def _polish_bankruptcy(dest: Path, rng, *, n: int = 400) -> None:
    """polish+companies+bankruptcy+data.zip holding 1year.arff..5year.arff: numeric
    Attr1..Attr64 with '?' for missing values and a nominal class {0,1} (about 5 %
    bankrupt, as in the real years)."""
    head = "@relation '1year-weka.filters.unsupervised.instance.SubsetByExpression'\n\n" + \
        "".join(f"@attribute Attr{i} numeric\n" for i in range(1, 65)) + \
        "@attribute class {0,1}\n\n@data\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for year in range(1, 6):
            X = rng.normal(0, 1, (n, 64))
            y = (X[:, 0] - X[:, 1] + rng.normal(0, 0.5, n) > 2.2).astype(int)
            cells = np.char.mod("%.6g", X).astype(object)
            cells[rng.random(X.shape) < 0.01] = "?"
            rows = "".join(",".join(r) + f",{c}\n" for r, c in zip(cells, y))
            info = zipfile.ZipInfo(f"{year}year.arff", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, (head.replace("1year", f"{year}year") + rows).encode())
    (dest / "polish+companies+bankruptcy+data.zip").write_bytes(buf.getvalue())


# dataset name (attrobust.data's registry) -> writer(dest, rng, **size)
WRITERS: dict[str, Callable] = {
    "mnist": _mnist,
    "fashion_mnist": _mnist,  # the same four IDX files (a Debian package here, a download elsewhere)
    "cifar10": _cifar10,
    "imagenet_val": _imagenet_val,
    "compas": _compas,
    "online_shoppers": _online_shoppers,
    "polish_bankruptcy": _polish_bankruptcy,
}


def options(name: str) -> dict:
    """The size options of ``name``'s writer and their defaults."""
    import inspect

    params = inspect.signature(WRITERS[name]).parameters
    return {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY}


#: config key ``standins.torchvision_weights``: generated pretrained-weights files
WEIGHTS = "torchvision_weights"


def write_weights(archs, dest, *, seed: int = 0) -> dict[str, str]:
    """State-dict files of the torchvision architectures ``archs`` under the file names
    torchvision's hub cache uses (:data:`attrobust.models.PRETRAINED`), randomly initialised
    with ``seed``, and their ``SHA256SUMS``: they go through the workflow's fetch_weights
    rule and the train job's weight loading like the real files. Needs torchvision."""
    import torch
    import torchvision

    from .models import PRETRAINED

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    sums = {}
    for arch in sorted(set(archs)):
        torch.manual_seed(seed)
        state = torchvision.models.get_model(arch, weights=None).state_dict()
        path = dest / PRETRAINED[arch]
        buf = io.BytesIO()  # saved to memory: the archive does not take the temp file's name
        torch.save(state, buf)
        with atomic_path(path) as tmp:
            tmp.write_bytes(buf.getvalue())
        sums[path.name] = _sha256(path)
    _write_sums(dest, sums)
    return sums


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write(name: str, dest, *, seed: int = 0, **size) -> dict[str, str]:
    """Write the stand-in raw files of dataset ``name`` into ``dest`` and their
    ``SHA256SUMS`` (last); return {file: sha256}. Same name, seed and sizes give the
    same bytes."""
    if name not in WRITERS:
        raise ValueError(f"no stand-in for dataset {name!r} (config key standins); "
                         f"stand-ins exist for: {', '.join(sorted(WRITERS))}")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    seq = np.random.SeedSequence([seed, int.from_bytes(name.encode()[:8], "little")])
    unknown = sorted(set(size) - set(options(name)))
    if unknown:
        raise ValueError(f"config key standins.{name}: unknown option(s) "
                         f"{', '.join(unknown)}; allowed: {options(name)}")
    WRITERS[name](dest, np.random.default_rng(seq), **size)
    files = sorted(p for p in dest.rglob("*") if p.is_file() and p.name != SUMS_FILE)
    sums = {str(p.relative_to(dest)): _sha256(p) for p in files}
    _write_sums(dest, sums)
    return sums


def checksums(dest) -> dict[str, tuple[str, ...]]:
    """The stand-in's ``SHA256SUMS`` as pins for :func:`attrobust.data.fetch`."""
    path = Path(dest) / SUMS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: stand-in files incomplete (no {SUMS_FILE}); "
                                "delete the directory and rerun")
    return {f: (f"sha256:{d}",) for f, d in _read_sums(path).items()}
