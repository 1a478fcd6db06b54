"""The Debian packages behind the mirrored datasets, installed by ``make data``.

``config/fashion.yaml`` reads Fashion-MNIST and mlbench's UCI tables from two Debian packages
(``mirrors.<key>`` in :mod:`attrobust.data`'s registry). ``make figures`` runs ``make data``
first, which runs ``python -m attrobust.debian CONFIG...``: it merges the config files as
Snakemake does (``config/config.yaml`` first), finds the datasets the enabled figures use whose
mirror directory is absent, and, as root on Debian, installs their packages with apt-get.
Anywhere else it installs nothing and says so; the workflow's config check
(:func:`attrobust.config.check`) then stops before any job with the package to install or the
``mirrors.*`` key to set.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import data

#: mirror key (`mirrors.<key>`) -> the Debian package that fills its default directory
PACKAGES = {"fashion_mnist": "dataset-fashion-mnist", "mlbench": "r-cran-mlbench"}


def default_dir(mirror_key: str) -> Path:
    """The directory the Debian package of ``mirrors.<mirror_key>`` installs."""
    return Path(next(d.default_mirror for d in data.REGISTRY.values() if d.mirror_key == mirror_key))


def absent() -> list[str]:
    """The packages of :data:`PACKAGES` whose directory is not there."""
    return [pkg for key, pkg in PACKAGES.items() if not default_dir(key).is_dir()]


def missing(config: dict) -> dict[str, list[str]]:
    """{Debian package: registry datasets of the enabled figures that need it} for every
    mirror whose directory (``mirrors.<key>``, by default the package's own) is absent and is
    the package's directory; a directory of the user's own that is absent is the config
    check's to report. The config must have the schema's defaults filled (the workflow's
    order: validate, complete, validate: :func:`load_config`)."""
    from . import config as cfg

    out: dict[str, list[str]] = {}
    for name in cfg.used_datasets(config):
        src = cfg.source(config, name)
        if src not in data.REGISTRY:
            continue  # an unknown name: the config check names it
        info = data.info(src)
        pkg = PACKAGES.get(info.mirror_key or "")
        if pkg is None:
            continue  # not a Debian mirror
        mirror = Path(config.get("mirrors", {}).get(info.mirror_key) or info.default_mirror)
        if not mirror.is_dir() and mirror == Path(info.default_mirror):
            out.setdefault(pkg, []).append(src)
    return {p: sorted(set(d)) for p, d in out.items()}


def why_not_installable() -> str | None:
    """None when this process can install Debian packages (root on Debian with apt-get);
    else the reason, in a few words."""
    if os.name != "posix" or os.geteuid() != 0:
        return "not root"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "not Debian (no /etc/debian_version or apt-get)"
    return None


def install(packages: list[str], run=subprocess.run) -> None:
    """``apt-get install`` the packages; ``apt-get update`` first when the package lists do
    not know them (a fresh container has none). Raises RuntimeError with apt's last lines."""
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    res = run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        upd = run(["apt-get", "update", "-q"], capture_output=True, text=True, env=env)
        res = run(cmd, capture_output=True, text=True, env=env) if upd.returncode == 0 else upd
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-10:])
        raise RuntimeError(f"`{' '.join(cmd)}` failed (exit {res.returncode}):\n{tail}")


def load_config(files: list[str], root: Path | None = None) -> dict:
    """``config/config.yaml`` with ``files`` merged on top as Snakemake merges
    ``--configfile`` (nested mappings merged, everything else replaced), schema defaults
    filled and the figures' datasets completed, as workflow/rules/common.smk does."""
    import yaml
    from snakemake.utils import validate

    from . import config as cfg

    root = root or Path(__file__).resolve().parents[2]

    def merge(a: dict, b: dict) -> None:
        for k, v in b.items():
            if isinstance(v, dict) and isinstance(a.get(k), dict):
                merge(a[k], v)
            else:
                a[k] = v

    conf: dict = {}
    for f in [root / "config" / "config.yaml", *map(Path, files)]:
        merge(conf, yaml.safe_load(Path(f).read_text()) or {})
    cfg.validate(conf)  # the workflow's schema and every paper's sections
    cfg.complete(conf)
    validate(conf, str(cfg.SCHEMA))
    return conf


def main(argv: list[str] | None = None) -> int:
    files = list(sys.argv[1:] if argv is None else argv)
    try:
        need = missing(load_config(files))
    except Exception:  # a bad config: the workflow's own checks say what is wrong, once
        return 0
    if not need:
        return 0
    what = "; ".join(f"{p} (datasets {', '.join(d)})" for p, d in need.items())
    reason = why_not_installable()
    if reason is not None:
        print(f"make data: {' '.join(files)} needs {what}; {reason}, so not installing it: run "
              f"`apt-get install {' '.join(sorted(need))}` as root, or set the mirrors.* keys "
              "(config/README.md); the config check stops the run until then", file=sys.stderr)
        return 0
    print(f"make data: installing {what} (apt-get)", file=sys.stderr)
    try:
        install(sorted(need))
    except RuntimeError as err:
        print(f"make data: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
