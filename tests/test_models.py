"""Tests for attrobust.models: registry, builders, training, save/load, softplus swap."""
import pickle
import subprocess
import sys

import numpy as np
import pytest

from attrobust import models as M

torch = pytest.importorskip("torch")
nn = torch.nn


def _split(X, y, test_frac, seed=0):
    """Stratified split, so the tests do not depend on any other module."""
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(test_frac * len(idx)))]] = True
    return dict(X_train=X[~test], y_train=y[~test], X_test=X[test], y_test=y[test])


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    return _split(X, d.target.astype(np.int64), 0.25)


@pytest.fixture(scope="module")
def blobs():
    """Two Gaussian clusters with different covariances (quadratic Bayes boundary)."""
    rng = np.random.default_rng(0)
    n = 400
    X0 = rng.multivariate_normal([0, 0], [[0.5, 0], [0, 0.5]], n)
    X1 = rng.multivariate_normal([2.5, 2.5], [[2, 0.8], [0.8, 1.5]], n)
    X = np.vstack([X0, X1]).astype(np.float32)
    y = np.r_[np.zeros(n), np.ones(n)].astype(np.int64)
    return _split(X, y, 0.25)


@pytest.fixture(scope="module")
def digits_cnn(digits):
    model = M.build("cnn_small", (1, 8, 8), 10, seed=0)
    metrics = M.train(model, digits, seed=0)
    return model, metrics


def test_registry_importable_without_torch():
    code = ("import sys, attrobust.models as m; assert 'torch' not in sys.modules; "
            "assert 'sklearn' not in sys.modules; print(m.names('torch'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "cnn_small" in out.stdout
    assert set(M.names()) == set(M.ARCHS)
    assert M.names("torchvision") == ["squeezenet1_1", "resnet18", "resnet50"]
    assert set(M.names("sklearn")) == {"random_forest", "logistic_regression", "linear_svm",
                                       "mlp_sklearn"}
    for a in M.ARCHS.values():
        assert a.kind in M.KINDS and a.reference
        if a.kind == "torch":
            assert set(a.defaults) == set(M.TRAIN_HP)
    assert M.REGIMES == ("natural", "pgd", "ig_sum_norm")


def test_digits_cnn_small_reaches_95_percent(digits_cnn):
    _, metrics = digits_cnn
    assert metrics["test_accuracy"] >= 0.95  # about 0.97 with the defaults (15 epochs)
    assert metrics["epochs"] == M.ARCHS["cnn_small"].defaults["epochs"] == 15
    assert metrics["arch"] == "cnn_small" and metrics["regime"] == "natural"
    assert metrics["device"] == "cpu" and metrics["n_params"] > 0 and metrics["seconds"] >= 0


@pytest.mark.parametrize("arch", ["mlp_elu", "mlp", "mlp_sklearn", "linear_svm"])
def test_two_gaussians_accuracy(blobs, arch):
    model = M.build(arch, (2,), 2, seed=0)
    metrics = M.train(model, blobs, seed=0)
    assert metrics["test_accuracy"] >= 0.90  # about 0.93-0.95 for all four
    p = M.predict_proba(model, blobs["X_test"])
    assert p.shape == (len(blobs["X_test"]), 2)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)


def test_torch_layers_are_captum_friendly():
    model = M.build("cifar_cnn", (3, 32, 32), 10)
    acts = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(acts) == 7 and len({id(m) for m in acts}) == 7
    assert not any(m.inplace for m in acts)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.stride[0] for c in convs] == [1, 1, 2, 1, 1, 2]
    assert model.head[0].in_features == 192 * 8 * 8 and model.head[0].out_features == 1024
    # captum's LRP accepts only listed leaf modules (no nn.Flatten)
    from captum.attr import LRP

    small = M.build("cnn_small", (1, 8, 8), 10)
    attr = LRP(small).attribute(torch.rand(2, 1, 8, 8), target=3)
    assert attr.shape == (2, 1, 8, 8) and torch.isfinite(attr).all()


