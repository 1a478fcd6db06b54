# Helpers shared by the rules: config checks, model specs, target lists.
import os
import re
import sys
from pathlib import Path

# The repository's own library (also inside conda envs, where it is not installed).
LIB = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parents[1] / "src"
SCRIPTS = LIB.parent / "workflow" / "scripts"
sys.path.insert(0, str(LIB))
from attrobust import config as cfg
from attrobust import deps
from attrobust import data as ardata
from attrobust import explain as arexplain

from attrobust import papers
from attrobust import scheduler

# Snakemake 9.27's scheduler starts one more wake-up timer chain per finished job and ends up
# running hundreds of passes a second: keep one pending timer (attrobust.scheduler).
scheduler.one_wakeup_timer()

# The workflow's schema validated the config (workflow/Snakefile); each registered paper's
# schema validates its sections under `figures`, and a section no paper defines is rejected.
# Then fill defaults for datasets the figures use, and check names against the library's
# registries, all before any job runs.
for _paper in papers.PAPERS:
    validate(config["figures"], f"../papers/{_paper}/schema.yaml")
cfg.check_sections(config)
cfg.complete(config)
validate(config, "../schemas/config.schema.yaml")
cfg.apply_protocols(config)  # `protocol: released-code` replaces eps, n_calls, ...
# Checked once, by the main process, before any job. A cluster job's own snakemake (two per
# SLURM job: the batch script's and srun's) parses the same config and skips the checks,
# whose imports (torch, torchvision, scikit-learn) cost it several seconds.
if workflow.is_main_process:
    cfg.check(config)

SEED = config["seed"]
FIGS = cfg.figures(config)
# Between-workflow caching (`--cache`, which the Makefile passes when SNAKEMAKE_OUTPUT_CACHE
# is set) of rules that also have a `benchmark:`: snakemake allows a rule one or the other, so
# with the cache on they are cached and not benchmarked (workflow/Snakefile), else benchmarked.
CACHE_WITH_BENCHMARK = "omit-software" if os.environ.get("SNAKEMAKE_OUTPUT_CACHE") else False


# Code reaches rules as inputs, by paths relative to the working directory: Snakemake
# compares an input's checksum when its mtime is newer than the outputs (inputs up to
# `max-checksum-file-size`, profiles/*), so an edit reruns the jobs that run the code and a
# touch, a `git checkout` or a copy to another directory reruns nothing (the profiles drop
# the `code` trigger, which for script rules compares only the script's mtime).
def script_file(name):
    """A script of workflow/scripts/ (a generic stage's), as an input."""
    return os.path.relpath(SCRIPTS / f"{name}.py")


def lib(script):
    """`script` (the rule's own `script:`, as written there: relative to the rule file) and
    every library module it imports, directly or not (`attrobust.deps`), as inputs: editing
    one reruns exactly the jobs that run it (workflow/Snakefile checks that every rule
    with a script takes it)."""
    path = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)) / script
    return [os.path.relpath(path), *(os.path.relpath(p) for p in deps.import_closure(path))]


def source(dataset):
    """Registry name of a config dataset (`datasets.<name>.source`, default: the name)."""
    return cfg.source(config, dataset)


def dataset_params(dataset):
    spec = config["datasets"][dataset]
    return {
        "test_fraction": spec["test_fraction"],
        "scaling": spec["scaling"],
        "n_samples": spec["n_samples"],
        "seed": SEED,
        **spec["options"],
    }


def raw_dir(wildcards):
    """The download rule's directory of raw files, for datasets that have them."""
    src = source(wildcards.dataset)
    # user-provided sets (imagenet_val) have no listed files: the download rule links the
    # mirror directory and writes its MANIFEST there
    if ardata.raw_files(src) or ardata.info(src).origin == "user":
        return f"resources/{src}"
    return []


def standin_dir(wildcards):
    """The standin rule's output when config key `standins` lists the dataset."""
    if wildcards.dataset in config["standins"]:
        return f"resources/standins/{wildcards.dataset}"
    return []


