"""Checks of a workflow config against the library's registries.

The JSON schema (``workflow/schemas/config.schema.yaml``, with each registered paper's
sections under ``figures`` from ``workflow/papers/<paper>/schema.yaml``: :func:`schema`,
:func:`validate`) checks keys and types; this
module checks what the schema cannot know: that every dataset, architecture and method
named in the config exists, that method parameters are ones the method takes, that a
gradient method is not asked of a scikit-learn model, that mirror-only datasets
have their mirror; and what the schema lets through: 2.0 as an integer, NaN and infinity,
indices, classes and top-k sizes beyond the data and datasets too small to hold every
class in both splits (sizes from :mod:`attrobust.datasizes`, without loading the data).
It runs when the Snakefile is parsed, so a bad config fails before any job starts. Only the registries are imported (no torch), which keeps start-up fast.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from . import attacks, data, datasizes, explain, lipschitz, models, papers, standins


class ConfigError(ValueError):
    """A config value that names something unknown or unusable; the message names the key."""


#: The workflow's config schema (the library is run from the repository's src/), without
#: the papers' sections (:func:`schema` merges them in).
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
#: How a paper's schema refers to the definitions of the workflow's.
_MASTER_REF = "../../schemas/config.schema.yaml#"


@functools.lru_cache(maxsize=None)
def _schema_text() -> str:
    import json

    import yaml

    master = yaml.safe_load(SCHEMA.read_text())
    figures = master["properties"]["figures"]
    figures["properties"], figures["additionalProperties"] = {}, False
    for paper in papers.PAPERS:
        own = yaml.safe_load(papers.schema_file(paper).read_text().replace(_MASTER_REF, "#"))
        figures["properties"].update(own["properties"])
    return json.dumps(master)


def schema() -> dict:
    """The whole config schema: the workflow's, with the sections of every registered paper
    (:data:`attrobust.papers.PAPERS`) under ``figures`` and no other section allowed."""
    import json

    return json.loads(_schema_text())


def check_sections(config: dict) -> None:
    """Reject a section under ``figures`` that no registered paper defines (a misspelt one)."""
    known = list(_figure_schemas())  # the sections of the merged schema, in paper order
    unknown = sorted(set(config.get("figures") or {}) - set(known))
    if unknown:
        raise ConfigError(f"figures.{unknown[0]}: no registered paper has this section (attrobust.papers."
                          f"PAPERS; each paper's sections: workflow/papers/<paper>/schema.yaml); "
                          f"known: {', '.join(known)}")


def validate(config: dict) -> None:
    """Validate ``config`` as the workflow does, filling the defaults: the workflow's schema,
    then each registered paper's sections under ``figures`` (snakemake's own validation,
    workflow/rules/common.smk), then :func:`check_sections`."""
    from snakemake.utils import validate as snakemake_validate

    snakemake_validate(config, str(SCHEMA))
    for paper in papers.PAPERS:
        snakemake_validate(config["figures"], str(papers.schema_file(paper)))
    check_sections(config)


def section_info(name: str, key: str, default: Any = None) -> Any:
    """What the schema of section ``name`` (its paper's schema.yaml) says about it beyond
    validation, under an ``x-`` key: ``x-implied-methods`` (methods it computes without
    listing them), ``x-protocol-data`` (tabular or image: :func:`apply_protocols`),
    ``x-sources`` (the sections a summary draws from)."""
    return _figure_schemas().get(name, {}).get(key, default)


@functools.lru_cache(maxsize=None)
def _figure_schemas() -> dict:
    import json

    return json.loads(_schema_text())["properties"]["figures"]["properties"]


def figures(config: dict) -> dict[str, dict]:
    """The enabled figure sections, each normalised to ``{datasets, models, methods}``."""
    out = {}
    for name, fig in config.get("figures", {}).items():
        if not fig.get("enabled", True):
            continue
        out[name] = {
            # a section may have both (kamath: `dataset` for most figures, `datasets` for Fig. 4)
            "datasets": list(dict.fromkeys(_as_list(fig.get("datasets", fig.get("dataset")))
                                           + _as_list(fig.get("dataset")))),
            "models": _as_list(fig.get("models", fig.get("model"))) + _as_list(fig.get("undertrained"))
                      + _as_list(fig.get("robust_models")),
            # sections whose `methods` are not explain methods (attacks' saliency) imply theirs
            "methods": _as_list(section_info(name, "x-implied-methods") or fig.get("methods", fig.get("method"))),
        }
    return out


def _as_list(v) -> list:
    return [] if v is None else list(v) if isinstance(v, (list, tuple)) else [v]


def model_spec(config: dict, name: str) -> dict[str, Any]:
    """The spec of model ``name``: from ``models:``, or the architecture of that name."""
    spec = config.get("models", {}).get(name)
    if spec is None:
        if name not in models.ARCHS:
            raise ConfigError(
                f"model {name!r} is neither defined under the config key 'models' nor an "
                f"architecture; architectures: {', '.join(models.names())}"
            )
        spec = {"arch": name}
    out = {"arch": spec["arch"], "regime": spec.get("regime", "natural"), "hp": dict(spec.get("hp", {}))}
    if spec.get("regime_params"):  # only when set: natural models' train params stay as they were
        out["regime_params"] = dict(spec["regime_params"])
    return out


def source(config: dict, name: str) -> str:
    """The registry dataset behind config dataset ``name`` (``datasets.<name>.source``)."""
    return (config.get("datasets", {}).get(name) or {}).get("source") or name


def used_datasets(config: dict) -> list[str]:
    return sorted({d for f in figures(config).values() for d in f["datasets"]})


def complete(config: dict) -> None:
    """Add an empty ``datasets:`` entry for every dataset a figure uses.

    Validating the config again afterwards fills these entries with the schema's
    defaults, so rules always find every key.
    """
    config.setdefault("datasets", {})
    for name in used_datasets(config):
        config["datasets"].setdefault(name, {})


def apply_protocols(config: dict) -> None:
    """Under ``protocol: released-code``, replace a section's budget keys (eps, n_calls,
    n_calls_blackbox, estimator) by those of the authors' released code
    (:data:`attrobust.lipschitz.PROTOCOLS`), in ``config`` itself, so that rules, report
    captions and the claims ledger all see the values the estimates use. Run after the
    schema filled the defaults."""
    from .lipschitz import PROTOCOLS

    for name, section in config.get("figures", {}).items():  # sections with a `protocol` key
        kind = section_info(name, "x-protocol-data")
        if kind and section.get("protocol", "paper") != "paper":
            section.update(PROTOCOLS[section["protocol"]]["section"][kind])


def _check_regime(name: str, spec: dict) -> None:
    """``models.<name>.regime_params``: only the regime's own parameters, valid values, and
    a robust regime only for torch architectures (Kamath et al. 2023, Sec. 5)."""
    regime, rp = spec["regime"], spec.get("regime_params", {})
    allowed = sorted(models.REGIME_HP[regime])
    unknown = sorted(set(rp) - set(allowed))
    if unknown:
        raise ConfigError(f"models.{name}.regime_params: unknown parameter(s) {unknown} for "
                          f"regime {regime!r}; allowed: {allowed or 'none'}")
    if regime != "natural" and models.ARCHS[spec["arch"]].kind != "torch":
        raise ConfigError(f"models.{name}.regime = {regime!r} needs a torch architecture; "
                          f"{spec['arch']!r} is {models.ARCHS[spec['arch']].kind}")
    try:
        models._regime_params(regime, rp)
    except models.ModelError as err:
        raise ConfigError(f"models.{name}.regime_params: {err}") from None


def _key(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _walk(obj, path=()):
    """(path, value) of every leaf of a config."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, (*path, k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, (*path, i))
    else:
        yield path, obj


