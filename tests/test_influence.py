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
    s = np.array([[5.0, 4, 3, 2, 1, 0]])
    assert inf.top(s, 3).tolist() == [[0, 1, 2]]
    assert inf.topk_overlap(s, s[:, ::-1], 3).tolist() == [0.0]
    assert inf.topk_overlap(s, s + 1, 3).tolist() == [1.0]
    np.testing.assert_allclose(inf.spearman(s, -s), [-1.0])


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
            ghorbani.fig11_hessian({"angle": rng.uniform(0, 90, 10)}, rng.uniform(0, 90, 5))]
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
