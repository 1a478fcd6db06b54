"""Publish a finished run with the code: its ledger and figures under ``docs/results/<tier>/``.

    make publish CONFIG=config/fashion.yaml     # = make figures, then:
    python -m attrobust.publish --config config/fashion.yaml [--tier fashion] [--to DIR]

``make publish`` first runs ``make figures`` with the same CONFIG (nothing reruns when the
results are current), so what is copied is that config's results at this commit. The
destination is owned by this command: it is emptied of earlier PNGs and rewritten, with an
index page (``README.md``) that shows every figure grouped by paper, the ledger
(``claims.md``, ``claims.csv``), the configs with their checksums, the commit, and the job
time and peak memory per rule (``attrobust.benchtable``).
"""
from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from attrobust import benchtable

# figures/<dir>/ -> the heading of its section on the index page (directories not listed keep
# their own name, after these)
SECTIONS = {
    "alvarez-melis": "Alvarez-Melis & Jaakkola (2018), On the Robustness of Interpretability Methods",
    "ghorbani": "Ghorbani, Abid & Zou (AAAI 2019), Interpretation of Neural Networks is Fragile",
    "agarwal": "Agarwal et al. (ICML 2021), Towards the Unification and Robustness of "
               "Perturbation and Gradient Based Explanations",
    "kamath": "Kamath et al. (AAAI 2024), Rethinking Robustness of Model Attributions",
    "nielsen": "Nielsen et al. (IEEE SPM 2022), Robust Explainability: A Tutorial on "
               "Gradient-Based Attribution Methods",
    "summary": "Across papers",
}
LEDGER = ("claims.md", "claims.csv")
MARKER = ".published-by-attrobust"


def tier_name(configs: list[str]) -> str:
    """The last config file's stem (``config/fashion.yaml`` -> ``fashion``); the embedded
    default ``config/config.yaml`` is ``default``."""
    stem = Path(configs[-1]).stem
    return "default" if stem == "config" else stem


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _check_source(figures: Path) -> list[Path]:
    """The run's PNGs and tables (``*.md``, ``*.csv``; the HTML report is not copied)."""
    missing = [name for name in LEDGER if not (figures / name).is_file()]
    if missing:
        raise SystemExit(f"publish: {figures}/ has no {', '.join(missing)}: run `make figures "
                         f"CONFIG=...` (or `make publish CONFIG=...`, which does) first")
    files = sorted(p for ext in ("*.png", "*.md", "*.csv") for p in figures.rglob(ext))
    if not any(p.suffix == ".png" for p in files):
        raise SystemExit(f"publish: no PNG under {figures}/: run `make figures CONFIG=...` first")
    return files


def _prepare(dest: Path) -> None:
    """Empty ``dest`` of what an earlier publish wrote; refuse a directory it did not write."""
    if dest.exists() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise SystemExit(f"publish: {dest}/ exists and was not written by `make publish` "
                         f"(no {MARKER}): choose another --to or empty it yourself")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / MARKER).write_text("written by python -m attrobust.publish; rewritten on every publish\n")


def publish(configs: list[str], dest: Path, figures: Path = Path("figures"),
            bench: Path = Path(benchtable.DEFAULT_DIR), tier: str | None = None) -> Path:
    """Copy the run's PNGs and ledger from ``figures`` to ``dest`` and write its index."""
    files = _check_source(figures)
    for c in configs:
        if not Path(c).is_file():
            raise SystemExit(f"publish: config file {c} does not exist")
    tier = tier or tier_name(configs)
    _prepare(dest)
    groups: dict[str, list[Path]] = {}
    for path in files:
        rel = path.relative_to(figures)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest / rel)
        if rel.as_posix() not in LEDGER:
            groups.setdefault(rel.parts[0] if len(rel.parts) > 1 else "", []).append(rel)

    commit = _git("rev-parse", "HEAD")
    # changes that could have changed the results (an earlier publication in docs/results could not)
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)docs/results"))
    lines = [
        f"# Results: the `{tier}` tier",
        "",
        "Written by `make publish CONFIG=\"" + " ".join(configs) + "\"` (`python -m attrobust.publish`);"
        " do not edit by hand, rerun the command.",
        "",
        f"- commit: `{commit or 'unknown'}`" + (" (with uncommitted changes)" if dirty else ""),
        f"- published: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, on {platform.machine()} "
        f"{platform.system()}, Python {platform.python_version()}",
        "- configs (later ones override earlier ones):",
        *[f"  - `{c}` (sha256 `{_sha256(Path(c))[:16]}`)" for c in configs],
        f"- the claims ledger: [claims.md](claims.md) ([claims.csv](claims.csv))",
        "",
    ]
    order = [k for k in SECTIONS if k in groups] + sorted(k for k in groups if k not in SECTIONS)
    for key in order:
        lines += [f"## {SECTIONS.get(key, key or 'Other figures')}", ""]
        for rel in groups[key]:
            if rel.suffix == ".png":
                lines += [f"### {rel.stem}", "", f"![{rel.stem}]({rel.as_posix()})", ""]
            elif rel.suffix == ".md":
                lines += [f"- table: [{rel.as_posix()}]({rel.as_posix()})", ""]
    rows = benchtable.table(bench) if bench.is_dir() else []
    if rows:
        lines += ["## Job time and peak memory per rule", "",
                  "From the compute jobs' `benchmark:` files (`make bench-table`): wall seconds summed "
                  "over the rule's jobs, the largest peak RSS, CPU seconds. Jobs that ran concurrently "
                  "overlap, so the sum exceeds the run's wall time.", "",
                  benchtable.render(rows), ""]
    (dest / "README.md").write_text("\n".join(lines))
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m attrobust.publish", description=__doc__.split("\n")[0])
    ap.add_argument("--config", nargs="+", required=True, help="the config file(s) of the run")
    ap.add_argument("--tier", help="the tier's name (default: the last config's stem; config.yaml: default)")
    ap.add_argument("--to", type=Path, help="destination (default: docs/results/<tier>)")
    ap.add_argument("--figures", type=Path, default=Path("figures"))
    ap.add_argument("--bench", type=Path, default=Path(benchtable.DEFAULT_DIR))
    a = ap.parse_args(argv)
    tier = a.tier or tier_name(a.config)
    dest = publish(a.config, a.to or Path("docs/results") / tier, a.figures, a.bench, tier)
    print(f"publish: {len(list(dest.rglob('*.png')))} figures and the ledger in {dest}/ "
          f"(index: {dest / 'README.md'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
