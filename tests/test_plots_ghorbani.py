"""Ghorbani et al. (2019) Figs. 1 and 5-7 on synthetic attack files: each attack perturbs
the image differently for each method, so every saliency map drawn must sit next to the
image it was computed for (issue #16 item 6: the IG and DeepLIFT maps of the bottom row
were drawn beside the Simple Gradient attack's image)."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from attrobust.metrics import saliency_map
from attrobust.plots import ghorbani as gh
from attrobust.plots import save

matplotlib.use("Agg")

METHODS = ["simple_gradient", "integrated_gradients", "deeplift"]
ATTACKS = ["random_sign", "topk", "mass_center"]
N = 4


def _weights(method):
    """Each method's 'attribution' is the image times a fixed weight map of its own, so a
    map can be traced back to the image it was computed for."""
    return np.random.default_rng(METHODS.index(method) + 100).uniform(0.5, 2.0, (1, 8, 8))


def _file(method, attack, seed):
    rng = np.random.default_rng(0)  # the same test images in every file
    x = rng.uniform(size=(N, 1, 8, 8)).astype(np.float32)
    own = np.random.default_rng(seed)  # each (method, attack) its own perturbation
    x_adv = np.clip(x + own.uniform(-0.4, 0.4, x.shape), 0, 1).astype(np.float32)
    p = np.full((N, 10), 0.05)
    p[:, 3] = 0.55
    return {"x": x, "x_adv": x_adv, "A": x * _weights(method), "A_adv": x_adv * _weights(method),
            "probs": p, "probs_adv": p * 0.9 + 0.01}


def _pairs(fig, n_methods):
    """(image shown, map shown) per row and method: axes come in (image, map) pairs."""
    cbars = [a for a in fig.axes if not a.get_images()]  # one colour bar per method: its maps' scale
    assert len(cbars) == n_methods, len(cbars)
    axes = np.array([a for a in fig.axes if a.get_images()]).reshape(-1, 2 * n_methods)
    return [[(row[2 * j].get_images()[0].get_array(), row[2 * j + 1].get_images()[0].get_array())
             for j in range(n_methods)] for row in axes]


def _assert_each_map_is_the_shown_images(pairs, index):
    for row in pairs:
        for m, (img, shown) in zip(METHODS, row):
            img = np.asarray(img)[None, None]
            np.testing.assert_allclose(np.asarray(shown), saliency_map(img * _weights(m))[0],
                                       rtol=1e-5, err_msg=m)


@pytest.mark.parametrize("index", [0, 2])
def test_fig1_shows_each_methods_own_attacked_image(index, tmp_path):
    examples = {m: _file(m, "mass_center", 10 + i) for i, m in enumerate(METHODS)}
    fig = gh.fig1(examples, index=index, class_names=[str(c) for c in range(10)])
    pairs = _pairs(fig, len(METHODS))
    assert len(pairs) == 2
    for j, m in enumerate(METHODS):
        np.testing.assert_array_equal(pairs[0][j][0], examples[m]["x"][index, 0])
        np.testing.assert_array_equal(pairs[1][j][0], examples[m]["x_adv"][index, 0])
    _assert_each_map_is_the_shown_images(pairs, index)
    # the attacked images differ between methods: one image for all would not pass
    assert not np.array_equal(pairs[1][0][0], pairs[1][1][0])
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")


def test_appendix_example_rows_show_each_methods_own_attacked_image():
    files = {(m, a): _file(m, a, 20 + 3 * i + j) for i, m in enumerate(METHODS)
             for j, a in enumerate(ATTACKS)}
    fig = gh.appendix_example(files, index=1, eps=16)
    pairs = _pairs(fig, len(METHODS))
    assert len(pairs) == 1 + len(ATTACKS)
    for r, a in enumerate(ATTACKS, start=1):
        for j, m in enumerate(METHODS):
            np.testing.assert_array_equal(pairs[r][j][0], files[(m, a)]["x_adv"][1, 0])
    _assert_each_map_is_the_shown_images(pairs, 1)
