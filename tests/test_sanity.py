"""Sanity checks (Adebayo et al. 2018) and class sensitivity (Nielsen et al. 2022, Fig. 2):
attrobust.sanity."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from _nets import CNN
from attrobust import explain, sanity
from attrobust.sanity import SanityError


def _weights(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def test_layers_are_the_learnable_modules_input_to_output():
    assert sanity.layers(CNN()) == ["features.0", "features.2", "head.0", "head.2"]


def test_cascade_randomises_from_the_top():
    stages = sanity.cascade(CNN())
    assert stages[0] == [] and stages[1] == ["head.2"]
    assert stages[-1] == ["head.2", "head.0", "features.2", "features.0"]


@pytest.mark.parametrize("k", range(5))
def test_randomize_changes_exactly_the_named_layers(k):
    model = CNN(seed=1)
    before = _weights(model)
    names = sanity.cascade(model)[k]
    out = sanity.randomize(model, names, seed=3)
    after = _weights(out)
    assert _weights(model).keys() == before.keys()
    for n, w in before.items():
        assert torch.equal(_weights(model)[n], w)  # the original is untouched
        layer = n.rsplit(".", 1)[0]
        if layer in names:
            assert not torch.allclose(after[n], w), n
        else:
            assert torch.equal(after[n], w), n


def test_randomize_is_seeded_and_rejects_unknown_layers():
    model = CNN()
    a = _weights(sanity.randomize(model, ["head.2"], seed=5))
    b = _weights(sanity.randomize(model, ["head.2"], seed=5))
    c = _weights(sanity.randomize(model, ["head.2"], seed=6))
    assert all(torch.equal(a[n], b[n]) for n in a)
    assert not torch.equal(a["head.2.weight"], c["head.2.weight"])
    with pytest.raises(SanityError, match="no layer"):
        sanity.randomize(model, ["head.9"])


def test_permute_labels_keeps_the_label_counts():
    y = np.repeat(np.arange(5), 20)
    p = sanity.permute_labels(y, seed=0)
    assert np.array_equal(np.bincount(p), np.bincount(y)) and not np.array_equal(p, y)
    assert np.array_equal(p, sanity.permute_labels(y, seed=0))


def test_normalise_is_abs_channel_sum_min_max():
    A = np.array([[[[1.0, -3.0]], [[0.0, 1.0]]]])  # (1, 2, 1, 2): channel sums 1, -2
    assert np.allclose(sanity.normalise(A), [[[0.0, 1.0]]])
    assert np.allclose(sanity.normalise(A, signed=True), [[[0.5, -1.0]]])
    assert np.allclose(sanity.normalise(np.ones((1, 1, 3, 3))), 0.0)


def test_ssim_known_values():
    rng = np.random.default_rng(0)
    a = rng.random((2, 8, 8))
    assert np.allclose(sanity.ssim(a, a), 1.0)
    # constant maps: luminance term only, (2 mu1 mu2 + C1) / (mu1^2 + mu2^2 + C1), C1 = 1e-4
    c1 = 1e-4
    expect = (2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)
    assert np.allclose(sanity.ssim(np.full((1, 8, 8), 0.2), np.full((1, 8, 8), 0.6)), expect)
    assert sanity.ssim(a[:1], 1 - a[:1])[0] < 0
    with pytest.raises(SanityError):
        sanity.ssim(a, a[:1])


def test_similarity_of_identical_and_of_randomised_maps():
    torch.manual_seed(0)
    x = torch.rand(4, 1, 8, 8).numpy()
    model = CNN(seed=0)
    A = explain.explain("saliency", model, x, 0)
    same = sanity.similarity(A, A)
    for v in same.values():
        assert np.allclose(v, 1.0)
    B = explain.explain("saliency", sanity.randomize(model, sanity.layers(model), seed=1), x, 0)
    diff = sanity.similarity(A, B)
    assert set(diff) == {"spearman_abs", "spearman_signed", "ssim"}
    assert all(v.shape == (4,) and np.all(v < 0.99) for v in diff.values())


def test_class_spearman_and_other_classes():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    assert np.array_equal(sanity.other_classes(probs, 2), [[1, 2], [0, 2]])
    assert np.array_equal(sanity.other_classes(probs, 2, exclude=[1, 2]), [[2, 0], [0, 1]])
    rng = np.random.default_rng(0)
    A = rng.normal(size=(2, 1, 4, 4))
    rho = sanity.class_spearman(A, np.stack([A, -A, rng.normal(size=A.shape)], 1))
    assert rho.shape == (2, 3) and np.allclose(rho[:, :2], 1.0)  # |A| = |-A|
    with pytest.raises(SanityError):
        sanity.other_classes(probs, 4)