def test_determinism(blobs):
    def run(seed):
        model = M.build("mlp_elu", (2,), 2, seed=seed, epochs=3)
        M.train(model, blobs, seed=seed)
        return model.state_dict()

    a, b, c = run(0), run(0), run(1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    # same init, different shuffling seed in train -> different weights
    m1, m2 = (M.build("mlp", (2,), 2, seed=0, epochs=2) for _ in range(2))
    M.train(m1, blobs, seed=0)
    M.train(m2, blobs, seed=5)
    assert not torch.equal(m1.head[0].weight, m2.head[0].weight)

    def rf(seed):
        model = M.build("random_forest", (2,), 2, seed=seed, n_estimators=10)
        M.train(model, blobs, seed=seed)
        return M.predict_proba(model, blobs["X_test"])

    np.testing.assert_array_equal(rf(0), rf(0))
    assert not np.array_equal(rf(0), rf(1))


def test_build_output_shapes():
    shapes = {"cnn_small": (1, 8, 8), "cifar_cnn": (3, 16, 16), "mlp_elu": (4,), "mlp": (4,)}
    for name in M.names("torch"):
        model = M.build(name, shapes[name], 3)
        assert not model.training
        x = np.random.default_rng(0).random((5, *shapes[name]), dtype=np.float32)
        assert model(torch.from_numpy(x)).shape == (5, 3)
        assert M.predict_proba(model, x, batch_size=2).shape == (5, 3)
        reg = M.build(name, shapes[name], 0, task="regression")
        assert M.predict_proba(reg, x).shape == (5,)
    assert M.build("cnn_small", (3, 28, 28), 10)(torch.zeros(1, 3, 28, 28)).shape == (1, 10)
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 1, 2, 2), dtype=np.float32), np.arange(60) % 3
    for name in M.names("sklearn"):
        model = M.build(name, (1, 2, 2), 3)
        M.train(model, dict(X_train=X, y_train=y, X_test=X, y_test=y))
        assert M.predict_proba(model, X).shape == (60, 3)


def test_sklearn_defaults_and_hp():
    rf = M.build("random_forest", (2,), 2, seed=7)
    assert rf.n_estimators == 100 and rf.random_state == 7
    assert M.build("random_forest", (2,), 2, n_estimators=5).n_estimators == 5
    svm = M.build("linear_svm", (2,), 2, C=0.5)
    assert svm.estimator.kernel == "linear" and svm.estimator.C == 0.5
    assert tuple(M.build("mlp_sklearn", (2,), 2).hidden_layer_sizes) == (100, 100)


def test_regression_diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    tr, te = idx[:350], idx[350:]
    data = dict(X_train=X[tr], y_train=y[tr].astype(np.float32),
                X_test=X[te], y_test=y[te].astype(np.float32))
    for name in ("mlp", "random_forest", "linear_svm"):
        model = M.build(name, (10,), 0, task="regression")
        metrics = M.train(model, data)
        assert "train_accuracy" not in metrics
        assert metrics["test_r2"] > 0.3, name  # about 0.45-0.5; raw targets 25..346
        pred = M.predict_proba(model, data["X_test"])
        assert pred.shape == (len(te),) and 50 < pred.mean() < 250
    with pytest.raises(M.ModelError, match="no regressor"):
        M.build("logistic_regression", (10,), 0, task="regression")


def test_save_load_roundtrip(tmp_path, digits_cnn, blobs, digits):
    model, _ = digits_cnn
    spec = model.attrobust_spec
    assert set(spec) == {"arch", "input_shape", "n_classes", "task", "hp", "seed"}
    path = tmp_path / "torch" / "model.pt"
    M.save(model, path, spec)
    loaded = M.load(path)
    assert isinstance(loaded, nn.Module) and not loaded.training
    assert loaded.attrobust_spec == spec
    np.testing.assert_array_equal(M.predict_proba(model, digits["X_test"]),
                                  M.predict_proba(loaded, digits["X_test"]))
    assert [p.name for p in tmp_path.rglob("*")] == ["torch", "model.pt"]  # no temp left

    svm = M.build("linear_svm", (2,), 2, seed=3, C=2.0)
    M.train(svm, blobs, seed=3)
    path = tmp_path / "sk" / "model.pt"
    M.save(svm, path, svm.attrobust_spec)
    loaded = M.load(path)
    np.testing.assert_array_equal(M.predict_proba(svm, blobs["X_test"]),
                                  M.predict_proba(loaded, blobs["X_test"]))
    assert loaded.attrobust_spec["hp"] == {"C": 2.0}

    # torch models also pickle (e.g. for multiprocessing)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(M.predict_proba(model, digits["X_test"][:5]),
                                  M.predict_proba(again, digits["X_test"][:5]))


