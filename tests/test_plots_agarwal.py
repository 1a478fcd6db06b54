"""Agarwal et al. (2021) Fig. 5 on synthetic curves: both models on one axis per panel,
each named with its test accuracy (issue #16 item 9)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from attrobust.plots import agarwal, save


def _curves():
    rows = []
    for model, scale in (("well", 1.0), ("under", 0.3)):
        for n in (10, 100, 1000):
            for p in range(3):
                rows.append(dict(dataset="d", model=model, sigma=0.1, n=n, point=p,
                                 gap=scale / np.sqrt(n) * (1 + 0.1 * p), maxdist_smoothgrad=scale / n ** 0.3,
                                 maxdist_clime=2 * scale / n ** 0.3, norm_smoothgrad=1.0, norm_clime=1.0))
    return pd.DataFrame(rows)


def test_fig5_puts_both_models_on_one_axis_with_accuracies(tmp_path):
    fig = agarwal.fig5(_curves(), models=["well", "under"], sigma=0.1, dataset="d",
                       accuracies={"well": 0.974, "under": 0.904})
    left, right = fig.axes
    texts = [t.get_text() for t in left.get_legend().get_texts()]
    assert any("well-trained" in t and "97.4%" in t for t in texts), texts
    assert any("under-trained" in t and "90.4%" in t for t in texts), texts
    # one curve per model on the same axis: both models' mean gaps are drawn there
    ys = [np.asarray(line.get_ydata()) for line in left.get_lines() if len(line.get_ydata()) == 3]
    means = _curves().groupby(["model", "n"])["gap"].mean()
    for m in ("well", "under"):
        assert any(np.allclose(y, means[m].to_numpy()) for y in ys), m
    # right: two methods x two models
    assert sum(len(line.get_ydata()) == 3 for line in right.get_lines()) == 4
    assert any("90.4%" in t.get_text() for t in right.get_legend().get_texts())
    save(fig, tmp_path / "f.pdf", tmp_path / "f.png")
