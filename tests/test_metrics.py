"""Tests for attrobust.metrics: every metric against a brute-force version of its paper
definition (explicit loops over pixels), the identities the papers state (w = 0 LENS =
top-k intersection, Kamath et al. Proposition 1), top-k-div's separation property, and
error messages."""
from __future__ import annotations

import itertools
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from scipy.stats import kendalltau, spearmanr

from attrobust import metrics as M
from attrobust.metrics import MetricError


@pytest.fixture(scope="module")
def maps():
    """Pairs of 9x11 maps: correlated, with integer-valued ties in some rows."""
    rng = np.random.default_rng(0)
    a1 = rng.random((6, 9, 11))
    a2 = a1 + 0.3 * rng.random((6, 9, 11))
    a1[:2] = np.round(a1[:2] * 4)  # many ties
    a2[:2] = np.round(a2[:2] * 4)
    return a1, a2


# ------------------------------------------------------------------- brute force

def bf_topk(a, k):
    """k largest entries, ties to the lower flat index: a stable sort on -a."""
    return set(np.argsort(-a.ravel(), kind="stable")[:k].tolist())


def bf_window(pixels, w, shape):
    h, wd = shape
    out = set()
    for p in pixels:
        i, j = divmod(p, wd)
        for di, dj in itertools.product(range(-w, w + 1), repeat=2):
            if 0 <= i + di < h and 0 <= j + dj < wd:
                out.add((i + di) * wd + j + dj)
    return out


def bf_div(a, k, w):
    """Kamath et al. Sec. 4 greedy, literally."""
    h, wd = a.shape
    order = np.argsort(-a.ravel(), kind="stable")
    chosen, banned = [], set()
    for p in order:
        if p in banned:
            continue
        chosen.append(int(p))
        banned |= bf_window([p], w, (h, wd))
        if len(chosen) == k:
            break
    return set(chosen)


def bf_lens(S, T, k, w, shape):
    prec = 1 - len(S - bf_window(T, w, shape)) / k
    recall = 1 - len(T - bf_window(S, w, shape)) / k
    return prec, recall


def bf_smooth(a, w):
    """Kamath et al. Sec. 3.1's w-smoothed map in exact rational arithmetic, rounded once."""
    h, wd = a.shape
    out = np.zeros_like(a)
    for i, j in itertools.product(range(h), range(wd)):
        s = sum((Fraction(a[p, q]) for p in range(i - w, i + w + 1) for q in range(j - w, j + w + 1)
                 if 0 <= p < h and 0 <= q < wd), Fraction(0))
        out[i, j] = float(s / (2 * w + 1) ** 2)
    return out


def random_maps(seed, kind, shape=(3, 7, 8)):
    """Maps of one kind: 'continuous' (no ties), 'integer' (values 0..3: many ties),
    'zeros' (a zero background with a few continuous values), 'dyadic' (signed multiples
    of 1/8), 'wide' (magnitudes over 15 orders: no exact float64 sum of a window)."""
    rng = np.random.default_rng(seed)
    if kind == "continuous":
        return rng.random(shape)
    if kind == "integer":
        return rng.integers(0, 4, shape).astype(np.float64)
    if kind == "zeros":
        return np.where(rng.random(shape) < 0.25, rng.random(shape), 0.0)
    if kind == "dyadic":
        return rng.integers(-8, 9, shape) / 8.0
    return rng.random(shape) * 10.0 ** rng.integers(-12, 3, shape)


# ---------------------------------------------------------------------- registry