def test_build_hp_kept_and_training_hp_overridable(tmp_path, blobs):
    model = M.build("mlp", (2,), 2, hidden=[8], epochs=2, lr=0.01)
    assert model.head[0].out_features == 8
    assert M.train(model, blobs)["epochs"] == 2
    assert M.train(model, blobs, epochs=1)["epochs"] == 1
    M.save(model, tmp_path / "model.pt", model.attrobust_spec)  # training hp in spec is fine
    assert M.load(tmp_path / "model.pt").head[0].out_features == 8


def test_softplus(digits_cnn, digits, tmp_path):
    model, _ = digits_cnn
    before = {k: v.clone() for k, v in model.state_dict().items()}
    n_relu = sum(isinstance(m, nn.ReLU) for m in model.modules())
    soft = M.softplus(model, beta=100)
    assert not any(isinstance(m, nn.ReLU) for m in soft.modules())
    assert sum(isinstance(m, nn.Softplus) for m in soft.modules()) == n_relu == 3
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 3  # original untouched
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    X = digits["X_test"]
    p_relu = M.predict_proba(model, X)
    assert np.abs(M.predict_proba(soft, X) - p_relu).max() < 0.05
    assert np.abs(M.predict_proba(M.softplus(model, beta=1), X) - p_relu).max() > 0.1
    # second derivatives exist through softplus (the point of the swap)
    x = torch.from_numpy(X[:1]).requires_grad_()
    g = torch.autograd.grad(soft(x)[0, 0], x, create_graph=True)[0]
    assert torch.autograd.grad(g.square().sum(), x)[0].abs().sum() > 0
    M.save(soft, tmp_path / "model.pt", soft.attrobust_spec)
    assert any(isinstance(m, nn.Softplus) for m in M.load(tmp_path / "model.pt").modules())
    with pytest.raises(M.ModelError, match="beta"):
        M.softplus(model, beta=0)


def test_errors(blobs, tmp_path):
    with pytest.raises(M.ModelError, match="unknown architecture 'vgg'.*cnn_small"):
        M.build("vgg", (2,), 2)
    with pytest.raises(M.ModelError, match="'widht'.*hidden"):
        M.build("mlp", (2,), 2, widht=3)
    with pytest.raises(M.ModelError, match="'n_trees'.*n_estimators"):
        M.build("random_forest", (2,), 2, n_trees=3)
    with pytest.raises(M.ModelError, match="task"):
        M.build("mlp", (2,), 2, task="ranking")
    with pytest.raises(M.ModelError, match=r"\(C, H, W\)"):
        M.build("cnn_small", (64,), 10)
    with pytest.raises(M.ModelError, match="kind"):
        M.names("keras")
    model = M.build("mlp", (2,), 2)
    with pytest.raises(M.ModelError, match="'momentum'.*epochs"):
        M.train(model, blobs, momentum=0.9)
    with pytest.raises(M.ModelError, match=r"\['lam'\].*regime 'pgd'"):  # tests/test_regimes.py
        M.train(model, blobs, regime="pgd", lam=1.0)
    with pytest.raises(M.ModelError, match="'bogus'.*natural"):
        M.train(model, blobs, regime="bogus")
    with pytest.raises(M.ModelError, match="build it"):
        M.train(nn.Linear(2, 2), blobs)
    with pytest.raises(M.ModelError, match="missing"):
        M.train(model, {"X_train": blobs["X_train"]})
    with pytest.raises(M.ModelError, match="example shape"):
        M.train(M.build("mlp", (3,), 2), blobs)
    with pytest.raises(M.ModelError, match="labels"):
        M.train(model, {**blobs, "y_train": blobs["y_train"] + 5})
    with pytest.raises(M.ModelError, match="diverged"):
        M.train(M.build("mlp", (2,), 2), {**blobs, "X_train": blobs["X_train"] * 1e30}, lr=1e30)
    with pytest.raises(M.ModelError, match="spec is missing"):
        M.save(model, tmp_path / "model.pt", {"arch": "mlp"})
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(M.ModelError, match="not a model file"):
        M.load(tmp_path / "junk.pt")
    with pytest.raises(M.ModelError, match="does not exist"):
        M.load(tmp_path / "missing.pt")
    with pytest.raises(M.ModelError, match="torch model"):
        M.softplus(M.build("linear_svm", (2,), 2))


