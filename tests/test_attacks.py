"""Tests for attrobust.attacks: the differentiable saliency maps equal captum's and have
correct second derivatives, and the attacks of Ghorbani et al. (2019) respect their
constraints (L_inf ball, [0, 1], label kept), report the dissimilarity they claim, beat
random sign perturbations at equal eps, and are deterministic."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from _nets import CNN, MLP
from attrobust import attacks as A
from attrobust import metrics
from attrobust.attacks import AttackError, attack, saliency
from attrobust.explain import explain
from attrobust.explain import spec as explain_spec

K = 8  # top-k on 8x8 digits
SP = {"integrated_gradients": {"n_steps": 16}}  # small IG sums keep the attacks fast


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).reshape(-1, 1, 8, 8).astype(np.float32), y


@pytest.fixture(scope="module")
def net(digits, one_thread):
    """CNN (conv-ReLU-conv-ReLU-maxpool-linear-ReLU-linear) trained on 1500 digits (~93%)."""
    X, y = digits
    Xt, yt = torch.as_tensor(X[:1500]), torch.as_tensor(y[:1500])
    model = CNN(c=1, hw=8, n_classes=10, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(15):
        perm = torch.randperm(1500, generator=g)
        for i in range(0, 1500, 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    opt.zero_grad(set_to_none=True)
    model.eval()
    with torch.no_grad():
        assert (model(torch.as_tensor(X[1500:])).argmax(1).numpy() == y[1500:]).mean() > 0.85
    return model


@pytest.fixture(scope="module")
def images(digits):
    return digits[0][1500:1516]


def predict(model, x):
    with torch.no_grad():
        return model(torch.as_tensor(x)).argmax(1).numpy()


def maps(model, x, method, **p):
    return metrics.saliency_map(saliency(model, x, None, method, create_graph=False, **p).numpy())


# -------------------------------------------------------------------- registry

def test_import_is_cheap():
    code = ("import sys, attrobust.attacks as a; assert set(a.ATTACKS) >= {'random_sign', 'topk', "
            "'mass_center', 'lens'}; assert 'deeplift' in a.attackable(); "
            "bad = [m for m in ('torch', 'scipy', 'captum') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_method_registry_serves_the_attacks():
    """The attackable methods are explain.METHODS specs with a differentiable form (alias
    simple_gradient -> saliency); an unknown one, or an unknown attack parameter, is refused."""
    from attrobust import explain as E

    assert set(A.attackable()) == {"saliency", "simple_gradient", "integrated_gradients", "deeplift"}
    assert explain_spec("simple_gradient") is E.METHODS["saliency"]
    assert A.method_params("integrated_gradients", ig_steps=7) == {"n_steps": 7}
    with pytest.raises(AttackError, match="unknown saliency method 'smoothgrad'"):
        A.method_params("smoothgrad")
    assert all(isinstance(a, A.Attack) and a.label for a in A.ATTACKS.values())
    x = torch.zeros(1, 1, 8, 8)
    with pytest.raises(AttackError, match="lens: w must be"):
        attack("lens", CNN(), x, method="saliency", eps=0.01, k=2, w=-1)
    with pytest.raises(AttackError, match="random_sign: objective="):
        attack("random_sign", CNN(), x, method="saliency", eps=0.01, objective="nope")


# -------------------------------------------------------- differentiable saliency

def test_simple_gradient_equals_captum(net, images):
    a = saliency(net, images, None, "simple_gradient", create_graph=False).numpy()
    np.testing.assert_allclose(a, explain("saliency", net, images), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("baseline", ["zero", "mean"])
def test_integrated_gradients_equals_captum_riemann_right(net, images, digits, baseline):
    from captum.attr import IntegratedGradients

    x = torch.as_tensor(images)
    b = torch.zeros_like(x) if baseline == "zero" else torch.as_tensor(digits[0][:1500].mean(0))[None]
    target = net(x).argmax(1)
    ref = IntegratedGradients(net).attribute(x, baselines=b.expand_as(x), target=target, n_steps=20,
                                             method="riemann_right").detach().numpy()
    spec = "zero" if baseline == "zero" else b[0].numpy()  # the mean image, passed as an array
    a = saliency(net, images, None, "integrated_gradients", create_graph=False, n_steps=20,
                 baseline=spec).numpy()
    np.testing.assert_allclose(a, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    # the evaluation path of the attack rule: explain() with the same quadrature
    ev = explain("integrated_gradients", net, images, target.numpy(), n_steps=20, baseline=spec,
                 quadrature="riemann_right")
    np.testing.assert_allclose(ev, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def test_explain_rejects_unknown_quadrature(net, images):
    from attrobust.explain import ExplainError

    with pytest.raises(ExplainError, match="quadrature='simpson'"):
        explain("integrated_gradients", net, images, quadrature="simpson")


@pytest.mark.parametrize("baseline", ["zero", "mean"])
def test_deeplift_equals_captum(net, images, digits, baseline):
    b = "zero" if baseline == "zero" else digits[0][:1500].mean(0)
    ref = explain("deeplift", net, images, baseline=b)
    a = saliency(net, images, None, "deeplift", create_graph=False, baseline=b).numpy()
    np.testing.assert_allclose(a, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


@pytest.mark.parametrize("act", ["relu", "elu", "tanh"])
def test_deeplift_equals_captum_on_mlps(act):
    x = np.random.default_rng(0).normal(size=(6, 12)).astype(np.float32)
    net = MLP(12, 3, act=act).eval()
    a = saliency(net, x, None, "deeplift", create_graph=False).numpy()
    np.testing.assert_allclose(a, explain("deeplift", net, x), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("method", ["simple_gradient", "integrated_gradients", "deeplift"])
@pytest.mark.parametrize("act", ["relu", "tanh"])
def test_saliency_second_derivatives_are_right(method, act):
    """gradcheck differentiates the maps once more, through DeepLIFT's custom backward."""
    net = MLP(5, 3, hidden=6, act=act).double().eval()
    x = torch.as_tensor(np.random.default_rng(1).normal(size=(3, 5))).requires_grad_(True)
    t = torch.tensor([0, 1, 2])
    p = {"simple_gradient": {}, "integrated_gradients": {"n_steps": 5, "baseline": 0.3},
         "deeplift": {"baseline": 0.3}}[method]
    fn = explain_spec(method).differentiable
    assert torch.autograd.gradcheck(lambda z: fn(net, z, t, True, **p), (x,), eps=1e-6, atol=1e-5)


