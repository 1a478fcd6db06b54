"""Tests for attrobust.explain: every method's contract, the methods' defining identities
(IG completeness, saliency = autograd gradient, Grad-CAM >= 0, C-LIME on a linear model,
Agarwal et al.'s SmoothGrad = C-LIME in expectation), seeding and error messages."""
from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from torch import nn

from _nets import CNN, MLP, CNNFlatten
from attrobust import explain as E
from attrobust.explain import ExplainError, explain

# small sample counts keep the whole file fast
SMALL = {"smoothgrad": {"n_samples": 8}, "gradient_shap": {"nsamples": 16},
         "lime": {"num_samples": 100}, "kernel_shap": {"nsamples": 60}, "clime": {"n_samples": 100}}
NEEDS_BACKGROUND = {"gradient_shap", "lime", "kernel_shap"}
IMAGE_ONLY = {"gradcam", "guided_gradcam"}
TABULAR_ONLY: set[str] = set()


def _params(name, x, **extra):
    p = dict(SMALL.get(name, {}))
    if name in NEEDS_BACKGROUND:
        p["background"] = x
    return {**p, **extra}


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).normal(size=(4, 1, 8, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def table():
    return np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X.astype(np.float32), LogisticRegression(max_iter=500).fit(X, y)


# ----------------------------------------------------------------------------- registry

def test_registry_imports_without_heavy_libraries():
    code = ("import sys, attrobust.explain as e; assert len(e.METHODS) == 15; "
            "bad = [m for m in ('torch', 'captum', 'lime', 'shap', 'sklearn') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_defaults_are_the_methods_parameters():
    for name, m in E.METHODS.items():
        kw = {p.name for p in inspect.signature(m.fn).parameters.values() if p.kind == p.KEYWORD_ONLY}
        assert kw - {"seed"} == set(m.defaults), name
        assert m.kind in E.KINDS and m.reference and m.name == name


def test_names_by_kind():
    assert set(E.names("gradient")) | set(E.names("blackbox")) == set(E.names()) == set(E.METHODS)
    assert "clime" in E.names("blackbox") and "saliency" in E.names("gradient")
    with pytest.raises(ExplainError, match="gradient"):
        E.names("white")


# -------------------------------------------------------------------- shapes, finiteness

@pytest.mark.parametrize("name", sorted(set(E.METHODS) - TABULAR_ONLY))
def test_every_image_method_on_cnn(name, images):
    a = explain(name, CNN(), images, **_params(name, images))
    assert a.shape == images.shape and a.dtype == np.float32
    assert np.isfinite(a).all() and np.abs(a).sum() > 0


@pytest.mark.parametrize("name", sorted(set(E.METHODS) - IMAGE_ONLY))
def test_every_tabular_method_on_mlp(name, table):
    a = explain(name, MLP(6, 3), table, **_params(name, table))
    assert a.shape == table.shape and np.isfinite(a).all() and np.abs(a).sum() > 0


@pytest.mark.parametrize("name", E.names("blackbox"))
def test_blackbox_methods_on_sklearn_and_callables(name, iris):
    X, clf = iris
    x = X[::30]
    a = explain(name, clf, x, **_params(name, X))
    assert a.shape == x.shape and np.isfinite(a).all() and np.abs(a).sum() > 0
    # a plain callable numpy -> probabilities gives the same
    b = explain(name, clf.predict_proba, x, **_params(name, X))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", E.names("blackbox"))
def test_blackbox_methods_on_a_regression_model(name, table):
    from sklearn.linear_model import LinearRegression

    w = np.arange(6.0)
    train = np.random.default_rng(9).normal(size=(50, 6))
    reg = LinearRegression().fit(train, train @ w + 1)
    a = explain(name, reg, table, target=7, **_params(name, table))  # target ignored
    assert a.shape == table.shape and np.isfinite(a).all()
    assert np.all(a[:, 1:] * (table[:, 1:] if name == "kernel_shap" else 1) != 0)
    if name == "clime":
        np.testing.assert_allclose(a, np.tile(w, (5, 1)), atol=1e-4)
    if name == "lime":  # coefficients per standardised feature: positive here
        assert np.all(a[:, 1:] > 0)


def test_torch_tensor_inputs_equal_numpy(images):
    net = CNN()
    np.testing.assert_array_equal(explain("saliency", net, torch.from_numpy(images)),
                                  explain("saliency", net, images))


def test_lime_image_pixels_share_their_tile_weight():
    x = np.random.default_rng(2).normal(size=(1, 2, 16, 16)).astype(np.float32)
    a = explain("lime", CNN(c=2, hw=16), x, num_samples=60, segment_size=4)
    tiles = a[0, 0].reshape(4, 4, 4, 4)  # (tile row, row in tile, tile col, col in tile)
    assert np.all(tiles == tiles[:, :1, :, :1]) and np.all(a[0, 0] == a[0, 1])


# -------------------------------------------------------------------------- determinism

@pytest.mark.parametrize("name", [n for n, m in E.METHODS.items() if m.stochastic])
def test_stochastic_methods_depend_only_on_seed(name):
    # 12 features: kernel SHAP enumerates all coalitions (no randomness) for <= ~11
    x = np.random.default_rng(3).normal(size=(3, 12)).astype(np.float32)
    net, p = MLP(12, 3), _params(name, x)
    a = explain(name, net, x, seed=5, **p)
    np.testing.assert_array_equal(a, explain(name, net, x, seed=5, **p))
    assert not np.array_equal(a, explain(name, net, x, seed=6, **p))
    # each input is explained with the same seed, whatever batch it comes in
    np.testing.assert_array_equal(a[1:2], explain(name, net, x[1:2], seed=5, **p))


def test_global_rngs_and_model_state_are_left_alone(table):
    net = MLP(6, 3)
    net.train()
    np.random.seed(123)
    torch.manual_seed(123)
    for name in ("smoothgrad", "gradient_shap", "kernel_shap", "lime", "clime", "lrp_epsilon"):
        explain(name, net, table, **_params(name, table))
    assert net.training
    assert not any(hasattr(m, "rule") or hasattr(m, "activations") for m in net.modules())
    assert np.random.rand() == np.random.RandomState(123).rand()
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), expected)


# ---------------------------------------------------------------- defining identities

def test_saliency_is_the_autograd_gradient_of_the_target(table):
    net = MLP(6, 3, act="tanh")
    x = torch.from_numpy(table).requires_grad_()
    target = np.array([0, 1, 2, 1, 0])
    logit = net(x)[torch.arange(5), torch.from_numpy(target)].sum()
    (g,) = torch.autograd.grad(logit, x)
    np.testing.assert_allclose(explain("saliency", net, table, target), g.numpy(), rtol=1e-5, atol=1e-7)
    prob = torch.softmax(net(x), 1)[torch.arange(5), torch.from_numpy(target)].sum()
    (gp,) = torch.autograd.grad(prob, x)
    np.testing.assert_allclose(explain("saliency", net, table, target, output="prob"), gp.numpy(),
                               rtol=1e-5, atol=1e-7)


def test_default_target_is_the_predicted_class(table):
    net = MLP(6, 3)
    pred = net(torch.from_numpy(table)).argmax(1).numpy()
    np.testing.assert_array_equal(explain("saliency", net, table), explain("saliency", net, table, pred))
    assert not np.array_equal(explain("saliency", net, table, (pred + 1) % 3),
                              explain("saliency", net, table))


def test_gradient_x_input_is_saliency_times_input(images):
    net = CNN()
    np.testing.assert_allclose(explain("gradient_x_input", net, images),
                               explain("saliency", net, images) * images, rtol=1e-6, atol=1e-7)


def test_integrated_gradients_passes_are_sized_for_the_device(images, monkeypatch):
    """IG's forward passes: ~2**16 input values on a CPU (at least 2 rows per input), ~2**25
    on a GPU, where CPU-sized passes left 20-30% of the rate (benchmarks/README.md (i))."""
    from captum.attr import IntegratedGradients

    sizes, attribute = [], IntegratedGradients.attribute

    def spy(self, *args, **kwargs):
        sizes.append(kwargs["internal_batch_size"])
        return attribute(self, *args, **kwargs)

    monkeypatch.setattr(IntegratedGradients, "attribute", spy)
    net = CNN(seed=0)
    a_cpu = explain("integrated_gradients", net, images, n_steps=400)  # 1600 rows: 2 passes
    monkeypatch.setattr(E._Model, "on_gpu", property(lambda self: True))  # the rows only: still runs on the CPU
    a_gpu = explain("integrated_gradients", net, images, n_steps=400)  # 1 pass
    assert sizes == [2**16 // 64, 2**25 // 64]
    np.testing.assert_allclose(a_gpu, a_cpu, rtol=1e-5, atol=1e-6)  # same sums in other passes


def test_integrated_gradients_completeness():
    """Sundararajan et al. 2017, Prop. 1: attributions sum to f(x) - f(baseline)."""
    net = MLP(6, 3, act="elu", seed=4)
    x = np.random.default_rng(4).normal(size=(6, 6)).astype(np.float32) * 2
    base = np.full(6, 0.3, np.float32)
    a = explain("integrated_gradients", net, x, 1, n_steps=256, baseline=base)
    with torch.no_grad():
        diff = (net(torch.from_numpy(x)) - net(torch.from_numpy(base)[None]))[:, 1].numpy()
    assert np.all(np.abs(diff) > 1e-2)  # the check below is not vacuous
    np.testing.assert_allclose(a.sum(1), diff, rtol=0.01)


def test_lrp_conserves_relevance_without_biases():
    """Bach et al. 2015: with no biases and tiny epsilon the relevances sum to the logit;
    nn.Flatten modules are passed through like x.flatten(1)."""
    x = np.random.default_rng(5).normal(size=(3, 1, 8, 8)).astype(np.float32)
    for net in (CNN(), CNNFlatten()):
        for m in net.modules():
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        a = explain("lrp_epsilon", net, x, 0, epsilon=1e-9)
        with torch.no_grad():
            out = net(torch.from_numpy(x))[:, 0].numpy()
        np.testing.assert_allclose(a.sum((1, 2, 3)), out, rtol=1e-4, atol=1e-6)


def test_occlusion_of_one_feature_is_the_output_drop(table):
    net = MLP(6, 3)
    a = explain("occlusion", net, table, 2)
    with torch.no_grad():
        full = net(torch.from_numpy(table))[:, 2]
        for j in range(6):
            z = table.copy()
            z[:, j] = 0
            np.testing.assert_allclose(a[:, j], (full - net(torch.from_numpy(z))[:, 2]).numpy(),
                                       rtol=1e-5, atol=1e-6)


def test_gradcam_is_nonnegative_upsampled_and_channel_repeated():
    x = np.random.default_rng(6).normal(size=(3, 3, 8, 8)).astype(np.float32)
    net = CNN(c=3)
    a = explain("gradcam", net, x)
    assert a.shape == x.shape and (a >= 0).all() and a.max() > 0
    assert np.all(a[:, :1] == a)  # one map repeated over the input channels
    # the default layer is the last Conv2d; naming the first gives a different map
    np.testing.assert_array_equal(a, explain("gradcam", net, x, layer="features.2"))
    assert not np.array_equal(a, explain("gradcam", net, x, layer="features.0"))


def test_clime_recovers_a_linear_model_exactly():
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=5), 0.7
    x = rng.normal(size=(3, 5))
    a = explain("clime", lambda z: z @ w + b, x, n_samples=50)  # regression: (n,) outputs
    np.testing.assert_allclose(a, np.tile(w, (3, 1)), rtol=1e-5, atol=1e-5)
    lin = nn.Linear(5, 1)  # a torch regression model: output ignored, the raw score explained
    a = explain("clime", lin, x, n_samples=50, sigma=0.5)
    np.testing.assert_allclose(a, np.tile(lin.weight.detach().numpy(), (3, 1)), rtol=1e-4, atol=1e-5)
    # ridge shrinks the coefficients: (Sigma + lambda I)^-1 Sigma w with Sigma ~ sigma^2 I
    r = explain("clime", lambda z: z @ w + b, x, n_samples=4000, sigma=0.1, ridge=0.01)
    np.testing.assert_allclose(r, np.tile(w * 0.01 / (0.01 + 0.01), (3, 1)), rtol=0.1, atol=0.05)


def test_smoothgrad_and_clime_converge_to_the_same_vector():
    """Agarwal et al. 2021, Theorem 1: E[grad f(x')] = Cov(x', f(x')) / sigma^2 with
    f the class probability, so the gap shrinks as the sample size grows."""
    net = MLP(5, 3, act="elu", seed=8)
    x = np.random.default_rng(8).normal(size=(4, 5)).astype(np.float32)

    def gap(n, seed):
        kw = dict(sigma=0.5, output="prob", seed=seed)
        sg = explain("smoothgrad", net, x, 0, n_samples=n, **kw)
        cl = explain("clime", net, x, 0, n_samples=n, **kw)
        return np.linalg.norm(sg - cl, axis=1).mean(), np.linalg.norm(sg, axis=1).mean()

    small = np.mean([gap(20, s)[0] for s in range(3)])
    large, scale = gap(20000, 0)
    assert large < small / 4
    assert large < 0.1 * scale


def test_kernel_shap_on_image_tiles_adds_up_and_is_constant_per_tile(images):
    """Images: 4 x 4 tiles of an 8 x 8 image are 4 players, enumerated exactly; the pixel
    attributions sum to f(x) - mean f(background) (shap's efficiency) and are constant on
    each tile."""
    torch.manual_seed(0)
    net, bg = CNN(), images[1:]
    a = explain("kernel_shap", net, images[:2], [0, 1], background=bg, n_background=len(bg),
                nsamples=100, segment_size=4, output="prob")
    with torch.no_grad():
        p = torch.softmax(net(torch.as_tensor(images[:2])), 1).double().numpy()
        pb = torch.softmax(net(torch.as_tensor(bg)), 1).double().numpy().mean(0)
    assert np.allclose(a.sum((1, 2, 3)), [p[0, 0] - pb[0], p[1, 1] - pb[1]], atol=1e-5)
    assert all(np.unique(a[i, 0, r:r + 4, c:c + 4]).size == 1
               for i in range(2) for r in (0, 4) for c in (0, 4))


def test_kernel_shap_values_add_up_to_the_prediction(iris):
    """Lundberg & Lee 2017, eq. 5 (local accuracy); 4 features are enumerated exactly."""
    X, clf = iris
    bg, x = X[::10], X[[5, 60, 120]]
    a = explain("kernel_shap", clf, x, [0, 1, 2], background=bg, n_background=len(bg))
    p = clf.predict_proba(x)[[0, 1, 2], [0, 1, 2]] - clf.predict_proba(bg).mean(0)
    np.testing.assert_allclose(a.sum(1), p, atol=1e-6)


def test_kernel_shap_summarises_a_background_once_per_process(iris, monkeypatch):
    """A Lipschitz search calls Kernel SHAP hundreds of times with one background: shap.kmeans
    runs once, and every call gets the same summary (a copy) as a fresh call would."""
    import shap

    X, clf = iris
    bg, x = X[::3], X[[5]]
    E._KMEANS.clear()
    fresh = explain("kernel_shap", clf, x, [0], background=bg, n_background=10, nsamples=30)
    calls = []
    kmeans = shap.kmeans
    monkeypatch.setattr(shap, "kmeans", lambda *a, **k: calls.append(1) or kmeans(*a, **k))
    E._KMEANS.clear()
    runs = [explain("kernel_shap", clf, x, [0], background=bg, n_background=10, nsamples=30) for _ in range(3)]
    assert len(calls) == 1
    for a in runs:
        np.testing.assert_array_equal(a, fresh)
    explain("kernel_shap", clf, x, [0], background=bg[1:], n_background=10, nsamples=30)
    assert len(calls) == 2  # another background: its own summary


def test_regression_models_ignore_target(table):
    net = MLP(6, 1)
    a = explain("saliency", net, table)
    np.testing.assert_array_equal(a, explain("saliency", net, table, target=5))
    np.testing.assert_array_equal(a, explain("saliency", net, table, output="prob"))


# ------------------------------------------------------------------------------- errors

def test_unknown_method_lists_the_names(table):
    with pytest.raises(ExplainError, match="unknown attribution method 'salincy'.*saliency"):
        explain("salincy", MLP(6, 3), table)


def test_unknown_parameter_names_it_and_the_allowed_ones(table):
    with pytest.raises(ExplainError, match=r"\['n_step'\].*n_steps"):
        explain("integrated_gradients", MLP(6, 3), table, n_step=10)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_inputs(table, bad):
    x = table.copy()
    x[2, 3] = bad
    with pytest.raises(ExplainError, match="NaN or Inf"):
        explain("saliency", MLP(6, 3), x)


def test_wrong_ndim(table):
    with pytest.raises(ExplainError, match=r"\(N, D\).*\(N, C, H, W\)"):
        explain("saliency", MLP(6, 3), table[0])


@pytest.mark.parametrize("target", [3, -1, [0, 1, 2, 3, 0]])
def test_target_out_of_range(table, target):
    with pytest.raises(ExplainError, match="out of range.*3 outputs"):
        explain("saliency", MLP(6, 3), table, target)


def test_target_wrong_length(table):
    with pytest.raises(ExplainError, match="5 ints"):
        explain("saliency", MLP(6, 3), table, [0, 1])


def test_gradient_method_on_sklearn_model(iris):
    X, clf = iris
    with pytest.raises(ExplainError, match="differentiable torch model.*clime"):
        explain("integrated_gradients", clf, X[:3])


def test_method_specific_errors(table, images):
    with pytest.raises(ExplainError, match="background"):
        explain("kernel_shap", MLP(6, 3), table)
    with pytest.raises(ExplainError, match="background"):
        explain("gradient_shap", CNN(), images, background=table)
    with pytest.raises(ExplainError, match="no rule for \\['ELU'\\]"):
        explain("lrp_epsilon", MLP(6, 3, act="elu"), table)
    with pytest.raises(ExplainError, match="image inputs"):
        explain("gradcam", MLP(6, 3), table)
    with pytest.raises(ExplainError, match="nn.Conv2d"):
        explain("gradcam", nn.Sequential(nn.Flatten(), nn.Linear(64, 3)), images)
    with pytest.raises(ExplainError, match="layer='conv9'"):
        explain("gradcam", CNN(), images, layer="conv9")
    with pytest.raises(ExplainError, match="background"):
        explain("kernel_shap", CNN(), images, background=table)
    with pytest.raises(ExplainError, match="underdetermined"):
        explain("clime", MLP(6, 3), table, n_samples=5)
    with pytest.raises(ExplainError, match="baseline"):
        explain("integrated_gradients", MLP(6, 3), table, baseline="median")
    with pytest.raises(ExplainError, match="output"):
        explain("saliency", MLP(6, 3), table, output="softmax")


def test_image_lime_superpixels_or_tiles():
    """Issue #16: image LIME over a scikit-image segmenter's superpixels (the paper's quickshift)
    or square tiles; a segmenter on an image too small for it is an error naming the key."""
    from attrobust.explain import ExplainError, explain

    rng = np.random.default_rng(0)
    img = np.zeros((1, 1, 32, 32), np.float32)
    img[0, 0, 4:28, 8:14] = 1.0
    img[0, 0, 4:10, 8:26] = 0.6
    W = rng.normal(size=(1024, 3))
    model = lambda Z: np.asarray(Z).reshape(len(Z), -1) @ W  # noqa: E731
    q = explain("lime", model, img, target=0, segmentation="quickshift", num_samples=100)
    t = explain("lime", model, img, target=0, num_samples=100)  # default: 4 x 4 tiles
    assert 1 < len(np.unique(q)) < 64 and len(np.unique(t)) == 64
    assert np.array_equal(q, explain("lime", model, img, target=0, segmentation="quickshift", num_samples=100))
    with pytest.raises(ExplainError, match="methods.lime.segmentation"):
        explain("lime", lambda Z: np.asarray(Z).reshape(len(Z), -1)[:, :3], np.zeros((1, 1, 8, 8), np.float32) + 0.5,
                target=0, segmentation="quickshift", num_samples=20)
    with pytest.raises(ExplainError, match="segmentation='voronoi'"):
        explain("lime", model, img, target=0, segmentation="voronoi")


def test_one_element_target_is_one_class_for_every_input():
    # captum's sensitivity_max passes a one-element target unexpanded for n perturbed inputs
    out = np.array([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3]])
    assert list(E._targets(np.array([2]), out)) == [2, 2]
    with pytest.raises(E.ExplainError, match="one per input"):
        E._targets(np.array([1, 2, 0]), out)


def test_black_box_forward_passes_stay_cache_sized_on_the_cpu(images):
    # Kernel SHAP on an 8x8 image sends (coalitions x background) rows through the model; on a
    # CPU they go in passes of ~2**15 input values (512 rows of 8x8), never fewer than
    # batch_size rows: 2**18 took twice the CPU time (benchmarks/README.md (a)).
    net = CNN()
    rows = []
    hook = net.register_forward_pre_hook(lambda m, a: rows.append(len(a[0])))
    try:
        explain("kernel_shap", net, images[:1], nsamples=400, background=images, seed=0)
        assert max(rows) == 512 and sum(rows) > 1024  # split, in full passes of 2**15 values
        rows.clear()
        explain("kernel_shap", net, images[:1], nsamples=400, background=images, seed=0, batch_size=1000)
        assert max(rows) == 1000
    finally:
        hook.remove()
