"""End-to-end slice of the real-data tier: `config/fashion.yaml` with `tests/e2e/fashion_slice.yaml`
on top, one section of each paper on the Debian packages' Fashion-MNIST and mlbench tables, at a
small size, in a copy of the repository; `make data` first, as `make figures` does.

Needs the two Debian packages (fixture `debian_data`: installed as root on Debian, else skipped
with what to install). The full tier (`make figures CONFIG=config/fashion.yaml`) is not run here."""
import json
import shutil

import numpy as np
import pytest

from attrobust import attack_results

from _workflow import ROOT, copy_workflow, make
from _workflow import snakemake as _snakemake

SLICE = "fashion_slice.yaml"


@pytest.fixture(scope="module")
def run(tmp_path_factory, debian_data):
    repo = copy_workflow(tmp_path_factory.mktemp("fashion"))
    shutil.copy(ROOT / "tests" / "e2e" / SLICE, repo / SLICE)
    make(repo, "data", configfile="config/fashion.yaml")  # nothing to install: debian_data did
    # two config files, as `snakemake --configfile config/fashion.yaml fashion_slice.yaml`
    _snakemake(repo, SLICE, "--cores", "2", configfile="config/fashion.yaml")
    return repo


@pytest.mark.e2e
def test_one_section_of_each_paper_on_the_real_data(run):
    import pandas as pd

    figures = {"alvarez-melis": ["fig2_lipschitz_uci", "fig3_maximiser"],
               "ghorbani": ["fig1_example", "fig2_topk_spearman"],
               "agarwal": ["fig1_simulated", "fig2_equivalence", "fig3_robustness", "fig4_sigma", "fig5_undertrained"],
               "kamath": ["fig2_lens_vs_eps", "fig3_topk_neighbourhoods", "fig4_datasets", "fig5_w",
                          "fig6_div_neighbourhoods"],
               "nielsen": ["fig2_class_sensitivity"]}
    for paper, names in figures.items():
        for name in names:
            png = run / "figures" / paper / f"{name}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
            assert png.stat().st_size > 10_000, png  # a real plot
    # the data are the packages' files: 28x28 Fashion-MNIST, mlbench's Glass (9 features) and
    # Boston housing (13 features, a regression), Sonar (60 features) in [0, 1]
    prov = json.loads((run / "results/data/fashion_mnist.json").read_text())
    assert prov["dataset"]["name"] == "fashion_mnist" and prov["shapes"]["X_test"][1:] == [1, 28, 28]
    assert json.loads((run / "results/data/glass.json").read_text())["shapes"]["X_train"][1] == 9
    assert json.loads((run / "results/data/boston_housing.json").read_text())["shapes"]["X_train"][1] == 13
    sonar = np.load(run / "results/data/sonar_minmax.npz")
    assert sonar["X_train"].shape[1] == 60 and 0 <= sonar["X_train"].min() and sonar["X_train"].max() <= 1
    f = attack_results.load(
        [run / "results/attacks/ghorbani/fashion_mnist/cnn_small/natural/seed0/integrated_gradients/topk/chunk0.npz"], 8)
    assert f["x_adv"].shape == f["x"].shape == (3, 1, 28, 28)
    assert np.abs(f["x_adv"] - f["x"]).max() <= 8 / 255 + 1e-6
    # every paper's findings decided on these data
    ledger = pd.read_csv(run / "figures/claims.csv")
    assert {"agarwal-equivalence", "alvarez-maximiser-moves-explanation", "ghorbani-random-and-targeted",
            "kamath-lens-above-topk", "nielsen-gradcam-class-sensitive"} <= set(ledger["claim"])
    assert ledger["verdict"].isin(["holds", "contradicted", "inconclusive", "not evaluated"]).all()
    decided = ledger[ledger["verdict"] != "not evaluated"]
    assert {"agarwal", "alvarez", "ghorbani", "kamath", "nielsen"} <= {c.split("-")[0] for c in decided["claim"]}
