"""The Nielsen et al. (2022) claims of the ledger on small hand-made tables."""
from __future__ import annotations

import pandas as pd

from attrobust import claims


def _images(df, n=6):
    """``df`` repeated over ``n`` images, values jittered by +-1% so the units differ."""
    return pd.concat([df.assign(image=i, **{c: df[c] * (1 + 0.01 * (-1) ** i) for c in ("value", "spearman")
                                            if c in df}) for i in range(n)], ignore_index=True)


def _ledger(table, df, context=None):
    led = claims.evaluate({table: df}, {table: context or {}})
    return led.set_index("claim")


def test_gradcam_class_claim():
    df = pd.DataFrame({"method": ["gradcam", "gradcam", "saliency", "saliency"], "image": [0, 1, 0, 1],
                       "spearman": [0.1, 0.2, 0.5, 0.6]})
    led = _ledger("nielsen_class", df)
    assert led.loc["nielsen-gradcam-class-sensitive", "verdict"] == "holds"
    df["spearman"] = [0.9, 0.9, 0.1, 0.1]
    assert _ledger("nielsen_class", df).loc["nielsen-gradcam-class-sensitive", "verdict"] == "contradicted"
    led = _ledger("nielsen_class", df[df["method"] == "saliency"])
    assert led.loc["nielsen-gradcam-class-sensitive", "verdict"] == "not evaluated"


def _sanity(rho, fit=0.9):
    rows = []
    for m, (top, data) in rho.items():
        for metric in ("spearman_abs", "ssim"):
            rows += [{"method": m, "test": "cascading", "n_randomized": 1, "layer": "head.2", "image": 0,
                      "metric": metric, "value": top},
                     {"method": m, "test": "data", "n_randomized": -1, "layer": "", "image": 0,
                      "metric": metric, "value": data, "permuted_train_accuracy": fit}]
    return pd.DataFrame(rows)


def test_sanity_claims():
    df = _images(_sanity({"guided_backprop": (0.8, 0.7), "saliency": (0.3, 0.1), "gradcam": (0.1, 0.5)}))
    led = _ledger("nielsen_sanity", df)
    assert led.loc["nielsen-guided-backprop-top-layer", "verdict"] == "holds"
    assert led.loc["nielsen-permuted-labels-saliency", "verdict"] == "holds"
    df = _images(_sanity({"guided_backprop": (0.2, 0.05), "saliency": (0.3, 0.1)}))
    led = _ledger("nielsen_sanity", df)
    assert led.loc["nielsen-guided-backprop-top-layer", "verdict"] == "contradicted"
    assert led.loc["nielsen-permuted-labels-saliency", "verdict"] == "contradicted"


def test_permuted_labels_claim_needs_a_model_that_fit_its_labels():
    """A permuted-label model at chance (maps ~constant, every similarity ~0) decides nothing:
    the real-data tier's first run had such a model (train accuracy 0.10) and read 'contradicted'."""
    rho = {"guided_backprop": (0.8, 0.0), "saliency": (0.3, 0.0), "gradcam": (0.1, 0.0)}
    led = _ledger("nielsen_sanity", _images(_sanity(rho, fit=0.10)))
    assert led.loc["nielsen-permuted-labels-saliency", "verdict"] == "not evaluated"
    assert "permuted_n_train" in led.loc["nielsen-permuted-labels-saliency", "measured"]
    assert led.loc["nielsen-guided-backprop-top-layer", "verdict"] == "holds"  # the other check stands
    led = _ledger("nielsen_sanity", _images(_sanity(rho, fit=0.99)))
    assert led.loc["nielsen-permuted-labels-saliency", "verdict"] != "not evaluated"


def test_pgd_and_sensitivity_claims():
    df = pd.DataFrame({"model": ["a", "a", "b", "b"], "regime": ["natural", "natural", "pgd", "pgd"],
                       "method": "saliency", "image": 0, "quantity": ["mass_inside", "gini"] * 2,
                       "value": [0.5, 0.4, 0.7, 0.6]})
    assert _ledger("nielsen_pgd", df, {"models": ["a", "b"]}).loc[
        "nielsen-pgd-saliency-concentrated", "verdict"] == "inconclusive"  # one image decides nothing
    df = _images(df)
    led = _ledger("nielsen_pgd", df, {"models": ["a", "b"]})
    assert led.loc["nielsen-pgd-saliency-concentrated", "verdict"] == "holds"
    assert "0.5/0.7" in led.loc["nielsen-pgd-saliency-concentrated", "measured"]
    f = _images(pd.DataFrame({"method": ["saliency", "occlusion", "lime"], "image": 0, "quantity": "max_sensitivity",
                              "fraction": float("nan"), "value": [0.1, 0.2, 0.3]}))
    assert _ledger("nielsen_faithfulness", f).loc["nielsen-gradient-lower-max-sensitivity", "verdict"] == "holds"
    f["value"] = [0.25, 0.2, 0.3] * 6
    assert _ledger("nielsen_faithfulness", f).loc["nielsen-gradient-lower-max-sensitivity", "verdict"] == "contradicted"
