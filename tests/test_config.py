"""The config schema and the registry checks reject bad configs with the key's name."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from attrobust import config as cfg

ROOT = Path(__file__).resolve().parents[1]


def default_config():
    conf = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg.validate(conf)
    cfg.complete(conf)
    cfg.validate(conf)
    return json.loads(json.dumps(conf))  # schema defaults are shared objects: unshare them


@pytest.mark.parametrize("name", ["config.yaml", "fashion.yaml", "paper.yaml"])
def test_shipped_configs_validate(name):
    cfg.validate(yaml.safe_load((ROOT / "config" / name).read_text()))


def test_default_config_passes_registry_checks():
    cfg.check(default_config())


def test_two_sections_may_estimate_on_one_dataset_and_model():
    """Figs. 1 and 4 on one (dataset, model): each has its own named budget (no config error;
    tests/test_workflow.py checks the two sets of jobs)."""
    conf = default_config()
    conf["figures"]["alvarez_melis_discrete"].update(dataset="synthetic2d", model="linear_svm")
    cfg.check(conf)


def test_schema_fills_defaults():
    conf = {}
    cfg.validate(conf)
    assert conf["seed"] == 0 and conf["explain"]["n_points"] == 16
    assert conf["figures"]["gallery"]["dataset"] == "digits"


@pytest.mark.parametrize(
    "patch, key",
    [
        ({"sed": 1}, "sed"),
        ({"seed": "zero"}, "seed"),
        ({"seed": -1}, "seed"),
        ({"device": "gpu"}, "device"),
        ({"explain": {"n_point": 3}}, "n_point"),
        ({"explain": {"n_points": 0}}, "n_points"),
        ({"datasets": {"digits": {"test_fraction": 1.5}}}, "test_fraction"),
        ({"datasets": {"digits": {"scaling": "zscore"}}}, "scaling"),
        ({"figures": {"gallery": {"methods": []}}}, "methods"),
        ({"figures": {"galery": {}}}, "galery"),
        ({"models": {"m": {"hp": {}}}}, "arch"),
    ],
)
def test_schema_rejects_bad_values_naming_the_key(patch, key):
    conf = copy.deepcopy(yaml.safe_load((ROOT / "config/config.yaml").read_text()))
    _merge(conf, patch)
    with pytest.raises((WorkflowError, cfg.ConfigError)) as err:  # a section no paper defines: ConfigError
        cfg.validate(conf)
    assert key in _chain(err.value)


@pytest.mark.parametrize(
    "patch, words",
    [
        ({"figures": {"gallery": {"dataset": "mnistt"}}}, ["figures.gallery.dataset", "mnistt", "digits"]),
        ({"figures": {"gallery": {"methods": ["saliency", "salency"]}}}, ["salency", "smoothgrad"]),
        ({"figures": {"gallery": {"model": "resnet9"}}}, ["resnet9", "cnn_small"]),
        ({"models": {"cnn_small": {"arch": "cnn_small", "hp": {"epocs": 3}}}}, ["models.cnn_small.hp", "epocs"]),
        ({"methods": {"lime": {"num_sample": 3}}}, ["methods.lime", "num_sample"]),
        ({"methods": {"lim": {}}}, ["methods.lim", "lime"]),
        ({"figures": {"alvarez_melis_fig1": {"methods": ["saliency"]}}}, ["saliency", "scikit-learn"]),
        ({"mirrors": {"fashion_mnist": "/nonexistent"}, "figures": {"gallery": {"dataset": "fashion_mnist"}}},
         ["mirrors.fashion_mnist", "/nonexistent"]),
        # Alvarez-Melis Fig. 8 and Fig. 1 sections
        ({"figures": {"alvarez_melis_fig8": {"dataset": "wine", "model": "mlp"}}},
         ["figures.alvarez_melis_fig8.dataset", "needs images"]),
        ({"figures": {"alvarez_melis_fig8": {"eps": 0.2}}},
         ["figures.alvarez_melis_fig8.eps", "alvarez_melis_images", "null"]),
        ({"figures": {"alvarez_melis_fig8": {"model": "random_forest"}}},  # `method` is checked too
         ["figures.alvarez_melis_fig8", "saliency", "needs gradients"]),
        ({"figures": {"alvarez_melis_fig8": {"method": "salency"}}}, ["salency", "figures.alvarez_melis_fig8"]),
        # Nielsen's data randomisation trains the model on permuted labels (attrobust.papers.nielsen)
        ({"figures": {"nielsen_sanity": {"model": "random_forest", "methods": ["lime"]}}},
         ["figures.nielsen_sanity.model", "random_forest", "torch architecture"]),
        # attack, attacked-method and estimator names: the registries decide, not schema enums
        ({"figures": {"ghorbani": {"attacks": ["random_sign", "centre"]}}},
         ["figures.ghorbani.attacks", "centre", "mass_center"]),
        ({"figures": {"kamath": {"table_methods": ["lime"]}}},
         ["figures.kamath.table_methods", "'lime'", "deeplift"]),
        ({"figures": {"ghorbani_fig9": {"methods": ["smoothgrad"]}}},  # no differentiable form
         ["figures.ghorbani_fig9.methods", "simple_gradient"]),
        ({"figures": {"alvarez_melis": {"estimator": "gp"}}}, ["figures.alvarez_melis.estimator", "skopt"]),
        ({"figures": {"agarwal": {"lipschitz": {"estimator": "gp"}}}},
         ["figures.agarwal.lipschitz.estimator", "bo_refine"]),
    ],
)
def test_registry_check_names_key_and_allowed_values(patch, words):
    conf = default_config()
    _merge(conf, patch)
    with pytest.raises(cfg.ConfigError) as err:
        cfg.complete(conf)
        cfg.check(conf)
    for w in words:
        assert w in str(err.value)


def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 0\nexplain: {n_pionts: 3}\n")
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "--configfile", str(bad), "--dry-run"],
        cwd=ROOT, capture_output=True, text=True,
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "n_pionts" in out
    assert "Job stats" not in out


def _merge(base, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v


def _chain(exc):
    """Message of an exception and its causes (snakemake wraps the jsonschema error)."""
    parts = []
    while exc is not None:
        parts.append(str(exc))
        parts.extend(str(a) for a in getattr(exc, "args", ()))
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def test_alvarez_fig8_own_budget_when_not_sharing_the_image_pair():
    conf = default_config()
    _merge(conf, {"models": {"cnn_fig8": {"arch": "cnn_small"}},
                  "figures": {"alvarez_melis_fig8": {"model": "cnn_fig8", "eps": 0.2, "n_calls": 10}}})
    cfg.check(conf)


def test_fashion_tier_runs_every_section_on_real_data():
    """config/fashion.yaml (issue 17): every figure section enabled, and every dataset one of the
    Debian packages' (Fashion-MNIST, mlbench's UCI tables), or the papers' own synthetic 2-D data."""
    from attrobust import data, debian

    conf = debian.load_config([str(ROOT / "config" / "fashion.yaml")])
    schema = cfg.schema()
    assert set(cfg.figures(conf)) == set(schema["properties"]["figures"]["properties"])
    sources = {cfg.source(conf, d) for d in cfg.used_datasets(conf)}
    debian_sets = {n for n, d in data.REGISTRY.items() if d.mirror_key in debian.PACKAGES}
    assert sources - debian_sets == {"synthetic2d"}  # Alvarez-Melis Fig. 1, Agarwal's Simulated
    assert {"fashion_mnist", "boston_housing", "house_votes84"} <= sources


