"""Infidelity, max-sensitivity (Yeh et al. 2019) and MoRF/LeRF pixel removal (Samek et al.
2017): attrobust.faithfulness."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from _nets import CNN
from attrobust import explain, faithfulness as F
from attrobust.faithfulness import FaithfulnessError


class OnePixel(nn.Module):
    """Logits (5 x[0, 2, 3], 0): only pixel (2, 3) matters."""

    def forward(self, x):
        z = 5 * x[:, 0, 2, 3]
        return torch.stack([z, torch.zeros_like(z)], 1)


def _images(n=3, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 1.0, (n, 1, 6, 6)).astype(np.float32)


def test_morf_drops_at_the_first_step_for_saliency_on_a_one_pixel_model():
    model, x = OnePixel(), _images()
    A = explain.explain("saliency", model, x, 0)
    frac, morf = F.pixel_removal(model, x, A, [0, 0, 0], order="morf", n_steps=36, replace="zero")
    assert frac[0] == 0 and frac[1] == pytest.approx(1 / 36) and frac[-1] == 1
    assert np.all(morf[:, 0] > 0.7)
    assert np.allclose(morf[:, 1:], 0.5)  # pixel (2, 3) removed first: logit 0
    _, lerf = F.pixel_removal(model, x, A, [0, 0, 0], order="lerf", n_steps=36, replace="zero")
    assert np.allclose(lerf[:, :-1], morf[:, :1]) and np.allclose(lerf[:, -1], 0.5)
    assert np.all(F.area(frac, morf) < F.area(frac, lerf))


@pytest.mark.parametrize("kind", F.REPLACEMENTS)
def test_replacements(kind):
    x = _images()
    r = F.replacement(x, kind, mean=[0.25], blur_sigma=1.0)
    assert r.shape == x.shape
    if kind == "zero":
        assert not r.any()
    elif kind == "mean":
        assert np.allclose(r, 0.25)
    else:
        assert np.allclose(r.mean(), x.mean(), atol=0.05) and r.std() < x.std()
    with pytest.raises(FaithfulnessError):
        F.replacement(x, "noise")


def test_area_of_a_constant_curve_is_the_constant():
    frac = np.linspace(0, 1, 5)
    assert np.allclose(F.area(frac, np.full((2, 5), 0.3)), 0.3)


def test_infidelity_of_the_exact_gradient_of_a_linear_model_is_zero():
    torch.manual_seed(0)
    lin = nn.Linear(20, 3)
    x = np.random.default_rng(0).normal(size=(5, 20)).astype(np.float32)
    target = np.array([0, 1, 2, 0, 1])
    A = explain.explain("saliency", lin, x, target)
    inf = F.infidelity(lin, x, A, target, sigma=0.01, n_perturb=20)
    assert inf.shape == (5,) and np.all(inf < 1e-10)
    noisy = F.infidelity(lin, x, A + np.random.default_rng(1).normal(size=A.shape).astype(np.float32),
                         target, sigma=0.01, n_perturb=20)
    assert np.all(noisy > 100 * inf.max() + 1e-8)
    again = F.infidelity(lin, x, A, target, sigma=0.01, n_perturb=20, seed=0)
    assert np.array_equal(inf, again)


def test_max_sensitivity_of_saliency_of_a_linear_model_is_zero_and_positive_for_a_cnn():
    torch.manual_seed(0)
    lin = nn.Linear(20, 3)
    x = np.random.default_rng(0).normal(size=(4, 20)).astype(np.float32)
    fn = F.explainer("saliency", lin)
    assert np.allclose(F.max_sensitivity(fn, x, [0, 1, 2, 0], radius=0.1, n_perturb=5), 0, atol=1e-6)
    cnn, xi = CNN(), _images(2, 1)
    xi = np.random.default_rng(1).uniform(0, 1, (2, 1, 8, 8)).astype(np.float32)
    s = F.max_sensitivity(F.explainer("saliency", cnn), xi, [0, 1], radius=0.2, n_perturb=5, seed=1)
    assert s.shape == (2,) and np.all(s > 0)
    assert np.array_equal(s, F.max_sensitivity(F.explainer("saliency", cnn), xi, [0, 1], radius=0.2,
                                                n_perturb=5, seed=1))


def test_max_sensitivity_takes_broadcast_maps():
    # Grad-CAM on 3-channel images returns one map broadcast over the channels (not
    # contiguous); captum views the maps flat (a ResNet-18 job failed on it)
    x = np.random.default_rng(0).random((2, 3, 4, 4)).astype(np.float32)

    def broadcast(inputs, target):
        m = inputs.sum(1, keepdims=True)
        return np.broadcast_to(m, inputs.shape)

    s = F.max_sensitivity(broadcast, x, [0, 1], radius=0.1, n_perturb=3)
    assert s.shape == (2,) and np.all(np.isfinite(s)) and np.all(s > 0)