def test_import_is_cheap():
    code = ("import sys, attrobust.metrics as m; assert 'lens_prec' in m.METRICS; "
            "bad = [x for x in ('torch', 'scipy', 'sklearn') if x in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compute_dispatches_and_checks_params(maps):
    a1, a2 = maps
    np.testing.assert_array_equal(M.compute("lens_prec", a1, a2, k=7, w=1), M.lens_prec(a1, a2, 7, 1))
    assert M.params("lens_prec_div") == {"k": None, "w": None, "w_div": None}
    with pytest.raises(MetricError, match="unknown metric 'nope'"):
        M.compute("nope", a1, a2)
    with pytest.raises(MetricError, match="missing: \\['w'\\]"):
        M.compute("lens_prec", a1, a2, k=3)
    with pytest.raises(MetricError, match="unknown: \\['q'\\]"):
        M.compute("spearman", a1, a2, q=1)


@pytest.mark.parametrize("name", sorted(M.METRICS))
def test_every_metric_shape_and_identical_maps(name, maps):
    a1, _ = maps
    p = {k: v for k, v in {"k": 5, "w": 1}.items() if k in M.params(name)}
    out = M.compute(name, a1, a1.copy(), **p)
    assert out.shape == (len(a1),) and out.dtype == np.float64 and np.isfinite(out).all()
    expected = 0.0 if name in ("center_shift", "lens_distance") else 1.0
    np.testing.assert_allclose(out, expected, atol=1e-12)


# -------------------------------------------------------------------------- maps

def test_saliency_map_normalises_abs_channel_sum():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(3, 2, 4, 5))
    A[2] = 0
    R = M.saliency_map(A)
    np.testing.assert_allclose(R[:2], np.abs(A[:2]).sum(1) / np.abs(A[:2]).sum((1, 2, 3))[:, None, None])
    np.testing.assert_allclose(R[:2].sum((1, 2)), 1)
    assert (R[2] == 0).all()
    np.testing.assert_allclose(M.saliency_map(A, normalise=False), np.abs(A).sum(1))
    assert M.saliency_map(A[:, 0]).shape == (3, 4, 5)


def test_topk_mask_and_intersection_match_brute_force(maps):
    a1, a2 = maps
    for k in (1, 5, 17, 99):
        m1 = M.topk_mask(a1, k)
        assert (m1.reshape(len(a1), -1).sum(1) == k).all()
        for i in range(len(a1)):
            assert set(np.flatnonzero(m1[i])) == bf_topk(a1[i], k)
        expected = [len(bf_topk(u, k) & bf_topk(v, k)) / k for u, v in zip(a1, a2)]
        np.testing.assert_allclose(M.topk_intersection(a1, a2, k), expected)


def test_topk_on_tabular_maps():
    a = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    assert M.topk_mask(a, 2).tolist() == [[True, False, True, False], [True, True, False, False]]
    np.testing.assert_allclose(M.topk_intersection(a, a[::-1].copy(), 2), [0.5, 0.5])


def test_center_of_mass_and_shift_match_definition():
    rng = np.random.default_rng(2)
    a = rng.random((4, 6, 7))
    a[3] = 0
    c = M.center_of_mass(a)
    for n in range(3):
        R = a[n] / a[n].sum()
        expected = sum(R[i, j] * np.array([i, j]) for i in range(6) for j in range(7))
        np.testing.assert_allclose(c[n], expected)
    np.testing.assert_allclose(c[3], [2.5, 3.0])  # empty map: image centre
    one = np.zeros((1, 6, 7))
    two = one.copy()
    one[0, 1, 1], two[0, 4, 5] = 1, 1
    np.testing.assert_allclose(M.center_shift(one, two), [5.0])


# -------------------------------------------------------------------------- LENS

@pytest.mark.parametrize("w", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 6, 20])
def test_lens_prec_recall_match_brute_force(maps, k, w):
    a1, a2 = maps
    prec, recall = M.lens_prec(a1, a2, k, w), M.lens_recall(a1, a2, k, w)
    for i in range(len(a1)):
        p, r = bf_lens(bf_topk(a1[i], k), bf_topk(a2[i], k), k, w, a1.shape[1:])
        assert prec[i] == pytest.approx(p) and recall[i] == pytest.approx(r)
    np.testing.assert_allclose(M.lens_distance(a1, a2, k, w), 2 - prec - recall)


def test_w0_lens_is_topk_intersection(maps):
    a1, a2 = maps
    for k in (3, 30):
        t = M.topk_intersection(a1, a2, k)
        np.testing.assert_allclose(M.lens_prec(a1, a2, k, 0), t, atol=1e-12)
        np.testing.assert_allclose(M.lens_recall(a1, a2, k, 0), t, atol=1e-12)


def test_lens_distance_proposition_1(maps):
    """d_k^(w2) <= d_k^(w1) <= |S Δ T| / k for w1 <= w2 (Kamath et al. Proposition 1)."""
    a1, a2 = maps
    k = 12
    d = np.stack([M.lens_distance(a1, a2, k, w) for w in range(4)])
    assert (np.diff(d, axis=0) <= 1e-12).all()
    sym = [len(bf_topk(u, k) ^ bf_topk(v, k)) / k for u, v in zip(a1, a2)]
    np.testing.assert_allclose(d[0], sym)
    assert d[-1].max() < d[0].max()  # the window matters on these maps