def standin_weights_dir(wildcards):
    """The standin_weights rule's output when config key `standins` asks for it."""
    if "torchvision_weights" in config["standins"]:
        return "resources/standins/torch"
    return []


def mirror_dir(wildcards):
    if wildcards.dataset in config["standins"]:
        return standin_dir(wildcards)
    key = ardata.info(wildcards.dataset).mirror_key
    return config["mirrors"].get(key) if key else None


def run_id(dataset, model):
    """`{dataset}/{model}/{regime}/seed{seed}`: the part every result path shares."""
    return f"{dataset}/{model}/{cfg.model_spec(config, model)['regime']}/seed{SEED}"


def model_dir(dataset, model):
    return f"results/models/{run_id(dataset, model)}"


# Named budgets of the `explain` stage, as for the attacks below: a section registers the
# methods it explains and the class (None: the dataset's `target`) under its own name, and one
# job explains them all on a run: results/explain/{budget}/{run id}.npz (attrobust.explain.saved
# reads one method's). A job per method was 1-2 s of work after 1-1.5 s of start-up (#20);
# the trade-off is that a changed method parameter reruns the explain job of every section
# that lists the method (one per section, not one per method). Equal settings share a budget.
EXPLAIN_KEYS = ("methods", "target")
EXPLAIN_BUDGETS = {}


def explain_budget(name, methods, target=None):
    """Register the `explain` settings of section `name` and return the budget name its
    jobs use (an equal registered budget's, else `name`)."""
    return _named_budget(EXPLAIN_BUDGETS, EXPLAIN_KEYS, name, {"methods": list(methods), "target": target})


def method_params(methods):
    """Each method's parameters from the config's `methods` (a job's params: editing one
    reruns the jobs that run it)."""
    return {m: config["methods"].get(m, {}) for m in methods}


def explanations(budget, dataset, model):
    """The `explain` file of `budget` on (dataset, model): every method of the budget."""
    return f"results/explain/{budget}/{run_id(dataset, model)}.npz"


def n_explain(dataset):
    return config["datasets"][dataset]["n_explain"] or config["explain"]["n_points"]


def all_figures():
    """Every output of the enabled figures (one `fig_<section>` rule per figure section)
    and the claims ledger."""
    figs = [f for name in FIGS for f in getattr(rules, f"fig_{name}").output]
    return figs + list(rules.claims.output)


def all_results(wildcards=None):
    """Every output under results/ of every job the figures depend on, found by walking the
    rules from the figures down (each file's producing rule, its wildcards, its inputs).

    The target `all` requests them. Snakemake reruns a job for a missing output only when
    it is a target or a job that needs the output runs anyway, so without this a result
    deleted by hand, or by a job that failed during a rerun, stays missing behind
    up-to-date figures."""
    from snakemake.exceptions import WorkflowError

    todo, seen, found = [str(f) for f in all_figures()], set(), set()
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        producers = [r for r in workflow.rules if r.output and r.is_producer(f)]
        if not producers:  # code, or a file given by the user
            continue
        # a `ruleorder:` decides between rules that can both make f, as in snakemake's DAG
        # (compare(a, b) > 0: a first): lipschitz_pair > lipschitz
        producers = [r for r in producers
                     if not any(workflow._ruleorder.compare(q, r) > 0 for q in producers)]
        if len(producers) > 1:
            raise WorkflowError(f"all_results: {f} matches rules {[r.name for r in producers]}")
        producer = producers[0]
        wc = producer.get_wildcards(f)
        found.update(str(o) for o in producer.expand_output(wc)[0] if str(o).startswith("results/"))
        todo.extend(str(i) for i in producer.expand_input(wc)[0])
    return sorted(found)


