"""Broken configs are rejected before any job runs, with the key's name in the message.

A table of broken configs, each a patch onto the small config and the words the error
must contain (the key, and the allowed values where there is a closed set). Every entry
is checked in-process, the way the Snakefile does it (schema validation, then
``attrobust.config.complete``, validation again, ``attrobust.config.check``); a handful
also through ``snakemake -n`` in a copy of the repository.
"""
from __future__ import annotations

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError

from attrobust import config as cfg

from _reliability import ROOT, make_repo, small_config, snakemake

_FIG_SCHEMA = cfg.schema()["properties"]["figures"]["properties"]



def agarwal(**fig) -> dict:
    """A patch that turns Agarwal et al.'s section on (the small config has it off), on
    one small dataset, with ``fig`` changed."""
    return {
        "datasets": {"simulated_minmax": {"source": "synthetic2d", "scaling": "minmax"}},
        "models": {"mlp_elu": {"arch": "mlp_elu"}, "mlp_elu_under": {"arch": "mlp_elu", "hp": {"epochs": 1}}},
        "figures": {"agarwal": {"enabled": True, "datasets": ["simulated_minmax"],
                                "simulated": "simulated_minmax", "focus": "simulated_minmax", **fig}},
    }


# (id, patch merged into the small config, words the message must contain)
BAD = [
    # --- keys and types (schema)
    ("unknown-top-level-key", {"sed": 1}, ["sed"]),
    ("seed-wrong-type", {"seed": "zero"}, ["seed", "integer"]),
    ("seed-negative", {"seed": -1}, ["seed", "minimum"]),
    ("seed-float", {"seed": 1.5}, ["seed", "integer"]),
    ("device-unknown", {"device": "gpu"}, ["device", "auto|cpu|cuda"]),
    ("device-bad-index", {"device": "cuda:x"}, ["device", "auto|cpu|cuda"]),
    ("download-url-wrong-type", {"download_base_url": 5}, ["download_base_url", "string"]),
    ("explain-unknown-key", {"explain": {"n_pionts": 3}}, ["n_pionts"]),
    ("explain-n-points-zero", {"explain": {"n_points": 0}}, ["n_points", "minimum"]),
    ("explain-n-background-negative", {"explain": {"n_background": -5}}, ["n_background", "minimum"]),
    ("explain-batch-size-string", {"explain": {"batch_size": "64"}}, ["batch_size", "integer"]),
    ("explain-not-a-mapping", {"explain": [1, 2]}, ["explain", "object"]),
    ("test-fraction-above-1", {"datasets": {"digits": {"test_fraction": 1.5}}}, ["test_fraction"]),
    ("test-fraction-zero", {"datasets": {"digits": {"test_fraction": 0}}}, ["test_fraction"]),
    ("test-fraction-one", {"datasets": {"digits": {"test_fraction": 1}}}, ["test_fraction"]),
    ("scaling-unknown", {"datasets": {"digits": {"scaling": "zscore"}}},
     ["scaling", "standard", "minmax", "none"]),
    ("n-samples-too-small", {"datasets": {"digits": {"n_samples": 3}}}, ["n_samples", "minimum"]),
    ("n-explain-zero", {"datasets": {"digits": {"n_explain": 0}}}, ["n_explain"]),
    ("target-negative", {"datasets": {"synthetic2d": {"target": -1}}}, ["target"]),
    ("target-unknown-word", {"datasets": {"synthetic2d": {"target": "predict"}}},
     ["target", "predicted", "true"]),
    ("dataset-unknown-key", {"datasets": {"digits": {"colour": 1}}}, ["colour"]),
    ("dataset-options-not-mapping", {"datasets": {"digits": {"options": "n=3"}}}, ["options", "object"]),
    ("model-without-arch", {"models": {"m": {"hp": {}}}}, ["arch"]),
    ("model-regime-unknown", {"models": {"cnn_small": {"regime": "adversarial"}}},
     ["regime", "natural"]),
    ("method-params-not-mapping", {"methods": {"lime": "fast"}}, ["lime", "object"]),
    ("figure-section-unknown", {"figures": {"galery": {}}}, ["galery"]),
    ("figure-enabled-not-bool", {"figures": {"gallery": {"enabled": "yes"}}}, ["enabled", "boolean"]),
    ("method-list-empty", {"figures": {"gallery": {"methods": []}}}, ["methods"]),
    ("model-list-duplicate", {"figures": {"alvarez_melis_fig1": {"models": ["mlp_sklearn", "mlp_sklearn"]}}},
     ["models"]),
    ("n-images-zero", {"figures": {"gallery": {"n_images": 0}}}, ["n_images", "minimum"]),
    ("resolution-too-small", {"figures": {"alvarez_melis_fig1": {"resolution": 5}}}, ["resolution"]),
    ("mirror-wrong-type", {"mirrors": {"fashion_mnist": 3}}, ["fashion_mnist"]),
    ("agarwal-sigma-zero", {"figures": {"agarwal": {"sigma": 0}}}, ["sigma"]),
    ("agarwal-sigma-negative", {"figures": {"agarwal": {"sigma": -0.1}}}, ["sigma"]),
    ("agarwal-sigmas-zero", {"figures": {"agarwal": {"sigmas": [0.1, 0]}}}, ["sigmas"]),
    ("agarwal-ns-one-value", {"figures": {"agarwal": {"ns": [10]}}}, ["ns"]),
    ("agarwal-ns-below-2", {"figures": {"agarwal": {"ns": [1, 10]}}}, ["ns"]),
    ("agarwal-neighbour-sigma-zero", {"figures": {"agarwal": {"neighbour_sigma": 0}}}, ["neighbour_sigma"]),
    ("agarwal-n-neighbours-zero", {"figures": {"agarwal": {"n_neighbours": 0}}}, ["n_neighbours"]),
    ("agarwal-ridge-negative", {"figures": {"agarwal": {"ridge": -1}}}, ["ridge"]),
    ("agarwal-n-points-zero", {"figures": {"agarwal": {"n_points": 0}}}, ["n_points"]),
    # --- names against the library's registries (attrobust.config.check)
    ("dataset-unknown", {"figures": {"gallery": {"dataset": "mnistt"}}},
     ["figures.gallery.dataset", "mnistt", "digits"]),
    ("dataset-entry-unknown", {"datasets": {"mnistt": {}}}, ["datasets.mnistt", "digits"]),
    ("dataset-source-unknown", {"datasets": {"foo": {"source": "mnistt"}}},
     ["datasets.foo.source", "mnistt", "digits"]),
    ("dataset-option-unknown", {"datasets": {"synthetic2d": {"options": {"m": 300}}}},
     ["datasets.synthetic2d.options", "m", "n"]),
    ("method-unknown-in-figure", {"figures": {"gallery": {"methods": ["smoothgrad", "salency"]}}},
     ["figures.gallery.methods", "salency", "saliency"]),
    ("method-unknown-in-methods", {"methods": {"lim": {}}}, ["methods.lim", "lime"]),
    ("method-param-unknown", {"methods": {"lime": {"num_sample": 3}}},
     ["methods.lime", "num_sample", "num_samples"]),
    ("model-unknown", {"figures": {"gallery": {"model": "resnet9"}}},
     ["figures.gallery", "resnet9", "cnn_small"]),
    ("arch-unknown", {"models": {"cnn_small": {"arch": "cnn_smal"}}},
     ["models.cnn_small.arch", "cnn_smal", "cnn_small"]),
    ("torch-hp-unknown", {"models": {"cnn_small": {"hp": {"epocs": 3}}}},
     ["models.cnn_small.hp", "epocs", "epochs"]),
    ("sklearn-hp-unknown", {"models": {"mlp_sklearn": {"hp": {"max_iters": 3}}}},
     ["models.mlp_sklearn.hp", "max_iters", "max_iter"]),
    ("torch-hp-epochs-zero", {"models": {"cnn_small": {"hp": {"epochs": 0}}}},
     ["models.cnn_small.hp", "epochs", ">= 1"]),
    ("torch-hp-lr-negative", {"models": {"cnn_small": {"hp": {"lr": -0.1}}}},
     ["models.cnn_small.hp", "lr", "> 0"]),
    ("torch-hp-batch-size-float", {"models": {"cnn_small": {"hp": {"batch_size": 2.5}}}},
     ["models.cnn_small.hp", "batch_size", "int"]),
    ("sklearn-hp-bad-value", {"models": {"mlp_sklearn": {"hp": {"max_iter": -1}}}},
     ["models.mlp_sklearn.hp", "max_iter", "range"]),
    ("regime-params-of-other-regime", {"models": {"cnn_small": {"regime": "pgd", "regime_params": {"lam": 1.0}}}},
     ["models.cnn_small.regime_params", "lam", "eps"]),
    ("gradient-method-on-sklearn", {"figures": {"alvarez_melis_fig1": {"methods": ["saliency"]}}},
     ["figures.alvarez_melis_fig1", "saliency", "scikit-learn", "lime"]),
    ("gradient-method-on-sklearn-gallery", {"figures": {"gallery": {"model": "mlp_sklearn"}}},
     ["figures.gallery", "smoothgrad", "scikit-learn"]),
    ("mirror-key-unknown", {"mirrors": {"fashionmnist": "/data"}},
     ["mirrors.fashionmnist", "fashion_mnist", "mlbench"]),
    ("mirror-path-missing", {"mirrors": {"fashion_mnist": "/nonexistent/fashion"},
                             "figures": {"gallery": {"dataset": "fashion_mnist"}}},
     ["mirrors.fashion_mnist", "/nonexistent/fashion"]),
    ("mirror-path-missing-mlbench", {**agarwal(datasets=["glass"], focus="glass"),
                                     "mirrors": {"mlbench": "/nonexistent/mlbench"}},
     ["mirrors.mlbench", "/nonexistent/mlbench"]),
    ("agarwal-dataset-unknown", agarwal(datasets=["wines"], focus="wines"),
     ["figures.agarwal.dataset", "wines", "wine"]),
    ("agarwal-undertrained-unknown", agarwal(undertrained="mlp_elu_undr"),
     ["figures.agarwal", "mlp_elu_undr", "mlp_elu"]),
    ("agarwal-focus-not-a-dataset", agarwal(focus="wine_minmax"),
     ["figures.agarwal.focus", "wine_minmax", "simulated_minmax"]),
    ("agarwal-simulated-not-a-dataset", agarwal(simulated="simulated"),
     ["figures.agarwal.simulated", "simulated_minmax"]),
    # --- Alvarez-Melis Figs. 4-7
    ("alvarez-images-eps-zero", {"figures": {"alvarez_melis_images": {"enabled": True, "eps": 0}}}, ["eps"]),
    ("alvarez-images-sigmas-negative",
     {"figures": {"alvarez_melis_images": {"enabled": True, "sigmas": [0.1, -0.1]}}}, ["sigmas"]),
    ("alvarez-images-tabular-dataset",
     {"figures": {"alvarez_melis_images": {"enabled": True, "dataset": "wine", "model": "random_forest",
                                           "methods": ["lime"]}}},
     ["figures.alvarez_melis_images.dataset", "wine", "images"]),
    ("alvarez-images-n-show-above-n-points",
     {"figures": {"alvarez_melis_images": {"enabled": True, "n_points": 2, "n_show": 3}}}, ["n_show", "n_points"]),
    ("alvarez-discrete-eps-negative", {"figures": {"alvarez_melis_discrete": {"enabled": True, "eps": -1}}},
     ["eps"]),
]

