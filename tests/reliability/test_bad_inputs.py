"""Bad inputs to models, explainers, metrics, attacks and figures: clear errors, never NaN.

NaN or Inf in an input, a wrong shape, a target class out of range: each public entry
point raises a ValueError subclass whose message says what is wrong; the figure functions
refuse non-finite results and name what produced them.
"""
from __future__ import annotations

import numpy as np
import pytest

from attrobust import attacks, explain, metrics, models, unification
from attrobust.plots import agarwal, alvarez_melis, nielsen

RNG = np.random.default_rng(0)
X_TAB = RNG.normal(size=(6, 4)).astype(np.float32)
Y_TAB = np.arange(6) % 3
X_IMG = RNG.random((2, 1, 8, 8)).astype(np.float32)


def _with(x, value, where=(0, 1)):
    x = x.copy()
    x[where] = value
    return x


@pytest.fixture(scope="module")
def mlp():
    return models.build("mlp", (4,), 3, seed=0)


@pytest.fixture(scope="module")
def cnn():
    return models.build("cnn_small", (1, 8, 8), 3, seed=0)


@pytest.fixture(scope="module")
def sk():
    m = models.build("logistic_regression", (4,), 3, seed=0)
    models.train(m, {"X_train": X_TAB, "y_train": Y_TAB, "X_test": X_TAB, "y_test": Y_TAB})
    return m


# ----------------------------------------------------------------------------- explain

@pytest.mark.parametrize("method, kw", [("saliency", {}), ("smoothgrad", {"n_samples": 2}),
                                        ("lime", {"num_samples": 20}), ("kernel_shap", {"nsamples": 10})])
@pytest.mark.parametrize("bad, words", [
    (_with(X_TAB, np.nan), ["NaN or Inf", "1 of 6 rows"]),
    (_with(X_TAB, np.inf), ["NaN or Inf"]),
    (X_TAB[:, :3], ["(6, 3)", "4"]),                 # one feature short
    (X_TAB[0], ["batch", "(4,)"]),                   # one input, not a batch
])
def test_explain_rejects_bad_inputs(mlp, method, kw, bad, words):
    if method in ("lime", "kernel_shap"):
        kw = {**kw, "background": X_TAB}
    with pytest.raises(explain.ExplainError) as err:
        explain.explain(method, mlp, bad, 0, **kw)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("target, words", [(3, ["target 3", "3 outputs"]), (-1, ["target -1", "3 outputs"]),
                                           ([0, 1], ["6 ints"]), (0.5, ["class indices"])])
def test_explain_rejects_target_out_of_range(mlp, target, words):
    with pytest.raises(explain.ExplainError) as err:
        explain.explain("saliency", mlp, X_TAB, target)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_explain_rejects_bad_background_and_sklearn_gradients(sk):
    with pytest.raises(explain.ExplainError, match="background contains NaN"):
        explain.explain("lime", sk, X_TAB, 0, background=_with(X_TAB, np.nan))
    with pytest.raises(explain.ExplainError, match="background has shape"):
        explain.explain("kernel_shap", sk, X_TAB, 0, background=X_TAB[:, :2])
    with pytest.raises(explain.ExplainError, match="needs a differentiable torch model"):
        explain.explain("saliency", sk, X_TAB, 0)
    with pytest.raises(explain.ExplainError, match=r"\(6, 5\).*\(N, 4\)"):
        explain.explain("lime", sk, np.zeros((6, 5), np.float32), 0, background=np.zeros((3, 5)))


def test_explain_refuses_a_model_that_outputs_nan():
    def nan_model(x):
        return np.full((len(x), 2), np.nan)

    with pytest.raises(explain.ExplainError, match="NaN/Inf attributions"):
        explain.explain("clime", nan_model, X_TAB, 0, n_samples=20)


# ------------------------------------------------------------------------------ models