# Named budgets of the `attack` stage: each section that asks for attack jobs registers its
# settings under its own name (attack_budget), and the name is part of the result path,
# results/attacks/{budget}/{run id}/{method}/{attack}/chunk{i}.npz. Two sections with the
# same settings share one name (and so one set of jobs); different settings never collide.
ATTACK_KEYS = ("step", "n_iter", "k", "n_images", "ig_steps", "softplus_beta", "random_trials", "ig_target")
# and what `attack_metrics` computes from the attacks' files (the w of 1-LENS-prec@k)
ATTACK_METRIC_KEYS = ("lens_w",)
ATTACK_BUDGETS = {}
# (budget, dataset, model, method, attack) -> every eps (0-255 units) a section asks for: one
# `attack` job per chunk of images computes them all (attrobust.attack_results), so a
# process starts once per chunk, not once per eps. Filled while the rule files are parsed;
# read only at DAG time (input functions, params), when every section has asked.
ATTACK_EPS = {}


def _named_budget(budgets, keys, name, settings):
    own = {k: settings.get(k) for k in keys}
    same = [b for b, s in budgets.items() if s == own]
    if same:
        return same[0]
    base, i = name, 1
    while name in budgets:  # a section asking twice, with other settings: a name of its own
        i += 1
        name = f"{base}_{i}"
    budgets[name] = own
    return name


def attack_budget(name, settings):
    """Register the `attack` settings of section `name` (ATTACK_KEYS and ATTACK_METRIC_KEYS,
    every one required) and return the budget name its jobs use: an already registered
    budget with the same settings, else `name`."""
    keys = ATTACK_KEYS + ATTACK_METRIC_KEYS
    return _named_budget(ATTACK_BUDGETS, keys, name, {k: settings[k] for k in keys})


def budget_params(budgets, keys):
    """A rule's params for `keys`, each read from the named budget in the job's path."""
    return {k: (lambda wildcards, k=k: budgets[wildcards.budget][k]) for k in keys}


def _ask_attacks(budget, runs):
    for d, m, meth, att, e in runs:
        ATTACK_EPS.setdefault((budget, d, m, meth, att), set()).add(float(e))


def attack_key(wildcards):
    """The (budget, dataset, model, method, attack) of an `attack` or `attack_metrics` job."""
    key = tuple(getattr(wildcards, k) for k in ("budget", "dataset", "model", "method", "attack"))
    if key not in ATTACK_EPS:
        raise WorkflowError(f"no section of the config asks for the attack {'/'.join(key)}: "
                            "attack files are made for what a figure section reads")
    return key


