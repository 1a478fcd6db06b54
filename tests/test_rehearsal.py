"""The rehearsal (config/paper.yaml + config/rehearsal.yaml) runs every rule the paper config runs."""
import yaml
import pytest

from _workflow import ROOT, copy_workflow, paper_site, planned_rules

from attrobust import data as D
from attrobust import standins as S

PAPER, REHEARSAL = "config/paper.yaml", "config/rehearsal.yaml"


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("rehearsal"))


def test_rehearsal_runs_every_rule_of_the_paper_config(repo, tmp_path):
    paper = planned_rules(repo, PAPER, paper_site(tmp_path))
    rehearsal = planned_rules(repo, PAPER, REHEARSAL)
    missing = sorted(set(paper) - set(rehearsal))
    assert not missing, f"rules of the paper config the rehearsal does not run: {missing}"
    # every dataset is fetched as in the paper run, from generated files
    assert rehearsal["download"] == paper["download"]
    wanted = yaml.safe_load((ROOT / REHEARSAL).read_text())["standins"]
    assert rehearsal["standin"] == len(set(wanted) & set(S.WRITERS))
    # the pretrained weights go through fetch_weights as in the paper run, from generated files
    assert rehearsal["fetch_weights"] == paper["fetch_weights"] == 3
    assert rehearsal["standin_weights"] == 1


def test_rehearsal_keeps_the_paper_architectures_and_sections():
    paper = yaml.safe_load((ROOT / PAPER).read_text())
    rehearsal = yaml.safe_load((ROOT / REHEARSAL).read_text())
    for name, spec in rehearsal.get("models", {}).items():
        if name in paper["models"]:
            assert spec["arch"] == paper["models"][name]["arch"], name
            assert spec.get("regime") == paper["models"][name].get("regime"), name
    for section, over in rehearsal["figures"].items():
        for key in ("dataset", "datasets", "model", "models", "method", "methods", "attacks"):
            if section in paper["figures"] and key in paper["figures"][section]:
                assert key not in over, f"figures.{section}.{key} must stay the paper's"


def test_every_downloaded_dataset_of_the_paper_config_has_a_stand_in():
    paper = yaml.safe_load((ROOT / PAPER).read_text())
    rehearsal = yaml.safe_load((ROOT / REHEARSAL).read_text())
    used = set()
    for section in paper["figures"].values():
        for key in ("dataset", "datasets"):
            names = section.get(key) or []
            used |= {names} if isinstance(names, str) else set(names)
    sources = {paper["datasets"].get(n, {}).get("source", n) for n in used}
    needs_files = {s for s in sources if s in D.REGISTRY and D.info(s).origin != "embedded"}
    assert needs_files <= set(rehearsal["standins"]) <= set(S.WRITERS) | {S.WEIGHTS}
