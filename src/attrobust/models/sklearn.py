"""scikit-learn models: their builders (classifier or regressor chosen by ``task``) and
:func:`sklearn_predict`, with its fast path for forests.

scikit-learn is imported inside the functions (the registry stays cheap to import).
"""
from __future__ import annotations

import numpy as np

from .spec import ModelError


# --------------------------------------------------------------------------- sklearn builders
def _sk(path: str, **fixed):
    """Factory for ``sklearn.<path>(**fixed)``, imported on call."""
    def make():
        import importlib

        module, cls = path.rsplit(".", 1)
        return getattr(importlib.import_module(f"sklearn.{module}"), cls)(**fixed)

    return make


def _calibrated_linear_svc():
    """Linear SVC with Platt-scaled probabilities for LIME/SHAP: what ``SVC(probability=True)``
    did (5-fold internal CV + sigmoid), spelled the way scikit-learn >= 1.9 asks for."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(SVC(kernel="linear"), method="sigmoid", ensemble=False)


# name: (classifier factory, regressor factory or None)
_SKLEARN = {
    "random_forest": (_sk("ensemble.RandomForestClassifier"), _sk("ensemble.RandomForestRegressor")),
    "logistic_regression": (_sk("linear_model.LogisticRegression"), None),
    "linear_svm": (_calibrated_linear_svc, _sk("svm.SVR", kernel="linear")),
    "mlp_sklearn": (_sk("neural_network.MLPClassifier"), _sk("neural_network.MLPRegressor")),
}


def _sklearn(name: str):
    def builder(input_shape, n_classes, task, seed, **params):
        make = _SKLEARN[name][0 if task == "classification" else 1]
        if make is None:
            raise ModelError(
                f"architecture {name!r} has no regressor; for task='regression' use one of "
                f"{[n for n, (_, r) in _SKLEARN.items() if r]}"
            )
        est = make()
        known = est.get_params()
        # wrapped estimators (the calibrated SVC) take the inner model's parameters unprefixed
        inner = {k.split("__", 1)[1]: k for k in known if k.startswith("estimator__")}
        allowed = sorted({k for k in known if "__" not in k} | set(inner))
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ModelError(
                f"unknown hyper-parameter(s) {unknown} for architecture {name!r} "
                f"({type(est).__name__}); allowed: {allowed}"
            )
        params = {(k if k in known else inner[k]): v for k, v in params.items()}
        for key in ("random_state", "estimator__random_state"):
            if key in known:
                params.setdefault(key, seed)
        return est.set_params(**params)

    return builder


def sklearn_predict(model, X, *, proba: bool = True) -> np.ndarray:
    """``model.predict_proba(X)`` (``proba``) or ``model.predict(X)`` of a scikit-learn
    estimator, as float64.

    Random forests and extra-trees with one output take a fast path that computes exactly
    what scikit-learn's own method does (the same float32 input, each tree's prediction
    added in the same order to a float64 zero array, then divided by the number of trees;
    bit-identical, ``test_models``) without dispatching every tree through
    ``sklearn.utils.parallel``, whose per-call config and warning-filter bookkeeping costs
    ~60 us per tree: ~6 ms of the ~8 ms a 100-tree forest takes for a few rows. LIME,
    Kernel SHAP and the Lipschitz searches send thousands of such small batches.
    """
    from sklearn.ensemble import (ExtraTreesClassifier, ExtraTreesRegressor,
                                  RandomForestClassifier, RandomForestRegressor)

    forests = (RandomForestClassifier, ExtraTreesClassifier) if proba else \
        (RandomForestRegressor, ExtraTreesRegressor)
    X = np.asarray(X)
    fast = (isinstance(model, forests) and getattr(model, "n_outputs_", 0) == 1
            and not hasattr(model, "feature_names_in_") and X.ndim == 2
            and X.shape[1] == getattr(model, "n_features_in_", -1) and np.isfinite(X).all())
    if not fast:  # scikit-learn's own checks and errors
        return np.asarray(model.predict_proba(X) if proba else model.predict(X), dtype=np.float64)
    X = np.ascontiguousarray(X, dtype=np.float32)  # what _validate_X_predict gives the trees
    out = np.zeros((len(X), model.n_classes_) if proba else (len(X),), dtype=np.float64)
    for tree in model.estimators_:
        out += tree.predict_proba(X, check_input=False) if proba else tree.predict(X, check_input=False)
    out /= len(model.estimators_)
    return out