def test_torchvision_missing_says_paper_extra():
    try:
        import torchvision  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("torchvision is installed")
    for name in M.names("torchvision"):
        with pytest.raises(M.ModelError, match=r"pip install -e '\.\[paper\]'"):
            M.build(name, (3, 224, 224), 1000)


def test_forest_fast_path_is_bit_identical_to_sklearn():
    """models.sklearn_predict: the per-tree sum without sklearn's joblib dispatch gives
    scikit-learn's own numbers exactly; anything else goes through scikit-learn."""
    import pandas as pd
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 6)), rng.integers(0, 3, 200)
    clf = RandomForestClassifier(n_estimators=15, random_state=0).fit(X, y)
    reg = ExtraTreesRegressor(n_estimators=15, random_state=0).fit(X, X[:, 0] + rng.normal(size=200))
    Z = rng.normal(size=(37, 6))
    assert np.array_equal(M.sklearn_predict(clf, Z), clf.predict_proba(Z))
    assert np.array_equal(M.sklearn_predict(reg, Z, proba=False), reg.predict(Z))
    assert np.array_equal(M.sklearn_predict(clf, Z[:1].astype(np.float32)), clf.predict_proba(Z[:1]))
    with pytest.raises(ValueError, match="features"):  # sklearn's own error
        M.sklearn_predict(clf, Z[:, :5])
    named = RandomForestClassifier(n_estimators=5, random_state=0).fit(pd.DataFrame(X), y)
    assert np.array_equal(M.sklearn_predict(named, pd.DataFrame(Z)), named.predict_proba(pd.DataFrame(Z)))


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_torchvision_resnets_use_each_relu_once_for_deeplift(arch):
    pytest.importorskip("torchvision", exc_type=ImportError)
    import torch
    import torchvision
    from captum.attr import DeepLift

    torch.manual_seed(0)
    ref = torchvision.models.get_model(arch, weights=None).eval()
    net = torchvision.models.get_model(arch, weights=None).eval()
    net.load_state_dict(ref.state_dict())
    M._one_relu_per_use(net)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref(x))  # the same function
    attr = DeepLift(net).attribute(x, target=3)      # the original raises (ReLU used twice)
    assert attr.shape == x.shape and torch.isfinite(attr).all()


def test_inference_pools_channels_last_on_the_cpu_bit_identically_and_cleans_up():
    # torch's NCHW max-pool kernel is ~17x slower on the CPU than its channels-last one; the
    # no-grad forward passes (predict_proba, the black-box explainers) pool a channels-last
    # copy. A maximum is exact: the same outputs to the bit, and no hook left behind.
    import torch

    from attrobust.models.predict import inference

    net = M.build("cnn_small", (1, 8, 8), 10, seed=0).eval()
    x = torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    pools = [m for m in net.modules() if isinstance(m, torch.nn.MaxPool2d)]
    layouts = []
    spy = [p.register_forward_hook(lambda m, a, out: layouts.append(
        a[0].is_contiguous(memory_format=torch.channels_last))) for p in pools]
    with torch.no_grad():
        plain = net(x)
    with inference(net, "cpu"):
        fast = net(x)
    for h in spy:
        h.remove()
    assert pools and layouts == [False] * len(pools) + [True] * len(pools)
    assert torch.equal(plain, fast)
    assert all(not p._forward_pre_hooks for p in pools)
    assert np.array_equal(M.predict_proba(net, x.numpy(), batch_size=300),
                          torch.softmax(plain, 1).double().numpy())
