"""Influence functions (Ghorbani et al. 2019 eq. 1, Koh & Liang 2017) against known answers:
the exact derivative of the test loss under up-weighting, brute-force leave-one-out
retraining, and captum's NaiveInfluenceFunction; and the attack of eq. (2)."""
import numpy as np
import pytest
import torch
from torch import nn

from attrobust import influence as inf

from _nets import CNN


def _problem(n=40, d=3, seed=0):
    rng = np.random.default_rng(seed)
    Phi = rng.normal(size=(n, d))
    y = (Phi[:, 0] + rng.normal(size=n) > 0).astype(np.int64)  # not separable
    Pt = rng.normal(size=(5, d))
    yt = (Pt[:, 0] > 0).astype(np.int64)
    return Phi, y, Pt, yt


def _test_loss(theta, Pt, yt):
    z = np.hstack([Pt, np.ones((len(Pt), 1))]) @ theta
    return np.logaddexp(0, z) - yt * z


def _fit_weighted(Phi, y, w, l2, theta0):
    """argmin 1/n sum_j w_j L(z_j) + l2/2 ||w||^2 by plain Newton (the brute force)."""
    A = np.hstack([Phi, np.ones((len(Phi), 1))])
    t = theta0.copy()
    for _ in range(50):
        s = 1 / (1 + np.exp(-(A @ t)))
        g = A.T @ (w * (s - y)) / len(A)
        g[:-1] += l2 * t[:-1]
        H = (A * (w * s * (1 - s))[:, None]).T @ A / len(A)
        H[np.arange(len(t) - 1), np.arange(len(t) - 1)] += l2
        t = t - np.linalg.solve(H, g)
    return t


def test_fit_is_stationary_and_hessian_exact():
    Phi, y, _, _ = _problem()
    l2 = 1e-2
    th = inf.fit_logistic(Phi, y, l2=l2)

    def R(t):
        A = torch.cat([torch.as_tensor(Phi), torch.ones(len(Phi), 1, dtype=torch.float64)], 1)
        z = A @ t
        return (torch.nn.functional.softplus(z) - torch.as_tensor(y) * z).mean() + 0.5 * l2 * (t[:-1] ** 2).sum()

    t = torch.tensor(th, requires_grad=True)
    g = torch.autograd.grad(R(t), t)[0]
    assert g.abs().max() < 1e-10
    H_auto = torch.autograd.functional.hessian(R, torch.tensor(th)).numpy()
    np.testing.assert_allclose(inf.hessian(th, Phi, y, l2), H_auto, rtol=1e-10, atol=1e-12)
    assert np.array_equal(th, inf.fit_logistic(Phi, y, l2=l2))  # deterministic


def test_influence_is_derivative_of_upweighted_test_loss():
    """Eq. (1) = d/d eps L(z_t, theta_eps) at 0, theta_eps = argmin R + eps L(z_i) (Koh & Liang)."""
    Phi, y, Pt, yt = _problem()
    n, l2 = len(Phi), 1e-2
    th = inf.fit_logistic(Phi, y, l2=l2)
    I = inf.influence(th, inf.hessian(th, Phi, y, l2), Phi, y, Pt, yt, score="eq1")
    h = 1e-5
    for i in (0, 7, 21):
        w_plus, w_minus = np.ones(n), np.ones(n)
        w_plus[i] += n * h  # 1/n * (n h) = h extra weight on L(z_i)
        w_minus[i] -= n * h
        d = (_test_loss(_fit_weighted(Phi, y, w_plus, l2, th), Pt, yt)
             - _test_loss(_fit_weighted(Phi, y, w_minus, l2, th), Pt, yt)) / (2 * h)
        np.testing.assert_allclose(I[:, i], d, rtol=1e-5, atol=1e-8)


