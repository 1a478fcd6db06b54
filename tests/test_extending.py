"""The README's extension guide, taken at its word: a throwaway attribution method and a
throwaway attack are each added here the way the guide says (one function and one registry
entry, plus the method's display name in plots.LABELS), and the config check, the explainer,
the attacks and the figure labels take them with nothing else edited."""
import dataclasses

import numpy as np
import pytest
import torch
from _nets import CNN
from test_config import default_config

from attrobust import attacks, explain, plots
from attrobust import config as cfg


# a method: one function ...
def _half_saliency(mdl, x, targets, *, seed, output):
    """Half the raw input gradient: saliency's numbers, scaled."""
    return 0.5 * explain.METHODS["saliency"].fn(mdl, x, targets, seed=seed, output=output)


def _half_gradient(model, x, target, create_graph):
    return 0.5 * explain.METHODS["saliency"].differentiable(model, x, target, create_graph)


# ... and one entry (its display name, written out for the figure jobs: plots.LABELS)
HALF = explain.Method("half_saliency", _half_saliency, "gradient", False, {"output": "logit"},
                      "this test", "Half saliency", _half_gradient)


# an attack: one loop ...
def _sign_of_saliency(run, eps, seed, **_):
    """One step along the sign of the clean map: a deterministic stand-in for a real attack."""
    x = run.x
    step = torch.sign(run.maps(x, run.model) - 0.5 / run.maps(x, run.model)[0].numel())[:, None]  # (N, 1, H, W)
    cand = (x + float(eps) * step).clamp(0, 1)
    d, kept = run.evaluate(cand)
    x_adv = torch.where(kept[:, None, None, None], cand, x)
    return x_adv, d, kept, 1


# ... and one entry
SIGN = attacks.Attack("saliency_sign", _sign_of_saliency, {}, lambda p, k: "topk", "Saliency sign step", "this test")


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(explain.METHODS, HALF.name, HALF)
    monkeypatch.setitem(attacks.ATTACKS, SIGN.name, SIGN)
    monkeypatch.setitem(plots.LABELS, HALF.name, HALF.label)
    monkeypatch.setitem(plots.LABELS, SIGN.name, SIGN.label)


def _config(methods, attack):
    conf = default_config()
    conf["figures"]["ghorbani"]["methods"] = methods
    conf["figures"]["ghorbani"]["attacks"] = [attack]
    return conf


def test_the_config_check_takes_a_new_method_and_attack_from_the_registries(registered):
    cfg.check(_config(["half_saliency"], "saliency_sign"))


def test_without_their_entries_the_config_check_names_them():
    with pytest.raises(cfg.ConfigError, match="half_saliency"):
        cfg.check(_config(["half_saliency"], "topk"))
    with pytest.raises(cfg.ConfigError, match="saliency_sign"):
        cfg.check(_config(["simple_gradient"], "saliency_sign"))


def test_a_new_method_explains_and_is_attacked(registered):
    model = CNN(hw=8).eval()
    x = np.random.default_rng(0).random((3, 1, 8, 8), dtype=np.float32)
    target = np.zeros(3, dtype=int)
    np.testing.assert_allclose(explain.explain("half_saliency", model, x, target),
                               0.5 * explain.explain("saliency", model, x, target), rtol=1e-6)
    assert "half_saliency" in explain.attackable() and plots.label("half_saliency") == "Half saliency"
    res = attacks.attack("topk", model, x, method="half_saliency", eps=8 / 255, k=5, n_iter=3, softplus_beta=10.0)
    assert np.abs(res["x_adv"] - x).max() <= 8 / 255 + 1e-6


def test_a_new_attack_runs_through_attacks_attack(registered):
    model = CNN(hw=8).eval()
    x = np.random.default_rng(1).random((4, 1, 8, 8), dtype=np.float32)
    res = attacks.attack("saliency_sign", model, x, method="simple_gradient", eps=4 / 255, k=5)
    moved = np.abs(res["x_adv"] - x).max(axis=(1, 2, 3))
    assert np.all(moved <= 4 / 255 + 1e-6) and np.all(moved[res["label_kept"]] > 0)
    assert plots.label("saliency_sign") == "Saliency sign step"
    assert dataclasses.asdict(SIGN)["defaults"] == {}