def test_image_folder_needs_no_example_per_class_in_each_split():
    # config/paper.yaml: 512 ImageNet images over 1000 classes, seen by pretrained networks
    conf = default_config()
    conf["datasets"]["imagenet_val"] = {"n_explain": 2, "options": {"n_images": 8}}
    conf["figures"]["gallery"].update(dataset="imagenet_val")
    d = {"task": "classification", "class_names": [f"c{i}" for i in range(8)],
         "y_train": list(range(6)), "y_test": [6, 7], "input_shape": [3, 224, 224]}
    cfg.check_loaded(conf, "imagenet_val", d)
    # a dataset the models train on still must have every class in both splits
    conf["datasets"]["digits"]["n_samples"] = None
    d10 = {**d, "class_names": [str(i) for i in range(10)], "input_shape": [1, 8, 8]}
    with pytest.raises(cfg.ConfigError, match="every class needs an example"):
        cfg.check_loaded(conf, "digits", d10)


def test_lrp_on_a_torchvision_resnet_is_refused_before_the_run(monkeypatch):
    monkeypatch.setenv("ATTROBUST_CHECK_SETUP", "0")  # torchvision itself: tests/test_setup.py
    conf = default_config()
    conf["models"]["resnet18"] = {"arch": "resnet18"}
    conf["datasets"]["imagenet_val"] = {"n_explain": 2}
    conf["mirrors"]["imagenet_val"] = str(ROOT)
    conf["figures"]["gallery"].update(dataset="imagenet_val", model="resnet18",
                                      methods=["saliency", "lrp_epsilon"])
    with pytest.raises(cfg.ConfigError, match="figures.gallery: method 'lrp_epsilon'.*resnet18"):
        cfg.check(json.loads(json.dumps(conf)))