# Sections that are still being added to the workflow: their k-like values if present.
if "k" in _FIG_SCHEMA.get("ghorbani", {}).get("properties", {}):
    BAD += [
        ("ghorbani-k-zero", {"figures": {"ghorbani": {"k": 0}}}, ["k"]),
        ("ghorbani-n-iter-zero", {"figures": {"ghorbani": {"n_iter": 0}}}, ["n_iter"]),
        ("ghorbani-eps-negative", {"figures": {"ghorbani": {"eps": [-1]}}}, ["eps"]),
    ]

# Method parameter values (schema: methods.<name>.<param> ranges); inside a job each would
# end in a library's own error (IndexError, ZeroDivisionError, AssertionError, RuntimeError).
BAD += [  # method parameter values (schema: methods.<name>.<param> ranges)
    ("method-lime-num-samples-zero", {"methods": {"lime": {"num_samples": 0}}}, ["lime", "num_samples"]),
    ("method-smoothgrad-sigma-negative", {"methods": {"smoothgrad": {"sigma": -1.0}}},
     ["smoothgrad", "sigma"]),
    ("method-smoothgrad-n-samples-zero", {"methods": {"smoothgrad": {"n_samples": 0}}},
     ["smoothgrad", "n_samples"]),
    ("method-ig-n-steps-zero", {"methods": {"integrated_gradients": {"n_steps": 0}}},
     ["integrated_gradients", "n_steps"]),
]