@pytest.mark.parametrize("which", ["mlp", "sk"])
@pytest.mark.parametrize("bad, words", [
    (_with(X_TAB, np.nan), ["NaN or inf", "1 of 6 rows"]),
    (_with(X_TAB, -np.inf), ["NaN or inf"]),
    (X_TAB[:, :3], ["(6, 3)", "4"]),
    (X_TAB[0], ["(4,)", "batch"]),
])
def test_predict_proba_rejects_bad_inputs(request, which, bad, words):
    model = request.getfixturevalue(which)
    with pytest.raises(models.ModelError) as err:
        models.predict_proba(model, bad)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("change, words", [
    ({"X_train": _with(X_TAB, np.nan)}, ["X_train", "NaN or inf"]),
    ({"X_test": _with(X_TAB, np.inf)}, ["X_test", "NaN or inf"]),
    ({"X_train": X_TAB[:, :3]}, ["X_train", "shape", "(4,)"]),
    ({"y_train": Y_TAB + 1}, ["y_train", "labels outside [0, 3)"]),
    ({"y_train": Y_TAB[:4]}, ["X_train and y_train", "same"]),
])
@pytest.mark.parametrize("arch", ["mlp", "logistic_regression"])
def test_train_rejects_bad_data(arch, change, words):
    model = models.build(arch, (4,), 3, seed=0, **({"epochs": 1} if arch == "mlp" else {}))
    data = {"X_train": X_TAB, "y_train": Y_TAB, "X_test": X_TAB, "y_test": Y_TAB, **change}
    with pytest.raises(models.ModelError) as err:
        models.train(model, data)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_train_reports_divergence_instead_of_nan_weights():
    model = models.build("mlp", (4,), 3, seed=0, epochs=2, lr=1e30)
    data = {"X_train": X_TAB * 1e20, "y_train": Y_TAB, "X_test": X_TAB, "y_test": Y_TAB}
    with pytest.raises(models.ModelError, match="diverged"):
        models.train(model, data)


# ----------------------------------------------------------------------------- metrics

MAPS = RNG.random((3, 5, 5))


@pytest.mark.parametrize("name, kw", [("spearman", {}), ("kendall", {}), ("topk_intersection", {"k": 4}),
                                      ("center_shift", {}), ("lens_prec", {"k": 4, "w": 1}),
                                      ("lens_spearman", {"w": 1}), ("topk_div_intersection", {"k": 2, "w": 1})])
@pytest.mark.parametrize("a2, words", [
    (_with(MAPS, np.nan, (0, 1, 1)), ["a2", "NaN or Inf"]),
    (_with(MAPS, np.inf, (2, 0, 0)), ["a2", "NaN or Inf"]),
    (MAPS[:, :4], ["same shape", "(3, 5, 5)", "(3, 4, 5)"]),
    (MAPS[:, None], ["a2", "(N, C, H, W)", "saliency_map"]),
])
def test_metrics_reject_bad_maps(name, kw, a2, words):
    with pytest.raises(metrics.MetricError) as err:
        metrics.compute(name, MAPS, a2, **kw)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("k", [0, 26, 2.5, True])
def test_metrics_reject_k_out_of_range(k):
    with pytest.raises(metrics.MetricError, match=r"k must be an int in 1\.\.25"):
        metrics.topk_intersection(MAPS, MAPS, k)


def test_saliency_map_rejects_nan():
    with pytest.raises(metrics.MetricError, match="NaN or Inf"):
        metrics.saliency_map(_with(X_IMG, np.nan, (0, 0, 1, 1)))


# ----------------------------------------------------------------------------- attacks

@pytest.mark.parametrize("x, kw, words", [
    (_with(X_IMG, np.nan, (0, 0, 1, 1)), {}, ["finite images in [0, 1]"]),
    (_with(X_IMG, np.inf, (0, 0, 1, 1)), {}, ["finite images in [0, 1]"]),
    (X_IMG * 3, {}, ["[0, 1]"]),
    (X_IMG[:, :, :6, :6], {}, ["(1, 6, 6)", "(1, 8, 8)"]),
    (X_IMG[:, 0], {}, ["(N, C, H, W)"]),
    (X_IMG, {"target": 3}, ["target", "out of range", "3 outputs"]),
    (X_IMG, {"target": -1}, ["target", "out of range"]),
    (X_IMG, {"eps": float("nan")}, ["eps"]),
    (X_IMG, {"method": "gradcam"}, ["gradcam", "simple_gradient"]),
])
def test_attack_rejects_bad_inputs(cnn, x, kw, words):
    args = {"method": "simple_gradient", "eps": 0.05, **kw}
    with pytest.raises(attacks.AttackError) as err:
        attacks.attack("random_sign", cnn, x, **args)
    assert all(w in str(err.value) for w in words), str(err.value)


