"""Report captions (workflow/report/ and each paper's workflow/papers/<paper>/report/): each figure of a multi-figure rule has its own caption
file (issue #16, Presentation), every caption file is used, and every caption renders as
Snakemake renders it (Jinja2 with the completed config, then docutils) under each shipped config,
so a stray rst construct (``|x|`` is a substitution reference) or an unknown config key fails here
rather than at the end of `make figures`."""
from __future__ import annotations

import functools
import json
import re
import types
from pathlib import Path

import jinja2
import pytest
from docutils.core import publish_parts

from test_config import default_config

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "workflow"
PAPERS = WORKFLOW / "papers"
RULE_FILES = [WORKFLOW / "Snakefile", *sorted(WORKFLOW.glob("rules/*.smk")), *sorted(PAPERS.glob("*/*.smk"))]
# the report folders: the workflow's own (the ledger, the report's front page) and each paper's
REPORTS = [WORKFLOW / "report", *sorted(PAPERS.glob("*/report"))]
CAPTIONS = sorted(p for report in REPORTS for p in [*report.glob("*.rst"), *report.glob("*/*.rst")])
CONFIGS = ["config.yaml", "fashion.yaml", "paper.yaml"]  # the shipped tiers: the captions must be true in each
# rules with several report() outputs: (paper, caption folder papers/<paper>/report/<section>/,
# the FIGS dict of the paper's rules.smk naming the figures)
MULTI = [("alvarez_melis", "alvarez_melis", "ALVAREZ_FIGS"), ("agarwal", "agarwal", "AGARWAL_FIGS"),
         ("alvarez_melis", "alvarez_melis_images", "ALVAREZ_IMAGES_FIGS"), ("ghorbani", "ghorbani", "GHORBANI_FIGS"),
         ("ghorbani", "ghorbani_influence", "INFLUENCE_FIGS"), ("kamath", "kamath", "KAMATH_FIGS"),
         ("nielsen", "nielsen_sanity", "NIELSEN_SANITY_FIGS")]


@functools.lru_cache(maxsize=None)
def _config_json(name: str) -> str:
    """A shipped config as the workflow sees it (config.yaml with ``name`` merged over it,
    schema defaults filled, completed), as JSON: each test gets its own copy."""
    if name == "config.yaml":
        return json.dumps(default_config())
    from attrobust import debian

    return json.dumps(debian.load_config([str(ROOT / "config" / name)]))


def _fig_names(paper: str, figs: str) -> list[str]:
    """The figure names (keys) of the dict ``figs`` in workflow/papers/``paper``/rules.smk."""
    text = (PAPERS / paper / "rules.smk").read_text()
    block = re.search(rf"^{figs} = \{{(.*?)^\}}", text, re.S | re.M)
    assert block, f"no {figs} dict in papers/{paper}/rules.smk"
    return re.findall(r'^\s*"([a-zA-Z0-9_]+)":', block.group(1), re.M)


class _Job:
    """``snakemake.params`` / ``wildcards`` exist only inside a job: any attribute is 1."""

    def __getattr__(self, name):
        return 1


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: str(p.relative_to(WORKFLOW)))
def test_caption_renders(path, config):
    conf = json.loads(_config_json(config))
    # Snakemake's own settings (snakemake.report: Environment(trim_blocks=True, lstrip_blocks=True)),
    # strict: an unknown config key fails
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    sm = types.SimpleNamespace(config=conf, params=_Job(), wildcards=_Job())
    text = path.read_text()
    rendered = env.from_string(text).render(snakemake=sm)
    publish_parts(rendered, writer_name="html", settings_overrides={"report_level": 5, "halt_level": 2})


@pytest.mark.parametrize("paper, section, figs", MULTI)
def test_each_figure_has_its_own_caption(paper, section, figs):
    """The figure names of the section's FIGS dict each have report/<section>/<name>.rst."""
    text = (PAPERS / paper / "rules.smk").read_text()
    assert f'caption=f"report/{section}/{{fig}}.rst"' in text
    names = _fig_names(paper, figs)
    assert names
    missing = [n for n in names if not (PAPERS / paper / "report" / section / f"{n}.rst").exists()]
    assert not missing, missing


def test_every_caption_file_is_used():
    """No caption is left behind by a rule that moved to per-figure captions: each file is named
    by a rule (or the Snakefile's report:), or is a figure of a MULTI rule's FIGS dict."""
    text = "\n".join(p.read_text() for p in RULE_FILES)
    per_figure = {section: _fig_names(paper, figs) for paper, section, figs in MULTI}
    rels = [p.relative_to(next(r for r in REPORTS if r in p.parents)) for p in CAPTIONS]
    unused = [str(rel) for rel in rels
              if f"report/{rel.as_posix()}" not in text
              and not (len(rel.parts) == 2 and rel.stem in per_figure.get(rel.parts[0], []))]
    assert not unused, unused


