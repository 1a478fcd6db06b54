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


# --- a throwaway paper, added the way the README's guide says -------------------------------
# Its folder (rules, scripts, caption, the schema of its config section), its claims module,
# its name in attrobust.papers.PAPERS and in the claims package, and its config section.

TOY_RULES = '''# A throwaway paper: the class shares of a dataset's training split (one figure, one claim).
TOY = config["figures"]["toy"]
claims_read("toy", {"toy": ["results/metrics/toy/class_shares.csv"]}, {"max_share": TOY["max_share"]})


rule toy_shares:
    localrule: True
    input:
        data=f"results/data/{TOY['dataset']}.npz",
        lib=lib("scripts/toy_shares.py"),
    output:
        csv="results/metrics/toy/class_shares.csv",
    log:
        "logs/toy/shares.log",
    conda:
        "../../../envs/data.yaml"
    script:
        "scripts/toy_shares.py"


rule fig_toy:
    localrule: True
    input:
        table="results/metrics/toy/class_shares.csv",
        lib=lib("scripts/fig_toy.py"),
    output:
        png=report("figures/toy/fig1_class_shares.png", caption="report/toy.rst", category="Toy (this test)"),
    log:
        "logs/figures/toy.log",
    conda:
        "../../../envs/plot.yaml"
    script:
        "scripts/fig_toy.py"
'''
TOY_SHARES = '''import numpy as np
import pandas as pd

with np.load(snakemake.input.data) as z:
    classes, counts = np.unique(z["y_train"], return_counts=True)
pd.DataFrame({"cls": classes, "share": counts / counts.sum()}).to_csv(snakemake.output.csv, index=False)
'''
TOY_FIG = '''import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

df = pd.read_csv(snakemake.input.table)
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(df["cls"], df["share"])
fig.savefig(snakemake.output.png)
'''
TOY_CLAIMS = '''"""The throwaway paper's one claim: no class holds more than max_share of the training split."""
import numpy as np

from ..ledger import claim, compare


@claim("toy-balanced", paper="Toy 2026", figure="Fig. 1", table="toy",
       text="No class holds more than max_share of the training split.")
def _balanced(df, ctx):
    return [compare(ctx, "largest class share", df["share"].to_numpy(), side="<", null=ctx["max_share"],
                    stat=np.max)], {"classes": len(df)}
'''
TOY_SCHEMA = '''$schema: "https://json-schema.org/draft/2020-12/schema"
type: object
properties:
  toy:
    type: object
    additionalProperties: false
    default: {}
    description: a throwaway paper (tests/test_extending.py)
    properties:
      enabled: {type: boolean, default: true, description: "false skips the section"}
      dataset: {type: string, default: digits, description: "a dataset with classes"}
      max_share: {type: number, exclusiveMinimum: 0, maximum: 1, default: 0.5, description: "the claim's bound"}
'''


def _add_toy_paper(repo):
    """Add the throwaway paper to the checkout ``repo``; returns the files touched."""
    import yaml

    paper = repo / "workflow/papers/toy"
    (paper / "scripts").mkdir(parents=True)
    (paper / "report").mkdir()
    (paper / "rules.smk").write_text(TOY_RULES)
    (paper / "scripts/toy_shares.py").write_text(TOY_SHARES)
    (paper / "scripts/fig_toy.py").write_text(TOY_FIG)
    (paper / "report/toy.rst").write_text("Class shares of ``{{ snakemake.config['figures']['toy']['dataset'] }}``.\n")
    (paper / "schema.yaml").write_text(TOY_SCHEMA)
    claims = repo / "src/attrobust/claims"
    (claims / "toy.py").write_text(TOY_CLAIMS)
    (claims / "__init__.py").write_text((claims / "__init__.py").read_text() + "from . import toy  # noqa: F401\n")
    registry = repo / "src/attrobust/papers/__init__.py"
    text = registry.read_text()
    line = next(x for x in text.splitlines() if x.startswith("PAPERS = ("))
    registry.write_text(text.replace(line, line.replace(")", ', "toy")')))
    config = repo / "tiny.yaml"
    conf = yaml.safe_load(config.read_text())
    conf["figures"]["toy"] = {"dataset": "digits", "max_share": 0.5}
    config.write_text(yaml.safe_dump(conf, sort_keys=False))
    return {"workflow/papers/toy/", "src/attrobust/claims/toy.py", "src/attrobust/claims/__init__.py",
            "src/attrobust/papers/__init__.py", "tiny.yaml"}


@pytest.mark.e2e
def test_a_throwaway_paper_runs_in_the_tiny_config(tiny_run, tmp_path):
    """Added to a copy of the finished tiny run, the paper's jobs and the ledger are all that
    run; its figure exists and its claim is in the ledger with a verdict, next to every
    other claim unchanged."""
    import shutil

    import pandas as pd
    from _cluster import run_snakemake
    from _workflow import job_stats

    repo = tmp_path / "repo"
    shutil.copytree(tiny_run, repo, symlinks=True)
    touched = _add_toy_paper(repo)
    assert len(touched) == 5  # the README's guide: its folder, its claims module, 2 registrations, its config
    plan = job_stats(run_snakemake(repo, "--cores", "2", "--dry-run").stdout)
    assert plan == {"toy_shares": 1, "fig_toy": 1, "claims": 1, "default": 1}, plan
    run_snakemake(repo, "--cores", "2")
    assert (repo / "figures/toy/fig1_class_shares.png").stat().st_size > 0
    before = pd.read_csv(tiny_run / "figures/claims.csv")
    after = pd.read_csv(repo / "figures/claims.csv")
    toy = after[after["claim"] == "toy-balanced"]
    assert len(toy) == 1 and toy["verdict"].item() == "holds", toy.to_dict("records")
    pd.testing.assert_frame_equal(after[after["claim"] != "toy-balanced"].reset_index(drop=True), before)
