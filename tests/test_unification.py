"""SmoothGrad and C-LIME from common random numbers (Agarwal et al. 2021): known answers."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from attrobust import unification as U


class SinSum(nn.Module):
    """f(x) = sum_i sin(x_i), as a one-output model."""

    def forward(self, x):
        return torch.sin(x).sum(1, keepdim=True)


def linear_model(w, b):
    lin = nn.Linear(len(w), 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([w]))
        lin.bias.fill_(b)
    return lin


def test_linear_model_both_return_w():
    w = [0.5, -2.0, 3.0, 0.25]
    model = linear_model(w, 0.7)
    x = np.array([0.1, 0.2, -0.3, 1.0])
    sg, cl = U.smoothgrad_clime(model, x, 0, n_samples=10, sigma=0.3, seed=1, output="logit")
    np.testing.assert_allclose(sg, w, rtol=1e-12)  # SmoothGrad: exact for any n
    np.testing.assert_allclose(cl, w, rtol=1e-9)  # C-LIME: exact once n > d + 1


@pytest.mark.parametrize("sigma", [0.3, 1.0])
def test_sin_sum_error_shrinks_like_one_over_sqrt_n(sigma):
    model = SinSum().double()
    x = np.linspace(-1.5, 1.5, 5)
    truth = U.expected_sin_explanation(x, sigma)

    def mean_error(n):
        errs = []
        for seed in range(8):
            sg, cl = U.smoothgrad_clime(model, x, 0, n_samples=n, sigma=sigma, seed=seed, output="logit")
            errs.append([np.linalg.norm(sg - truth), np.linalg.norm(cl - truth)])
        return np.mean(errs, axis=0)

    small, large = mean_error(100), mean_error(10_000)
    # 100x more samples: 1/sqrt(n) predicts a 10x smaller error; allow 4x to 25x
    ratio = small / large
    assert np.all(ratio > 4) and np.all(ratio < 25), ratio
    assert np.all(large < 0.05)


def test_shared_draws_make_the_gap_smaller_than_independent_draws():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 10), nn.ELU(), nn.Linear(10, 2)).double()
    x = np.array([0.2, -0.1, 0.4])
    sg, cl = U.smoothgrad_clime(model, x, 1, n_samples=200, sigma=0.5, seed=3)
    _, cl_other = U.smoothgrad_clime(model, x, 1, n_samples=200, sigma=0.5, seed=4)
    assert np.linalg.norm(sg - cl) < np.linalg.norm(sg - cl_other)


def test_curves_rows_and_determinism():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 10), nn.ELU(), nn.Linear(10, 2))
    X = np.random.default_rng(0).normal(size=(3, 2))
    kw = dict(ns=[10, 1000], sigma=0.1, n_neighbours=4, neighbour_sigma=0.01, seed=5)
    rows = U.curves(model, X, [0, 1, 1], **kw)
    assert len(rows) == 6 and {r["n"] for r in rows} == {10, 1000}
    assert rows == U.curves(model, X, [0, 1, 1], **kw)
    by_n = {n: np.mean([r["gap"] for r in rows if r["n"] == n]) for n in (10, 1000)}
    assert by_n[1000] < by_n[10]
    assert all(r["maxdist_smoothgrad"] > 0 and r["maxdist_clime"] > 0 for r in rows)


@pytest.mark.parametrize("output", ["prob", "logit"])
def test_one_output_model_agrees_with_explain_and_is_not_zero(output):
    """Issue #16 item 10: with output='prob' a softmax over a model's single column is the
    constant 1, and smoothgrad_clime returned zeros while explain('clime') explained the
    output itself. Both explain the output; on a linear model both estimators give w."""
    from attrobust.explain import explain

    w = [0.5, -2.0, 3.0]
    model = linear_model(w, 0.1)
    x = np.array([0.3, -0.4, 0.2])
    for target in (0, 1):  # ignored for one output, as in explain
        sg, cl = U.smoothgrad_clime(model, x, target, n_samples=50, sigma=0.3, seed=2, output=output)
        np.testing.assert_allclose(sg, w, rtol=1e-12)
        np.testing.assert_allclose(cl, w, rtol=1e-9)
    torch.manual_seed(0)
    curved = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    _, cl = U.smoothgrad_clime(curved, x, 0, n_samples=200, sigma=0.5, seed=3, output=output)
    ref = explain("clime", copy.deepcopy(curved).float(), x[None], 0, seed=3, output=output, n_samples=200, sigma=0.5)
    assert np.abs(cl).max() > 0.01
    np.testing.assert_allclose(cl, ref[0], rtol=1e-5, atol=1e-7)


def test_two_class_model_agrees_with_explain():
    """The softmax probability of the target, the same draws: the two paths agree."""
    from attrobust.explain import explain

    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    x = np.array([0.3, -0.4, 0.2])
    for output in ("prob", "logit"):
        _, cl = U.smoothgrad_clime(model, x, 1, n_samples=200, sigma=0.5, seed=3, output=output)
        ref = explain("clime", copy.deepcopy(model).float(), x[None], 1, seed=3, output=output, n_samples=200, sigma=0.5)
        np.testing.assert_allclose(cl, ref[0], rtol=1e-5, atol=1e-7)


def test_bad_arguments():
    model = linear_model([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="sigma"):
        U.smoothgrad_clime(model, [0.0, 0.0], 0, n_samples=10, sigma=0.0)
    with pytest.raises(ValueError, match="n_samples"):
        U.smoothgrad_clime(model, [0.0, 0.0], 0, n_samples=3, sigma=0.1)
    with pytest.raises(ValueError, match="output"):
        U.smoothgrad_clime(model, [0.0, 0.0], 0, n_samples=10, sigma=0.1, output="proba")


def test_lipschitz_falls_with_sigma_on_a_curved_function():
    import pandas as pd

    model = SinSum().double()
    # f = sum sin: the expected explanation exp(-s^2/2) cos(x) is smoother for larger sigma
    rows = U.lipschitz_vs_sigma(model, np.array([[0.3, -0.2]]), [0], sigmas=[0.5, 2.0], n_samples=400,
                                eps=0.5, n_calls=8, estimator="random", seed=0, output="logit")
    table = pd.DataFrame(rows)
    assert set(table["method"]) == {"smoothgrad", "clime"} and len(table) == 4
    slopes = U.sigma_slopes(table)
    assert slopes["smoothgrad"] < 0 and slopes["clime"] < 0
