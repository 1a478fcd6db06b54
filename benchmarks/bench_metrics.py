"""(d) LENS metrics (Kamath et al. 2023): maps per second for 64 pairs of 224x224 maps,
k = 1000, w = 1 (the config's ``lens_w``).

Ours: ``attrobust.metrics.compute(name, a1, a2, ...)`` on the whole batch (vectorised over
maps). Baseline: the loop over maps one would write from the paper's definitions -- per
map ``np.argsort`` for the top-k set, ``scipy.ndimage.binary_dilation`` for N_w,
``scipy.ndimage.uniform_filter`` + ``scipy.stats.spearmanr`` for LENS-Spearman, and the
greedy top-k-div as a scan of the pixels in decreasing order that skips those within w of
one already taken. Both give the same values (checked; ``agree`` in results.json).

The maps are smooth random fields (Gaussian-filtered noise, sigma 2 px) and a perturbed copy.
Issue #9's target: each metric on the whole batch of 64 in under 1 s.
"""
from __future__ import annotations

import numpy as np

from _common import interleaved, median, one_thread

K, W = 1000, 1
SIZE = (64, 224, 224)


def _maps(n, seed=0):
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    a = gaussian_filter(rng.random((n,) + SIZE[1:]), (0, 2, 2))
    b = a + 0.3 * gaussian_filter(rng.random((n,) + SIZE[1:]), (0, 2, 2))
    return a, b


# ------------------------------------------------------------------ per-map baselines

def _topk(m, k):
    mask = np.zeros(m.size, bool)
    mask[np.argsort(-m.ravel(), kind="stable")[:k]] = True
    return mask.reshape(m.shape)


def _dilate(mask, w):
    from scipy.ndimage import binary_dilation

    return binary_dilation(mask, structure=np.ones((2 * w + 1, 2 * w + 1), bool)) if w else mask


def _topk_div(m, k, w):
    h, wd = m.shape
    taken = np.zeros((h, wd), bool)
    blocked = np.zeros((h, wd), bool)
    n = 0
    for j in np.argsort(-m.ravel(), kind="stable"):
        r, c = divmod(int(j), wd)
        if blocked[r, c]:
            continue
        taken[r, c] = True
        blocked[max(0, r - w) : r + w + 1, max(0, c - w) : c + w + 1] = True
        n += 1
        if n == k:
            break
    return taken


def _prec(S, T, k, w):
    return 1.0 - (S & ~_dilate(T, w)).sum() / k


def base_lens_prec(a1, a2, k, w):
    return np.array([_prec(_topk(x, k), _topk(y, k), k, w) for x, y in zip(a1, a2)])


def base_lens_recall(a1, a2, k, w):
    return np.array([_prec(_topk(y, k), _topk(x, k), k, w) for x, y in zip(a1, a2)])


def base_lens_spearman(a1, a2, w):
    from scipy.ndimage import uniform_filter
    from scipy.stats import spearmanr

    s = lambda x: uniform_filter(x, size=2 * w + 1, mode="constant", cval=0.0).ravel()  # noqa: E731
    return np.array([spearmanr(s(x), s(y)).statistic for x, y in zip(a1, a2)])


def base_topk_div_intersection(a1, a2, k, w):
    return np.array([(_topk_div(x, k, w) & _topk_div(y, k, w)).sum() / k for x, y in zip(a1, a2)])


def base_lens_prec_div(a1, a2, k, w):
    return np.array([_prec(_topk_div(x, k, w), _topk_div(y, k, w), k, w) for x, y in zip(a1, a2)])


def base_lens_recall_div(a1, a2, k, w):
    return np.array([_prec(_topk_div(y, k, w), _topk_div(x, k, w), k, w) for x, y in zip(a1, a2)])


CASES = {
    "lens_prec": ({"k": K, "w": W}, base_lens_prec),
    "lens_recall": ({"k": K, "w": W}, base_lens_recall),
    "lens_spearman": ({"w": W}, base_lens_spearman),
    "topk_div_intersection": ({"k": K, "w": W}, base_topk_div_intersection),
    "lens_prec_div": ({"k": K, "w": W}, base_lens_prec_div),
    "lens_recall_div": ({"k": K, "w": W}, base_lens_recall_div),
}


def run(quick: bool = False) -> dict:
    one_thread()
    from attrobust import metrics

    n = 16 if quick else SIZE[0]
    a1, a2 = _maps(n)
    repeats = 2 if quick else 3
    rows = []
    for name, (kw, base) in CASES.items():
        got = {}  # the values of the last timed calls, to check that both agree
        t = interleaved({"ours": lambda: got.update(ours=metrics.compute(name, a1, a2, **kw)),
                         "baseline": lambda: got.update(baseline=base(a1, a2, **kw))}, repeats,
                        warmup={"ours": lambda: metrics.compute(name, a1[:2], a2[:2], **kw),
                                "baseline": lambda: base(a1[:2], a2[:2], **kw)})
        ours_s, base_s = median(t["ours"]), median(t["baseline"])
        agree = bool(np.allclose(got["ours"], got["baseline"], atol=1e-9))
        rows.append({"metric": name, "params": kw, "n_maps": n, "shape": list(SIZE[1:]),
                     "repeats": repeats, "ours_maps_per_s": n / ours_s, "baseline_maps_per_s": n / base_s,
                     "ratio": base_s / ours_s, "agree": agree, "ours_s": t["ours"], "baseline_s": t["baseline"]})
        print(f"  {name:22s} ours {n / ours_s:8.1f} maps/s  per-map loop {n / base_s:8.1f}  "
              f"x{base_s / ours_s:.2f}  agree {agree}", flush=True)
    return {"description": f"{n} pairs of 224x224 maps, k={K}, w={W}: maps per second, ours "
                           "(attrobust.metrics, batched) vs a per-map loop from the definitions",
            "rows": rows}


def table(res: dict) -> str:
    out = ["| metric | maps | ours (maps/s) | per-map loop (maps/s) | ratio | ours s / batch (target < 1) "
           "| same values |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in res["rows"]:
        batch_s = r["n_maps"] / r["ours_maps_per_s"]
        out.append(f"| {r['metric']} (k={r['params'].get('k', '-')}, w={r['params']['w']}) | {r['n_maps']} | "
                   f"{r['ours_maps_per_s']:.1f} | {r['baseline_maps_per_s']:.1f} | {r['ratio']:.2f}x | "
                   f"{batch_s:.2f}{'' if batch_s < 1 else ' **no**'} | {'yes' if r['agree'] else '**no**'} |")
    return "\n".join(out)
