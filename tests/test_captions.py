"""Report captions (workflow/report/): each figure of a multi-figure rule has its own caption
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
RULES = ROOT / "workflow" / "rules"
REPORT = ROOT / "workflow" / "report"
CAPTIONS = sorted(REPORT.glob("*.rst")) + sorted(REPORT.glob("*/*.rst"))
CONFIGS = ["config.yaml", "fashion.yaml", "paper.yaml"]  # the shipped tiers: the captions must be true in each
# rules with several report() outputs: (rule file, caption folder report/<section>/, the FIGS dict naming the figures)
MULTI = [("figures.smk", "alvarez_melis", "ALVAREZ_FIGS"), ("figures.smk", "agarwal", "AGARWAL_FIGS"),
         ("figures.smk", "alvarez_melis_images", "ALVAREZ_IMAGES_FIGS"), ("figures.smk", "ghorbani", "GHORBANI_FIGS"),
         ("influence.smk", "ghorbani_influence", "INFLUENCE_FIGS"), ("kamath.smk", "kamath", "KAMATH_FIGS"),
         ("nielsen.smk", "nielsen_sanity", "NIELSEN_SANITY_FIGS")]


@functools.lru_cache(maxsize=None)
def _config_json(name: str) -> str:
    """A shipped config as the workflow sees it (config.yaml with ``name`` merged over it,
    schema defaults filled, completed), as JSON: each test gets its own copy."""
    if name == "config.yaml":
        return json.dumps(default_config())
    from attrobust import debian

    return json.dumps(debian.load_config([str(ROOT / "config" / name)]))


def _fig_names(rule_file: str, figs: str) -> list[str]:
    """The figure names (keys) of the dict ``figs`` in workflow/rules/``rule_file``."""
    text = (RULES / rule_file).read_text()
    block = re.search(rf"^{figs} = \{{(.*?)^\}}", text, re.S | re.M)
    assert block, f"no {figs} dict in {rule_file}"
    return re.findall(r'^\s*"([a-zA-Z0-9_]+)":', block.group(1), re.M)


class _Job:
    """``snakemake.params`` / ``wildcards`` exist only inside a job: any attribute is 1."""

    def __getattr__(self, name):
        return 1


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: str(p.relative_to(REPORT)))
def test_caption_renders(path, config):
    conf = json.loads(_config_json(config))
    # Snakemake's own settings (snakemake.report: Environment(trim_blocks=True, lstrip_blocks=True)),
    # strict: an unknown config key fails
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    sm = types.SimpleNamespace(config=conf, params=_Job(), wildcards=_Job())
    text = path.read_text()
    rendered = env.from_string(text).render(snakemake=sm)
    publish_parts(rendered, writer_name="html", settings_overrides={"report_level": 5, "halt_level": 2})


@pytest.mark.parametrize("rule_file, section, figs", MULTI)
def test_each_figure_has_its_own_caption(rule_file, section, figs):
    """The figure names of the section's FIGS dict each have report/<section>/<name>.rst."""
    text = (RULES / rule_file).read_text()
    assert f'caption=f"../report/{section}/{{fig}}.rst"' in text
    names = _fig_names(rule_file, figs)
    assert names
    missing = [n for n in names if not (REPORT / section / f"{n}.rst").exists()]
    assert not missing, missing


def test_every_caption_file_is_used():
    """No caption is left behind by a rule that moved to per-figure captions: each file is named
    by a rule (or the Snakefile's report:), or is a figure of a MULTI rule's FIGS dict."""
    text = "\n".join(p.read_text() for p in [ROOT / "workflow" / "Snakefile", *sorted(RULES.glob("*.smk"))])
    per_figure = {section: _fig_names(rule_file, figs) for rule_file, section, figs in MULTI}
    unused = [str(rel) for rel in (p.relative_to(REPORT) for p in CAPTIONS)
              if f"report/{rel.as_posix()}" not in text
              and not (len(rel.parts) == 2 and rel.stem in per_figure.get(rel.parts[0], []))]
    assert not unused, unused
