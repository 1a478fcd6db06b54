"""Training regimes of attrobust.models.train: natural, PGD (Madry et al. 2018) and
IG-SUM-NORM (Chen et al. 2019), as used by Kamath et al. (2023), Sec. 5 / Fig. 8."""
import numpy as np
import pytest

from attrobust import config as cfg
from attrobust import models as M

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    tr, te = idx[:900], idx[900:1200]
    return dict(X_train=X[tr], y_train=y[tr], X_test=X[te], y_test=y[te])


def _robust_acc(model, data, eps):
    Xa = M.pgd(model, data["X_test"], data["y_test"], eps=eps, steps=10, seed=1)
    return float((M.predict_proba(model, Xa).argmax(1) == data["y_test"]).mean())


@pytest.fixture(scope="module")
def trained(digits):
    out = {}
    for regime, hp in [("natural", {}), ("pgd", {"eps": 0.1, "steps": 5}),
                       ("ig_sum_norm", {"eps": 0.1, "steps": 2, "ig_steps": 2, "lam": 1.0})]:
        net = M.build("cnn_small", (1, 8, 8), 10, seed=0, epochs=6)
        out[regime] = (net, M.train(net, digits, regime=regime, seed=0, **hp))
    return out


def test_robust_regimes_resist_pgd_better_than_natural(digits, trained):
    acc = {r: _robust_acc(net, digits, 0.1) for r, (net, _) in trained.items()}
    clean = {r: m["test_accuracy"] for r, (_, m) in trained.items()}
    assert all(c > 0.85 for c in clean.values()), clean
    assert acc["pgd"] > acc["natural"] + 0.05, acc
    assert acc["ig_sum_norm"] > acc["natural"], acc


def test_metrics_record_regime_and_params(trained):
    _, m = trained["pgd"]
    assert m["regime"] == "pgd"
    assert m["regime_params"] == {"eps": 0.1, "steps": 5, "step_size": 0.025, "random_start": True}
    assert "regime_params" not in trained["natural"][1]
    assert trained["ig_sum_norm"][1]["regime_params"]["lam"] == 1.0


@pytest.mark.parametrize("regime,hp", [("pgd", {"eps": 0.1, "steps": 2}),
                                       ("ig_sum_norm", {"eps": 0.1, "steps": 1, "ig_steps": 2})])
def test_deterministic_given_seed(digits, regime, hp):
    small = {k: v[:200] for k, v in digits.items()}

    def weights(seed):
        net = M.build("cnn_small", (1, 8, 8), 10, seed=0, epochs=1)
        M.train(net, small, regime=regime, seed=seed, **hp)
        return torch.cat([p.detach().flatten() for p in net.parameters()])

    w0 = weights(0)
    assert torch.equal(w0, weights(0))
    assert not torch.equal(w0, weights(1))


def test_pgd_stays_in_ball_and_range(digits, trained):
    net, _ = trained["natural"]
    X, y = digits["X_test"][:32], digits["y_test"][:32]
    Xa = M.pgd(net, X, y, eps=0.05, steps=3)
    assert Xa.shape == X.shape and Xa.dtype == np.float32
    assert np.abs(Xa - X).max() <= 0.05 + 1e-6
    assert Xa.min() >= 0 and Xa.max() <= 1
    assert np.abs(Xa - X).max() > 0.04  # it moved (signed steps hit the boundary)


