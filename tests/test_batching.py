"""Batching changes speed, never results (beyond float tolerance).

explain(..., batch_size=large) against batch_size=1 for the gradient methods the benchmarks
time (benchmarks/bench_attribution.py), and the top-k attack on a batch against one image
at a time (benchmarks/bench_attacks.py). Small seeded nets (tests/_nets.py): seconds."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attrobust import attacks
from attrobust.explain import explain

from _nets import CNN

# float32 sums in another order: differences of a few ulps of the largest attribution
RTOL, ATOL = 1e-4, 1e-6


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((9, 1, 16, 16), dtype=np.float32)


@pytest.fixture(scope="module")
def net():
    return CNN(c=1, hw=16, n_classes=3, seed=1).eval()


def _close(a, b, scale=0.0):
    """Equal up to float32 rounding: relative to the largest attribution, or to ``scale``
    (occlusion's attributions are differences of two logits, so they carry the logits'
    rounding error)."""
    scale = max(float(np.abs(b).max()), scale, 1e-12)
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL * scale)


@pytest.mark.parametrize("method, params", [
    ("saliency", {}),
    ("integrated_gradients", {"n_steps": 100}),  # 9 x 100 rows: split into forward passes
    ("smoothgrad", {"n_samples": 8, "sigma": 0.2}),
    ("deeplift", {}),
    ("occlusion", {}),  # perturbations per forward pass follow batch_size
])
def test_batch_size_does_not_change_attributions(net, images, method, params):
    target = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    with torch.no_grad():
        logits = float(net(torch.as_tensor(images)).abs().max()) if method == "occlusion" else 0.0
    one = explain(method, net, images, target, batch_size=1, seed=3, **params)
    for bs in (4, 64):
        _close(explain(method, net, images, target, batch_size=bs, seed=3, **params), one, logits)
    # and a sub-batch gives the rows of the whole batch
    _close(explain(method, net, images[2:5], target[2:5], batch_size=64, seed=3, **params), one[2:5], logits)


def test_integrated_gradients_in_chunks_equals_one_pass(net, images):
    """The engine splits batch x n_steps path points into forward passes of ~2**16 input
    values; the sum must equal captum's single pass over all of them."""
    from captum.attr import IntegratedGradients

    target = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    x = torch.as_tensor(images)
    ref = IntegratedGradients(net).attribute(x, target=target, n_steps=300).detach().numpy()
    ours = explain("integrated_gradients", net, images, target.numpy(), n_steps=300, batch_size=64)
    _close(ours, ref)


def test_topk_attack_batched_equals_one_image_at_a_time(net, images):
    x = images[:4]
    kw = dict(method="integrated_gradients", eps=8 / 255, k=26, n_iter=6, step=0.5 / 255,
              softplus_beta=10.0, n_steps=16, baseline=images.mean(0), seed=0)
    batch = attacks.attack("topk", net, x, **kw)
    single = [attacks.attack("topk", net, x[i : i + 1], **kw) for i in range(len(x))]
    np.testing.assert_allclose(batch["x_adv"], np.concatenate([s["x_adv"] for s in single]), atol=1e-6)
    np.testing.assert_allclose(batch["dissimilarity"], np.concatenate([s["dissimilarity"] for s in single]),
                               rtol=1e-4, atol=1e-7)
    np.testing.assert_array_equal(batch["label_kept"], np.concatenate([s["label_kept"] for s in single]))
    np.testing.assert_array_equal(batch["label"], np.concatenate([s["label"] for s in single]))
    assert (batch["dissimilarity"] > 0).any()  # the attack moved something