NAN, INF = float("nan"), float("inf")

# Issue #21, items 3 and 4: values that ran jobs (or failed deep inside one) before.
BAD += [
    # --- every list is a set: a repeated value maps to one file and is counted twice
    ("ghorbani-eps-duplicate", {"figures": {"ghorbani": {"eps": [4, 4, 16]}}},
     ["ghorbani", "eps", "non-unique"]),
    ("ghorbani-eps-duplicate-int-and-float", {"figures": {"ghorbani": {"eps": [4, 4.0]}}},
     ["ghorbani", "eps", "non-unique"]),
    ("ghorbani-fig9-eps-duplicate", {"figures": {"ghorbani_fig9": {"eps": [8, 8]}}},
     ["ghorbani_fig9", "eps", "non-unique"]),
    ("influence-eps-duplicate", {"figures": {"ghorbani_influence": {"eps": [2, 2]}}},
     ["ghorbani_influence", "eps", "non-unique"]),
    ("influence-classes-duplicate", {"figures": {"ghorbani_influence": {"classes": [3, 3]}}},
     ["ghorbani_influence", "classes", "non-unique"]),
    ("kamath-eps-duplicate", {"figures": {"kamath": {"eps": [4, 4]}}}, ["kamath", "eps", "non-unique"]),
    ("kamath-datasets-duplicate", {"figures": {"kamath": {"datasets": ["digits", "digits"]}}},
     ["kamath", "datasets", "non-unique"]),
    ("nielsen-pgd-models-duplicate", {"figures": {"nielsen_pgd": {"models": ["cnn_small", "cnn_small"]}}},
     ["nielsen_pgd", "models", "non-unique"]),
    ("alvarez-images-sigmas-duplicate", {"figures": {"alvarez_melis_images": {"sigmas": [0.1, 0.1]}}},
     ["alvarez_melis_images", "sigmas", "non-unique"]),
    ("agarwal-sigmas-duplicate", agarwal(sigmas=[0.1, 0.1]), ["agarwal", "sigmas", "non-unique"]),
    ("agarwal-ns-duplicate", agarwal(ns=[20, 20, 200]), ["agarwal", "ns", "non-unique"]),
    ("agarwal-lipschitz-sigmas-duplicate", agarwal(lipschitz={"sigmas": [0.1, 0.1]}),
     ["agarwal", "lipschitz", "sigmas", "non-unique"]),
    # --- integers are ints (JSON Schema calls 2.0 an integer)
    ("gallery-n-images-whole-float", {"figures": {"gallery": {"n_images": 2.0}}},
     ["figures.gallery.n_images = 2.0", "integer", "write 2"]),
    ("seed-whole-float", {"seed": 1.0}, ["seed = 1.0", "integer", "write 1"]),
    ("target-whole-float", {"datasets": {"synthetic2d": {"target": 1.0}}},
     ["datasets.synthetic2d.target = 1.0", "integer"]),
    ("ghorbani-eps-ok-but-k-whole-float", {"figures": {"ghorbani": {"k": 8.0}}},
     ["figures.ghorbani.k = 8.0", "integer"]),
    ("influence-classes-whole-float", {"figures": {"ghorbani_influence": {"classes": [3, 5.0]}}},
     ["figures.ghorbani_influence.classes[1] = 5.0", "integer"]),
    # --- NaN and Inf nowhere (NaN passes exclusiveMinimum)
    ("smoothgrad-sigma-nan", {"methods": {"smoothgrad": {"sigma": NAN}}},
     ["methods.smoothgrad.sigma = nan", "NaN"]),
    ("agarwal-sigma-inf", agarwal(sigma=INF), ["figures.agarwal.sigma = inf", "NaN and infinity"]),
    ("ghorbani-eps-nan", {"figures": {"ghorbani": {"eps": [NAN]}}}, ["figures.ghorbani.eps[0] = nan"]),
    ("torch-hp-lr-nan", {"models": {"cnn_small": {"hp": {"lr": NAN}}}}, ["models.cnn_small.hp.lr = nan"]),
    ("dataset-option-inf", {"datasets": {"synthetic2d": {"options": {"n": INF}}}},
     ["datasets.synthetic2d.options.n = inf"]),
    ("dataset-option-whole-float", {"datasets": {"synthetic2d": {"options": {"n": 200.0}}}},
     ["datasets.synthetic2d.options.n = 200.0", "integer"]),
    # --- layer sizes in the form the architecture takes
    ("mlp-elu-hidden-int", {**agarwal(), "models": {"mlp_elu": {"arch": "mlp_elu", "hp": {"hidden": 32}},
                                                    "mlp_elu_under": {"arch": "mlp_elu"}}},
     ["models.mlp_elu.hp", "hidden = 32", "list of ints", "[10, 10]"]),
    ("cnn-hidden-list", {"models": {"cnn_small": {"hp": {"hidden": [64]}}}},
     ["models.cnn_small.hp", "hidden = [64]", "int >= 1"]),
    ("permuted-hp-epochs-whole-float", {"figures": {"nielsen_sanity": {"enabled": True,
                                                                       "permuted_hp": {"epochs": 2.0}}}},
     ["figures.nielsen_sanity.permuted_hp", "epochs = 2.0", "int >= 1"]),
    # --- indices within the data (sizes from attrobust.datasizes; small.yaml: 40 test digits)
    ("alvarez-images-example-out-of-range",
     {"figures": {"alvarez_melis_images": {"enabled": True, "example": 9999}}},
     ["figures.alvarez_melis_images.example = 9999", "allowed 0..39", "'digits'"]),
    ("alvarez-fig8-point-out-of-range", {"figures": {"alvarez_melis_fig8": {"enabled": True, "point": 9999}}},
     ["figures.alvarez_melis_fig8.point = 9999", "allowed 0..39"]),
    ("ghorbani-example-beyond-n-images", {"figures": {"ghorbani": {"example": 5}}},
     ["figures.ghorbani.example = 5", "allowed 0..1", "n_images"]),
    ("nielsen-class-example-out-of-range", {"figures": {"nielsen_class": {"enabled": True, "example": 16}}},
     ["figures.nielsen_class.example = 16", "allowed 0..15"]),
    ("nielsen-sanity-example-out-of-range", {"figures": {"nielsen_sanity": {"enabled": True, "example": 8}}},
     ["figures.nielsen_sanity.example = 8", "allowed 0..7"]),
    ("kamath-example-beyond-attacked-images", {"figures": {"kamath": {"enabled": True, "example": 2}}},
     ["figures.kamath.example = 2", "allowed 0..1", "figures.ghorbani.n_images"]),
    ("dataset-target-beyond-classes", {"datasets": {"synthetic2d": {"target": 5}}},
     ["datasets.synthetic2d.target = 5", "allowed 0..1"]),
    ("nielsen-sanity-target-beyond-classes", {"figures": {"nielsen_sanity": {"enabled": True, "target": 10}}},
     ["figures.nielsen_sanity.target = 10", "allowed 0..9"]),
    ("nielsen-faithfulness-target-beyond-classes",
     {"figures": {"nielsen_faithfulness": {"enabled": True, "target": 10}}},
     ["figures.nielsen_faithfulness.target = 10", "allowed 0..9"]),
    ("nielsen-class-n-other-beyond-classes", {"figures": {"nielsen_class": {"enabled": True, "n_other": 10}}},
     ["figures.nielsen_class.n_other = 10", "allowed 1..9"]),
    ("influence-class-beyond-classes", {"figures": {"ghorbani_influence": {"enabled": True, "classes": [3, 12]}}},
     ["figures.ghorbani_influence.classes[1] = 12", "allowed 0..9"]),
    ("influence-k-beyond-training-set", {"figures": {"ghorbani_influence": {"enabled": True, "k": 9999}}},
     ["figures.ghorbani_influence.k = 9999", "allowed 1..160"]),
    ("ghorbani-k-beyond-pixels", {"figures": {"ghorbani": {"k": 9999}}},
     ["figures.ghorbani.k = 9999", "allowed 1..64", "8 x 8"]),
    ("kamath-t-beyond-pixels", {"figures": {"kamath": {"enabled": True, "t": 65}}},
     ["figures.kamath.t = 65", "allowed 1..64"]),
    ("kamath-k-beyond-pixels", {"figures": {"kamath": {"enabled": True, "k": 100}}},
     ["figures.kamath.k = 100", "allowed 1..64"]),
    # --- datasets big enough for what is asked: every class in both splits
    ("digits-n-samples-too-small", {"datasets": {"digits": {"n_samples": 10}}},
     ["datasets.digits.n_samples = 10", "8 training and 2 test", "10 classes", "at least 46"]),
    ("digits-test-fraction-too-small", {"datasets": {"digits": {"n_samples": 50, "test_fraction": 0.05}}},
     ["datasets.digits.n_samples = 50", "3 test", "at least 181"]),
    ("iris-test-fraction-too-small", {"datasets": {"iris": {"test_fraction": 0.01}},
                                      "figures": {"alvarez_melis_fig1": {"dataset": "iris"}}},
     ["datasets.iris.test_fraction = 0.01", "2 test", "3 classes"]),
]