def test_deeplift_has_nonzero_second_derivative_on_relu_nets(net, images):
    x = torch.as_tensor(images[:4]).requires_grad_(True)
    R = A.normalised_map(saliency(net, x, None, "deeplift"))
    g = torch.autograd.grad(R[:, :4, :4].sum(), x)[0]
    assert R.requires_grad and g.abs().sum() > 0
    # the plain gradient of a ReLU net is piecewise constant: its map has zero gradient
    R = A.normalised_map(saliency(net, x, None, "simple_gradient"))
    g = torch.autograd.grad(R[:, :4, :4].sum(), x, allow_unused=True)[0]
    assert g is None or g.abs().sum() == 0


def test_saliency_targets_and_errors(net, images):
    a3 = saliency(net, images[:2], 3, "simple_gradient", create_graph=False)
    a3b = saliency(net, images[:2], [3, 3], "simple_gradient", create_graph=False)
    assert torch.equal(a3, a3b) and not a3.requires_grad
    with pytest.raises(AttackError, match="unknown saliency method 'lrp'"):
        saliency(net, images, None, "lrp")
    with pytest.raises(AttackError, match="unknown parameter"):
        saliency(net, images, None, "simple_gradient", n_steps=3)
    with pytest.raises(AttackError, match="per-pixel mean"):
        saliency(net, images, None, "integrated_gradients", baseline="mean")
    with pytest.raises(AttackError, match="out of range: the model has 10 outputs"):
        saliency(net, images[:2], 10, "simple_gradient")
    with pytest.raises(AttackError, match="fits neither"):
        saliency(net, images, None, "deeplift", baseline=np.zeros((2, 2)))


