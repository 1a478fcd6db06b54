"""Alvarez-Melis & Jaakkola (2018), eq. (2) compares explanations of one quantity: the class
explained is held fixed over the reference set (issue #16 item 1). On a toy model whose
closest pair straddles the decision boundary, explaining each point's predicted class turns
the estimate into a measure of the class flip; the Fig. 4 section fixes the class."""
from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from attrobust import explain, lipschitz
from _workflow import copy_workflow, snakemake
from test_config import default_config


def _toy():
    """Two classes with logits (0, 4 x_0): the boundary is x_0 = 0; five points on a line,
    the closest pair (x_0 = -0.05, 0.05) on either side of it."""
    lin = nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, 0.0], [4.0, 0.0]]))
        lin.bias.zero_()
    X = np.array([[-2.0, 0.0], [-1.0, 0.0], [-0.05, 0.0], [0.05, 0.0], [1.5, 0.0]], np.float32)
    return lin, X


def _pair_and_targets(spec):
    model, X = _toy()
    outputs = torch.softmax(model(torch.tensor(X)), 1).detach().numpy()
    target = explain.resolve_target(spec, None, outputs)
    A = explain.explain("saliency", model, X, target, output="prob")
    res = lipschitz.discrete(X, A, eps=0.2)
    i = int(np.nanargmax(res["L"]))
    j = int(res["argmax"][i])
    return target, A, res, i, j


def test_fixed_class_is_the_same_at_both_points_of_the_maximising_pair():
    target, A, res, i, j = _pair_and_targets(1)
    assert {i, j} == {2, 3}  # the only pair within eps
    assert target[i] == target[j] == 1 and (target == 1).all()
    # one quantity, P(class 1): its gradient is p0 p1 (4, 0) on both sides of the boundary
    assert A[i, 0] > 0 and A[j, 0] > 0
    np.testing.assert_allclose(A[i], A[j], rtol=1e-5)
    assert res["L"][i] < 1e-3


def test_predicted_class_measures_the_class_flip():
    target, A, res, i, j = _pair_and_targets("predicted")
    assert target[i] != target[j]  # the pair straddles the boundary
    np.testing.assert_allclose(A[i], -A[j], rtol=1e-5)  # exact negatives
    fixed = _pair_and_targets(1)[2]
    assert res["L"][i] > 100 * max(fixed["L"][i], 1e-6)  # ~ 2 |grad| / 0.1: the flip, not x


def test_fig4_section_explains_one_fixed_class_by_default(tmp_path):
    """The schema's default is a fixed class, and the Fig. 4 job reads explanations of it
    (its own explain budget, whose class is the fixed one) with the class in its params."""
    assert default_config()["figures"]["alvarez_melis_discrete"]["target"] == 1
    repo = copy_workflow(tmp_path / "repo")
    out = snakemake(repo, "--cores", "1", "--dry-run", "--printshellcmds",
                    "results/lipschitz/alvarez_melis_discrete/breast_cancer/logistic_regression/natural/seed0/discrete.npz",
                    configfile="config/config.yaml").stdout
    job = out[out.index("rule lipschitz_discrete:"):]
    inputs = re.search(r"input: (.*)", job).group(1)
    assert "results/explain/alvarez_melis_discrete/breast_cancer/logistic_regression/natural/seed0.npz" in inputs, inputs
    explain = out[out.index("rule explain:"):]
    explain = explain[:explain.index("\n\n")]
    assert "budget=alvarez_melis_discrete" in explain, explain
    # that budget's class is the section's (rules/common.smk: explain_target); the Fig. 4 job
    # refuses explanations of another class (workflow/scripts/lipschitz_discrete.py, run by
    # the e2e tests)