@functools.lru_cache(maxsize=4)
def _strict_validator(schema_text: str):
    """The schema's validator with JSON Schema's `integer` narrowed to Python ints: by the
    spec 2.0 is an integer, and a job then gets `seed1.0` paths or range(2.0)."""
    import json

    import jsonschema

    schema = json.loads(schema_text)
    base = jsonschema.validators.validator_for(schema)
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    return jsonschema.validators.extend(base, type_checker=checker)(schema)


def check_types(config: dict) -> None:
    """NaN and infinity nowhere (they pass `exclusiveMinimum`), and a whole float such
    as 2.0 nowhere the schema asks for an integer. Run after the schema's own validation,
    so an error of the strict validator can only come from such a float."""
    for path, v in _walk(config):
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{_key(path)} = {v!r}: NaN and infinity are not allowed; "
                              "give a finite number")
    err = next(iter(_strict_validator(_schema_text()).iter_errors(config)), None)
    if err is not None:
        for path, v in _walk(err.instance, tuple(err.absolute_path)):
            if isinstance(v, float) and v.is_integer():
                raise ConfigError(f"{_key(path)} = {v!r} must be an integer: write {int(v)}")
        raise ConfigError(f"{_key(err.absolute_path)}: {err.message}")  # pragma: no cover


def torchvision_models(config: dict) -> dict[str, str]:
    """{model name: torchvision architecture} of the models the enabled figures use."""
    out = {}
    for fig in figures(config).values():
        for m in fig["models"]:
            try:
                arch = model_spec(config, m)["arch"]
            except ConfigError:
                continue  # named by check() itself
            if arch in models.ARCHS and models.ARCHS[arch].kind == "torchvision":
                out[m] = arch
    return out