# ------------------------------------------------------------------------- unification

@pytest.mark.parametrize("x, kw, words", [
    (np.array([np.nan, 0, 0, 0]), {}, ["NaN or inf", "[0]"]),
    (np.array([0, 0, np.inf, 0]), {}, ["NaN or inf", "[2]"]),
    (np.zeros(5), {}, ["5 features", "(4,)"]),
    (np.zeros(4), {"target": 3}, ["target 3", "3 outputs"]),
    (np.zeros(4), {"target": -1}, ["target -1", "out of range"]),
    (np.zeros(4), {"sigma": 0.0}, ["sigma"]),
    (np.zeros(4), {"sigma": float("nan")}, ["sigma"]),
    (np.zeros(4), {"n_samples": 5}, ["n_samples", "D + 1"]),
])
def test_smoothgrad_clime_rejects_bad_inputs(mlp, x, kw, words):
    args = {"target": 0, "n_samples": 20, "sigma": 0.1, **kw}
    target = args.pop("target")
    with pytest.raises(ValueError) as err:
        unification.smoothgrad_clime(mlp, x, target, **args)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_curves_do_not_return_nan_rows(mlp):
    with pytest.raises(ValueError, match="NaN or inf"):
        unification.curves(mlp, _with(X_TAB[:2], np.nan), [0, 0], ns=[10], sigma=0.1, n_neighbours=1)


# ----------------------------------------------------------------------------- figures

def test_alvarez_melis_fig1_refuses_nan_explanations():
    ds = {"X_train": X_TAB[:, :2], "X_test": X_TAB[:, :2]}
    fitted = {"mlp_sklearn": models.build("logistic_regression", (2,), 3, seed=0)}
    models.train(fitted["mlp_sklearn"], {"X_train": X_TAB[:, :2], "y_train": Y_TAB,
                                         "X_test": X_TAB[:, :2], "y_test": Y_TAB})
    good = {"X": X_TAB[:3, :2], "A": np.ones((3, 2), np.float32)}
    bad = {"X": X_TAB[:3, :2], "A": _with(np.ones((3, 2), np.float32), np.nan)}
    expl = {("mlp_sklearn", "lime"): good, ("mlp_sklearn", "kernel_shap"): bad}
    with pytest.raises(ValueError) as err:
        alvarez_melis.fig1(ds, fitted, expl, n_show=2, resolution=10)
    assert "kernel_shap" in str(err.value) and "mlp_sklearn" in str(err.value)
    assert "rerun" in str(err.value)


def test_gallery_refuses_nan_explanations():
    good = {"X": X_IMG, "A": X_IMG, "y": np.array([0, 1]), "outputs": np.eye(3)[:2]}
    bad = {**good, "A": _with(X_IMG, np.inf, (1, 0, 2, 2))}
    with pytest.raises(ValueError) as err:
        nielsen.gallery({"saliency": good, "smoothgrad": bad}, n_images=2)
    assert "smoothgrad" in str(err.value) and "rerun" in str(err.value)


def test_agarwal_figure_refuses_nan_curves():
    import pandas as pd

    rows = [{"dataset": d, "model": "mlp_elu", "regime": "natural", "sigma": 0.1, "n": n, "point": 0,
             "gap": 1.0 / n, "maxdist_smoothgrad": 0.1, "maxdist_clime": 0.2}
            for d in ("wine_minmax", "simulated_minmax") for n in (10, 100)]
    rows[3]["gap"] = float("nan")  # simulated_minmax, n = 100
    with pytest.raises(ValueError) as err:
        agarwal.fig2(pd.DataFrame(rows), model="mlp_elu", sigma=0.1,
                     datasets=["wine_minmax", "simulated_minmax"])
    msg = str(err.value)
    assert "simulated_minmax" in msg and "mlp_elu" in msg and "rerun" in msg, msg


# ----------------------------------------------- library holes of issue #21, item 7