# Numbers measured in one run (issue: "every figure is computed from this run's results"): the
# same captions serve config.yaml, fashion.yaml and paper.yaml, so a caption may quote the papers'
# printed numbers and config values (through Jinja) but no measured result; the figure prints
# those. Each pattern is a way captions have quoted a run's numbers.
RUN_NUMBERS = [
    # "covers a mean 32%", "a median 9.7 times"; not a measure's formula, "the mean 1 - w-LENS-prec@k"
    r"\b(?:mean|median|average)\s+(?:factor\s+(?:of\s+)?)?\d+(?:\.\d+)?\b(?!\s*[-−]\s)",
    r"\bfactor of \d",  # "by a median factor of 29"
    r"\b\d+ of (?:the|those) \d+\b",  # "in only 2 of the 27 cells", "in 15 of those 27"
    r"\bbetween \d*\.?\d+ and \d",  # "lies between 0.83 and 1.00"
    r"\b(?:Spearman|overlap|intersection|recall@k|prec@k)\s*(?:is |of |= ?)?\d*\.\d",  # "Spearman 0.92"
    r"\bpercentiles? \d",  # "(10th-90th percentile 5.2-14)"
    r"\babout \d+(?:\.\d+)? degrees",  # "median angle is about 5 degrees"
    r"\b\d+ test images\b",  # "74 test images": the config's n_images, through Jinja
    r"\b[Oo]n the (?:embedded )?default\b[^.]*?\d",  # "On the embedded default (k = 3, 16 test images) ..."
]


def _caption_prose(text: str) -> str:
    """A caption without what may carry numbers: Jinja (config values), quotations and
    parentheticals of the paper ("(the paper: 300 and 0.5)")."""
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r'"[^"]*"', " ", text)
    return re.sub(r"\(the paper[^()]*\)", " ", text)


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: str(p.relative_to(WORKFLOW)))
def test_caption_quotes_no_run_numbers(path):
    text = " ".join(_caption_prose(path.read_text()).split())
    found = [m.group(0) for pat in RUN_NUMBERS for m in re.finditer(pat, text)]
    assert not found, f"{path.name} quotes a run's numbers (print them on the figure): {found}"


@pytest.mark.parametrize("quoted", [
    "On the embedded default (CNN features, digits 3 vs 5, 74 test images) this is what the attack does",
    "at eps = 16 it lowers sigma - y by a median factor of 29 (f = 0.035)",
    "while the ranking barely moves (Spearman 0.92, top-5 overlap 0.91; random sign: 0.96, 0.94)",
    "N_1(S_k) covers a mean 32% of the 8x8 image",
    "1-LENS-recall@k lies between 0.83 and 1.00 over models",
    "in only 2 of the 27 (model, method, attack, eps) cells where it did",
    "||c|| is a median 9.7 times ||r|| (10th-90th percentile 5.2-14)",
    "panel (b)'s median angle is about 5 degrees",
])
def test_run_number_patterns_catch_past_captions(quoted):
    assert any(re.search(p, _caption_prose(quoted)) for p in RUN_NUMBERS)


@pytest.mark.parametrize("printed", [
    "(the paper: Spearman 0.5 at 300 steps)",
    '"Even with a perturbation of L∞ = 2, the interpretations change significantly"',
    "the paper's 1000 are about 2% of an ImageNet image",
    "The paper uses COMPAS (~600 test points, eps = 0.1)",
    "over {{ g['n_images'] }} test images",
    "with a 95% paired-bootstrap interval",
    "Right: the mean 1 - w-LENS-prec@k (w = {{ w }}, Kamath et al.)",
])
def test_run_number_patterns_spare_papers_and_config(printed):
    assert not any(re.search(p, _caption_prose(printed)) for p in RUN_NUMBERS)


def test_every_shipped_dataset_and_model_has_a_display_name():
    """Figure titles show plots.LABELS' names, not identifiers (issue #16, Presentation):
    every dataset and model the shipped configs define has one."""
    import yaml

    from attrobust.plots import LABELS

    root = Path(__file__).resolve().parents[1]
    missing = set()
    for name in ("config.yaml", "fashion.yaml", "paper.yaml"):
        conf = yaml.safe_load((root / "config" / name).read_text())
        for key in ("datasets", "models"):
            missing |= {f"{name}: {key}.{k}" for k in conf.get(key) or {} if k not in LABELS}
    assert not missing, sorted(missing)