#: Entries also run through ``snakemake -n`` (schema error, registry error, agarwal, and
#: the value checks of attrobust.config.check_types / check_ranges).
CLI = ["explain-unknown-key", "seed-wrong-type", "method-unknown-in-figure",
       "gradient-method-on-sklearn", "agarwal-sigma-zero", "dataset-option-unknown",
       "seed-whole-float", "digits-n-samples-too-small"]


def _merge(base: dict, patch: dict) -> None:
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)


def bad_config(patch: dict) -> dict:
    conf = small_config()
    _merge(conf, patch)
    return conf


def _chain(exc: BaseException) -> str:
    """Message of an exception and its causes (snakemake wraps the jsonschema error)."""
    parts = []
    while exc is not None:
        parts.append(str(exc))
        parts.extend(str(a) for a in getattr(exc, "args", ()))
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def check_like_the_snakefile(conf: dict) -> None:
    cfg.validate(conf)
    cfg.complete(conf)
    cfg.validate(conf)
    cfg.check(conf)


def test_small_config_itself_is_accepted():
    check_like_the_snakefile(small_config())


@pytest.mark.parametrize("name, patch, words", BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_rejected_naming_the_key(name, patch, words):
    with pytest.raises((WorkflowError, cfg.ConfigError)) as err:
        check_like_the_snakefile(bad_config(patch))
    msg = _chain(err.value)
    missing = [w for w in words if w not in msg]
    assert not missing, f"{name}: message lacks {missing}:\n{msg}"


@pytest.fixture(scope="module")
def cli_repo(tmp_path_factory):
    return make_repo(tmp_path_factory.mktemp("badcfg"))


@pytest.mark.e2e
@pytest.mark.parametrize("name", CLI)
def test_bad_config_fails_the_dry_run_before_any_job(cli_repo, name):
    patch, words = next((p, w) for n, p, w in BAD if n == name)
    (cli_repo / f"{name}.yaml").write_text(yaml.safe_dump(bad_config(patch)))
    res = snakemake(cli_repo, "-n", configfile=f"{name}.yaml", check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "Job stats" not in out and not (cli_repo / "results").exists(), out
    missing = [w for w in words if w not in out]
    assert not missing, f"{name}: output lacks {missing}:\n{out[-3000:]}"


def test_table_has_at_least_30_bad_configs():
    print(f"\n{len(BAD)} broken configs rejected (checked in-process, {len(CLI)} of them also "
          f"through snakemake -n)")
    assert len(BAD) >= 30
    assert len({b[0] for b in BAD}) == len(BAD)


def test_every_list_of_the_schema_is_a_set():
    """A list added to the schema later is a set too (issue #21: eps [4, 4, 16] ran, and
    the ledger counted the attacks at 4 twice)."""
    def arrays(node, path=""):
        if isinstance(node, dict):
            if node.get("type") == "array":
                yield path, node
            for k, v in node.items():
                yield from arrays(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from arrays(v, f"{path}[{i}]")

    found = list(arrays(cfg.schema()))
    assert len(found) >= 20
    assert [p for p, node in found if node.get("uniqueItems") is not True] == []


# ------------------------------------------- the sizes check_ranges reads, against the data

@pytest.mark.parametrize("name, kw", [
    ("synthetic2d", {"options": {"n": 120}}), ("digits", {}), ("digits", {"n_samples": 200}),
    ("wine", {}), ("breast_cancer", {"n_samples": 150}), ("iris", {"test_fraction": 0.3}), ("diabetes", {}),
])
def test_registry_sizes_are_what_load_gives(name, kw):
    """attrobust.datasizes (no data loaded) agrees with attrobust.data.load."""
    from attrobust import data, datasizes

    d = data.load(name, test_fraction=kw.get("test_fraction", 0.2), n_samples=kw.get("n_samples"),
                  **kw.get("options", {}))
    size = datasizes.size(name, kw.get("options"))
    assert datasizes.split_sizes(name, **kw) == (len(d["y_train"]), len(d["y_test"]))
    assert size.input_shape == d["input_shape"]
    assert size.n_classes == (len(d["class_names"]) if d["task"] == "classification" else None)


def test_smallest_accepted_dataset_has_every_class_in_both_splits():
    """The bound of `digits-n-samples-too-small`: 46 digits pass and hold all 10 classes in
    the train and the test split; 45 are rejected."""
    from attrobust import data

    check_like_the_snakefile(bad_config({"datasets": {"digits": {"n_samples": 46}}}))
    with pytest.raises(cfg.ConfigError, match="at least 46"):
        check_like_the_snakefile(bad_config({"datasets": {"digits": {"n_samples": 45}}}))
    d = data.load("digits", n_samples=46, seed=0)
    assert set(d["y_train"]) == set(d["y_test"]) == set(range(10))



@pytest.mark.parametrize("config, why", [("nope.yaml", "does not exist"), ("config", "is a directory")])
def test_make_names_a_missing_or_directory_config(config, why):
    """snakemake itself answers `--configfile nope.yaml` with a traceback, before the
    workflow's checks run; `make figures` checks CONFIG first (target config-file)."""
    import subprocess

    res = subprocess.run(["make", "-s", "config-file", f"CONFIG={config}"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert f"CONFIG={config} {why}" in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_dataset_of_unknown_size_is_checked_when_loaded():
    """online_shoppers' rows are known once its (unpinned) file is read: the prepare job
    runs the same checks with the loaded sizes (attrobust.config.check_loaded)."""
    import numpy as np

    conf = bad_config({"figures": {"alvarez_melis_fig1": {"dataset": "online_shoppers"}},
                       "datasets": {"online_shoppers": {"n_samples": 12}}})
    check_like_the_snakefile(conf)  # nothing to check before the file is read

    def loaded(n_train, n_test):
        return {"class_names": ["False", "True"], "task": "classification", "input_shape": (10,),
                "y_train": np.zeros(n_train, np.int64), "y_test": np.zeros(n_test, np.int64)}

    with pytest.raises(cfg.ConfigError) as err:
        cfg.check_loaded(conf, "online_shoppers", loaded(11, 1))
    msg = str(err.value)
    assert "datasets.online_shoppers" in msg and "11 training and 1 test" in msg and "n_samples" in msg, msg
    cfg.check_loaded(conf, "online_shoppers", loaded(10, 3))