def test_ig_sum_norm_objective_completeness(trained, digits):
    """sum IG^CE(x, x') = CE(x') - CE(x) up to the Riemann error (Chen et al.'s "SUM")."""
    import torch.nn.functional as F

    net, _ = trained["natural"]
    x = torch.as_tensor(digits["X_test"][:8])
    y = torch.as_tensor(digits["y_test"][:8])
    x_adv = (x + 0.05 * torch.sign(torch.randn(x.shape, generator=torch.Generator().manual_seed(0)))).clamp(0, 1)
    obj0 = M._ig_sum_norm_objective(net, x, x_adv, y, lam=0.0, ig_steps=4, create_graph=False)
    assert torch.allclose(obj0, F.cross_entropy(net(x_adv), y, reduction="none"))
    # recover the signed IG sum through a lam that weights the L1 norm; with many steps
    # the L1 norm bounds |CE(x') - CE(x)| from above (completeness + triangle inequality)
    m = 256
    alphas = torch.arange(1, m + 1) / m
    path = (x[None] + alphas.view(-1, 1, 1, 1, 1) * (x_adv - x)[None]).reshape(-1, *x.shape[1:])
    path.requires_grad_(True)
    g = torch.autograd.grad(F.cross_entropy(net(path), y.repeat(m), reduction="sum"), path)[0]
    ig = ((x_adv - x) * g.view(m, *x.shape).mean(0)).flatten(1).sum(1)
    diff = F.cross_entropy(net(x_adv), y, reduction="none") - F.cross_entropy(net(x), y, reduction="none")
    assert torch.allclose(ig, diff.detach(), atol=2e-3 + 0.02 * diff.abs().max().item())
    l1 = M._ig_sum_norm_objective(net, x, x_adv, y, lam=1.0, ig_steps=m, create_graph=False) - obj0
    assert torch.all(l1.detach() >= diff.detach().abs() - 1e-3)


def test_regime_names_and_errors(digits):
    small = {k: v[:64] for k, v in digits.items()}
    net = M.build("cnn_small", (1, 8, 8), 10, epochs=1)
    assert M.train(net, small, regime="IG-SUM-NORM", seed=0, steps=1, ig_steps=1)["regime"] == "ig_sum_norm"
    with pytest.raises(M.ModelError, match="unknown training regime 'trades'"):
        M.train(net, small, regime="trades")
    with pytest.raises(M.ModelError, match=r"unknown training hyper-parameter\(s\) \['eps'\]"):
        M.train(net, small, regime="natural", eps=0.1)
    with pytest.raises(M.ModelError, match=r"\['lam'\].*regime 'pgd'"):
        M.train(net, small, regime="pgd", lam=1.0)
    with pytest.raises(M.ModelError, match="eps must be a number > 0"):
        M.train(net, small, regime="pgd", eps=0)
    with pytest.raises(M.ModelError, match="steps must be an int >= 1"):
        M.train(net, small, regime="pgd", steps=0)
    svm = M.build("logistic_regression", (64,), 10)
    flat = {k: (v.reshape(len(v), -1) if k.startswith("X") else v) for k, v in small.items()}
    with pytest.raises(M.ModelError, match="trains torch classifiers only"):
        M.train(svm, flat, regime="pgd")


def test_config_checks_regime_params():
    base = {"figures": {"gallery": {"dataset": "digits", "model": "m", "methods": ["saliency"]}}}

    def check(spec):
        cfg.check({**base, "models": {"m": spec}})

    check({"arch": "cnn_small", "regime": "pgd", "regime_params": {"eps": 0.2, "steps": 3}})
    assert cfg.model_spec({"models": {"m": {"arch": "cnn_small"}}}, "m") == \
        {"arch": "cnn_small", "regime": "natural", "hp": {}}  # natural specs unchanged
    with pytest.raises(cfg.ConfigError, match=r"models.m.regime_params: unknown parameter\(s\) \['lam'\]"):
        check({"arch": "cnn_small", "regime": "pgd", "regime_params": {"lam": 1.0}})
    with pytest.raises(cfg.ConfigError, match="allowed: none"):
        check({"arch": "cnn_small", "regime_params": {"eps": 0.1}})
    with pytest.raises(cfg.ConfigError, match="needs a torch architecture"):
        cfg.check({"figures": {"alvarez_melis_discrete": {"dataset": "breast_cancer", "model": "m",
                                                           "methods": ["lime"]}},
                   "models": {"m": {"arch": "logistic_regression", "regime": "pgd"}}})
