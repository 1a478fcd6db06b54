"""Report captions (workflow/report/): each figure of a multi-figure rule has its own caption
file (issue #16, Presentation), and every caption renders as Snakemake renders it (Jinja2 with
the completed config, then docutils), so a stray rst construct (``|x|`` is a substitution
reference) or an unknown config key fails here rather than at the end of `make figures`."""
from __future__ import annotations

import re
import types
from pathlib import Path

import jinja2
import pytest
from docutils.core import publish_parts

from test_config import default_config

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "workflow" / "report"
CAPTIONS = sorted(REPORT.glob("*.rst")) + sorted(REPORT.glob("*/*.rst"))


class _Job:
    """``snakemake.params`` / ``wildcards`` exist only inside a job: any attribute is 1."""

    def __getattr__(self, name):
        return 1


@pytest.mark.parametrize("path", CAPTIONS, ids=lambda p: str(p.relative_to(REPORT)))
def test_caption_renders(path):
    conf = default_config()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    sm = types.SimpleNamespace(config=conf, params=_Job(), wildcards=_Job())
    text = path.read_text()
    rendered = env.from_string(text).render(snakemake=sm)
    publish_parts(rendered, writer_name="html", settings_overrides={"report_level": 5, "halt_level": 2})


@pytest.mark.parametrize("rule_file, section, figs", [
    ("figures.smk", "alvarez_melis", "ALVAREZ_FIGS"), ("figures.smk", "agarwal", "AGARWAL_FIGS"),
    ("influence.smk", "ghorbani_influence", "INFLUENCE_FIGS"), ("kamath.smk", "kamath", "KAMATH_FIGS")])
def test_each_figure_has_its_own_caption(rule_file, section, figs):
    """The figure names of the section's FIGS dict each have report/<section>/<name>.rst."""
    text = (ROOT / "workflow" / "rules" / rule_file).read_text()
    assert f'caption=f"../report/{section}/{{fig}}.rst"' in text
    block = re.search(rf"^{figs} = \{{(.*?)^\}}", text, re.S | re.M)
    names = re.findall(r'^\s*"([a-zA-Z0-9_]+)":', block.group(1), re.M)
    assert names
    missing = [n for n in names if not (REPORT / section / f"{n}.rst").exists()]
    assert not missing, missing
