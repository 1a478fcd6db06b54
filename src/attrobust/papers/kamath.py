"""Checks of the Kamath et al. (2023) section that the schema cannot express."""
from __future__ import annotations

from ..config import figures, index_in_test_images, topk_in_pixels


def dataset_budgets(section: dict) -> dict:
    """Fig. 4's attack budget per dataset (0-255 units): ``budgets.<dataset>``, else ``budget``."""
    return {d: (section.get("budgets") or {}).get(d, section["budget"]) for d in section["datasets"]}


def attack_runs(section: dict) -> list[tuple]:
    """Every (dataset, model, method, attack, eps) whose attack files the figures and Table 2
    read, sorted (workflow/papers/kamath/rules.smk; benchmarks/bench_paper_scale.py)."""
    s, ig = section, "integrated_gradients"
    d0, m0, b = s["dataset"], s["model"], s["budget"]
    models = [m0, *s["robust_models"]]
    runs = ({(d0, m0, meth, att, eps) for meth in s["methods"] for att in s["attacks"] for eps in s["eps"]}  # Fig. 2
            | {(d0, m0, ig, att, b) for att in s["attacks"]}  # Fig. 5
            | {(d, m0, ig, "topk", e) for d, e in dataset_budgets(s).items()}  # Fig. 4
            | {(d0, m, ig, "topk", b) for m in models}  # Fig. 8
            | {(d0, m, meth, "random_sign", b) for m in models for meth in s["table_methods"]}  # Table 2
            | ({(d0, m0, ig, a, b) for a in ("lens", "topk")} if s.get("lens_attack") else set()))  # App. E.1
    return sorted(runs, key=lambda r: tuple(map(str, r)))


def check_ranges(config: dict, sizes) -> None:
    """Figs. 3 and 6's example, an image of the attack files (figures.ghorbani.n_images), and
    the top-k and top-t sets within a map's pixels on every dataset of the section."""
    if "kamath" not in figures(config):
        return
    secs = config.get("figures", {})
    kam = secs["kamath"]
    index_in_test_images(config, sizes, "kamath", "example", secs.get("ghorbani", {}).get("n_images"),
                         owner="ghorbani")
    for key in ("k", "t"):
        topk_in_pixels(config, sizes, "kamath", key, [kam.get("dataset"), *kam.get("datasets", [])])