def pretrained_weights(config: dict, model: str) -> str | None:
    """The weights file (under resources/torch, the workflow's TORCH_HOME) that the train
    job of ``model`` loads; None for a model that is not a pretrained torchvision network."""
    spec = model_spec(config, model)
    if spec["arch"] not in models.PRETRAINED or spec["hp"].get("pretrained", True) is not True:
        return None
    return models.weights_path(spec["arch"])


def setup_problems(config: dict) -> list[str]:
    """What the machine lacks for this config, each with what to do: torchvision for the
    torchvision architectures, their pretrained weights (in resources/torch, or where the
    fetch_weights rule can get them: the user's torch cache or the download URL), and the
    directories of datasets that only a mirror provides (mirrors.imagenet_val)."""
    problems = []
    tv = torchvision_models(config)
    if tv and not models.torchvision_available():
        problems.append(
            f"torchvision does not import, but models {', '.join(sorted(tv))} are torchvision architectures "
            f"({', '.join(sorted(set(tv.values())))}): run `make venv CONFIG=<this config>` (installs the "
            "'paper' extra when the config needs it) or `pip install -e '.[paper]'` with PyPI's torch build")
    for m in sorted(tv):
        path = pretrained_weights(config, m)
        if path is None or Path(path).is_file() or standins.WEIGHTS in (config.get("standins") or {}):
            continue  # present, or generated by the standin_weights rule
        sources = models.weights_sources(tv[m], config.get("download_base_url"))
        if not any(models._reachable(src) for src in sources):
            problems.append(
                f"the pretrained weights of model {m!r} ({path}) are missing and the fetch_weights rule "
                f"cannot get them: none of {sources} is reachable; copy {Path(path).name} into "
                f"{Path(path).parent}/ (or into $TORCH_HOME/hub/checkpoints/), or set download_base_url "
                "to a mirror that has it")
    seen = set()
    for fname, fig in figures(config).items():
        for ds in fig["datasets"]:
            src = source(config, ds)
            if src not in data.REGISTRY or src in seen:
                continue
            seen.add(src)  # one line per dataset, naming the first section that uses it
            try:
                _check_mirror(config, src, f"figures.{fname}.dataset")
            except ConfigError as err:
                problems.append(str(err))
    return problems


def check_setup(config: dict) -> None:
    """Raise one :class:`ConfigError` listing everything :func:`setup_problems` finds.
    Environment ATTROBUST_CHECK_SETUP=0 skips it: to plan a run (a dry run, the DAG) on a
    machine that is not the one that will run it."""
    import os

    if os.environ.get("ATTROBUST_CHECK_SETUP", "1") == "0":
        return
    problems = list(dict.fromkeys(setup_problems(config)))
    if problems:
        raise ConfigError("this config cannot run on this machine yet:\n  - " + "\n  - ".join(problems))


