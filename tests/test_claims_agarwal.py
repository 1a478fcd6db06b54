"""Agarwal et al. (2021) claims on small synthetic tables: each claim's verdicts."""
import numpy as np
import pandas as pd

from attrobust import claims

NS = [10, 100, 1000, 10000]
CTX = {"agarwal": {"model": "m", "sigma": 0.1, "focus": "a", "undertrained": "m_under"}}


def curves_table(sg, cl, ns=NS, datasets=("a", "b"), n_points=4):
    """Rows as unification.curves writes them: ``sg`` and ``cl`` are the mean maximum
    distances per n (each point off the mean by a symmetric amount)."""
    rows = []
    for ds in datasets:
        for n, s, c in zip(ns, sg, cl):
            for p in range(n_points):
                off = (p - (n_points - 1) / 2) * 1e-3
                rows.append(dict(dataset=ds, model="m", sigma=0.1, n=n, point=p, gap=abs(s - c),
                                 maxdist_smoothgrad=s + off * s, maxdist_clime=c + off * c,
                                 norm_smoothgrad=1.0, norm_clime=1.0))
    return pd.DataFrame(rows)


def verdict(table, claim="agarwal-smoothgrad-more-robust"):
    led = claims.evaluate({"agarwal": table}, CTX).set_index("claim")
    return led.loc[claim, "verdict"], led.loc[claim, "measured"]


def test_smoothgrad_more_robust_holds_at_finite_n_even_where_both_meet_at_large_n():
    # SG settles by n = 100, C-LIME by n = 1000; at n = 10^4 both at the common limit,
    # SG even a hair above: the old statement (SG < C-LIME at every n) said "no" here
    v, measured = verdict(curves_table([1.0, 0.105, 0.1, 0.1001], [3.0, 1.0, 0.105, 0.1]))
    assert v == "holds", measured
    assert "settled at n SG/C-LIME = 100/1000" in measured
    # compared at n = 10 and 100, before both settled; not at 1000 or 10^4
    assert "a: max distance SG minus C-LIME n=100 " in measured
    assert "C-LIME n=1000 " not in measured and "C-LIME n=10000 " not in measured


def test_an_ill_conditioned_first_clime_value_does_not_make_it_settle_early():
    # C-LIME's first value is huge (n just above D + 1), then it falls slowly: it has not
    # settled before SmoothGrad just because that value is gone
    v, measured = verdict(curves_table([1.0, 0.3, 0.104, 0.1], [40.0, 1.0, 0.3, 0.1]))
    assert v == "holds", measured
    assert "settled at n SG/C-LIME = 1000/10000" in measured


def test_smoothgrad_above_clime_at_small_n_is_contradicted():
    v, measured = verdict(curves_table([3.0, 1.0, 0.105, 0.1], [1.0, 0.105, 0.10, 0.1]))
    assert v == "contradicted", measured


def test_smoothgrad_below_but_settling_later_is_contradicted():
    # SG below C-LIME everywhere, but C-LIME settles by n = 100, SG only by 1000
    v, measured = verdict(curves_table([2.0, 1.0, 0.105, 0.1], [3.0, 1.2, 1.1, 1.1]))
    assert v == "contradicted", measured
    assert "settled at n SG/C-LIME = 1000/100" in measured


def test_one_dataset_against_is_enough_to_contradict():
    t = pd.concat([curves_table([1.0, 0.105, 0.10, 0.1], [3.0, 1.0, 0.105, 0.1], datasets=["a"]),
                   curves_table([1.0, 0.9, 0.5, 0.1], [0.8, 0.5, 0.2, 0.1], datasets=["b"])])
    v, measured = verdict(t)
    assert v == "contradicted" and "b: max distance SG minus C-LIME n=10 = 0.2" in measured


def test_too_few_n_is_not_evaluated_with_the_config_key():
    v, measured = verdict(curves_table([1.0, 0.1], [3.0, 0.3], ns=[10, 100]))
    assert v == "not evaluated"
    assert "figures.agarwal.ns" in measured
