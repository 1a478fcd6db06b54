"""The claims ledger's engine: intervals, verdicts, kinds, claims the config did not compute,
and the ledger's text."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attrobust import claims
from attrobust.ledger import CONTRADICTED, HOLDS, INCONCLUSIVE, combine, pair, paired_ci, verdict


def ghorbani_table(attacks, methods=("simple_gradient", "integrated_gradients"), n_images=12):
    rows = []
    for method in methods:
        for attack in attacks:
            strength = {"random_sign": 0.1, "topk": 0.5, "mass_center": 0.4}[attack]
            for eps in (4, 8):
                for img in range(n_images):
                    jitter = 0.01 * (img % 3 - 1)
                    rows.append(dict(method=method, attack=attack, eps=eps, image=img,
                                     topk_intersection=0.95 - strength * eps / 8 + jitter,
                                     spearman=0.9 - strength * eps / 10 + jitter,
                                     center_shift=strength * eps + (attack == "mass_center") + jitter,
                                     label_kept=True, label_unchanged=True))
    return pd.DataFrame(rows)


def test_verdict_sides_and_combination():
    assert verdict(0.1, 0.3, ">") == HOLDS and verdict(-0.3, -0.1, ">") == CONTRADICTED
    assert verdict(-0.1, 0.1, ">") == INCONCLUSIVE and verdict(-0.1, 0.1, "<") == INCONCLUSIVE
    assert verdict(0.1, 0.15, "<", null=0.2) == HOLDS and verdict(0.25, 0.3, "<", null=0.2) == CONTRADICTED
    assert verdict(0.0, 0.0, ">=") == HOLDS and verdict(0.0, 0.0, ">") == CONTRADICTED
    assert verdict(0.0, 0.0, "<=") == HOLDS and verdict(-np.inf, np.inf, "<=") == INCONCLUSIVE
    # float dust at the null is the null: [-0.03, -1e-16] touches 0 (">=": not contradicted)
    assert verdict(-0.03, -1.08e-16, ">=") == INCONCLUSIVE and verdict(-0.03, -1e-9, ">=") == CONTRADICTED
    assert verdict(1e-17, 0.2, ">") == INCONCLUSIVE and verdict(0.2 + 1e-14, 0.3, "<", null=0.2) == CONTRADICTED
    from attrobust.ledger import compare
    part = compare({}, "tie", np.array([0.1, 0.2, 0.3]), np.array([0.1, 0.2, 0.3]) - [3e-16, 0, 0], side=">=")
    assert (part.lo, part.hi) == (0.0, 0.0) and "[0, 0]" in str(part)  # printed as decided
    with pytest.raises(ValueError):
        verdict(0, 1, "above")
    assert combine([HOLDS, HOLDS]) == HOLDS
    assert combine([HOLDS, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([HOLDS, INCONCLUSIVE, CONTRADICTED]) == CONTRADICTED
    assert combine([]) == INCONCLUSIVE


def test_paired_ci_is_seeded_paired_and_agrees_with_scipy():
    rng = np.random.default_rng(1)
    a = rng.normal(1.0, 1.0, 40)
    b = a - 0.3 + rng.normal(0, 0.05, 40)  # paired: the difference is nearly constant
    est, lo, hi = paired_ci(a, b, seed=3)
    assert est == pytest.approx(np.mean(a - b)) and lo < est < hi
    assert (lo, hi) == paired_ci(a, b, seed=3)[1:] and (lo, hi) != paired_ci(a, b, seed=4)[1:]
    assert hi - lo < 0.1  # pairing removes the units' spread ...
    _, ulo, uhi = paired_ci(a, b, paired=False, seed=3)
    assert uhi - ulo > 5 * (hi - lo)  # ... which an unpaired bootstrap keeps
    ref = stats.bootstrap((a - b,), np.mean, n_resamples=2000, method="percentile",
                          confidence_level=0.95, random_state=0).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.01) and hi == pytest.approx(ref.high, abs=0.01)
    # a statistic of the whole units x columns matrix (here the median of row means)
    m = np.column_stack([a, b])
    est, lo, hi = paired_ci(m, stat=lambda x, axis: np.median(x.mean(axis=-1), axis=axis), seed=0)
    assert est == pytest.approx(np.median((a + b) / 2)) and lo <= est <= hi
    assert paired_ci([1.0], [0.0])[1:] == (-np.inf, np.inf)  # one unit: nothing to decide on
    with pytest.raises(ValueError, match="no units"):
        paired_ci([], [])
    # a unit without a value leaves both samples when paired, only its own when not
    assert paired_ci([1.0, np.nan, 3.0, 5.0], [0.0, 100.0, 1.0, 2.0])[0] == pytest.approx(2.0)
    assert paired_ci([1.0, np.nan, 3.0], [0.0, 3.0], paired=False)[0] == pytest.approx(0.5)


def test_pair_aligns_units_and_says_when_none_are_shared():
    df = pd.DataFrame({"image": [0, 1, 2, 1, 2, 3], "method": ["a"] * 3 + ["b"] * 3,
                       "value": [1.0, 2.0, 3.0, 20.0, 30.0, 40.0]})
    a, b = pair(df, "image", "method", "a", "b", "value")
    assert a.tolist() == [2.0, 3.0] and b.tolist() == [20.0, 30.0]
    with pytest.raises(claims.NotEvaluable, match="method a and c"):
        pair(df, "image", "method", "a", "c", "value")


def test_ledger_depends_only_on_the_seed():
    t = {"ghorbani": ghorbani_table(["random_sign", "topk", "mass_center"])}
    one, again, other = (claims.evaluate(t, {}, seed=s) for s in (0, 0, 1))
    pd.testing.assert_frame_equal(one, again)
    assert (one["verdict"] == other["verdict"]).all()


def test_full_attack_set_gives_verdicts_with_intervals():
    led = claims.evaluate({"ghorbani": ghorbani_table(["random_sign", "topk", "mass_center"])}, {})
    assert list(led.columns) == ["claim", "paper", "figure", "kind", "statement", "reported", "measured", "verdict"]
    led = led.set_index("claim")
    assert led.loc["ghorbani-random-and-targeted", "verdict"] == HOLDS
    assert led.loc["ghorbani-center-attack-moves-center", "verdict"] == HOLDS
    assert led.loc["ghorbani-label-unchanged", "kind"] == "code check"
    assert led["verdict"].isin([HOLDS, CONTRADICTED, INCONCLUSIVE]).all()
    assert led["measured"].str.contains(r"\d").all()


def test_missing_attack_is_reported_not_evaluated_with_the_config_key():
    led = claims.evaluate({"ghorbani": ghorbani_table(["topk"], methods=["integrated_gradients"])}, {})
    led = led.set_index("claim")
    row = led.loc["ghorbani-random-and-targeted"]
    assert row["verdict"] == "not evaluated"
    assert "random_sign" in row["measured"] and "figures.ghorbani.attacks" in row["measured"]
    assert led.loc["ghorbani-ig-most-robust", "verdict"] == "not evaluated"
    assert led.loc["ghorbani-label-unchanged", "verdict"] == HOLDS  # needs nothing more
    assert not np.any(led["measured"] == "")


def test_markdown_opens_with_counts_per_paper_and_verdict(tmp_path):
    t = ghorbani_table(["random_sign", "topk", "mass_center"])
    t.loc[t["attack"] == "mass_center", "center_shift"] = 0.0  # contradicts the center claim
    led = claims.evaluate({"ghorbani": t}, {})
    md = claims.to_markdown(led)
    head = md.split("| claim |")[0]
    assert "| paper | holds | contradicted | inconclusive | not evaluated |" in head
    # random vs targeted holds, for the best and for each targeted attack; the center claim
    # and IG (identical to simple gradient here) do not
    assert "| Ghorbani et al. 2019 | 2 | 2 | 0 | 0 |" in head
    assert "| all | 2 | 2 | 0 | 0 |" in head
    assert "Code checks" in head and "1 pass, 0 fail" in head
    assert "95%" in head and "2000 resamples" in head
    assert "| ghorbani-label-unchanged | Ghorbani et al. 2019 | Figs. 1-2 | code check |" in md
    assert md.count("\n| ghorbani-") == len(led)
    csv = tmp_path / "claims.csv"
    led.to_csv(csv, index=False)
    assert claims.to_markdown(pd.read_csv(csv)) == md  # the CSV holds everything the ledger shows