def test_lens_forgives_a_one_pixel_shift():
    a1 = np.random.default_rng(3).random((1, 12, 12))
    a1[:, :, -1] = 0
    a2 = np.roll(a1, 1, axis=2)  # every pixel moves one column to the right
    assert M.topk_intersection(a1, a2, 10)[0] < 0.3
    assert M.lens_prec(a1, a2, 10, 1)[0] == 1.0 and M.lens_recall(a1, a2, 10, 1)[0] == 1.0


@pytest.mark.parametrize("kind", ["continuous", "integer", "zeros", "dyadic", "wide"])
@pytest.mark.parametrize("w", [0, 1, 2, 3])
def test_smooth_is_the_papers_formula(w, kind):
    """Exactly (==) the window sum divided once, also at the border (zero outside)."""
    a = random_maps(4, kind, (2, 5, 6))
    s = M.smooth(a, w)
    for n in range(2):
        np.testing.assert_array_equal(s[n], bf_smooth(a[n], w))


def test_lens_rank_correlations_keep_ties_issue_16():
    """Issue #16 item 10: a box filter's per-axis means gave tied windows different floats
    (0.26927 and 0.20917 here); the exact window means give Spearman 0.30870 and tau 0.25."""
    a1 = np.array([[[2, 0, 1], [0, 0, 2], [0, 0, 1]]], dtype=np.float64)
    a2 = np.array([[[1, 0, 2], [2, 2, 0], [2, 0, 1]]], dtype=np.float64)
    s1, s2 = bf_smooth(a1[0], 1).ravel(), bf_smooth(a2[0], 1).ravel()
    assert M.lens_spearman(a1, a2, 1)[0] == pytest.approx(spearmanr(s1, s2).statistic, abs=1e-12)
    assert M.lens_spearman(a1, a2, 1)[0] == pytest.approx(0.30870, abs=5e-6)
    assert M.lens_kendall(a1, a2, 1)[0] == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize("kind", ["continuous", "integer", "zeros", "wide"])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_lens_and_topk_metric_matches_brute_force(kind, seed):
    """Every top-k and LENS metric of this module against the papers' definitions written
    out with Python sets, exact rationals and scipy.stats, on random maps with and without
    ties, several k and w (Ghorbani et al. Sec. 2.3; Kamath et al. Sec. 3.1-3.2, 4)."""
    a1 = random_maps(seed, kind)
    a2 = np.where(random_maps(seed + 10, "integer") == 0, random_maps(seed + 20, kind), a1)
    shape = a1.shape[1:]
    for k, w in itertools.product([1, 4, 9], [0, 1, 2]):
        got = {name: M.compute(name, a1, a2, **{p: v for p, v in {"k": k, "w": w}.items()
                                                 if p in M.params(name)})
               for name in ("topk_intersection", "lens_prec", "lens_recall", "lens_distance",
                            "lens_spearman", "lens_kendall")}
        div_ok = 9 * k <= a1[0].size or w == 0  # top-k-div needs room for k windows
        if div_ok:
            for name in ("topk_div_intersection", "lens_prec_div", "lens_recall_div"):
                got[name] = M.compute(name, a1, a2, k=k, w=w)
        for i in range(len(a1)):
            S, T = bf_topk(a1[i], k), bf_topk(a2[i], k)
            p, r = bf_lens(S, T, k, w, shape)
            s1, s2 = bf_smooth(a1[i], w).ravel(), bf_smooth(a2[i], w).ravel()
            want = {"topk_intersection": len(S & T) / k, "lens_prec": p, "lens_recall": r,
                    "lens_distance": (1 - p) + (1 - r),
                    "lens_spearman": spearmanr(s1, s2).statistic,
                    "lens_kendall": kendalltau(s1, s2).statistic}
            if div_ok:
                Sd, Td = bf_div(a1[i], k, w), bf_div(a2[i], k, w)
                pd_, rd = bf_lens(Sd, Td, k, w, shape)
                want.update(topk_div_intersection=len(Sd & Td) / k, lens_prec_div=pd_,
                            lens_recall_div=rd)
            for name, v in want.items():
                assert got[name][i] == pytest.approx(v, abs=1e-12), (name, k, w, i)