# --------------------------------------------------------------------- attacks

CASES = [("random_sign", "simple_gradient", None), ("topk", "simple_gradient", 10.0),
         ("mass_center", "simple_gradient", 10.0), ("topk", "deeplift", None),
         ("mass_center", "deeplift", None), ("topk", "integrated_gradients", 10.0),
         ("random_sign", "integrated_gradients", None)]


@pytest.mark.parametrize("name,method,beta", CASES)
def test_attack_contract(net, images, name, method, beta):
    eps = 0.06
    extra = {"n_trials": 3} if name == "random_sign" else {}
    r = attack(name, net, images, method=method, eps=eps, k=K, n_iter=8, step=0.02,
               softplus_beta=beta, **SP.get(method, {}), **extra)
    x_adv = r["x_adv"]
    assert set(r) >= {"x_adv", "dissimilarity", "label_kept", "n_iter"}
    assert x_adv.shape == images.shape and x_adv.dtype == np.float32
    assert np.abs(x_adv.astype(np.float64) - images).max() <= eps + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    label = predict(net, images)
    np.testing.assert_array_equal(predict(net, x_adv), label)  # never a label change
    np.testing.assert_array_equal(r["label"], label)
    assert r["n_iter"] == (3 if name == "random_sign" else 8)
    assert r["label_kept"].mean() > 0.5
    np.testing.assert_array_equal(x_adv[~r["label_kept"]], images[~r["label_kept"]])
    assert (r["dissimilarity"][~r["label_kept"]] == 0).all()
    # the reported dissimilarity is D of the returned image on the original model
    # (random_sign scores its trials with the top-k D when k is given)
    R0, R1 = maps(net, images, method, **SP.get(method, {})), maps(net, x_adv, method, **SP.get(method, {}))
    if name == "mass_center":
        expected = metrics.center_shift(R0, R1)
    else:
        B = metrics.topk_mask(R0, K)
        expected = (R0 * B).sum((1, 2)) - (R1 * B).sum((1, 2))
    kept = r["label_kept"]
    np.testing.assert_allclose(r["dissimilarity"][kept], expected[kept], rtol=1e-3, atol=1e-5)


def test_targeted_attacks_beat_random_sign(net, images):
    """Ghorbani et al. Fig. 2: at equal eps the top-k attack lowers top-k intersection and
    the mass-center attack moves the centre more than random sign noise (softplus
    gradients, footnote c)."""
    eps, kw = 0.08, dict(method="simple_gradient", k=K, n_iter=20, step=0.01)
    R0 = maps(net, images, "simple_gradient")
    rs = attack("random_sign", net, images, eps=eps, n_trials=1, **kw)
    tk = attack("topk", net, images, eps=eps, softplus_beta=10.0, **kw)
    mc = attack("mass_center", net, images, eps=eps, softplus_beta=10.0, **kw)
    R_rs, R_tk, R_mc = (maps(net, r["x_adv"], "simple_gradient") for r in (rs, tk, mc))
    top_rs = metrics.topk_intersection(R0, R_rs, K).mean()
    top_tk = metrics.topk_intersection(R0, R_tk, K).mean()
    assert top_tk < top_rs - 0.1, (top_tk, top_rs)
    assert metrics.center_shift(R0, R_mc).mean() > 1.5 * metrics.center_shift(R0, R_rs).mean()


def test_attacks_are_deterministic(net, images):
    kw = dict(method="deeplift", eps=0.05, k=K, n_iter=4, step=0.02)
    r1, r2 = attack("topk", net, images[:6], **kw), attack("topk", net, images[:6], **kw)
    assert np.array_equal(r1["x_adv"], r2["x_adv"])
    assert np.array_equal(r1["dissimilarity"], r2["dissimilarity"])
    s = [attack("random_sign", net, images[:6], method="simple_gradient", eps=0.05, k=K, seed=seed)
         for seed in (0, 0, 1)]
    assert np.array_equal(s[0]["x_adv"], s[1]["x_adv"])
    assert not np.array_equal(s[0]["x_adv"], s[2]["x_adv"])


