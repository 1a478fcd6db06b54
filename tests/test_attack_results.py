"""The attack stage's chunk files: every eps in one file, chunks of images concatenated in order."""
import numpy as np
import pytest

from attrobust import attack_results


def _chunk(path, start, n, eps):
    rng = np.random.default_rng(start)
    x = rng.random((n, 1, 4, 4), dtype=np.float32)
    per_eps = [dict(x_adv=x + e / 255, A_adv=x * e, label_kept=np.arange(n) % 2 == 0,
                    dissimilarity=np.full(n, e, float), probs_adv=np.full((n, 3), e / 100)) for e in eps]
    attack_results.save(path, eps, per_eps, x=x, A=-x, label=np.arange(start, start + n), y=np.zeros(n, int),
                        probs=np.ones((n, 3)) / 3, device=np.array("cpu"))
    return x


def test_load_selects_one_eps_and_concatenates_the_chunks(tmp_path):
    eps = [2.0, 4.0, 16.0]
    x0 = _chunk(tmp_path / "chunk0.npz", 0, 3, eps)
    x1 = _chunk(tmp_path / "chunk1.npz", 3, 2, eps)
    r = attack_results.load([tmp_path / "chunk0.npz", tmp_path / "chunk1.npz"], 4)
    x = np.concatenate([x0, x1])
    np.testing.assert_array_equal(r["x"], x)
    np.testing.assert_allclose(r["x_adv"], x + 4 / 255)
    np.testing.assert_array_equal(r["A_adv"], x * 4)
    np.testing.assert_array_equal(r["label"], np.arange(5))
    np.testing.assert_array_equal(r["label_kept"], [True, False, True, True, False])
    assert r["dissimilarity"].tolist() == [4.0] * 5 and str(r["device"]) == "cpu"
    np.testing.assert_array_equal(attack_results.load([tmp_path / "chunk1.npz"], 16)["A_adv"], x1 * 16)


def test_an_eps_the_file_does_not_hold_is_an_error_naming_the_file(tmp_path):
    _chunk(tmp_path / "chunk0.npz", 0, 2, [2, 4])
    with pytest.raises(ValueError, match=r"chunk0.npz holds eps \[2.0, 4.0\], not 8"):
        attack_results.load([tmp_path / "chunk0.npz"], 8)
    with pytest.raises(ValueError, match="no attack files"):
        attack_results.load([], 2)
    with pytest.raises(ValueError, match="2 eps values for 1 results"):
        attack_results.save(tmp_path / "bad.npz", [2, 4], [{}])
