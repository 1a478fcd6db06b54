"""The claims ledger: evaluation, and claims whose inputs this run's config did not compute."""
import numpy as np
import pandas as pd

from attrobust import claims


def ghorbani_table(attacks, methods=("simple_gradient", "integrated_gradients")):
    rows = []
    for method in methods:
        for attack in attacks:
            strength = {"random_sign": 0.1, "topk": 0.5, "mass_center": 0.4}[attack]
            for eps in (4, 8):
                for img in range(3):
                    rows.append(dict(method=method, attack=attack, eps=eps, image=img,
                                     topk_intersection=0.95 - strength * eps / 8,
                                     spearman=0.9 - strength * eps / 10,
                                     center_shift=strength * eps + (attack == "mass_center"),
                                     label_kept=True, label_unchanged=True))
    return pd.DataFrame(rows)


def test_full_attack_set_gives_yes_no_with_numbers():
    led = claims.evaluate({"ghorbani": ghorbani_table(["random_sign", "topk", "mass_center"])}, {})
    led = led.set_index("claim")
    assert led.loc["ghorbani-random-and-targeted", "reproduced"] == "yes"
    assert led.loc["ghorbani-center-attack-moves-center", "reproduced"] == "yes"
    assert led["reproduced"].isin(["yes", "no"]).all()
    assert led["measured"].str.contains(r"\d").all()


def test_missing_attack_is_reported_not_evaluated_with_the_config_key():
    led = claims.evaluate({"ghorbani": ghorbani_table(["topk"], methods=["integrated_gradients"])}, {})
    led = led.set_index("claim")
    row = led.loc["ghorbani-random-and-targeted"]
    assert row["reproduced"] == "not evaluated"
    assert "random_sign" in row["measured"] and "figures.ghorbani.attacks" in row["measured"]
    assert led.loc["ghorbani-ig-most-robust", "reproduced"] == "not evaluated"
    assert led.loc["ghorbani-label-unchanged", "reproduced"] == "yes"  # needs nothing more
    md = claims.to_markdown(led.reset_index())
    assert "1 of 1 claims reproduced" in md and "3 not evaluated" in md
    assert not np.any(led["measured"] == "")