def check(config: dict) -> None:
    """Raise :class:`ConfigError` naming the first key whose value cannot work."""
    check_types(config)
    mirror_keys = sorted({d.mirror_key for d in data.REGISTRY.values() if d.mirror_key})
    for key in config.get("mirrors", {}):
        if key not in mirror_keys:
            raise ConfigError(f"mirrors.{key}: unknown mirror; allowed: {', '.join(mirror_keys)}")
    for name, size in (config.get("standins") or {}).items():
        if name == standins.WEIGHTS:
            if size:
                raise ConfigError(f"standins.{name}: takes no options (null or {{}})")
            continue
        if name not in standins.WRITERS:
            raise ConfigError(f"standins.{name}: no stand-in for this dataset; stand-ins "
                              f"exist for: {', '.join(sorted(standins.WRITERS))} "
                              f"and {standins.WEIGHTS}")
        unknown = sorted(set(size or {}) - set(standins.options(name)))
        if unknown:
            raise ConfigError(f"standins.{name}: unknown option(s) {', '.join(unknown)}; "
                              f"allowed (with defaults): {standins.options(name)}")
    check_setup(config)  # torchvision, pretrained weights, mirrors: all that is missing at once
    _check_registry_names(config)
    for fname, fig in figures(config).items():
        key = f"figures.{fname}"
        for ds in fig["datasets"]:
            src = source(config, ds)
            _known(src, data.REGISTRY, f"{key}.dataset")
            _check_mirror(config, src, f"{key}.dataset")
        for m in fig["models"]:
            try:
                spec = model_spec(config, m)
            except ConfigError as err:
                raise ConfigError(f"{key}: {err}") from None
            _known(spec["arch"], models.ARCHS, f"models.{m}.arch")
            _check_hp(m, spec)
            if spec["regime"] not in models.REGIMES:
                raise ConfigError(
                    f"models.{m}.regime = {spec['regime']!r} is not implemented yet; "
                    f"available: {', '.join(models.REGIMES)}"
                )
            _check_regime(m, spec)
            for meth in fig["methods"]:
                _known(meth, explain.METHODS, f"{key}.methods")
                if meth == "lrp_epsilon" and models.ARCHS[spec["arch"]].kind == "torchvision":
                    raise ConfigError(
                        f"{key}: method 'lrp_epsilon' cannot explain model {m!r} ({spec['arch']}): "
                        "captum's LRP has no rule for a ResNet's residual additions or the input "
                        "normalisation; drop it from this section's methods")
                if explain.METHODS[meth].kind == "gradient" and models.ARCHS[spec["arch"]].kind == "sklearn":
                    raise ConfigError(
                        f"{key}: method {meth!r} needs gradients but model {m!r} is a "
                        f"scikit-learn model; use a black-box method "
                        f"({', '.join(explain.names('blackbox'))}) or a torch architecture"
                    )
    for name in config.get("datasets", {}):
        key = f"datasets.{name}.source" if config["datasets"][name].get("source") else f"datasets.{name}"
        _known(source(config, name), data.REGISTRY, key)
        opts = config["datasets"][name].get("options") or {}
        try:  # the loader's keyword options, checked here rather than in the prepare job
            data._options(source(config, name), opts)
        except data.DataError as err:
            raise ConfigError(f"datasets.{name}.options: {err}") from None
        _check_option_types(source(config, name), opts, f"datasets.{name}.options")
    for paper in papers.PAPERS:  # each paper's own checks of its sections (attrobust.papers.<paper>)
        hooks = papers.checks(paper)
        if hooks is not None and hasattr(hooks, "check"):
            hooks.check(config)
    for meth, params in config.get("methods", {}).items():
        _known(meth, explain.METHODS, f"methods.{meth}")
        _check_params(params, explain.METHODS[meth].defaults, f"methods.{meth}")
    check_ranges(config)


