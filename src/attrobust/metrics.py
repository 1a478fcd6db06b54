"""Similarity of attribution maps before and after a perturbation.

Plain functions over batches: ``a1`` (maps of the original inputs) and ``a2`` (maps of the
perturbed inputs), numpy arrays shaped (N, H, W) for images or (N, D) for tabular data;
each returns an (N,) float64 array, one value per pair of maps. Image attributions
(N, C, H, W) are first reduced with :func:`saliency_map`.

- Ghorbani, Abid & Zou (2019), Sec. 2.3 and Appendix A: Spearman rank correlation, top-k
  intersection, centre of saliency mass (footnote b) and its shift.
- Kamath et al. (2023), Sec. 3.1-3.2 and 4: Kendall's tau, the locality-sensitive (LENS)
  metrics w-LENS-prec@k, w-LENS-recall@k, w-LENS-Spearman, w-LENS-Kendall, the distance
  d_k^(w), and the top-k-div pixel sets with their -div variants.

Top-k sets break ties deterministically: among equal values the lower flat (row-major)
index wins, so results never depend on a sort's internals.

``METRICS`` maps a name to its function; :func:`compute` is the single entry point.
Only numpy is imported at module level; scipy is imported where it is used.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np


class MetricError(ValueError):
    """Bad metric name, parameter or input maps."""


# ------------------------------------------------------------------------ input checks

def _maps(a: Any, name: str, image: bool = False) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 4:
        raise MetricError(f"{name} has shape {a.shape}: reduce image attributions (N, C, H, W) "
                          "to maps (N, H, W) first, e.g. with saliency_map()")
    ok = (3,) if image else (2, 3)
    if a.ndim not in ok:
        kinds = "(N, H, W)" if image else "(N, H, W) or (N, D)"
        raise MetricError(f"{name} must be a batch of maps {kinds}; got shape {a.shape}")
    if a.shape[0] == 0 or a[0].size == 0:
        raise MetricError(f"{name} is empty (shape {a.shape})")
    if not np.all(np.isfinite(a)):
        raise MetricError(f"{name} contains NaN or Inf")
    return a


def _pair(a1, a2, image: bool = False) -> tuple[np.ndarray, np.ndarray]:
    a1, a2 = _maps(a1, "a1", image), _maps(a2, "a2", image)
    if a1.shape != a2.shape:
        raise MetricError(f"a1 and a2 must have the same shape; got {a1.shape} and {a2.shape}")
    return a1, a2


def _k(k: Any, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise MetricError(f"k must be an int in 1..{n} (the number of pixels/features); got {k!r}")
    return int(k)


def _w(w: Any) -> int:
    if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 0:
        raise MetricError(f"w (LENS window half-width) must be an int >= 0; got {w!r}")
    return int(w)


# ------------------------------------------------------------------------------ maps

def saliency_map(A: Any, normalise: bool = True) -> np.ndarray:
    """Saliency map (N, H, W) of attributions (N, C, H, W): |A| summed over channels and,
    with ``normalise``, divided by its sum so each map sums to 1 (Ghorbani et al. 2019,
    Sec. 2.1). (N, H, W) and tabular (N, D) inputs are taken as single-channel.
    An all-zero map stays all zero (there is nothing to normalise)."""
    if hasattr(A, "detach"):
        A = A.detach().cpu().numpy()
    A = np.asarray(A, dtype=np.float64)
    if A.ndim not in (2, 3, 4):
        raise MetricError(f"attributions must be (N, C, H, W), (N, H, W) or (N, D); got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise MetricError("attributions contain NaN or Inf")
    R = np.abs(A).sum(1) if A.ndim == 4 else np.abs(A)
    if normalise:
        total = R.reshape(len(R), -1).sum(1).reshape((-1,) + (1,) * (R.ndim - 1))
        R = R / np.where(total > 0, total, 1.0)
    return R


def topk_mask(a: Any, k: int) -> np.ndarray:
    """Boolean mask of the k largest entries of each map (same shape as ``a``); ties go to
    the lower flat index. O(size) per map: a partition finds the k-th value, then ties at
    that value are filled in index order."""
    a = _maps(a, "a")
    flat = a.reshape(len(a), -1)
    return _topk_flat(flat, _k(k, flat.shape[1])).reshape(a.shape)


def _topk_flat(flat: np.ndarray, k: int) -> np.ndarray:
    """Mask of the k largest entries of each row of ``flat`` (N, D), ties to the lower index."""
    kth = -np.partition(-flat, k - 1, axis=1)[:, k - 1 : k]  # k-th largest value per row
    above = flat > kth
    at = flat == kth
    need = k - above.sum(1, keepdims=True)
    return above | (at & (np.cumsum(at, axis=1) <= need))


def topk_div(a: Any, k: int, w: int) -> np.ndarray:
    """Top-k-div pixel sets (Kamath et al. 2023, Sec. 4): greedily take the highest-attributed
    pixel not yet excluded and exclude its (2w+1) x (2w+1) window, k times, so no two chosen
    pixels are within each other's window (Chebyshev distance > w). Returns a boolean mask
    (N, H, W); ties go to the lower flat index.

    Computed without a loop over pixels or picks: in priority order (value, then lower
    index) the greedy takes exactly the pixels of the lexicographically-first maximal
    independent set of the "within w" graph, which is built in parallel rounds: every
    undecided pixel whose priority is the highest among the undecided pixels of its window
    is taken, and its window excluded. Only the R highest-priority pixels of each map take
    part (R = 4k, doubled while a map has fewer than k picks: a pixel's fate depends on
    higher-priority pixels only), as a list with a neighbour table, all maps at once; the
    first k picks (the k of highest priority) are returned. The k argmax passes over whole
    maps this replaces took 1.9 s for 64 maps of 224x224, k = 1000
    (benchmarks/bench_metrics.py).

    Raises :class:`MetricError` when a map runs out of selectable pixels before k
    (k too large for the image at this w)."""
    from scipy.ndimage import maximum_filter

    a = _maps(a, "a", image=True)
    n, h, wd = a.shape
    size = h * wd
    k, w = _k(k, size), _w(w)
    flat = a.reshape(n, size)
    if w == 0:  # 1x1 windows exclude nothing else: the plain top-k set
        return _topk_flat(flat, k).reshape(a.shape)
    offs = [(dr, dc) for dr in range(-w, w + 1) for dc in range(-w, w + 1) if dr or dc]
    taken = np.zeros(n * size, bool)
    blocked = np.zeros((n, h, wd), bool)  # taken, or within w of a taken pixel
    done = np.zeros((n, size), bool)  # pixels of the prefixes handled so far
    hi = min(size, 4 * k)
    while True:
        prefix = _topk_flat(flat, hi)
        ids = np.flatnonzero(prefix & ~done & ~blocked.reshape(n, size))  # undecided
        done = prefix
        if len(ids):
            # priorities among them: value, then lower flat index (maps never compare)
            order = np.lexsort((ids, -flat.ravel()[ids]))
            pr = np.empty(len(ids) + 1, np.int64)
            pr[order] = np.arange(len(ids), 0, -1)
            pr[-1] = 0  # the "no neighbour" slot
            pos = np.full(n * size, -1, np.int64)
            pos[ids] = np.arange(len(ids))
            r, c = (ids % size) // wd, ids % wd
            nb = np.full((len(ids), len(offs)), -1, np.int64)
            for j, (dr, dc) in enumerate(offs):
                ok = (r + dr >= 0) & (r + dr < h) & (c + dc >= 0) & (c + dc < wd)
                nb[ok, j] = pos[ids[ok] + dr * wd + dc]
            und = np.ones(len(ids) + 1, bool)
            und[-1] = False
            active = np.arange(len(ids))
            while len(active):
                nbs = nb[active]
                best = np.where(und[nbs], pr[nbs], 0).max(1)
                new = active[pr[active] > best]
                taken[ids[new]] = True
                und[new] = False
                und[nb[new].ravel()] = False  # -1 hits the "no neighbour" slot
                und[-1] = False
                active = active[und[active]]
        count = taken.reshape(n, size).sum(1)
        if count.min() >= k or hi == size:
            break
        blocked = maximum_filter(taken.reshape(n, h, wd), size=(1, 2 * w + 1, 2 * w + 1),
                                 mode="constant", cval=False)
        hi = min(size, 2 * hi)
    if count.min() < k:
        raise MetricError(f"topk_div: only {int(count.min())} pixels of an {h}x{wd} map can be "
                          f"chosen with w={w} (no two within a {2 * w + 1}x{2 * w + 1} window); "
                          f"lower k (now {k}) or w")
    # the greedy's first k picks: the k taken pixels of the highest priority
    return _topk_flat(np.where(taken.reshape(n, size), flat, -np.inf), k).reshape(a.shape)


def _dilate(mask: np.ndarray, w: int) -> np.ndarray:
    """N_w(S): union of the (2w+1) x (2w+1) windows around the pixels of S, per map
    (a max filter over H, W only; pixels outside the image do not exist)."""
    from scipy.ndimage import maximum_filter

    if w == 0:
        return mask
    return maximum_filter(mask, size=(1, 2 * w + 1, 2 * w + 1), mode="constant", cval=False)


def _box_sums(x: np.ndarray, w: int) -> np.ndarray:
    """Sums over the (2w+1) x (2w+1) windows of each map of ``x`` (N, H, W), zero outside
    the image: 2w+1 shifted additions per axis, exact for the integer arrays (int64 or
    Python ints) :func:`smooth` passes in."""
    h, wd = x.shape[1:]
    p = np.zeros((len(x), h + 2 * w, wd + 2 * w), x.dtype)  # Python 0s for object arrays
    p[:, w : w + h, w : w + wd] = x
    rows = sum(p[:, i : i + h, :] for i in range(2 * w + 1))
    return sum(rows[:, :, j : j + wd] for j in range(2 * w + 1))


def smooth(a: Any, w: int) -> np.ndarray:
    """w-smoothed attribution (Kamath et al. 2023, Sec. 3.1):
    a~_ij = 1/(2w+1)^2 * sum of a_pq over the window N_w(i, j) clipped to the image.

    The paper's formula divides by (2w+1)^2 everywhere, also where the window is cut by the
    border, i.e. a zero-padded box mean (not the mean over the clipped window).

    Each a~_ij is the exact window sum divided once, correctly rounded: windows whose sums
    are equal give equal floats, so LENS-Spearman/Kendall see the ties the formula has (a
    box filter's per-axis means turned 5/9 into 4.999999999999999/9 and split them). Every
    float64 of a map is an integer multiple of 2^q, q its smallest exponent; the window
    sums of those integers are exact (int64 when they fit in 53 bits, as for integer-valued
    maps; Python ints otherwise, e.g. maps spanning many orders of magnitude)."""
    a, w = _maps(a, "a", image=True), _w(w)
    if w == 0:
        return a
    d = (2 * w + 1) ** 2
    m, e = np.frexp(a)  # a = m * 2^e, 0.5 <= |m| < 1
    mant = np.ldexp(m, 53).astype(np.int64)  # a = mant * 2^(e - 53), mant exact
    nz = mant != 0
    tz = np.where(nz, np.log2(np.where(nz, mant & -mant, 1)), 0).astype(np.int64)
    odd, low = mant >> tz, e - 53 + tz  # a = odd * 2^low, odd an odd integer (or 0)
    q = np.where(nz, low, np.iinfo(np.int64).max).min((1, 2))
    q = np.where(nz.any((1, 2)), q, 0)  # all-zero maps: any quantum
    shift = np.where(nz, low - q[:, None, None], 0)  # a = (odd << shift) * 2^q
    # |a / 2^q| < 2^bits; a window sum of d such values fits in 53 bits when fast
    bits = np.where(nz, np.frexp(np.abs(odd).astype(np.float64))[1] + shift, 0)
    fast = bits.max((1, 2)) + int(np.ceil(np.log2(d))) <= 53
    mant = odd
    out = np.empty_like(a)
    if fast.any():
        S = _box_sums(mant[fast] << shift[fast], w).astype(np.float64)  # exact
        out[fast] = np.ldexp(S, q[fast][:, None, None]) / d  # exact scaling, one rounding
    if (~fast).any():
        big = mant[~fast].astype(object) << shift[~fast].astype(object)  # Python ints
        S = _box_sums(big, w)
        qs = q[~fast].tolist()
        out[~fast] = np.array([[[(s << max(qi, 0)) / (d << max(-qi, 0)) for s in row] for row in Si]
                               for Si, qi in zip(S.tolist(), qs)], dtype=np.float64)
    return out


def center_of_mass(a: Any) -> np.ndarray:
    """Centre of saliency mass (N, 2) as (row, column) pixel coordinates (Ghorbani et al.
    2019, Appendix A footnote b: C = sum_ij R_ij [i, j]^T with R normalised to sum 1).
    The mass is |a|; an all-zero map has its centre at the image centre."""
    a = np.abs(_maps(a, "a", image=True))
    n, h, w = a.shape
    total = a.sum((1, 2))
    safe = np.where(total > 0, total, 1.0)
    rows = (a.sum(2) @ np.arange(h)) / safe
    cols = (a.sum(1) @ np.arange(w)) / safe
    c = np.stack([rows, cols], 1)
    c[total == 0] = [(h - 1) / 2, (w - 1) / 2]
    return c


# --------------------------------------------------------------------------- metrics

def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(len(a), -1)


def _constant_rows(x1: np.ndarray, x2: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Rank correlation is undefined for a constant map; we use 1 when both maps are equal
    and 0 otherwise (no ordering information), never NaN."""
    const = (x1.max(1) == x1.min(1)) | (x2.max(1) == x2.min(1))
    same = np.all(x1 == x2, axis=1)
    return np.where(const, np.where(same, 1.0, 0.0), r)


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..D of each row of ``x`` (N, D), ties sharing their average rank: exactly
    ``scipy.stats.rankdata(x, axis=1)`` (sums of integer ranks / counts are exact), but one
    unstable argsort for the whole batch (3x faster on 64 maps of 224x224: the order within
    a tie does not matter, as the tie gets its average)."""
    n, d = x.shape
    order = np.argsort(x, axis=1)
    xs = np.take_along_axis(x, order, 1)
    first = np.ones((n, d), bool)
    first[:, 1:] = xs[:, 1:] != xs[:, :-1]
    group = np.cumsum(first.ravel()) - 1  # tie groups, numbered over the whole batch
    pos = np.tile(np.arange(1, d + 1, dtype=np.float64), n)
    avg = (np.bincount(group, weights=pos) / np.bincount(group))[group].reshape(n, d)
    r = np.empty((n, d))
    np.put_along_axis(r, order, avg, 1)
    return r


def spearman(a1, a2) -> np.ndarray:
    """Spearman's rank correlation per pair of maps (Ghorbani et al. 2019, Sec. 2.3):
    Pearson correlation of average ranks, i.e. scipy.stats.spearmanr row by row."""
    a1, a2 = _pair(a1, a2)
    x1, x2 = _flat(a1), _flat(a2)
    r1, r2 = _average_ranks(x1), _average_ranks(x2)
    r1 -= r1.mean(1, keepdims=True)
    r2 -= r2.mean(1, keepdims=True)
    den = np.sqrt((r1 ** 2).sum(1) * (r2 ** 2).sum(1))
    rho = (r1 * r2).sum(1) / np.where(den > 0, den, 1.0)
    return _constant_rows(x1, x2, np.clip(rho, -1.0, 1.0))


def kendall(a1, a2) -> np.ndarray:
    """Kendall's tau-b per pair of maps (Kamath et al. 2023, Sec. 3.1), scipy.stats.kendalltau."""
    from scipy.stats import kendalltau

    a1, a2 = _pair(a1, a2)
    x1, x2 = _flat(a1), _flat(a2)
    const = (x1.max(1) == x1.min(1)) | (x2.max(1) == x2.min(1))
    tau = np.array([0.0 if c else kendalltau(u, v).statistic for u, v, c in zip(x1, x2, const)])
    return _constant_rows(x1, x2, tau)


def topk_intersection(a1, a2, k: int) -> np.ndarray:
    """|S_k ∩ T_k| / k, S_k and T_k the k largest entries of a1 and a2 (Ghorbani et al. 2019,
    Sec. 2.3; Kamath et al. 2023, Sec. 3.1)."""
    a1, a2 = _pair(a1, a2)
    return (_flat(topk_mask(a1, k)) & _flat(topk_mask(a2, k))).sum(1) / k


def center_shift(a1, a2) -> np.ndarray:
    """L2 distance between the centres of saliency mass, in pixels (Ghorbani et al. 2019,
    Appendix A footnote b; Appendix D)."""
    a1, a2 = _pair(a1, a2, image=True)
    return np.linalg.norm(center_of_mass(a1) - center_of_mass(a2), axis=1)


def _lens_pr(S: np.ndarray, T: np.ndarray, k: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(1 - prec_k^(w), 1 - recall_k^(w)) of top-k masks S (original) and T (perturbed)."""
    # 1 - |S \ N_w(T)| / k = |S ∩ N_w(T)| / k, computed as the latter so that w = 0 gives
    # exactly topk_intersection's float (1 - 1/3 != 2/3 in binary)
    prec = (S & _dilate(T, w)).sum((1, 2)) / k
    recall = (T & _dilate(S, w)).sum((1, 2)) / k
    return prec, recall


def lens_prec(a1, a2, k: int, w: int) -> np.ndarray:
    """w-LENS-prec@k = 1 - |S_k \\ N_w(T_k)| / k (Kamath et al. 2023, Sec. 3.1-3.2): the share
    of the original top-k pixels within w pixels of a perturbed top-k pixel. w = 0 gives
    top-k intersection."""
    a1, a2 = _pair(a1, a2, image=True)
    return _lens_pr(topk_mask(a1, k), topk_mask(a2, k), k, _w(w))[0]


def lens_recall(a1, a2, k: int, w: int) -> np.ndarray:
    """w-LENS-recall@k = 1 - |T_k \\ N_w(S_k)| / k (Kamath et al. 2023, Sec. 3.1-3.2)."""
    a1, a2 = _pair(a1, a2, image=True)
    return _lens_pr(topk_mask(a1, k), topk_mask(a2, k), k, _w(w))[1]


def lens_distance(a1, a2, k: int, w: int) -> np.ndarray:
    """d_k^(w)(a1, a2) = prec_k^(w) + recall_k^(w) with prec = |S_k \\ N_w(T_k)| / k and
    recall = |T_k \\ N_w(S_k)| / k (Kamath et al. 2023, Sec. 3.1; Proposition 1: it is
    non-increasing in w and at most |S_k Δ T_k| / k). A distance in [0, 2]."""
    a1, a2 = _pair(a1, a2, image=True)
    prec, recall = _lens_pr(topk_mask(a1, k), topk_mask(a2, k), k, _w(w))
    return (1.0 - prec) + (1.0 - recall)


def lens_coverage(a, k: int, w: int) -> np.ndarray:
    """|N_w(S_k)| / (H W) per map: the share of the image that the union of the
    (2w+1) x (2w+1) windows around the top-k pixels covers (Kamath et al. 2023, Sec. 3.1's
    N_w(S_k)). It is the chance level of w-LENS-prec@k and -recall@k: a pixel drawn at random
    lies in N_w(T_k) with this probability, so when it nears 1 the LENS metrics are 1 whatever
    the attack does (small images, large k or w)."""
    a = _maps(a, "a", image=True)
    S = topk_mask(a, k)
    return _dilate(S, _w(w)).sum((1, 2)) / S[0].size


def lens_spearman(a1, a2, w: int) -> np.ndarray:
    """w-LENS-Spearman: Spearman's rho of the w-smoothed maps (Kamath et al. 2023, Sec. 3.2)."""
    a1, a2 = _pair(a1, a2, image=True)
    return spearman(smooth(a1, w), smooth(a2, w))


def lens_kendall(a1, a2, w: int) -> np.ndarray:
    """w-LENS-Kendall: Kendall's tau of the w-smoothed maps (Kamath et al. 2023, Sec. 3.2)."""
    a1, a2 = _pair(a1, a2, image=True)
    return kendall(smooth(a1, w), smooth(a2, w))


def _div_sets(a1, a2, k, w, w_div):
    a1, a2 = _pair(a1, a2, image=True)
    w = _w(w)
    wd = w if w_div is None else _w(w_div)
    return topk_div(a1, k, wd), topk_div(a2, k, wd), w


def topk_div_intersection(a1, a2, k: int, w: int) -> np.ndarray:
    """top-k-div intersection |S~_k ∩ T~_k| / k of the w-diverse top-k sets (Kamath et al.
    2023, Sec. 4 and Fig. 6)."""
    S, T, _ = _div_sets(a1, a2, k, w, None)
    return (S & T).sum((1, 2)) / _k(k, S[0].size)


def lens_prec_div(a1, a2, k: int, w: int, w_div: int | None = None) -> np.ndarray:
    """w-LENS-prec@k-div: LENS-prec on the top-k-div sets S~_k, T~_k (Kamath et al. 2023,
    Sec. 4). Diversity uses the same window as locality unless ``w_div`` is given (the
    authors' scripts use one window for both)."""
    S, T, w = _div_sets(a1, a2, k, w, w_div)
    return _lens_pr(S, T, k, w)[0]


def lens_recall_div(a1, a2, k: int, w: int, w_div: int | None = None) -> np.ndarray:
    """w-LENS-recall@k-div: LENS-recall on the top-k-div sets (Kamath et al. 2023, Sec. 4)."""
    S, T, w = _div_sets(a1, a2, k, w, w_div)
    return _lens_pr(S, T, k, w)[1]


# ------------------------------------------------------------------------- registry

METRICS: dict[str, Callable[..., np.ndarray]] = {
    "spearman": spearman,
    "kendall": kendall,
    "topk_intersection": topk_intersection,
    "center_shift": center_shift,
    "lens_prec": lens_prec,
    "lens_recall": lens_recall,
    "lens_distance": lens_distance,
    "lens_spearman": lens_spearman,
    "lens_kendall": lens_kendall,
    "topk_div_intersection": topk_div_intersection,
    "lens_prec_div": lens_prec_div,
    "lens_recall_div": lens_recall_div,
}


def params(name: str) -> dict[str, Any]:
    """Parameters of metric ``name`` beyond (a1, a2): {name: default or None if required}."""
    if name not in METRICS:
        raise MetricError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    sig = inspect.signature(METRICS[name]).parameters
    return {p: (None if v.default is inspect.Parameter.empty else v.default)
            for p, v in list(sig.items())[2:]}


def compute(name: str, a1, a2, **kwargs: Any) -> np.ndarray:
    """Metric ``name`` (a key of :data:`METRICS`) between the maps a1 (original) and a2
    (perturbed); ``kwargs`` are its parameters (k, w, w_div). Returns (N,) float64."""
    allowed = params(name)
    sig = inspect.signature(METRICS[name]).parameters
    unknown = sorted(set(kwargs) - set(allowed))
    missing = sorted(p for p in allowed if sig[p].default is inspect.Parameter.empty and p not in kwargs)
    if unknown or missing:
        raise MetricError(f"metric {name!r} takes parameters {list(allowed) or 'none'}; "
                          f"unknown: {unknown}, missing: {missing}")
    return np.asarray(METRICS[name](a1, a2, **kwargs), dtype=np.float64)
