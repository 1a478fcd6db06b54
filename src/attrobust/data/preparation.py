"""From raw files to the arrays the workflow saves: split, impute, scale, save, read back.

:func:`load` turns raw files into a train/test split with train-only scaling and
:func:`prepare` saves it (``.npz`` without pickles, provenance ``.json``);
:func:`load_prepared` reads it back.
"""
from __future__ import annotations

import inspect
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..utils import load_npz, save_json, save_npz
from .errors import ChecksumError, DataError
from .fetching import SUMS_FILE, _digests, _read_sums
from .loaders import _LOADERS
from .registry import DatasetInfo, info, raw_files

SCALINGS = ("standard", "minmax", "none")


def _options(name: str, options: dict) -> dict:
    params = inspect.signature(_LOADERS[name]).parameters
    allowed = {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise DataError(
            f"dataset {name!r}: unknown option(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(f'{k} (default {v!r})' for k, v in allowed.items()) or 'none'}")
    return options


def _raw_dir(ds: DatasetInfo, raw_dir) -> Path | None:
    if ds.origin == "embedded":
        return None
    if raw_dir is None:
        if ds.default_mirror and Path(ds.default_mirror).is_dir():
            return Path(ds.default_mirror)
        raise DataError(
            f"dataset {ds.name!r} needs raw files: run fetch({ds.name!r}, DIR) "
            f"(the workflow's download rule) and pass raw_dir=DIR, or set "
            f"mirrors.{ds.mirror_key}")
    raw = Path(raw_dir)
    missing = [f for f in raw_files(ds.name) if not (raw / f).is_file()]
    if missing or not raw.is_dir():
        raise DataError(f"dataset {ds.name!r}: {', '.join(missing) or 'directory'} missing "
                        f"in {raw}; run fetch({ds.name!r}, {str(raw)!r}) first")
    # files changed since fetch() checked them (truncated, edited) are not data
    for fname, digest in _read_sums(raw / SUMS_FILE).items():
        if fname in raw_files(ds.name) and _digests(raw / fname)["sha256"] != digest:
            raise ChecksumError(
                f"dataset {ds.name!r}: {raw / fname} has changed since it was fetched (its "
                f"sha256 differs from {raw / SUMS_FILE}); delete {raw / SUMS_FILE} and rerun "
                f"the workflow (or fetch({ds.name!r}, {str(raw)!r})) to refetch it")
    return raw


def _split(y, seed: int, stratify: bool, **size):
    """Index arrays (first, rest) of a random split, stratified by ``y`` when possible."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    try:
        return train_test_split(idx, random_state=seed, stratify=y if stratify else None,
                                **size)
    except ValueError:  # some class has too few members to stratify
        return train_test_split(idx, random_state=seed, **size)


def _subsample(y, k: int | None, seed: int, stratify: bool) -> np.ndarray:
    if k is None or k >= len(y):
        return np.arange(len(y))
    return np.sort(_split(y, seed, stratify, train_size=int(k))[0])


def _fit_scaling(X: np.ndarray, kind: str):
    if kind == "standard":  # z-score (Alvarez-Melis & Jaakkola: eps in standard units)
        loc, scale = X.mean(0), X.std(0)
    else:  # 'minmax' to [0, 1] (Agarwal et al. 2021, Sec. 5)
        loc, scale = X.min(0), X.max(0) - X.min(0)
    scale = np.where(scale > 0, scale, 1.0)  # constant column: leave it centred, no NaN
    return loc, scale


def load(name: str, raw_dir=None, *, test_fraction: float = 0.2, seed: int = 0,
         scaling: str = "standard", n_samples: int | None = None, **options) -> dict:
    """Load ``name`` as a train/test split.

    Tabular sets: (stratified, for classification) ``train_test_split`` with
    ``random_state=seed``; missing values imputed with the train median; ``scaling``
    ('standard', 'minmax' or 'none') fitted on the train part only, X_scaled =
    (X - loc) / scale. Image sets: X is (N, C, H, W) in [0, 1] and ``scaling`` is ignored;
    the official train/test split is used when the dataset has one. ``n_samples`` caps
    the total size (train + test), subsampled with ``seed`` keeping class proportions.
    """
    ds = info(name)
    options = _options(name, options)
    if scaling not in SCALINGS:
        raise DataError(f"dataset {name!r}: scaling={scaling!r} (config key 'scaling') "
                        f"must be one of {', '.join(SCALINGS)}")
    if not 0 < test_fraction < 1:
        raise DataError(f"dataset {name!r}: test_fraction={test_fraction!r} must be in (0, 1)")
    if n_samples is not None and int(n_samples) < 4:
        raise DataError(f"dataset {name!r}: n_samples={n_samples!r} must be >= 4 or None")
    raw = _raw_dir(ds, raw_dir)
    X, y, feature_names, class_names, n_train = _LOADERS[name](raw, seed, **options)
    clf = ds.task == "classification"
    y = np.asarray(y, np.int64 if clf else np.float32)

    if n_train is None:
        keep = _subsample(y, n_samples, seed, clf)
        X, y = X[keep], y[keep]
        train, test = _split(y, seed, clf, test_size=test_fraction)
    else:
        train, test = np.arange(n_train), np.arange(n_train, len(y))
        if n_samples is not None and n_samples < len(y):
            k = min(max(1, round(n_samples * n_train / len(y))), int(n_samples) - 1)
            train = train[_subsample(y[train], k, seed, clf)]
            test = test[_subsample(y[test], int(n_samples) - k, seed, clf)]
    X_train, X_test = X[train], X[test]

    scale_info = None
    if ds.kind == "image":
        if X.dtype == np.uint8:
            X_train, X_test = X_train / np.float32(255), X_test / np.float32(255)
    else:
        X_train, X_test = X_train.astype(np.float64), X_test.astype(np.float64)
        if np.isnan(X_train).any() or np.isnan(X_test).any():
            with warnings.catch_warnings():  # all-missing train column: median 0
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nan_to_num(np.nanmedian(X_train, axis=0), nan=0.0)
            X_train = np.where(np.isnan(X_train), med, X_train)
            X_test = np.where(np.isnan(X_test), med, X_test)
        if scaling != "none":
            loc, scale = _fit_scaling(X_train, scaling)
            X_train, X_test = (X_train - loc) / scale, (X_test - loc) / scale
            scale_info = {"kind": scaling, "loc": loc.tolist(), "scale": scale.tolist()}
    return {
        "X_train": np.ascontiguousarray(X_train, np.float32), "y_train": y[train],
        "X_test": np.ascontiguousarray(X_test, np.float32), "y_test": y[test],
        "feature_names": list(feature_names), "class_names": list(class_names),
        "task": ds.task, "kind": ds.kind, "input_shape": tuple(X_train.shape[1:]),
        "scaling": scale_info,
    }


def prepare(name: str, raw_dir, out_npz, out_json, **load_kwargs) -> dict:
    """:func:`load`, then save the arrays (``.npz``, no pickles) and provenance (``.json``)."""
    import sklearn

    d = load(name, raw_dir, **load_kwargs)
    save_npz(out_npz, X_train=d["X_train"], y_train=d["y_train"], X_test=d["X_test"],
             y_test=d["y_test"], feature_names=np.array(d["feature_names"], dtype=str),
             class_names=np.array(d["class_names"], dtype=str),
             task=np.array(d["task"]), kind=np.array(d["kind"]))
    counts = None
    if d["task"] == "classification":
        counts = {part: {d["class_names"][c]: int(n)
                         for c, n in zip(*np.unique(d[f"y_{part}"], return_counts=True))}
                  for part in ("train", "test")}
    ds = info(name)
    from .. import __version__

    save_json(out_json, {
        "dataset": asdict(ds),
        "raw_dir": None if raw_dir is None else str(raw_dir),
        "load_kwargs": load_kwargs,
        "shapes": {k: list(d[k].shape) for k in ("X_train", "y_train", "X_test", "y_test")},
        "input_shape": list(d["input_shape"]), "task": d["task"], "kind": d["kind"],
        "feature_names": d["feature_names"], "class_names": d["class_names"],
        "class_counts": counts, "scaling": d["scaling"],
        "raw_sha256": _read_sums(Path(raw_dir) / SUMS_FILE) if raw_dir is not None else {},
        "versions": {"numpy": np.__version__, "scikit-learn": sklearn.__version__,
                     "python": sys.version.split()[0], "attrobust": __version__},
    })
    return d


def load_prepared(path) -> dict:
    """Read a ``results/data/{dataset}.npz`` written by :func:`prepare`.

    Returns the arrays plus ``task``, ``kind``, ``input_shape`` and ``n_classes``
    (1 for regression), the keys :func:`load` returns and models need.
    """
    d = load_npz(path)
    out = {k: d[k] for k in ("X_train", "y_train", "X_test", "y_test")}
    out["feature_names"] = d["feature_names"].tolist()
    out["class_names"] = d["class_names"].tolist()
    out["task"], out["kind"] = str(d["task"]), str(d["kind"])
    out["input_shape"] = tuple(int(s) for s in out["X_train"].shape[1:])
    out["n_classes"] = len(out["class_names"]) if out["task"] == "classification" else 1
    return out