def test_influence_predicts_leave_one_out():
    """Brute-force leave-one-out retraining: the change of each test loss is ~ -I / n."""
    Phi, y, Pt, yt = _problem(n=150)
    n, l2 = len(Phi), 1e-2
    th = inf.fit_logistic(Phi, y, l2=l2)
    I = inf.influence(th, inf.hessian(th, Phi, y, l2), Phi, y, Pt, yt, score="eq1")
    actual = np.empty_like(I)
    for i in range(n):
        w = np.ones(n)
        w[i] = 0
        actual[:, i] = _test_loss(_fit_weighted(Phi, y, w, l2, th), Pt, yt) - _test_loss(th, Pt, yt)
    for t in range(len(Pt)):
        assert np.corrcoef(actual[t], -I[t] / n)[0, 1] > 0.99
    np.testing.assert_allclose(actual, -I / n, atol=0.2 * np.abs(actual).max())  # first order


def test_matches_captum_naive_influence(tmp_path):
    """captum scores g_t^T (sum-Hessian + reg I)^-1 g_i: = s / n = -I / n with reg = n l2 (up to
    captum also regularising the bias, which we do not: < 1% here)."""
    from captum.influence import NaiveInfluenceFunction
    from torch.utils.data import DataLoader, TensorDataset

    Phi, y, Pt, yt = _problem()
    n, d, l2 = *Phi.shape, 1e-3
    th = inf.fit_logistic(Phi, y, l2=l2)
    I = inf.influence(th, inf.hessian(th, Phi, y, l2), Phi, y, Pt, yt, score="eq1")
    released = inf.influence(th, inf.hessian(th, Phi, y, l2), Phi, y, Pt, yt)  # default: eq2 = -I
    np.testing.assert_array_equal(released, -I)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(d, 1).double()

        def forward(self, x):
            return self.lin(x)[:, 0]

    model = M()
    with torch.no_grad():
        model.lin.weight.copy_(torch.tensor(th[:-1])[None])
        model.lin.bias.copy_(torch.tensor(th[-1:]))
    ck = tmp_path / "ck.pt"
    torch.save(model.state_dict(), ck)

    def load(m, path):
        m.load_state_dict(torch.load(path))
        return 1.0

    train = TensorDataset(torch.tensor(Phi), torch.tensor(y, dtype=torch.float64))
    f = NaiveInfluenceFunction(model, DataLoader(train, batch_size=n), str(ck), checkpoints_load_func=load,
                               loss_fn=nn.BCEWithLogitsLoss(reduction="none"), batch_size=n,
                               projection_dim=d + 1, hessian_reg=n * l2, hessian_inverse_tol=1e-12)
    C = f.influence((torch.tensor(Pt), torch.tensor(yt, dtype=torch.float64))).numpy()
    assert np.abs(n * C - released).max() < 1e-2 * np.abs(I).max()


def test_measures():
    """Fig. 4's measures are attrobust.metrics' (one implementation for every paper)."""
    from attrobust import metrics

    s = np.array([[5.0, 4, 3, 2, 1, 0]])
    assert inf.top(s, 3).tolist() == [[0, 1, 2]]
    assert metrics.topk_intersection(s, s[:, ::-1], 3).tolist() == [0.0]
    assert metrics.topk_intersection(s, s + 1, 3).tolist() == [1.0]
    np.testing.assert_allclose(metrics.spearman(s, -s), [-1.0])
    assert not hasattr(inf, "topk_overlap") and not hasattr(inf, "spearman")


