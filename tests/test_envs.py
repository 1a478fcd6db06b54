"""envs/*.yaml (for cluster users with conda) parse and pin what pyproject.toml pins."""
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def pyproject_pins():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return dict(r.split("==") for r in reqs)


def env_pins(path):
    env = yaml.safe_load(path.read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pins.update(d.split("==") for d in dep["pip"])
        elif "=" in dep:
            name, version = dep.split("=", 1)
            pins[name] = version
    return env, pins


ENVS = sorted((ROOT / "envs").glob("*.yaml"))


@pytest.mark.parametrize("path", ENVS, ids=[p.name for p in ENVS])
def test_env_pins_agree_with_pyproject(path):
    env, pins = env_pins(path)
    assert env["name"].startswith("attrobust-")
    project = pyproject_pins()
    assert pins.pop("python") == "3.11"
    assert pins, path
    for name, version in pins.items():
        assert name in project, f"{path.name} pins {name}, which pyproject.toml does not"
        assert project[name] == version, f"{path.name}: {name}={version}, pyproject.toml: {project[name]}"


def test_every_rule_names_an_existing_env():
    rules = [*(ROOT / "workflow/rules").glob("*.smk"), *(ROOT / "workflow/papers").glob("*/rules.smk")]
    for smk in rules:
        text = smk.read_text()
        n_rules = len(re.findall(r"^rule \w+:", text, re.M))
        envs = [(smk.parent / e).resolve() for e in re.findall(r'conda:\s*\n\s*"((?:\.\./)+envs/[\w.]+)"', text)]
        assert len(envs) == n_rules, f"{smk.name}: {n_rules} rules, {len(envs)} conda envs"
        for env in envs:
            assert env.is_file() and env.parent == ROOT / "envs", env


def test_license_and_catalog_metadata_agree_with_the_repository():
    """LICENSE names pyproject's licence; the workflow catalog's metadata parses, and what
    it promises exists (conda envs for every rule, a report)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert (ROOT / "LICENSE").read_text().startswith(f"{meta['license']} License")
    usage = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert usage["software-stack-deployment"]["conda"] == bool(ENVS)
    assert usage["report"] is True and (ROOT / "workflow/report/workflow.rst").is_file()
    for configfile in re.findall(r"config/\w+\.yaml", usage["mandatory-flags"]["desc"]):
        assert (ROOT / configfile).is_file(), configfile
