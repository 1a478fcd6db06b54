"""attrobust.publish: a run's ledger and figures copied to docs/results/<tier>/ with an index."""
from __future__ import annotations

import pytest

from attrobust import publish


def _run(tmp_path):
    fig = tmp_path / "figures"
    (fig / "kamath").mkdir(parents=True)
    (fig / "mypaper").mkdir()
    (fig / "kamath" / "fig2_lens_vs_eps.png").write_bytes(b"\x89PNG a")
    (fig / "kamath" / "table2.md").write_text("| a |\n")
    (fig / "mypaper" / "fig1.png").write_bytes(b"\x89PNG b")
    (fig / "report.html").write_text("<html>")
    (fig / "claims.md").write_text("# claims\n")
    (fig / "claims.csv").write_text("claim,verdict\n")
    bench = tmp_path / "bench" / "train"
    bench.mkdir(parents=True)
    (bench / "a.tsv").write_text("s\th:m:s\tmax_rss\tcpu_time\n12.5\t0:00:12\t300.0\t11.0\n")
    conf = tmp_path / "fashion.yaml"
    conf.write_text("seed: 0\n")
    return fig, bench.parent, conf


def test_publish_copies_figures_ledger_and_writes_index(tmp_path):
    fig, bench, conf = _run(tmp_path)
    dest = publish.publish([str(conf)], tmp_path / "out", fig, bench)
    assert (dest / "kamath" / "fig2_lens_vs_eps.png").read_bytes() == b"\x89PNG a"
    assert (dest / "claims.md").read_text() == "# claims\n"
    assert (dest / "kamath" / "table2.md").exists()
    assert not (dest / "report.html").exists()
    index = (dest / "README.md").read_text()
    assert "# Results: the `fashion` tier" in index
    assert "![fig2_lens_vs_eps](kamath/fig2_lens_vs_eps.png)" in index
    assert "Kamath et al." in index and "## mypaper" in index   # unknown directories keep their name
    assert index.index("Kamath") < index.index("## mypaper")
    assert "| train | 1 | 12.5 |" in index                      # the per-rule job table


def test_publish_removes_what_an_earlier_publish_wrote(tmp_path):
    fig, bench, conf = _run(tmp_path)
    publish.publish([str(conf)], tmp_path / "out", fig, bench)
    (fig / "mypaper" / "fig1.png").unlink()
    dest = publish.publish([str(conf)], tmp_path / "out", fig, bench)
    assert not (dest / "mypaper" / "fig1.png").exists()
    assert "mypaper" not in (dest / "README.md").read_text()


def test_publish_refuses_a_directory_it_did_not_write(tmp_path):
    fig, bench, conf = _run(tmp_path)
    other = tmp_path / "out"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not written by `make publish`"):
        publish.publish([str(conf)], other, fig, bench)
    assert (other / "notes.txt").read_text() == "mine"


def test_publish_without_a_run_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="make figures"):
        publish.publish(["config/config.yaml"], tmp_path / "out", tmp_path / "figures")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("configs, tier", [
    (["config/config.yaml"], "default"), (["config/fashion.yaml"], "fashion"),
    (["config/paper.yaml", "config/rehearsal.yaml"], "rehearsal")])
def test_tier_name(configs, tier):
    assert publish.tier_name(configs) == tier


def test_index_calls_a_commit_dirty_only_for_changes_outside_docs_results(tmp_path, monkeypatch):
    """A rerun of `make publish` over an earlier publication is not 'uncommitted changes'; an
    edited source file is."""
    import subprocess

    fig, bench, conf = _run(tmp_path)
    repo = tmp_path / "repo"
    (repo / "docs" / "results" / "fashion").mkdir(parents=True)
    (repo / "src.py").write_text("a = 1\n")
    (repo / "docs" / "results" / "fashion" / "old.md").write_text("old\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    monkeypatch.chdir(repo)
    (repo / "docs" / "results" / "fashion" / "old.md").write_text("new\n")
    index = (publish.publish([str(conf)], tmp_path / "out", fig, bench) / "README.md").read_text()
    assert "- commit: `" in index and "uncommitted" not in index
    (repo / "src.py").write_text("a = 2\n")
    index = (publish.publish([str(conf)], tmp_path / "out", fig, bench) / "README.md").read_text()
    assert "(with uncommitted changes)" in index