def attack_chunking(key):
    """(images per job, jobs) of one key of ATTACK_EPS: the budget's n_images split so that a
    job at GPU speed, all its eps included, fits attrobust.jobsize.JOB_TARGET_MINUTES (the
    embedded and real-data budgets: one job)."""
    g, n = ATTACK_BUDGETS[key[0]], ATTACK_BUDGETS[key[0]]["n_images"]
    per_image = len(ATTACK_EPS[key]) * _attack_grads_per_image(g, key[3], key[4])
    size = jobsize.items_per_job(n, per_image, _arch(key[2]), gpu="attack" in site.GPU_RULES)
    return size, -(-n // size)


def attack_images(wildcards):
    """[first, stop) of the test images of an `attack` job's chunk."""
    size, _ = attack_chunking(attack_key(wildcards))
    first = int(wildcards.chunk) * size
    return [first, min(first + size, ATTACK_BUDGETS[wildcards.budget]["n_images"])]


def attack_results(key):
    """The chunk files of one key of ATTACK_EPS, in image order (DAG time only)."""
    budget, d, m, meth, att = key
    return [f"results/attacks/{budget}/{run_id(d, m)}/{meth}/{att}/chunk{i}.npz" for i in range(attack_chunking(key)[1])]


def attack_files(budget, dataset, model, methods, attacks, eps):
    """Ask for every (method, attack, eps) under `budget` (at parse time) and return their
    metrics files (`attack_metrics`: one table per eps)."""
    runs = [(dataset, model, meth, att, e) for meth in methods for att in attacks for e in eps]
    _ask_attacks(budget, runs)
    return [f"results/metrics/attacks/{budget}/{run_id(d, m)}/{meth}/{att}/eps{e:g}.csv" for d, m, meth, att, e in runs]


def attack_inputs(budget, runs):
    """Ask for each run (dataset, model, method, attack, eps) under `budget` (at parse time)
    and return a rule's input function: the chunk files of all the runs."""
    _ask_attacks(budget, runs)
    return lambda wildcards: sorted({f for d, m, meth, att, _ in runs for f in attack_results((budget, d, m, meth, att))})


def attack_run_files(budget, runs):
    """A params function: each run's chunk files, in image order (attrobust.attack_results.load)."""
    return lambda wildcards: [attack_results((budget, d, m, meth, att)) for d, m, meth, att, _ in runs]


def section_attacks(section, budget):
    """The attack metrics files of a figure section with dataset, model, methods, attacks and
    eps, at its registered budget."""
    g = config["figures"][section]
    return attack_files(budget, g["dataset"], g["model"], g["methods"], g["attacks"], g["eps"])


# Named budgets of the `lipschitz` and `lipschitz_discrete` stages, as for the attacks: a
# section registers its settings under its own name, which is part of the result path,
# results/lipschitz/{budget}/{run id}/{method}/{randomness}/chunk{i}.npz and
# results/lipschitz/{budget}/{run id}/discrete.npz; sections with equal settings share one.
LIPSCHITZ_KEYS = ("chunk_size", "eps", "n_calls", "n_calls_blackbox", "estimator", "noise_seeds", "protocol", "output")
LIPSCHITZ_BUDGETS = {}
DISCRETE_KEYS = ("methods", "eps", "target")
DISCRETE_BUDGETS = {}


# budget -> the randomness settings (fresh, common) its sections ask for
LIPSCHITZ_RANDOMNESS = {}
STOCHASTIC_METHODS = sorted(m for m, spec in arexplain.METHODS.items() if spec.stochastic)


def lipschitz_budget(name, settings):
    """Register a section's `lipschitz` settings (LIPSCHITZ_KEYS; a missing key: None) and
    the randomness settings it asks for (its `randomness`, default common), and return the
    budget name its jobs use (an equal registered budget's, else `name`)."""
    budget = _named_budget(LIPSCHITZ_BUDGETS, LIPSCHITZ_KEYS, name, settings)
    LIPSCHITZ_RANDOMNESS.setdefault(budget, set()).update(settings.get("randomness") or ["common"])
    return budget


def lipschitz_pair_budgets():
    """The budgets whose sections ask for both randomness settings: their stochastic
    methods' two searches share one job (rules/lipschitz_pair.smk)."""
    return sorted(b for b, asked in LIPSCHITZ_RANDOMNESS.items() if {"fresh", "common"} <= asked)


def regex_of(names):
    """A wildcard constraint matching exactly `names` (none: nothing)."""
    return "|".join(map(re.escape, names)) or "(?!)"


# discrete budget -> the explain budget of its methods and class
DISCRETE_EXPLAIN = {}


def discrete_budget(name, settings):
    """Register a section's `lipschitz_discrete` settings (DISCRETE_KEYS), and the explain
    budget of its methods and class, and return its budget name."""
    budget = _named_budget(DISCRETE_BUDGETS, DISCRETE_KEYS, name, settings)
    DISCRETE_EXPLAIN[budget] = explain_budget(name, settings["methods"], settings.get("target"))
    return budget


def randomness_dir(method, randomness):
    """The `lipschitz` chunk folder of `method` under `randomness` (fresh | common): a
    deterministic method is the same function under both, so it is computed once (common)."""
    return randomness if arexplain.METHODS[method].stochastic else "common"


def explain_target(wildcards):
    """The `explain` job's class: its budget's, else the dataset's `target`."""
    target = EXPLAIN_BUDGETS[wildcards.budget]["target"]
    return config["datasets"][wildcards.dataset]["target"] if target is None else target


def n_calls_of(settings, method):
    """Explainer calls per point: `n_calls_blackbox` for LIME/SHAP where a budget sets it
    (the paper: 40 for LIME/SHAP, 200 otherwise), else `n_calls`."""
    if settings.get("n_calls_blackbox") and arexplain.METHODS[method].kind == "blackbox":
        return settings["n_calls_blackbox"]
    return settings["n_calls"]


def lipschitz_n_calls(wildcards):
    """A `lipschitz` job's explainer calls per point, from the budget in its path."""
    return n_calls_of(LIPSCHITZ_BUDGETS[wildcards.budget], wildcards.method)


def lipschitz_chunks(budget, dataset, model, method, n_points, randomness="common"):
    """The chunk files of `budget` that cover the first `n_points` test points, under `randomness`."""
    n_chunks = -(-n_points // LIPSCHITZ_BUDGETS[budget]["chunk_size"])
    r = randomness_dir(method, randomness)
    return [f"results/lipschitz/{budget}/{run_id(dataset, model)}/{method}/{r}/chunk{i}.npz" for i in range(n_chunks)]


# What the claims ledger (attrobust.claims) reads of each figure section: its tables and the
# config values its claims need, registered by the rule file of the section's paper
# (claims_read); the `claims` rule loops over them and names no paper.
CLAIM_TABLES = {}
CLAIM_CONTEXT = {}


def claims_read(section, tables, context=None):
    """Register figure section `section`'s tables for the claims ledger ({table name: files})
    and, where its claims need them, config values (`context`)."""
    CLAIM_TABLES[section] = tables
    if context is not None:
        CLAIM_CONTEXT[section] = context


def claim_tables(wildcards):
    """Results tables the claims ledger reads, by table name: those of the enabled sections."""
    return {name: files for section, tables in CLAIM_TABLES.items() if section in FIGS
            for name, files in tables.items()}


def claim_context(wildcards):
    """Config values the claims need, by section (every registered one)."""
    return dict(CLAIM_CONTEXT)


def devices(paths):
    """Devices that computed the results in `paths`: each npz's recorded `device` (explain,
    attack jobs) and the training device of every model behind them (its metrics.json: the
    run id {dataset}/{model}/{regime}/seed{seed} in the path, after any budget name)."""
    import json
    import numpy as np

    found = set()
    for path in map(str, paths):
        if path.endswith(".npz") and Path(path).exists():
            with np.load(path) as z:
                if "device" in z.files:
                    found.add(str(z["device"]))
        parts = path.split("/")
        seed = next((i for i, part in enumerate(parts) if re.fullmatch(r"seed\d+", part)), None)
        if path.startswith("results/") and seed is not None and seed >= 4:
            metrics = Path("results/models", *parts[seed - 3:seed + 1], "metrics.json")
            if metrics.exists():
                found.add(json.loads(metrics.read_text()).get("device", "not recorded"))
    return ", ".join(sorted(found)) or "not recorded"


def report_labels(figure):
    """Report labels of a figure: its name, and the device(s) behind it, read from the
    results when the report is made."""
    return lambda wildcards, input: {"figure": figure, "device": devices(input)}


# --- cluster requests: memory and walltime of each compute job from its config budget -------
# (attrobust.jobsize: work in 28x28-CNN input gradients, the benchmarks' rates, a margin),
# growing with `attempt` (the profiles' `retries`). GPU jobs: the rules with params.device.
from attrobust import jobsize, site


def _dataset_mb(dataset):
    spec = config["datasets"].get(dataset, {})
    return jobsize.data_mb(source(dataset), spec.get("options") or {}, spec.get("n_samples"))


def _n_train(dataset):
    from attrobust import datasizes

    spec = config["datasets"].get(dataset, {})
    try:
        return datasizes.split_sizes(source(dataset), test_fraction=spec.get("test_fraction", 0.2),
                                     n_samples=spec.get("n_samples"), options=spec.get("options") or {})[0]
    except Exception:  # sizes only the files tell (compas, a user's ImageNet folder)
        return (spec.get("options") or {}).get("n_images") or 10000


def _method_cost(method):
    return jobsize.method_cost(method, config["methods"].get(method, {}))


def _arch(model):
    return cfg.model_spec(config, model)["arch"]


def _attack_grads_per_image(g, method, attack):
    """Input gradients of one image at one eps under budget settings `g`: each step
    differentiates the map (a second backward pass), IG's over its steps."""
    per_step = 2 * (g["ig_steps"] if method == "integrated_gradients" else 1)
    return (g["random_trials"] if attack == "random_sign" else g["n_iter"]) * per_step


# (input gradients, extra host seconds) of one job of a paper's own compute rule, by rule
# name: each paper registers its rules' estimates from its section's budget.
JOB_WORK = {}


def _work(kind, wc):
    """(input gradients, extra host seconds) of one job of ``kind``, from its budget."""
    d, m = wc.dataset, getattr(wc, "model", None)
    if kind == "train":
        spec = cfg.model_spec(config, m)
        return jobsize.train_grads(spec["arch"], _n_train(d), spec["hp"], wc.regime, spec.get("regime_params")), 0
    if kind == "explain":  # every method of the budget
        return n_explain(d) * sum(map(_method_cost, EXPLAIN_BUDGETS[wc.budget]["methods"])), 0
    if kind == "attack":  # one chunk of images at every eps
        first, stop = attack_images(wc)
        per_image = len(ATTACK_EPS[attack_key(wc)]) * _attack_grads_per_image(ATTACK_BUDGETS[wc.budget], wc.method, wc.attack)
        return (stop - first) * per_image, 0
    if kind == "lipschitz":
        s, calls = LIPSCHITZ_BUDGETS[wc.budget], lipschitz_n_calls(wc)
        return s["chunk_size"] * calls * _method_cost(wc.method), s["chunk_size"] * calls * jobsize.BO_S_PER_CALL
    if kind in JOB_WORK:  # a paper's own compute rules (workflow/papers/*/common.smk)
        return JOB_WORK[kind](wc)
    return 0, 0  # prepare, and rules without a work estimate: the least walltime


def sized(kind, searches=1):
    """`resources:` of the jobs of the rule named ``kind``, mem_mb and runtime (minutes) from the job's budget
    (_work) and dataset, times snakemake's attempt; a GPU job's (attrobust.site.GPU_RULES: the
    rules with params.device, tests/test_cluster_profiles.py) work at GPU speed, others on one
    thread. ``searches``: a job doing a ``kind`` job's work that many times (lipschitz_pair)."""
    gpu = kind in site.GPU_RULES

    def runtime(wildcards, attempt):
        grads, extra = (searches * w for w in _work(kind, wildcards))
        arch = _arch(wildcards.model) if "model" in wildcards.keys() else None
        return jobsize.runtime_minutes(grads, arch, gpu=gpu, attempt=attempt, extra_s=extra)

    def mem_mb(wildcards, attempt):
        return jobsize.mem_mb(_dataset_mb(wildcards.dataset), gpu=gpu, attempt=attempt)

    # one at a time inside a group job (short_group; the cluster profile limits it to 1)
    return {"mem_mb": mem_mb, "runtime": runtime, "group_slot": 1}


def _group_components():
    """The profile's `group-components` (Snakemake's group settings; empty where none)."""
    settings = getattr(workflow, "group_settings", None)
    return dict(getattr(settings, "group_components", None) or {})


def short_group(kind, searches=1):
    """The `group` directive of the ``kind`` rules: ``short_<kind>`` (site.group_name) for
    a job whose walltime estimate is the least one (jobsize.MIN_MINUTES: its work is a few
    minutes at most), where the profile groups them (`group-components: short_<kind>=N`,
    profiles/slurm); no group otherwise. Snakemake then sends N such jobs as one cluster
    job, run one after another (resource group_slot, limited to 1), instead of N jobs of
    seconds that each wait in the queue. One group per rule, but for site.SHARED_GROUPS:
    jobs of two rules where one feeds the other through a third (prepare -> check_data ->
    train) cannot share a group job. Local runs ignore groups."""
    name, runtime = site.group_name(kind), sized(kind, searches)["runtime"]

    def group(wildcards):
        # read when the DAG is built: snakemake sets the group settings after parsing
        if name not in _group_components():
            return None
        return name if runtime(wildcards, 1) <= jobsize.MIN_MINUTES else None

    return group
