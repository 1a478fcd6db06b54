"""Input Hessian analysis (Ghorbani et al. 2019, Appendix F, Fig. 11a) on known answers: a
quadratic score 1/2 x^T A x + b^T x has gradient A x + b and Hessian A."""
import numpy as np
import pytest
import torch

from attrobust import curvature

from _nets import CNN


def _quadratic(d=6, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.array([0.5, -3.0, 1.0, 2.0, -0.25, 0.1])[:d]  # largest |eigenvalue| is negative
    A = (Q * lam) @ Q.T
    b = rng.normal(size=d)
    At, bt = torch.tensor(A), torch.tensor(b)

    def f(x):  # per row
        return 0.5 * ((x @ At) * x).sum(1) + x @ bt

    return A, b, Q[:, np.argmax(np.abs(lam))], f


def test_hvp_is_hessian_times_v():
    A, _, _, f = _quadratic()
    x = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    v = torch.randn(4, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    np.testing.assert_allclose(curvature.hvp(f, x, v).numpy(), v.numpy() @ A, rtol=1e-12, atol=1e-12)


def test_top_singular_vector_of_known_hessian():
    A, b, u1, f = _quadratic()
    x = torch.randn(3, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    v, s = curvature.top_singular_vector(f, x, n_iter=200)
    np.testing.assert_allclose(s.numpy(), 3.0, rtol=1e-8)
    np.testing.assert_allclose(np.abs(v.numpy() @ u1), 1.0, rtol=1e-8)
    # the angle of Fig. 11a against the exact one
    g = x.numpy() @ A + b
    want = np.degrees(np.arccos(np.abs(g @ u1) / np.linalg.norm(g, axis=1)))
    np.testing.assert_allclose(curvature.angle(g, v).numpy(), want, atol=1e-5)


def test_angle():
    u = np.array([[1.0, 0], [1, 0], [1, 0], [0, 0]])
    v = np.array([[0.0, 2], [-1, 0], [1, 1], [1, 0]])
    a = curvature.angle(u, v).numpy()
    np.testing.assert_allclose(a[:3], [90, 0, 45], atol=1e-9)
    assert np.isnan(a[3])
    np.testing.assert_allclose(curvature.angle(u[:2], v[:2], unsigned=False).numpy(), [90, 180], atol=1e-9)


def test_score_hessian_angles_on_softplus_cnn():
    from attrobust.models import softplus

    net = CNN(n_classes=3, seed=0).eval()
    x = np.random.default_rng(0).uniform(0, 1, size=(5, 1, 8, 8))
    before = [p.clone() for p in net.parameters()]
    r = curvature.score_hessian_angles(softplus(net, 10), x, n_iter=100)
    assert r["angle"].shape == (5,) and np.all((r["angle"] >= 0) & (r["angle"] <= 90))
    assert np.all(r["sigma1"] > 0) and np.all(r["grad_norm"] > 0)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))  # untouched
    # v1 is the top eigenvector of the explicit Hessian of one image's logit
    xs = torch.tensor(x[:1], dtype=torch.float64)
    sp = softplus(net, 10).double()
    t = int(sp(xs).argmax(1))
    H = torch.autograd.functional.hessian(lambda z: sp(z.view(1, 1, 8, 8))[0, t], xs.flatten()).numpy()
    assert np.max(np.abs(np.linalg.eigvalsh(H))) == pytest.approx(r["sigma1"][0], rel=1e-4)