def _sizes(config: dict, name: str, known: dict | None = None):
    """(datasizes.Size, (n_train, n_test) or None) of config dataset ``name``: from ``known``
    (sizes of loaded data), else from the registry and the dataset's config entry, without
    loading it; (None, None) if not known."""
    if known and name in known:
        return known[name]
    spec = config.get("datasets", {}).get(name) or {}
    src = source(config, name)
    if src not in data.REGISTRY:
        return None, None
    opts = spec.get("options") or {}
    try:
        split = datasizes.split_sizes(src, test_fraction=spec.get("test_fraction", 0.2),
                                      n_samples=spec.get("n_samples"), options=opts)
        return datasizes.size(src, opts), split
    except (data.DataError, TypeError, ValueError):  # options checked with their own message
        return None, None


def check_index(key: str, value, n: int | None, what: str) -> None:
    """``key`` = ``value`` must index one of ``n`` things (``what``); unknown ``n``: no check."""
    if n is not None and value is not None and not isinstance(value, str) and not 0 <= value < n:
        raise ConfigError(f"{key} = {value!r} is out of range: allowed 0..{n - 1} ({what})")


def _check_big_enough(config: dict, name: str, known: dict | None = None) -> None:
    """Every class needs an example in the train and the test split (the influence, class
    sensitivity and sanity jobs pick examples by class; a job deep in the DAG otherwise
    fails with 'class 3 has no example')."""
    spec = config.get("datasets", {}).get(name) or {}
    if data.info(source(config, name)).origin == "user":
        # an ImageNet-style folder, seen only by pretrained networks: 512 images cannot cover
        # 1000 classes twice, and no job picks its examples by class
        return
    size, split = _sizes(config, name, known)
    if split is None or not size.n_classes:
        return
    k, (n_train, n_test) = size.n_classes, split
    if min(n_train, n_test) >= k:
        return
    src, tf = source(config, name), spec.get("test_fraction", 0.2)
    if known and name in known:  # sizes of the loaded files: no registry size to search
        raise ConfigError(
            f"datasets.{name}: the files of dataset {src!r} give {n_train} training and {n_test} test "
            f"examples for its {k} classes; every class needs an example in both splits: raise "
            f"datasets.{name}.n_samples (now {spec.get('n_samples')}) or change test_fraction ({tf})")
    fits = next((n for n in range(10, size.n + 1) if min(datasizes.split_sizes(
        src, test_fraction=tf, n_samples=n, options=spec.get("options") or {})) >= k), None)
    if spec.get("n_samples") is not None:
        key, fix = f"datasets.{name}.n_samples = {spec['n_samples']}", (
            f"set it to at least {fits} (or null: all {size.n})" if fits else
            f"no n_samples does with test_fraction {tf}; change datasets.{name}.test_fraction")
    else:
        key, fix = f"datasets.{name}.test_fraction = {tf}", "move test_fraction towards 0.5"
    raise ConfigError(f"{key} leaves {n_train} training and {n_test} test examples for the {k} "
                      f"classes of dataset {src!r}; every class needs an example in both splits: {fix}")


def index_in_test_images(config: dict, sizes, sec: str, key: str, n_images: int | None = None,
                         owner: str | None = None) -> None:
    """``figures.<sec>.<key>`` indexes the test images of the section's dataset (the first
    ``n_images``, set by ``figures.<owner>.n_images``, where given); ``sizes(dataset)``:
    (Size, (n_train, n_test)) or (None, None)."""
    ds = config["figures"][sec].get("dataset")
    _, split = sizes(ds)
    n = None if split is None else split[1]
    if n_images is not None:
        n = n_images if n is None else min(n, n_images)
    what = f"an index into the {n} test images of dataset {ds!r}"
    if n_images:
        what = (f"an index into the first {n} test images of dataset {ds!r}, set by "
                f"figures.{owner or sec}.n_images = {n_images}")
    check_index(f"figures.{sec}.{key}", config["figures"][sec].get(key), n, what)


def topk_in_pixels(config: dict, sizes, owner: str, key: str, datasets) -> None:
    """``figures.<owner>.<key>``, a top-k set of pixels of a saliency map (H x W, channels
    summed), fits the maps of each of ``datasets``."""
    v = config["figures"].get(owner, {}).get(key)
    for ds in datasets:
        size, _ = sizes(ds) if ds else (None, None)
        if v is None or size is None or size.input_shape is None or len(size.input_shape) != 3:
            continue
        n_px = math.prod(size.input_shape[1:])
        if not 1 <= v <= n_px:
            raise ConfigError(f"figures.{owner}.{key} = {v} is out of range: allowed 1..{n_px} (the "
                              f"pixels of a saliency map of dataset {ds!r}, {size.input_shape[1]} x "
                              f"{size.input_shape[2]})")


