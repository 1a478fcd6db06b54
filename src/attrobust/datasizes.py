"""What is known of the registered datasets' sizes before any is loaded.

The config checks (:mod:`attrobust.config`) read these when the Snakefile is parsed: an
index, class or top-k size beyond the data fails before any job, and the `prepare` job
checks again with the sizes as loaded. So an edit here, or in `attrobust.config`, reruns
`prepare`, and Snakemake (9.27) then reruns every job downstream of it even though the arrays
come out the same (it does not compare a rerun job's outputs before scheduling the jobs that
read them): in effect the whole pipeline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import data


@dataclass(frozen=True)
class Size:
    """What is known of a dataset's arrays before it is loaded (config checks at parse
    time): examples in all, the official training part (None: split by test_fraction),
    classes (None: regression) and one example's shape (None where not known)."""
    n: int | None
    n_train: int | None
    n_classes: int | None
    input_shape: tuple[int, ...] | None


# Sizes of the registered datasets as their loaders return them (tests/reliability/
# test_bad_configs.py loads the embedded ones and compares; the others' files are pinned
# by checksum); None where only the files tell (compas' filtered rows, online_shoppers'
# unpinned file, polish_bankruptcy's year, a user's ImageNet folder).
_SIZES = {
    "synthetic2d": Size(1000, None, 2, (2,)),  # n: the loader's option `n`
    "digits": Size(1797, None, 10, (1, 8, 8)),
    "wine": Size(178, None, 3, (13,)),
    "breast_cancer": Size(569, None, 2, (30,)),
    "iris": Size(150, None, 3, (4,)),
    "diabetes": Size(442, None, None, (10,)),
    "fashion_mnist": Size(70000, 60000, 10, (1, 28, 28)),
    "boston_housing": Size(506, None, None, (13,)),
    "glass": Size(214, None, 6, (9,)),
    "ionosphere": Size(351, None, 2, (33,)),
    "sonar": Size(208, None, 2, (60,)),
    "pima_diabetes": Size(768, None, 2, (8,)),
    "house_votes84": Size(435, None, 2, (16,)),
    "mnist": Size(70000, 60000, 10, (1, 28, 28)),
    "cifar10": Size(60000, 50000, 10, (3, 32, 32)),
    "compas": Size(None, None, 2, None),
    "online_shoppers": Size(None, None, 2, (10,)),  # unpinned file: rows as downloaded
    "polish_bankruptcy": Size(None, None, 2, (64,)),
    "imagenet_val": Size(None, None, None, (3, 224, 224)),
}


def size(name: str, options: dict | None = None) -> Size:
    """:class:`Size` of dataset ``name`` loaded with ``options``, without loading it."""
    s = _SIZES[data.info(name).name]
    if name == "synthetic2d":
        s = replace(s, n=int(data._options(name, options or {}).get("n", s.n)))
    return s


def split_sizes(name: str, *, test_fraction: float = 0.2, n_samples: int | None = None,
                options: dict | None = None) -> tuple[int, int] | None:
    """(train, test) sizes that :func:`attrobust.data.load` gives, or None when the size is not known
    before loading. The same arithmetic as :func:`attrobust.data.load` (sklearn's train_test_split takes
    ceil(test_fraction * n) test examples)."""
    s = size(name, options)
    if s.n is None:
        return None
    if s.n_train is None:
        n = s.n if n_samples is None else min(int(n_samples), s.n)
        n_test = math.ceil(test_fraction * n)
        return n - n_test, n_test
    if n_samples is not None and n_samples < s.n:
        k = min(max(1, round(n_samples * s.n_train / s.n)), int(n_samples) - 1)
        return k, int(n_samples) - k
    return s.n_train, s.n - s.n_train
