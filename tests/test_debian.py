"""`make data` (attrobust.debian): which Debian packages a config needs, installing them as
root on Debian, and one clear line (never a traceback) anywhere else."""
import re
import dataclasses
import subprocess
from pathlib import Path

import pytest

from attrobust import config as cfg
from attrobust import data as D
from attrobust import debian

ROOT = Path(__file__).resolve().parents[1]
FASHION = str(ROOT / "config" / "fashion.yaml")


@pytest.fixture
def no_mirrors(tmp_path, monkeypatch):
    """Every Debian package's directory absent: the registry's and the config's (the schema's
    defaults) moved to a directory that does not exist. Returns that config file."""
    absent = {}
    for name, ds in list(D.REGISTRY.items()):
        if ds.mirror_key in debian.PACKAGES:
            absent[ds.mirror_key] = str(tmp_path / "absent" / ds.mirror_key)
            monkeypatch.setitem(D.REGISTRY, name, dataclasses.replace(ds, default_mirror=absent[ds.mirror_key]))
    moved = tmp_path / "moved.yaml"
    moved.write_text("mirrors: {%s}\n" % ", ".join(f"{k}: {v}" for k, v in absent.items()))
    return str(moved)


def test_fashion_config_needs_both_packages(no_mirrors):
    need = debian.missing(debian.load_config([FASHION, no_mirrors]))
    assert set(need) == {"dataset-fashion-mnist", "r-cran-mlbench"}
    assert need["dataset-fashion-mnist"] == ["fashion_mnist"]
    assert {"boston_housing", "house_votes84", "sonar", "pima_diabetes"} <= set(need["r-cran-mlbench"])


def test_default_config_and_own_mirrors_need_nothing(no_mirrors, tmp_path):
    assert debian.missing(debian.load_config([no_mirrors])) == {}  # the embedded default
    own = tmp_path / "own.yaml"  # the user's own copies: nothing to install
    own.write_text(f"mirrors: {{fashion_mnist: {tmp_path}, mlbench: {tmp_path}}}\n")
    assert debian.missing(debian.load_config([FASHION, str(own)])) == {}
    # an absent directory of the user's own is not the package's: the config check reports it
    own.write_text(f"mirrors: {{fashion_mnist: {tmp_path / 'nope'}, mlbench: {tmp_path}}}\n")
    assert debian.missing(debian.load_config([FASHION, str(own)])) == {}


def test_not_root_says_what_to_install_and_the_check_stops_before_any_job(no_mirrors, monkeypatch, capsys):
    monkeypatch.setattr(debian, "why_not_installable", lambda: "not root")
    monkeypatch.setattr(debian, "install", lambda pkgs: pytest.fail("must not install"))
    assert debian.main([FASHION, no_mirrors]) == 0
    err = capsys.readouterr().err
    assert "apt-get install dataset-fashion-mnist r-cran-mlbench" in err and "not root" in err
    # the workflow's config check, which runs before any job, then stops with the package and key
    with pytest.raises(cfg.ConfigError, match=r"mirrors\.\w+.*apt-get install"):
        cfg.check(debian.load_config([FASHION, no_mirrors]))


def test_root_on_debian_installs(no_mirrors, monkeypatch):
    got = []
    monkeypatch.setattr(debian, "why_not_installable", lambda: None)
    monkeypatch.setattr(debian, "install", got.append)
    assert debian.main([FASHION, no_mirrors]) == 0
    assert got == [["dataset-fashion-mnist", "r-cran-mlbench"]]


def test_install_updates_the_package_lists_when_apt_does_not_know_the_package():
    calls = []

    def run(cmd, **kw):
        calls.append(cmd[1])
        ok = cmd[1] == "update" or calls.count("update") == 1
        return subprocess.CompletedProcess(cmd, 0 if ok else 100, "", "E: Unable to locate package")

    debian.install(["r-cran-mlbench"], run=run)
    assert calls == ["install", "update", "install"]

    def broken(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 100, "", "E: Unable to locate package r-cran-mlbench")

    with pytest.raises(RuntimeError, match="Unable to locate package r-cran-mlbench"):
        debian.install(["r-cran-mlbench"], run=broken)


def test_bad_config_is_left_to_the_workflow(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("figures: {galery: {}}\n")
    assert debian.main([str(bad)]) == 0  # snakemake's schema check reports it, once


def test_make_data_is_a_step_of_make_figures():
    mk = (ROOT / "Makefile").read_text()
    assert re.search(r"\nfigures: config-file \$\(STAMP\)( \w+)* data\n", mk)
    assert "-m attrobust.debian $(CONFIG)" in mk
    assert "make data CONFIG=config/fashion.yaml" in (ROOT / ".ci" / "run").read_text()