def check_ranges(config: dict, known: dict | None = None) -> None:
    """Indices within the data they index, class indices within the dataset's classes,
    top-k sets within an image's pixels, and datasets big enough for what is asked of them,
    all from the registry's sizes (attrobust.datasizes) without loading any data, or from
    ``known``: {config dataset: (Size, (n_train, n_test))} of loaded data."""
    figs, secs = figures(config), config.get("figures", {})
    _sizes_ = functools.partial(_sizes, known=known)
    for name in used_datasets(config):
        _check_big_enough(config, name, known)
    for name, spec in config.get("datasets", {}).items():
        size, _ = _sizes_(config, name)
        if size is not None and isinstance((spec or {}).get("target"), int):
            check_index(f"datasets.{name}.target", spec["target"], size.n_classes,
                   f"the classes of dataset {source(config, name)!r}; or 'predicted' or 'true'")

    for paper in papers.PAPERS:  # each paper's indices and set sizes (attrobust.papers.<paper>)
        hooks = papers.checks(paper)
        if hooks is not None and hasattr(hooks, "check_ranges"):
            hooks.check_ranges(config, lambda ds: _sizes_(config, ds))
    check_shap_budget(config, known)


def _shap_players(shape: tuple[int, ...], segment_size) -> int:
    """Kernel SHAP's players on inputs of ``shape``: the features of a table, the square tiles
    of an image (explain.n_tiles)."""
    return explain.n_tiles(*shape[1:], segment_size) if len(shape) == 3 else math.prod(shape)


def check_shap_budget(config: dict, known: dict | None = None) -> None:
    """Kernel SHAP's weighted regression has one unknown per player (feature or image tile):
    with fewer coalitions than that it is under-determined, and with fresh randomness a local
    Lipschitz estimate then divides noise by a tiny distance (L ~ 1e31 was seen). Convergence
    needs far more (tests/test_shap_budget.py); this refuses only what cannot work."""
    shap = (config.get("methods") or {}).get("kernel_shap") or {}
    n = shap.get("nsamples", "auto")
    if not isinstance(n, int) or isinstance(n, bool):
        return  # 'auto': shap's 2 D + 2048
    need = []  # (players, section, dataset): the largest decides the least budget
    for fname, fig in figures(config).items():
        if "kernel_shap" not in fig["methods"]:
            continue
        for ds in fig["datasets"]:
            size, _ = _sizes(config, ds, known)
            if size is not None and size.input_shape is not None:
                need.append((_shap_players(tuple(size.input_shape), shap.get("segment_size")), fname, ds))
    if need and n <= max(need)[0]:
        players, fname, ds = max(need)
        raise ConfigError(
            f"methods.kernel_shap.nsamples = {n} is too small for figures.{fname} on dataset "
            f"{ds!r}: Kernel SHAP has {players} players there (features, or image tiles of "
            f"methods.kernel_shap.segment_size), and fewer coalitions than players leave its "
            f"regression under-determined; set it to at least {players + 1} (converged "
            f"estimates need many more: 2048 for 64 players, tests/test_shap_budget.py), "
            f"or 'auto'")


#: What the torch training hyper-parameters must be (attrobust.models.train's checks).
_TRAIN_HP_RULES = {"epochs": "an int >= 1", "batch_size": "an int >= 1", "lr": "a number > 0",
                   "weight_decay": "a number >= 0"}


def _train_hp_ok(k: str, v) -> bool:
    if isinstance(v, bool):
        return False
    if k in ("epochs", "batch_size"):
        return isinstance(v, int) and v >= 1
    try:
        x = float(v)  # YAML reads 1e-3 (no dot) as a string; float() takes it, as train does
    except (TypeError, ValueError):
        return False
    return x > 0 if k == "lr" else x >= 0


