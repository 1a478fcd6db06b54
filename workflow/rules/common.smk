# Helpers shared by the rules: config checks, model specs, target lists.
import sys
from pathlib import Path

# The repository's own library (also inside conda envs, where it is not installed).
LIB = Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).parents[1] / "src"
sys.path.insert(0, str(LIB))
from attrobust import config as cfg
from attrobust import data as ardata

# Names and types were validated by the schema; fill defaults for datasets the figures
# use, then check names against the library's registries, all before any job runs.
cfg.complete(config)
validate(config, "../schemas/config.schema.yaml")
cfg.check(config)

SEED = config["seed"]
FIGS = cfg.figures(config)
AGARWAL = config["figures"]["agarwal"]
GHORBANI = config["figures"]["ghorbani"]
ALVAREZ = config["figures"]["alvarez_melis"]


def lib(*modules):
    """Library modules a job runs; editing one reruns its jobs (input mtime)."""
    return [str(LIB / "attrobust" / f"{m}.py") for m in modules]


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


def raw_marker(wildcards):
    """The download rule's completion marker, for datasets with raw files."""
    src = source(wildcards.dataset)
    if ardata.raw_files(src):
        return f"resources/{src}/SHA256SUMS"
    return []


def mirror_dir(wildcards):
    key = ardata.info(wildcards.dataset).mirror_key
    return config["mirrors"].get(key) if key else None


def run_id(dataset, model):
    """`{dataset}/{model}/{regime}/seed{seed}`: the part every result path shares."""
    return f"{dataset}/{model}/{cfg.model_spec(config, model)['regime']}/seed{SEED}"


def model_dir(dataset, model):
    return f"results/models/{run_id(dataset, model)}"


def explanation(dataset, model, method):
    return f"results/explain/{run_id(dataset, model)}/{method}.npz"


def n_explain(dataset):
    return config["datasets"][dataset]["n_explain"] or config["explain"]["n_points"]


def all_figures():
    """Every output of the enabled figures (one `fig_<section>` rule per figure section)
    and the claims ledger."""
    figs = [f for name in FIGS for f in getattr(rules, f"fig_{name}").output]
    return figs + list(rules.claims.output)


def agarwal_curves():
    """Curves of Figs. 2-5: every dataset at every sigma (well-trained model), and the
    under-trained model at the default sigma."""
    a = AGARWAL
    runs = {(d, a["model"], s) for d in a["datasets"] for s in [a["sigma"], *a["sigmas"]]}
    runs |= {(d, a["undertrained"], a["sigma"]) for d in a["datasets"]}
    return sorted(f"results/metrics/agarwal/{run_id(d, m)}/sigma{s:g}.csv" for d, m, s in runs)


def ghorbani_results(kind):
    """Every attack file (kind 'attacks', .npz) or its metrics (kind 'metrics', .csv)."""
    g = GHORBANI
    ext, root = (".npz", "results/attacks") if kind == "attacks" else (".csv", "results/metrics/ghorbani")
    return [
        f"{root}/{run_id(g['dataset'], g['model'])}/{meth}/{att}/eps{eps:g}{ext}"
        for meth in g["methods"]
        for att in g["attacks"]
        for eps in g["eps"]
    ]


def agarwal_lipschitz():
    d = AGARWAL["lipschitz"]["dataset"]
    return f"results/lipschitz/agarwal/{run_id(d, AGARWAL['model'])}/sigma_sweep.csv"


def lipschitz_chunks(dataset, model, method, n_points):
    """The chunk files that cover the first `n_points` test points."""
    n_chunks = -(-n_points // ALVAREZ["chunk_size"])
    return [f"results/lipschitz/{run_id(dataset, model)}/{method}/chunk{i}.npz" for i in range(n_chunks)]


def alvarez_lipschitz(wildcards=None):
    """Fig. 2: every dataset x method, in that order."""
    a = ALVAREZ
    return {
        f"{d}/{m}": lipschitz_chunks(d, a["model"], m, a["n_points"])
        for d in a["datasets"]
        for m in a["methods"]
    }


def claim_tables(wildcards):
    """Results tables the claims ledger reads, by table name (see attrobust.claims)."""
    tables = {}
    if "agarwal" in FIGS:
        tables["agarwal"] = agarwal_curves()
        tables["agarwal_lipschitz"] = [agarwal_lipschitz()]
    if "ghorbani" in FIGS:
        tables["ghorbani"] = ghorbani_results("metrics")
    if "alvarez_melis" in FIGS:
        tables["alvarez_melis"] = ["results/metrics/alvarez_melis/lipschitz_uci.csv"]
    return tables