def _two_layer(d=6, h=3, seed=0):
    """x -> softplus(W x + b) (h units) -> Linear(h, 2): the two-layer net of Ghorbani et al.
    Appendix H; the last layer's input phi = softplus(W x + b) is the influence features."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, h), nn.Softplus(), nn.Linear(h, 2)).eval()


def test_influence_gradient_matches_closed_form():
    """grad_x of the eq. (2) score and of the loss against their closed forms for the
    two-layer net (phi = g(W x + b), g = softplus, g' = sigmoid):
    grad_x s = W^T diag(g') [sigma(1 - sigma)(a.V) theta_w + (sigma - y) V_w],
    grad_x L = (sigma - y) W^T diag(g') theta_w; and the angle and the confidence/rest split
    of loss_influence_terms from the same formulas."""
    rng = np.random.default_rng(1)
    net = _two_layer()
    X = rng.uniform(0, 1, size=(60, 6))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0.5).astype(np.int64)
    last = inf.LastLayer.fit(net, X[:50], y[:50], l2=1e-2)
    x, yt = X[50:], y[50:]
    W, b = net[0].weight.detach().double().numpy(), net[0].bias.detach().double().numpy()
    pre = x @ W.T + b
    phi, gp = np.logaddexp(0, pre), 1 / (1 + np.exp(-pre))
    a = np.hstack([phi, np.ones((len(x), 1))])
    th = last.theta
    sig = 1 / (1 + np.exp(-(a @ th)))
    top1 = inf.top(last.scores(x, yt), 1)[:, 0]
    V = last.HinvG[:, top1].T  # (N, h + 1)
    aV = (a * V).sum(1)
    # eq2 score s = grad L(z_t)^T H^{-1} grad L(z_(1)) = (sigma - y) a.V
    np.testing.assert_allclose(np.take_along_axis(last.scores(x, yt), top1[:, None], 1)[:, 0],
                               (sig - yt) * aV, rtol=1e-4)
    c = (sig * (1 - sig) * aV)[:, None] * ((gp * th[None, :-1]) @ W)
    r = (sig - yt)[:, None] * ((gp * V[:, :-1]) @ W)
    g_loss = (sig - yt)[:, None] * ((gp * th[None, :-1]) @ W)
    xt = torch.tensor(x, dtype=torch.float32).requires_grad_(True)
    with torch.enable_grad():
        s, _ = last._torch_score(net, xt, torch.tensor(yt, dtype=torch.float64), torch.tensor(V.T))
        g = torch.autograd.grad(s.sum(), xt)[0].double().numpy()
    np.testing.assert_allclose(g, c + r, rtol=1e-3, atol=1e-4 * np.abs(c + r).max())
    terms = inf.loss_influence_terms(last, x.astype(np.float32), yt)
    cos = np.abs((g_loss * (c + r)).sum(1)) / np.linalg.norm(g_loss, axis=1) / np.linalg.norm(c + r, axis=1)
    np.testing.assert_allclose(terms["angle"], np.degrees(np.arccos(np.clip(cos, 0, 1))), atol=0.1)
    np.testing.assert_allclose(terms["confidence_ratio"], np.linalg.norm(c, axis=1) / np.linalg.norm(r, axis=1),
                               rtol=1e-3)


def test_loss_factor_scales_every_influence():
    """s(z_i, z_t) = (sigma_t - y_t) [phi_t, 1]^T H^{-1} grad L(z_i): the factor sigma_t - y_t is
    shared by every training point, and loss_factor is its ratio between two inputs."""
    rng = np.random.default_rng(2)
    net = _two_layer()
    X = rng.uniform(0, 1, size=(45, 6)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(np.int64)
    last = inf.LastLayer.fit(net, X[:40], y[:40], l2=1e-2)
    x, yt = X[40:], y[40:]
    x2 = np.clip(x + 0.2 * rng.uniform(-1, 1, size=x.shape), 0, 1).astype(np.float32)
    A = [np.hstack([inf.features(net, z), np.ones((len(z), 1))]) for z in (x, x2)]
    sig = [1 / (1 + np.exp(-(a @ last.theta))) for a in A]
    for z, a, sg in zip((x, x2), A, sig):
        np.testing.assert_allclose(last.scores(z, yt), (sg - yt)[:, None] * (a @ last.HinvG), rtol=1e-8)
    f = inf.loss_factor(last, x, x2, yt)
    np.testing.assert_allclose(f, (sig[1] - yt) / (sig[0] - yt), rtol=1e-8)
    assert not np.allclose(f, 1.0)


def test_appendix_h_two_layer_closed_form():
    """Ghorbani et al. Appendix H: S = v . g(W^T x) with orthogonal w_j has
    grad_x S = sum_j v_j g'(w_j.x) w_j and grad_x^2 S = sum_j v_j g''(w_j.x) w_j w_j^T, whose top
    singular vector is w_k / ||w_k||, k = argmax_j |v_j g''(w_j.x)| ||w_j||^2; the angle between
    grad_x S and it has cos = |v_k g'(w_k.x)| ||w_k|| / ||grad_x S||, not 0 unless g' = g''.
    (The paper's normalisation of grad S prints a square in the denominator; the norm is used.)
    curvature.score_hessian_angles (Fig. 11a) must give these numbers."""
    from attrobust import curvature

    d, h = 8, 3
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    scales = np.array([2.0, 1.0, 0.5])
    W = (Q[:, :h] * scales).T  # rows w_j, orthogonal, norms 2, 1, 0.5
    v = np.array([1.0, -1.5, 2.0])
    net = nn.Sequential(nn.Linear(d, h, bias=False), nn.Softplus(), nn.Linear(h, 1, bias=False)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(W))
        net[2].weight.copy_(torch.tensor(v[None]))
    x = rng.uniform(-1, 1, size=(5, d))
    u = x @ W.T  # w_j . x
    g1 = 1 / (1 + np.exp(-u))  # softplus' = sigmoid
    g2 = g1 * (1 - g1)  # softplus''
    grad = (v * g1) @ W
    k = np.argmax(np.abs(v * g2) * scales ** 2, axis=1)
    cos = np.abs(v[k] * g1[np.arange(5), k] * scales[k]) / np.linalg.norm(grad, axis=1)
    expected = np.degrees(np.arccos(np.clip(cos, 0, 1)))
    r = curvature.score_hessian_angles(net, x, np.zeros(5, dtype=int), n_iter=200)
    np.testing.assert_allclose(r["angle"], expected, atol=0.1)
    np.testing.assert_allclose(r["grad_norm"], np.linalg.norm(grad, axis=1), rtol=1e-6)
    np.testing.assert_allclose(r["sigma1"], np.abs(v[k] * g2[np.arange(5), k]) * scales[k] ** 2, rtol=1e-4)
    assert np.all(expected > 1)  # not parallel: softplus has g' != g''


@pytest.fixture(scope="module")
def cnn_last():
    """A narrow CNN on random 8x8 images, two classes of the argmax of its own output."""
    rng = np.random.default_rng(0)
    net = CNN(n_classes=2, seed=0).eval()
    X = rng.uniform(0, 1, size=(80, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        y = net(torch.as_tensor(X)).argmax(1).numpy()
    if len(set(y)) < 2:
        y = (X.mean((1, 2, 3)) > np.median(X.mean((1, 2, 3)))).astype(np.int64)
    return net, inf.LastLayer.fit(net, X[:60], y[:60], l2=1e-2), X[60:], y[60:]


def test_penultimate_features(cnn_last):
    net, last, X, _ = cnn_last
    with torch.no_grad():
        x = torch.as_tensor(X)
        want = torch.relu(net.head[0](net.features(x).flatten(1)))
    np.testing.assert_allclose(inf.features(net, X), want.double().numpy(), rtol=1e-6)
    assert last.Phi_train.shape == (60, 16) and last.theta.shape == (17,)


def test_attack_lowers_top3_influence_and_respects_constraints(cnn_last):
    net, last, X, y = cnn_last
    eps = 8 / 255
    s0 = last.scores(X, y)
    r = inf.attack(last, X, y, eps=eps, n_iter=10)
    xa = r["x_adv"]
    assert np.abs(xa - X).max() <= eps + 1e-6 and xa.min() >= 0 and xa.max() <= 1
    np.testing.assert_array_equal(last.predict(xa), last.predict(X))  # label kept
    s1 = last.scores(xa, y)
    rows = np.arange(len(X))[:, None]
    drop = s1[rows, r["top"]].sum(1) - s0[rows, r["top"]].sum(1)
    np.testing.assert_allclose(drop, r["objective"], rtol=1e-4, atol=1e-9)
    assert (drop <= 1e-12).all() and drop.mean() < 0
    again = inf.attack(last, X, y, eps=eps, n_iter=10)
    np.testing.assert_array_equal(again["x_adv"], xa)  # deterministic
    rnd = inf.random_sign(last, X, y, eps=eps, seed=3)
    kept = rnd["label_kept"]
    np.testing.assert_allclose(np.abs(rnd["x_adv"][kept] - X[kept]).max(), eps, rtol=1e-5)
    np.testing.assert_array_equal(inf.random_sign(last, X, y, eps=eps, seed=3)["x_adv"], rnd["x_adv"])


def test_loss_influence_angles_in_range(cnn_last):
    net, last, X, y = cnn_last
    a = inf.loss_influence_angles(last, X, y)
    assert a.shape == (len(X),) and np.all((a >= 0) & (a <= 90))


def test_bad_inputs():
    Phi, y, _, _ = _problem()
    with pytest.raises(inf.InfluenceError, match="l2"):
        inf.fit_logistic(Phi, y, l2=0)
    with pytest.raises(inf.InfluenceError, match="score"):
        inf.influence(np.zeros(4), np.eye(4), Phi, y, Phi, y, score="other")
    with pytest.raises(inf.InfluenceError, match="two different"):
        inf.binary_subset(Phi, y, [1, 1])


def _table(targeted_overlap=0.4, random_overlap=0.9):
    import pandas as pd

    rows = []
    for a, ov in (("targeted", targeted_overlap), ("random_sign", random_overlap)):
        for eps in (4.0, 16.0):
            for i in range(3):
                rows.append({"attack": a, "eps": eps, "image": i, "spearman": ov, "topk_overlap": ov,
                             "label_kept": True, "label_unchanged": True})
    return pd.DataFrame(rows)


def test_claim_targeted_beats_random():
    from attrobust import claims

    held = claims.evaluate({"ghorbani_influence": _table()}, {"ghorbani_influence": {"k": 5}})
    row = held.set_index("claim").loc["ghorbani-influence-targeted-beats-random"]
    assert row["verdict"] == "holds" and "top-5 overlap targeted minus random at eps=16 = -0.5" in row["measured"]
    bad = claims.evaluate({"ghorbani_influence": _table(0.9, 0.4)}, {})
    assert bad.set_index("claim").loc["ghorbani-influence-targeted-beats-random", "verdict"] == "contradicted"
    only = claims.evaluate({"ghorbani_influence": _table().query("attack == 'targeted'")}, {})
    assert only.set_index("claim").loc["ghorbani-influence-targeted-beats-random", "verdict"] == "not evaluated"


def test_figures_draw():
    from attrobust.plots import ghorbani

    rng = np.random.default_rng(0)
    n, n_train = 3, 20
    res = {"x": rng.uniform(size=(n, 1, 8, 8)), "y": np.array([0, 1, 0]), "scores": rng.normal(size=(n, n_train)),
           "x_adv": rng.uniform(size=(2, 2, n, 1, 8, 8)), "scores_adv": rng.normal(size=(2, 2, n, n_train)),
           "attacks": np.array(["targeted", "random_sign"]), "eps": np.array([4.0, 16.0])}
    X_train = rng.uniform(size=(n_train, 1, 8, 8))
    t = _table()
    figs = [ghorbani.fig3_influence(res, X_train, t, class_names=["3", "5"]), ghorbani.fig4_influence(t),
            ghorbani.fig10_influence(res, t, n_show=2),
            ghorbani.fig11_hessian({"angle": rng.uniform(0, 90, 10)}, rng.uniform(0, 90, 5), rng.uniform(1, 10, 5))]
    assert all(len(f.axes) >= 2 for f in figs)


def test_claim_orthogonal_directions():
    import pandas as pd

    from attrobust import claims

    df = pd.DataFrame({"panel": ["feature_importance"] * 3 + ["influence"] * 3,
                       "image": [0, 1, 2] * 2, "angle": [80, 70, 60, 10, 30, 5]})
    row = claims.evaluate({"ghorbani_angles": df}, {}).set_index("claim").loc["ghorbani-orthogonal-directions"]
    assert row["verdict"] == "contradicted" and "(a) feature importance (deg) = 70 [" in row["measured"]
    assert "(b) influence (deg) = 10 [" in row["measured"]
    df.loc[df["panel"] == "influence", "angle"] = [80, 85, 50]
    row = claims.evaluate({"ghorbani_angles": df}, {}).set_index("claim").loc["ghorbani-orthogonal-directions"]
    assert row["verdict"] == "holds"