def _check_hp(model: str, spec: dict) -> None:
    try:
        if models.ARCHS[spec["arch"]].kind == "sklearn" and spec["hp"]:
            # scikit-learn checks its own constructor parameters and values (imports sklearn)
            est = models.build(spec["arch"], (2,), 2, **spec["hp"])
            for e in (est, getattr(est, "estimator", None)):  # the calibrated SVC's inner SVC
                if hasattr(e, "_validate_params"):
                    e._validate_params()
        else:
            _, train = models.split_hp(spec["arch"], spec["hp"])
            for k, v in train.items():
                if k in _TRAIN_HP_RULES and not _train_hp_ok(k, v):
                    raise models.ModelError(f"{k} = {v!r} must be {_TRAIN_HP_RULES[k]}")
    except (models.ModelError, ValueError, TypeError) as err:
        raise ConfigError(f"models.{model}.hp: {err}") from None


def _check_option_types(src: str, options: dict, key: str) -> None:
    """An option whose default is an int takes an int (synthetic2d's n = 200.0 would fail
    in the prepare job)."""
    import inspect

    params = inspect.signature(data._LOADERS[src]).parameters
    for k, v in options.items():
        default = params[k].default
        if isinstance(default, int) and not isinstance(default, bool) and (
                isinstance(v, bool) or not isinstance(v, int)):
            raise ConfigError(f"{key}.{k} = {v!r} must be an integer (default {default})")


def _check_registry_names(config: dict) -> None:
    """Attack, attacked-method and estimator names against the library's registries (which,
    not schema enums, define what exists): a section with `attacks` attacks the saliency
    methods of its `methods` / `table_methods`; every `estimator` key, at any depth, names a
    Lipschitz estimator (null: inherited)."""
    def estimators(d: dict, key: str) -> None:
        for k, v in d.items():
            if k == "estimator" and v is not None:
                _known(v, lipschitz.ESTIMATORS, f"{key}.{k}")
            elif isinstance(v, dict):
                estimators(v, f"{key}.{k}")

    for name, sec in (config.get("figures") or {}).items():
        if not isinstance(sec, dict) or sec.get("enabled") is False:
            continue
        key = f"figures.{name}"
        if "attacks" in sec:
            for a in sec["attacks"] or []:
                _known(a, attacks.ATTACKS, f"{key}.attacks")
            for k in ("methods", "table_methods"):
                for m in sec.get(k) or []:
                    _known(m, attacks.attackable(), f"{key}.{k}")
        estimators(sec, key)


def _known(name: str, registry: dict, key: str) -> None:
    if name not in registry:
        raise ConfigError(f"{key}: unknown name {name!r}; allowed: {', '.join(sorted(registry))}")


def _check_params(params: dict, defaults: dict, key: str) -> None:
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ConfigError(
            f"{key}: unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(defaults))}"
        )


def _check_mirror(config: dict, name: str, key: str) -> None:
    info = data.info(name)
    if info.mirror_key is None or name in (config.get("standins") or {}):
        return  # embedded, or generated by the standin rule
    mirror = config.get("mirrors", {}).get(info.mirror_key) or info.default_mirror
    if mirror and Path(mirror).is_dir():
        return
    if info.origin == "download" and any(f.url for f in info.files):
        return  # no mirror, but it can be downloaded
    raise ConfigError(
        f"{key}: dataset {name!r} needs local files but the config key "
        f"'mirrors.{info.mirror_key}' is {mirror!r}, which is not a directory. {data.howto(info)}"
    )


def check_loaded(config: dict, name: str, d: dict) -> None:
    """:func:`check_ranges` with the sizes of config dataset ``name`` as loaded
    (:func:`attrobust.data.load`): the prepare job's check for datasets whose size only
    their files tell (attrobust.datasizes: None), before any model trains on them."""
    n_classes = len(d["class_names"]) if d["task"] == "classification" else None
    size = datasizes.Size(len(d["y_train"]) + len(d["y_test"]), None, n_classes, tuple(d["input_shape"]))
    check_ranges(config, known={name: (size, (len(d["y_train"]), len(d["y_test"])))})