def test_rank_correlations_match_scipy(maps):
    a1, a2 = maps
    rho, tau = M.spearman(a1, a2), M.kendall(a1, a2)
    for i in range(len(a1)):
        assert rho[i] == pytest.approx(spearmanr(a1[i].ravel(), a2[i].ravel()).statistic, abs=1e-12)
        assert tau[i] == pytest.approx(kendalltau(a1[i].ravel(), a2[i].ravel()).statistic, abs=1e-12)
    np.testing.assert_allclose(M.spearman(a1, -a1), -1)
    tab, rev = a1.reshape(len(a1), -1)[:, :20], a2.reshape(len(a2), -1)[:, 20:40]  # (N, D) maps
    np.testing.assert_allclose(M.spearman(tab, rev), [spearmanr(u, v).statistic for u, v in zip(tab, rev)])


def test_lens_rank_correlations_use_smoothed_maps(maps):
    a1, a2 = maps
    np.testing.assert_allclose(M.lens_spearman(a1, a2, 0), M.spearman(a1, a2))
    s1, s2 = M.smooth(a1, 1), M.smooth(a2, 1)
    np.testing.assert_allclose(M.lens_spearman(a1, a2, 1), M.spearman(s1, s2))
    np.testing.assert_allclose(M.lens_kendall(a1, a2, 1), M.kendall(s1, s2))
    assert M.lens_spearman(a1, a2, 1).mean() > M.spearman(a1, a2).mean()  # smoothing forgives


def test_constant_maps_give_no_nan():
    c = np.ones((2, 4, 4))
    v = np.random.default_rng(5).random((2, 4, 4))
    np.testing.assert_array_equal(M.spearman(c, c), [1, 1])
    np.testing.assert_array_equal(M.spearman(c, v), [0, 0])
    np.testing.assert_array_equal(M.kendall(v, c), [0, 0])


# --------------------------------------------------------------------- top-k-div

@pytest.mark.parametrize("w", [0, 1, 2])
def test_topk_div_matches_greedy_and_separates(maps, w):
    a1, _ = maps
    k = 6
    D = M.topk_div(a1, k, w)
    assert D.shape == a1.shape and (D.sum((1, 2)) == k).all()
    for i in range(len(a1)):
        assert set(np.flatnonzero(D[i])) == bf_div(a1[i], k, w)
        pts = np.argwhere(D[i])
        for p, q in itertools.combinations(pts, 2):
            assert np.abs(p - q).max() > w  # no two in each other's (2w+1)^2 window
        assert D[i].ravel()[np.argmax(a1[i])]  # the most important pixel is always chosen
    if w == 0:
        np.testing.assert_array_equal(D, M.topk_mask(a1, k))


def test_topk_div_raises_when_k_does_not_fit():
    with pytest.raises(MetricError, match=r"only \d pixels of an 4x4 map"):
        M.topk_div(np.random.default_rng(6).random((1, 4, 4)), 5, 2)


@pytest.mark.parametrize("w", [0, 1])
def test_lens_div_metrics_match_brute_force(maps, w):
    a1, a2 = maps
    k = 5
    prec, recall = M.lens_prec_div(a1, a2, k, w), M.lens_recall_div(a1, a2, k, w)
    inter = M.topk_div_intersection(a1, a2, k, w)
    for i in range(len(a1)):
        S, T = bf_div(a1[i], k, w), bf_div(a2[i], k, w)
        p, r = bf_lens(S, T, k, w, a1.shape[1:])
        assert prec[i] == pytest.approx(p) and recall[i] == pytest.approx(r)
        assert inter[i] == pytest.approx(len(S & T) / k)
    # diversity window chosen separately from the locality window
    wide = M.lens_prec_div(a1, a2, k, 0, w_div=2)
    for i in range(len(a1)):
        S, T = bf_div(a1[i], k, 2), bf_div(a2[i], k, 2)
        assert wide[i] == pytest.approx(len(S & T) / k)


# ------------------------------------------------------------------------ errors

def test_bad_inputs_raise_clear_errors(maps):
    a1, a2 = maps
    with pytest.raises(MetricError, match="same shape"):
        M.spearman(a1, a2[:, :-1])
    with pytest.raises(MetricError, match="saliency_map"):
        M.spearman(a1[:, None], a2[:, None])
    bad = a2.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(MetricError, match="NaN"):
        M.kendall(a1, bad)
    with pytest.raises(MetricError, match="k must be an int in 1..99"):
        M.topk_intersection(a1, a2, 100)
    with pytest.raises(MetricError, match="w .* >= 0"):
        M.lens_prec(a1, a2, 3, -1)
    with pytest.raises(MetricError, match=r"\(N, H, W\)"):
        M.center_shift(a1.reshape(6, -1), a2.reshape(6, -1))
