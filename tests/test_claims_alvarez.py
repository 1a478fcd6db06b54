"""Alvarez-Melis & Jaakkola (2018) image claims (Figs. 5-7) on hand-made tables."""
import pandas as pd

from attrobust import claims


def _table(medians, pred=0.01, expl=0.5):
    return pd.DataFrame([{"method": m, "L": L * f, "noise_floor": 0.0, "explanation_change": expl,
                          "prediction_change": pred, "explanation_norm": 1.0}
                         for m, L in medians.items() for f in (0.5, 1.0, 1.5)])


def _ledger(table):
    led = claims.evaluate({"alvarez_melis_images": table}, {"alvarez_melis_images": {"eps": 0.1}})
    return led.set_index("claim")


def test_perturbation_ordering_decided_on_medians():
    led = _ledger(_table({"lime": 10, "occlusion": 6, "saliency": 5, "integrated_gradients": 1}))
    row = led.loc["alvarez-images-perturbation-less-robust"]
    assert row["reproduced"] == "yes" and "lime (perturbation): median L / scale-free = 10/1" in row["measured"]
    led = _ledger(_table({"lime": 10, "occlusion": 4, "saliency": 5}))
    assert led.loc["alvarez-images-perturbation-less-robust", "reproduced"] == "no"


def test_maximiser_claim_needs_small_probability_change():
    assert _ledger(_table({"lime": 1}))["reproduced"]["alvarez-images-maximiser-moves-explanation"] == "yes"
    led = _ledger(_table({"lime": 1}, pred=0.3, expl=0.5))
    assert led.loc["alvarez-images-maximiser-moves-explanation", "reproduced"] == "no"
