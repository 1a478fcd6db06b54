"""The workflow's rules as snakemake parses them (in-process, ~2 s), for tests of their
directives: params, resources, benchmark, localrule."""
import functools
import os
from pathlib import Path

from _workflow import ROOT


@functools.lru_cache(maxsize=4)
def parsed(configfile: str = "config/config.yaml"):
    """(workflow, {rule name: Rule}) of workflow/Snakefile with ``configfile``."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, ResourceSettings

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with SnakemakeApi() as api:
            wf = api.workflow(resource_settings=ResourceSettings(),
                              config_settings=ConfigSettings(configfiles=[Path(configfile)]),
                              snakefile=Path("Snakefile"), workdir=ROOT)
            wf.dag()   # parses the Snakefile
            w = wf._workflow
            return w, {r.name: r for r in w.rules}
    finally:
        os.chdir(cwd)


def compute_rules(configfile: str = "config/config.yaml") -> set[str]:
    """Rules that run as cluster jobs: every rule with a script not marked `localrule: True`
    (`all`, `default`: targets only)."""
    w, rules = parsed(configfile)
    return {n for n, r in rules.items() if r.script and n not in w._localrules}


def device_rules(configfile: str = "config/config.yaml") -> set[str]:
    """Rules that pass the config's `device` to their script (params.device)."""
    _, rules = parsed(configfile)
    return {n for n, r in rules.items() if "device" in r.params.keys()}