def test_random_sign_is_batch_invariant_and_full_size(net, images):
    kw = dict(method="simple_gradient", eps=0.03, k=K, seed=3)
    whole = attack("random_sign", net, images[:6], **kw)
    part = attack("random_sign", net, images[2:4], **kw)
    np.testing.assert_array_equal(whole["x_adv"][2:4], part["x_adv"])
    delta = np.abs(whole["x_adv"] - images[:6])[whole["label_kept"]]
    inside = (images[:6] > 0.03 + 1e-6) & (images[:6] < 0.97 - 1e-6)  # no clipping there
    np.testing.assert_allclose(delta[inside[whole["label_kept"]]], 0.03, atol=1e-6)


def test_label_changing_candidates_are_never_returned(net, images):
    r = attack("random_sign", net, images, method="simple_gradient", eps=0.9, k=K, seed=0)
    assert not r["label_kept"].all()  # eps = 0.9 destroys most digits
    np.testing.assert_array_equal(r["x_adv"][~r["label_kept"]], images[~r["label_kept"]])
    np.testing.assert_array_equal(predict(net, r["x_adv"]), predict(net, images))


def test_relu_simple_gradient_without_softplus_warns_and_stays(net, images):
    with pytest.warns(RuntimeWarning, match="softplus_beta"):
        r = attack("topk", net, images[:4], method="simple_gradient", eps=0.05, k=K, n_iter=3)
    np.testing.assert_array_equal(r["x_adv"], images[:4])  # sign(0) = 0: nothing moves
    np.testing.assert_array_equal(r["dissimilarity"], 0)


def test_attack_restores_mode_and_leaves_weights(net, images):
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.train()
    try:
        attack("mass_center", net, images[:3], method="simple_gradient", eps=0.05, n_iter=2,
               softplus_beta=5.0)
        assert net.training
    finally:
        net.eval()
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())  # no gradient left on the weights


def test_attack_errors(net, images):
    kw = dict(method="simple_gradient", eps=0.05, k=K)
    with pytest.raises(AttackError, match="unknown attack 'pgd'"):
        attack("pgd", net, images, **kw)
    with pytest.raises(AttackError, match="in \\[0, 1\\]"):
        attack("topk", net, images * 3, **kw)
    with pytest.raises(AttackError, match="needs k"):
        attack("topk", net, images, method="simple_gradient", eps=0.05)
    with pytest.raises(AttackError, match="eps must be"):
        attack("topk", net, images, method="simple_gradient", eps=-1, k=K)
    with pytest.raises(AttackError, match="unknown parameter"):
        attack("topk", net, images, n_trials=3, **kw)
    with pytest.raises(AttackError, match="k must be in 1..64"):
        attack("topk", net, images, method="simple_gradient", eps=0.05, k=65)
    with pytest.raises(AttackError, match="objective"):
        attack("random_sign", net, images, objective="spearman", **kw)


def test_appendix_example_figure_has_a_row_per_attack(tmp_path):
    """Ghorbani Figs. 5-7: the original row plus one row per attack, two columns per method."""
    pytest.importorskip("matplotlib")
    from attrobust.plots import ghorbani, save

    rng = np.random.default_rng(0)

    def file():
        p = rng.random((2, 10))
        return {"x": rng.random((2, 1, 8, 8)), "x_adv": rng.random((2, 1, 8, 8)), "A": rng.normal(size=(2, 1, 8, 8)),
                "A_adv": rng.normal(size=(2, 1, 8, 8)), "probs": p, "probs_adv": p}

    files = {(m, a): file() for m in ("simple_gradient", "integrated_gradients")
             for a in ("random_sign", "topk", "mass_center")}
    fig = ghorbani.appendix_example(files, index=1, eps=16, class_names=[str(i) for i in range(10)])
    # a row per attack after the original; per method an (image, map) pair, since each
    # method's attack makes its own image
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 4 * 2 * 2
    # one colour bar per method, shared by its original and attacked maps
    assert len(fig.axes) - len(panels) == 2
    assert panels[4].get_title().startswith("Random sign perturbation, ε 16")
    assert panels[5].get_title().startswith("Simple Gradient")
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")