@pytest.mark.parametrize("x, kw, words", [
    (X_IMG, {"eps": 8}, ["eps=8", "[0, 1]", "/ 255", "0.03137"]),     # a 0-255 value
    (X_IMG, {"eps": 1e9}, ["eps=1000000000.0", "[0, 1]"]),
    (X_IMG, {"step": 2.0}, ["step=2.0", "[0, 1]"]),
    (X_IMG[:0], {}, ["x is an empty batch", "(0, 1, 8, 8)"]),
])
def test_attack_rejects_budgets_beyond_the_image_range_and_empty_batches(cnn, x, kw, words):
    args = {"method": "simple_gradient", "eps": 0.05, **kw}
    with pytest.raises(attacks.AttackError) as err:
        attacks.attack("topk", cnn, x, k=4, n_iter=1, **args)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_attack_takes_eps_at_the_range_bound(cnn):
    out = attacks.attack("random_sign", cnn, X_IMG, method="simple_gradient", eps=1.0)
    assert out["x_adv"].shape == X_IMG.shape


@pytest.mark.parametrize("method, kw, words", [
    ("integrated_gradients", {"n_steps": 0}, ["integrated_gradients", "n_steps=0", ">= 1"]),
    ("smoothgrad", {"n_samples": 0}, ["smoothgrad", "n_samples=0", ">= 1"]),
    ("smoothgrad", {"sigma": float("nan")}, ["smoothgrad", "sigma=nan", "finite", "> 0"]),
    ("lrp_epsilon", {"epsilon": -1}, ["lrp_epsilon", "epsilon=-1", ">= 0"]),
    ("lime", {"num_samples": 0, "background": X_TAB}, ["lime", "num_samples=0", ">= 1"]),
    ("kernel_shap", {"nsamples": 0, "background": X_TAB}, ["kernel_shap", "nsamples=0", "'auto'"]),
    ("clime", {"n_samples": 1}, ["clime", "n_samples=1", ">= 2"]),
    ("gradient_shap", {"nsamples": 2.5, "background": X_TAB}, ["gradient_shap", "nsamples=2.5", "an int"]),
])
def test_explain_rejects_bad_method_parameters(mlp, method, kw, words):
    with pytest.raises(explain.ExplainError) as err:
        explain.explain(method, mlp, X_TAB, 0, **kw)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", 3])
def test_unknown_device_is_rejected_naming_the_argument(mlp, device):
    from attrobust.utils import get_device

    with pytest.raises(explain.ExplainError, match=r"device=.*'auto', 'cpu', 'cuda'"):
        explain.explain("saliency", mlp, X_TAB, 0, device=device)
    with pytest.raises(ValueError, match=r"device=.*'cuda:<index>'"):
        get_device(device)
    model = models.build("mlp", (4,), 3, seed=0, epochs=1)
    with pytest.raises(ValueError, match=r"device=.*'auto', 'cpu'"):
        models.train(model, {"X_train": X_TAB, "y_train": Y_TAB, "X_test": X_TAB, "y_test": Y_TAB},
                     device=device)


@pytest.mark.parametrize("arch", ["mlp", "logistic_regression"])
def test_train_rejects_float_labels_of_a_classifier(arch):
    model = models.build(arch, (4,), 3, seed=0, **({"epochs": 1} if arch == "mlp" else {}))
    y = np.linspace(0, 1.9, 6)  # 0.38 would train as class 0 and report accuracy 0.0
    with pytest.raises(models.ModelError) as err:
        models.train(model, {"X_train": X_TAB, "y_train": y, "X_test": X_TAB, "y_test": Y_TAB})
    assert "y_train" in str(err.value) and "class indices" in str(err.value), str(err.value)


def test_train_takes_whole_float_labels():
    model = models.build("logistic_regression", (4,), 3, seed=0)
    m = models.train(model, {"X_train": X_TAB, "y_train": Y_TAB.astype(float), "X_test": X_TAB,
                             "y_test": Y_TAB})
    assert m["train_accuracy"] > 0


def test_cascade_rejects_a_scikit_learn_model(sk):
    from attrobust import sanity

    with pytest.raises(sanity.SanityError, match="model must be a torch nn.Module.*LogisticRegression"):
        sanity.cascade(sk)
