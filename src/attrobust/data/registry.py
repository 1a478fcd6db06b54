"""Dataset registry: one :class:`DatasetInfo` per dataset name, torch- and pandas-free.

The Snakefile and the config check read it at parse time (names, origins, raw files,
mirror keys), so it imports only the standard library. Three kinds of origin (see
:data:`REGISTRY`):

- ``embedded``: bundled with scikit-learn or generated here; no files, no network.
- ``mirror`` / ``download``: raw files obtained by :func:`attrobust.data.fetch` into a
  directory, either copied from a local mirror (config key ``mirrors.<mirror_key>``, e.g.
  the Debian packages ``dataset-fashion-mnist`` and ``r-cran-mlbench``) or downloaded
  from the upstream URL, each checked against its pinned checksums (:attr:`RawFile.checksums`).
- ``user``: a directory the user provides (ImageNet validation images).

:func:`howto` says where to get a dataset's raw files when neither works. The loader of
each name is in :mod:`attrobust.data.loaders` (``_LOADERS``, the same keys).
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import DataError


@dataclass(frozen=True)
class RawFile:
    name: str
    url: str | None
    checksums: tuple[str, ...] = ()  # "sha256:<hex>" / "md5:<hex>"; any may match


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    kind: str  # 'tabular' | 'image'
    task: str  # 'classification' | 'regression'
    origin: str  # 'embedded' | 'mirror' | 'download' | 'user'
    source: str
    license: str
    files: tuple[RawFile, ...] = ()
    mirror_key: str | None = None
    default_mirror: str | None = None
    description: str = ""


ORIGINS = ("embedded", "mirror", "download", "user")

_UCI = "CC BY 4.0 (UCI Machine Learning Repository)"


def _emb(name, kind, task, source, license, description) -> DatasetInfo:
    return DatasetInfo(name, kind, task, "embedded", source, license, description=description)


def _idx_files(base_url: str, sums: dict[str, tuple[str, ...]]) -> tuple[RawFile, ...]:
    return tuple(RawFile(f, base_url + f, s) for f, s in sums.items())


_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_FASHION_SUMS = {  # upstream md5, and sha256 of the Debian re-compressed files
    "train-images-idx3-ubyte.gz": (
        "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "sha256:b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
    "train-labels-idx1-ubyte.gz": (
        "md5:25c81989df183df01b3e8a0aad5dffbe",
        "sha256:0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
    "t10k-images-idx3-ubyte.gz": (
        "md5:bef4ecab320f06d8554ea6380940ec79",
        "sha256:cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
    "t10k-labels-idx1-ubyte.gz": (
        "md5:bb300cfdad3c16e7a12a480ee83cd310",
        "sha256:8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
}
_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_MNIST_SUMS = {  # the checksums torchvision pins
    "train-images-idx3-ubyte.gz": ("md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",),
    "train-labels-idx1-ubyte.gz": ("md5:d53e105ee54ea40749a09fcbcd1e9432",),
    "t10k-images-idx3-ubyte.gz": ("md5:9fb629c4189551a2d022fa330f9573f3",),
    "t10k-labels-idx1-ubyte.gz": ("md5:ec29112dd5afa0611ce80d1b7f02629c",),
}
_MLBENCH_DIR = "/usr/lib/R/site-library/mlbench/data"
_MLBENCH_SUMS = {  # Debian r-cran-mlbench 2.1-3-1
    "BostonHousing": "ba0ed85a4af37d0b89ae8742b25d8a0c79b1c132c3e25f6a413639ddbba49e1b",
    "Glass": "dd6d25227d9b49c30a4de04566bec1a2877e790b7690544ad848d847144f32b7",
    "Ionosphere": "1e72974db40749e025434dbb45c815c826d3cce7c1b324fd07ee89aee44e08b7",
    "Sonar": "e75dbab91efeba53ff00d13281977619a9e584bd2ccff48550e8a252f7c49cd4",
    "PimaIndiansDiabetes": "fc134e041577d3ff2b784e1610b6fbbe165f815abc83652ba77a28f4bccb89ec",
    "HouseVotes84": "18318b91a4b1dfaa2d1f9ff915aff018c2bb3140386073bfc02136fbf8e232b7",
}


def _mlbench(name, rda, task, source, description) -> DatasetInfo:
    return DatasetInfo(
        name, "tabular", task, "mirror",
        f"{source}; via R package mlbench (Leisch & Dimitriadou), file data/{rda}.rda",
        "GPL-2 (R package mlbench); data from the UCI Machine Learning Repository",
        (RawFile(f"{rda}.rda", None, (f"sha256:{_MLBENCH_SUMS[rda]}",)),),
        "mlbench", _MLBENCH_DIR, description)


def _download(name, kind, url, checksums, source, license, description,
              task="classification") -> DatasetInfo:
    # mirror_key lets users with a local copy of the files skip the download
    return DatasetInfo(name, kind, task, "download", source, license,
                       (RawFile(url.rsplit("/", 1)[1], url, checksums),), name, None,
                       description)


_REGISTRY_LIST = [
    _emb("synthetic2d", "tabular", "classification", "generated (attrobust.data)",
         "generated; no restrictions",
         "Two 2-D Gaussian classes with different covariances (curved Bayes boundary); "
         "Alvarez-Melis & Jaakkola 2018 Fig. 1, Agarwal et al. 2021 'Simulated'."),
    _emb("digits", "image", "classification",
         "scikit-learn load_digits; UCI Optical Recognition of Handwritten Digits", _UCI,
         "1797 8x8 grey-level digits, pixels 0..16 scaled to [0, 1]."),
    _emb("wine", "tabular", "classification", "scikit-learn load_wine; UCI Wine", _UCI,
         "178 wines, 13 chemical measurements, 3 cultivars."),
    _emb("breast_cancer", "tabular", "classification",
         "scikit-learn load_breast_cancer; UCI Breast Cancer Wisconsin (Diagnostic)", _UCI,
         "569 tumours, 30 real-valued features, malignant/benign."),
    _emb("iris", "tabular", "classification", "scikit-learn load_iris; UCI Iris (Fisher 1936)",
         _UCI, "150 flowers, 4 features, 3 species."),
    _emb("diabetes", "tabular", "regression",
         "scikit-learn load_diabetes(scaled=False); Efron et al. 2004, Least Angle Regression",
         "BSD-3-Clause as distributed with scikit-learn; data from Efron et al. 2004",
         "442 patients, 10 baseline variables, disease progression after one year."),
    DatasetInfo(
        "fashion_mnist", "image", "classification", "mirror",
        "Xiao, Rasul & Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist",
        "MIT (Zalando Research)", _idx_files(_FASHION_URL, _FASHION_SUMS),
        "fashion_mnist", "/usr/share/datasets/fashion-mnist",
        "70000 28x28 grey-level clothing images, 10 classes, official 60000/10000 split."),
    _mlbench("boston_housing", "BostonHousing", "regression",
             "Harrison & Rubinfeld 1978, UCI Boston Housing",
             "506 tracts, 13 features (factor chas as 0/1), target medv; note that the "
             "feature b encodes race and the set is considered ethically problematic."),
    _mlbench("glass", "Glass", "classification", "UCI Glass Identification",
             "214 glass fragments, 9 chemical features, 6 types."),
    _mlbench("ionosphere", "Ionosphere", "classification", "UCI Ionosphere",
             "351 radar returns, 33 features (constant V2 dropped, factor V1 as 0/1), good/bad."),
    _mlbench("sonar", "Sonar", "classification", "UCI Connectionist Bench (Sonar)",
             "208 sonar returns, 60 band energies, mine/rock."),
    _mlbench("pima_diabetes", "PimaIndiansDiabetes", "classification",
             "UCI Pima Indians Diabetes", "768 patients, 8 features, neg/pos."),
    _mlbench("house_votes84", "HouseVotes84", "classification",
             "UCI Congressional Voting Records 1984",
             "435 representatives, 16 votes coded y=1, n=0, missing=0.5; democrat/republican."),
    DatasetInfo(
        "mnist", "image", "classification", "download",
        "LeCun, Cortes & Burges, http://yann.lecun.com/exdb/mnist/ (torchvision mirror)",
        "CC BY-SA 3.0 (LeCun & Cortes)", _idx_files(_MNIST_URL, _MNIST_SUMS), "mnist", None,
        "70000 28x28 handwritten digits, official 60000/10000 split."),
    _download("cifar10", "image", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
              ("md5:c58f30108f718f92721af3b95e74349a",),
              "Krizhevsky 2009, https://www.cs.toronto.edu/~kriz/cifar.html",
              "no explicit licence; free for research use",
              "60000 32x32 colour images, 10 classes, official 50000/10000 split."),
    _download("compas", "tabular",
              "https://raw.githubusercontent.com/propublica/compas-analysis/master/"
              "compas-scores-two-years.csv", (),
              "ProPublica 2016, https://github.com/propublica/compas-analysis",
              "ProPublica data; no explicit licence file in the repository",
              "ProPublica two-year recidivism, standard filter, 7 numeric + one-hot features."),
    _download("online_shoppers", "tabular",
              "https://archive.ics.uci.edu/ml/machine-learning-databases/00468/"
              "online_shoppers_intention.csv", (),
              "Sakar et al. 2019, UCI Online Shoppers Purchasing Intention", _UCI,
              "12330 sessions, the 10 numeric features (categorical dropped), target Revenue."),
    _download("polish_bankruptcy", "tabular",
              "https://archive.ics.uci.edu/static/public/365/"
              "polish+companies+bankruptcy+data.zip", (),
              "Zieba, Tomczak & Tomczak 2016, UCI Polish Companies Bankruptcy", _UCI,
              "Financial ratios Attr1..Attr64 of one forecasting year (option year=1..5); "
              "missing values imputed with the train median."),
    DatasetInfo(
        "imagenet_val", "image", "classification", "user",
        "Russakovsky et al. 2015, ILSVRC2012 validation set, https://image-net.org",
        "ImageNet terms of access (non-commercial research)", (), "imagenet_val", None,
        "User-provided directory of images in one subfolder per synset; resized to 256 "
        "(shorter side) and centre-cropped to 224."),
]
REGISTRY: dict[str, DatasetInfo] = {d.name: d for d in _REGISTRY_LIST}

# Where to get the files when neither a mirror nor a download works.
_HOWTO = {
    "fashion_mnist": "install the Debian package (`apt-get install dataset-fashion-mnist`, "
                     "files in /usr/share/datasets/fashion-mnist; as root on Debian `make data "
                     "CONFIG=<your config>` does it) or download the four .gz files from "
                     f"{_FASHION_URL} and set mirrors.fashion_mnist to their directory",
    "mlbench": "`apt-get install r-cran-mlbench` (as root on Debian `make data CONFIG=<your "
               "config>` does it; files in "
               f"{_MLBENCH_DIR}), or `apt-get download r-cran-mlbench && dpkg -x "
               "r-cran-mlbench_*.deb DIR` and set mirrors.mlbench: "
               f"DIR{_MLBENCH_DIR}",
    "imagenet_val": "download the ILSVRC2012 validation images from https://image-net.org "
                    "(registration needed), sort them into one subfolder per synset "
                    "(e.g. with valprep.sh) and set mirrors.imagenet_val to that directory",
}


def names(origin: str | None = None) -> list[str]:
    """Registered dataset names, optionally only those of one ``origin``."""
    if origin is not None and origin not in ORIGINS:
        raise DataError(f"unknown dataset origin {origin!r}; allowed: {', '.join(ORIGINS)}")
    return [n for n, d in REGISTRY.items() if origin is None or d.origin == origin]


def info(name: str) -> DatasetInfo:
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise DataError(
            f"unknown dataset {name!r} (config key 'dataset'); registered datasets: "
            f"{', '.join(sorted(REGISTRY))}") from None


def raw_files(name: str) -> list[str]:
    """Names of the files :func:`fetch` puts into its directory (besides SHA256SUMS)."""
    return [f.name for f in info(name).files]


def howto(ds: DatasetInfo) -> str:
    """Where to get a dataset's raw files and which config key to set, in one sentence."""
    how = _HOWTO.get(ds.mirror_key or "")
    if how:
        return f"To get the files: {how}."
    urls = ", ".join(f.url for f in ds.files if f.url)
    return (f"Download {urls} on a machine with internet access and set "
            f"mirrors.{ds.mirror_key} to the directory holding the file(s).")
