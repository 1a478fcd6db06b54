"""A cluster site's SLURM settings, kept out of the tracked profile.

``profiles/slurm/profile.yaml`` renders its ``default-resources`` and ``set-resources`` with
:func:`slurm_resources` (a yte template, evaluated by snakemake when it reads the profile).
The site's names come from a small YAML file that is not tracked: ``$ATTROBUST_SLURM_SITE``,
else ``~/.config/attrobust/slurm-site.yaml``; ``profiles/slurm-site.template.yaml`` documents
its keys. A key that is not set is left out of every sbatch call (then the executor plugin
guesses the account, and sbatch takes the default partition), never passed as an empty or
literal value.

The GPU is requested for exactly :data:`GPU_RULES`, the rules that hand the config's
``device`` to their script (tests/test_cluster_profiles.py checks both directions).
Walltime and memory come from the rules themselves (``resources:``, rules/common.smk).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

#: Rules whose jobs compute on the config's `device` (their params.device): one GPU each.
GPU_RULES = ("train", "explain", "attack", "influence", "hessian_angles", "nielsen_class", "nielsen_sanity",
             "nielsen_faithfulness", "nielsen_train_permuted")
#: Rules with a walltime estimate (rules/common.smk: sized), whose short jobs a cluster
#: profile groups (rules/common.smk: short_group; tests/test_cluster_profiles.py checks the list).
SIZED_RULES = GPU_RULES + ("prepare", "lipschitz", "lipschitz_pair", "noise_ratios", "unification_curves",
                           "unification_lipschitz")
#: Rules whose short jobs share a group job (rules/common.smk: short_group) instead of each
#: rule's own: paper stages with one or a few jobs that read only a dataset and a trained
#: model (nielsen_sanity also nielsen_train_permuted's model, in the same group), so that no
#: path of the workflow leaves such a group and comes back into it; one group for GPU rules,
#: one for CPU rules (a group's partition must be one); and the two rules of one stage,
#: which never feed each other (lipschitz_pair runs two `lipschitz` jobs' searches).
SHARED_GROUPS = {"gpu_stages": ("hessian_angles", "influence", "nielsen_train_permuted", "nielsen_sanity"),
                 "cpu_stages": ("noise_ratios", "unification_curves", "unification_lipschitz"),
                 "lipschitz": ("lipschitz", "lipschitz_pair")}
#: The site file's keys and what each must be.
KEYS = {
    "account": "the account (sbatch --account) of every job",
    "partition": "the partition (sbatch --partition) of CPU jobs, and of GPU jobs without gpu_partition",
    "gpu_partition": "the partition of GPU jobs",
    "gpu_request": "'gpus' (sbatch --gpus=[model:]1, the default) or 'gres' (--gres=gpu[:model]:1)",
    "gpu_model": "a GPU type the site names (e.g. a100), for either gpu_request",
    "cpus_per_gpu": "CPUs for each GPU job (default 4)",
}
DEFAULT_FILE = Path("~/.config/attrobust/slurm-site.yaml")
ENV = "ATTROBUST_SLURM_SITE"
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


class SiteError(ValueError):
    """A site file that is missing, malformed or has an unknown key; the message names it."""


def site_file() -> Path | None:
    """The site file in use: $ATTROBUST_SLURM_SITE (which must exist), else the default
    location if it exists, else None."""
    if os.environ.get(ENV):
        path = Path(os.environ[ENV]).expanduser()
        if not path.is_file():
            raise SiteError(f"{ENV}={os.environ[ENV]}: no such file; copy profiles/slurm-site.template.yaml there")
        return path
    path = DEFAULT_FILE.expanduser()
    return path if path.is_file() else None


def read(path: Path | None = None) -> dict:
    """The site settings (only keys that are set) of ``path`` (default: :func:`site_file`)."""
    import yaml

    path = site_file() if path is None else Path(path)
    if path is None:
        return {}
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise SiteError(f"{path}: not YAML ({e})") from None
    if not isinstance(raw, dict):
        raise SiteError(f"{path}: expected key: value lines ({', '.join(KEYS)})")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise SiteError(f"{path}: unknown key(s) {unknown}; allowed: {', '.join(KEYS)}")
    site = {k: v for k, v in raw.items() if v not in (None, "")}
    for k, v in site.items():
        if k == "cpus_per_gpu":
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise SiteError(f"{path}: cpus_per_gpu = {v!r} must be an int >= 1")
        elif k == "gpu_request":
            if v not in ("gpus", "gres"):
                raise SiteError(f"{path}: gpu_request = {v!r} must be 'gpus' or 'gres'")
        elif not isinstance(v, str) or not _NAME.match(v) or v.startswith("$"):
            raise SiteError(f"{path}: {k} = {v!r} must be a plain name (letters, digits, _ . -)")
    return site


def slurm_resources(site: dict | None = None) -> dict:
    """``{"default-resources": ..., "set-resources": ...}`` of profiles/slurm for ``site``
    (default: :func:`read`): the account and partition where set, one GPU, cpus_per_gpu and
    the GPU partition for each of :data:`GPU_RULES`."""
    site = read() if site is None else site
    default = {"mem_mb": 4000, "runtime": 60}   # rules without their own (rules/common.smk: sized)
    if site.get("account"):
        default["slurm_account"] = site["account"]
    if site.get("partition"):
        default["slurm_partition"] = site["partition"]
    gpu: dict = {"cpus_per_gpu": site.get("cpus_per_gpu", 4)}
    model = site.get("gpu_model")
    if site.get("gpu_request", "gpus") == "gres":
        gpu["gres"] = f"gpu:{model}:1" if model else "gpu:1"
    else:
        gpu["gpu"] = 1
        if model:
            gpu["gpu_model"] = model
    if site.get("gpu_partition"):
        gpu["slurm_partition"] = site["gpu_partition"]
    return {"default-resources": default, "set-resources": {r: dict(gpu) for r in GPU_RULES}}


def group_name(rule: str) -> str:
    """The group of ``rule``'s short jobs: ``short_<rule>``, or ``short_<shared group>``
    for the rules of :data:`SHARED_GROUPS`."""
    shared = [name for name, rules in SHARED_GROUPS.items() if rule in rules]
    return f"short_{shared[0] if shared else rule}"


def group_names() -> list[str]:
    """The groups of the short jobs of :data:`SIZED_RULES` (:func:`group_name`), in order."""
    return list(dict.fromkeys(map(group_name, SIZED_RULES)))


def group_components() -> list[str]:
    """``group-components`` of a cluster profile: ``<group>=N`` for each of
    :func:`group_names`, N short jobs (walltime estimate jobsize.MIN_MINUTES each) to a
    cluster job, so that a group asks for at most jobsize.JOB_TARGET_MINUTES."""
    from . import jobsize

    n = jobsize.JOB_TARGET_MINUTES // jobsize.MIN_MINUTES
    return [f"{name}={n}" for name in group_names()]


def main() -> int:  # python -m attrobust.site: what the profile will pass
    import sys

    import yaml

    try:
        print(f"# site file: {site_file() or 'none (nothing site-specific is passed to sbatch)'}")
        print(yaml.safe_dump(slurm_resources(), sort_keys=False), end="")
    except SiteError as e:
        print(f"attrobust.site: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
