"""End-to-end: the workflow on the tiny config in a copy of the repository."""
import json
import shutil

import numpy as np
import pytest

from attrobust import attack_results

from _workflow import ROOT, copy_workflow, job_stats
from _workflow import snakemake as _snakemake

#: datasets of tests/e2e/tiny.yaml (one prepare and one check_data job each)
N_DATASETS = 7


def snakemake(cwd, *args, check=True):
    return _snakemake(cwd, *args, configfile="tiny.yaml", check=check)


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """A copy of the repository's workflow files with the tiny config."""
    dst = copy_workflow(tmp_path_factory.mktemp("repo"))
    shutil.copy(ROOT / "tests" / "e2e" / "tiny.yaml", dst / "tiny.yaml")
    return dst


@pytest.fixture(scope="module")
def run(tiny_run):
    """The whole tiny run (tests/conftest.py, shared with the scheduler tests)."""
    return tiny_run


@pytest.mark.e2e
def test_lint_reports_nothing(repo):
    res = snakemake(repo, "--lint", check=False)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Lints for" not in out, out


@pytest.mark.e2e
def test_workflow_outputs_exist_and_parse(run):
    figures = [("alvarez-melis", "fig1_lime_shap_2d"), ("nielsen", "fig1_gallery")]
    figures += [("nielsen", n) for n in ["fig2_class_sensitivity", "fig3_pgd_saliency", "sanity_cascading",
                                         "sanity_data", "morf_lerf"]]
    figures += [("agarwal", n) for n in ["fig1_simulated", "fig2_equivalence", "fig3_robustness",
                                         "fig4_sigma", "fig5_undertrained"]]
    figures += [("ghorbani", n) for n in ["fig1_example", "fig2_topk_spearman", "fig8_center_shift",
                                          "fig5_appendix_example", "fig6_appendix_example", "fig7_appendix_example"]]
    figures += [("ghorbani", n) for n in ["fig3_influence", "fig4_influence_random_vs_targeted",
                                          "fig9_topk_spearman_second", "fig10_influence_examples",
                                          "fig11_hessian_angles"]]
    figures += [("kamath", n) for n in ["fig2_lens_vs_eps", "fig3_topk_neighbourhoods", "fig4_datasets", "fig5_w",
                                        "fig6_div_neighbourhoods", "fig7_robust_examples", "fig8_training",
                                        "figE1_lens_attack"]]
    figures += [("alvarez-melis", n) for n in ["fig2_lipschitz_uci", "fig3_maximiser", "fig4_discrete_pair",
                                               "fig5_noise", "fig6_lipschitz_images", "fig7_maximisers",
                                               "fig8_saliency_maximiser"]]
    for paper, name in figures:
        pdf = run / "figures" / paper / f"{name}.pdf"
        png = run / "figures" / paper / f"{name}.png"
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000  # a real plot, not an empty canvas
    prov = json.loads((run / "results/data/synthetic2d.json").read_text())
    assert prov["dataset"]["name"] == "synthetic2d" and prov["shapes"]["X_test"] == [40, 2]
    metrics = json.loads((run / "results/models/digits/cnn_small/natural/seed0/metrics.json").read_text())
    assert 0.5 <= metrics["test_accuracy"] <= 1.0  # 3 epochs on 400 images: well above chance
    from attrobust.explain import saved

    fig1 = saved(run / "results/explain/alvarez_melis_fig1/synthetic2d/mlp_sklearn/natural/seed0.npz")
    assert list(fig1) == ["lime", "kernel_shap"]  # one file per (section, model), every method
    for f in fig1.values():
        assert f["A"].shape == f["X"].shape == (6, 2)
        assert np.isfinite(f["A"]).all() and np.abs(f["A"]).sum() > 0
        assert (f["target"] == 1).all()
    f = saved(run / "results/explain/gallery/digits/cnn_small/natural/seed0.npz")["gradcam"]
    assert f["A"].shape == f["X"].shape == (2, 1, 8, 8)


@pytest.mark.e2e
def test_claims_ledger_has_numbers_for_every_claim(run):
    import pandas as pd

    ledger = pd.read_csv(run / "figures/claims.csv")
    assert set(ledger["claim"]) >= {"agarwal-equivalence", "agarwal-smoothgrad-more-robust",
                                    "agarwal-smaller-sigma-faster", "agarwal-undertrained-slower",
                                    "ghorbani-random-and-targeted", "ghorbani-label-unchanged",
                                    "alvarez-maximiser-moves-explanation",
                                    "alvarez-images-perturbation-less-robust",
                                    "alvarez-images-maximiser-moves-explanation",
                                    "alvarez-fig1-linear-more-stable", "kamath-lens-above-topk",
                                    "ghorbani-influence-targeted-beats-random"}
    assert "| cnn_small_pgd | PGD-trained |" in (run / "figures/kamath/table2.md").read_text()
    assert ledger["verdict"].isin(["holds", "contradicted", "inconclusive"]).all()
    assert set(ledger.loc[ledger["kind"] == "code check", "claim"]) == {"ghorbani-label-unchanged",
                                                                       "kamath-lens-above-topk"}
    assert ledger["measured"].str.contains(r"\d").all()
    assert "Claims ledger" in (run / "figures/claims.md").read_text()
    curves = pd.read_csv(run / "results/metrics/agarwal/wine_minmax/mlp_elu/natural/seed0/curves.csv")
    # one table per (dataset, model): each of its sigmas x 3 points x 3 n
    assert len(curves) == 2 * 3 * 3 and set(curves["n"]) == {20, 60, 200} and set(curves["sigma"]) == {0.1, 1.0}
    # one job per chunk of images holds every eps of the (method, attack) (attrobust.attack_results)
    chunk = run / "results/attacks/ghorbani/digits/cnn_small/natural/seed0/integrated_gradients/topk/chunk0.npz"
    f = attack_results.load([chunk], 16)
    assert f["x_adv"].shape == f["x"].shape == (3, 1, 8, 8)
    assert np.abs(f["x_adv"] - f["x"]).max() <= 16 / 255 + 1e-6
    assert (f["probs_adv"].argmax(1) == f["label"]).all()
    assert np.abs(attack_results.load([chunk], 4)["x_adv"] - f["x"]).max() <= 4 / 255 + 1e-6


@pytest.mark.e2e
def test_report_is_written(run):
    snakemake(run, "--report", "report.html")
    html = (run / "report.html").read_text(errors="ignore")
    assert len(html) > 100_000 and "fig2_equivalence" in html
    assert "robustness_matrix.png" in html and "Claims ledger" in html
    assert "device" in html and "not recorded" not in html  # each figure's device label


@pytest.mark.e2e
def test_robustness_matrix_summarises_every_source(run):
    import pandas as pd

    t = pd.read_csv(run / "results/metrics/robustness_matrix.csv")
    # one Lipschitz panel per explained output: iris' probabilities, diabetes' regression output,
    # the image model's logits (figures.alvarez_melis_images.output)
    assert set(t["quantity"]) == {"lipschitz_prob", "lipschitz_regression", "lipschitz_logit",
                                  "topk_intersection", "one_minus_lens_prec"}
    assert {"iris", "diabetes", "digits"} <= set(t["dataset"])  # UCI sets and the image model
    assert {"lime (fresh)", "lime (common)", "saliency"} <= set(t["method"])  # stochastic: both settings
    attacked = t[~t["quantity"].str.startswith("lipschitz")]
    assert set(attacked["method"]) == {"saliency", "integrated_gradients"}  # simple_gradient filed as saliency
    assert attacked["value"].between(0, 1).all()
    assert (run / "figures/summary/robustness_matrix.png").stat().st_size > 10_000


@pytest.mark.e2e
def test_second_run_has_nothing_to_do(run):
    res = snakemake(run, "--cores", "2", "--dry-run")
    assert "Nothing to be done" in res.stdout + res.stderr


@pytest.mark.e2e
def test_default_target_requests_every_result(repo):
    """`rule all` asks for every file under results/ that any job of the workflow writes
    (all_results in workflow/rules/common.smk), so that a missing one is always rebuilt."""
    import re

    out = snakemake(repo, "--dry-run", "--forceall").stdout
    blocks = re.split(r"^(?:local)?rule (\w+):$", out, flags=re.M)[1:]
    jobs = [(name, dict(re.findall(r"^    (input|output): (.*)$", body, re.M))) for name, body in
            zip(blocks[::2], blocks[1::2])]
    requested = {f for name, b in jobs if name == "default" for f in b["input"].split(", ")}
    written = {f for name, b in jobs if "output" in b for f in b["output"].split(", ") if f.startswith("results/")}
    assert len(written) > 100
    assert written <= requested, sorted(written - requested)


def planned_jobs(repo):
    """Rule -> job count of a dry run (the "Job stats" table)."""
    return job_stats(snakemake(repo, "--cores", "2", "--dry-run").stdout)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "edit, expected",
    [
        # a method parameter: the explanations of the section that lists it (one job per
        # section and model: rules/common.smk, explain_budget), its figure, nothing upstream
        (("tiny.yaml", "smoothgrad: {n_samples: 4}", "smoothgrad: {n_samples: 5}"),
         {"explain": 1, "fig_gallery": 1}),
        # a figure's style parameter: only that figure
        (("tiny.yaml", "alvarez_melis_fig1: {n_show: 4, resolution: 30,",
          "alvarez_melis_fig1: {n_show: 4, resolution: 31,"),
         {"fig_alvarez_melis_fig1": 1}),
        # one attack budget's eps: the attack jobs of its (method, attack)s, which run every eps
        # at once (so the tables of the unchanged eps 4 are rewritten, with the same numbers),
        # what reads them (Kamath's LENS table shares the files) and the ledger
        (("tiny.yaml", "eps: [4, 16]", "eps: [4, 12]"),
         {"attack": 6, "attack_metrics": 12, "kamath_metrics": 1, "fig_ghorbani": 1, "fig_kamath": 1,
          "fig_robustness_matrix": 1, "claims": 1}),
        # a library module: the jobs that run it (Fig. 3's job also writes the table of the
        # PGD claim, so the ledger follows)
        (("src/attrobust/plots/nielsen.py", '"""Absolute attribution', '"""The absolute attribution'),
         {"fig_gallery": 1, "fig_nielsen_class": 1, "fig_nielsen_sanity": 1, "fig_nielsen_faithfulness": 1,
          "fig_nielsen_pgd": 1, "claims": 1}),
        # a module imported only indirectly (metrics, through attacks, influence, sanity and the plots):
        # every job whose script imports it, directly or not (attrobust.deps), and what
        # reads their results. attrobust.config imports the attack registry and so metrics: this
        # case also guards against a module of the data check's closure hiding a rerun
        # (workflow/rules/data.smk, check_data)
        (("src/attrobust/metrics.py", "def topk_mask(", "# edited\ndef topk_mask("),
         {"attack": 12, "attack_metrics": 18, "kamath_metrics": 1, "influence": 1, "nielsen_class": 1, "nielsen_sanity": 1,
          "nielsen_train_permuted": 1, "fig_ghorbani": 1, "fig_ghorbani_fig9": 1, "fig_ghorbani_influence": 1,
          "fig_kamath": 1, "fig_robustness_matrix": 1, "fig_nielsen_class": 1, "fig_nielsen_sanity": 1,
          "claims": 1}),
        # the config module, which only the Snakefile and the check of the loaded data sizes
        # import: no job (the check follows its script, not the library: rules/data.smk)
        (("src/attrobust/config.py", "def check_loaded(", "# edited\ndef check_loaded("), {}),
        # the data check's script: that quick check, but not the data, nor the models (they
        # read its flag as `ancient`)
        (("workflow/scripts/check_data.py", '"""The config', '"""The  config'),
         {"check_data": N_DATASETS}),
        # a method added to a figure: its section's job (one per section stage: #20), the
        # figure and the ledger
        (("tiny.yaml", "nielsen_class: {methods: [saliency, gradcam]",
          "nielsen_class: {methods: [saliency, gradcam, guided_backprop]"),
         {"nielsen_class": 1, "fig_nielsen_class": 1, "claims": 1}),
    ],
    ids=["method-param", "figure-style", "attack-eps", "library-module", "indirect-module", "config-module",
         "data-check-script", "added-method"],
)
def test_a_change_reruns_only_what_it_affects(run, edit, expected):
    path, old, new = run / edit[0], edit[1], edit[2]
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))  # the first occurrence: figures.ghorbani's eps
    try:
        jobs = planned_jobs(run)
    finally:
        path.write_text(text)
    jobs.pop("default", None)
    assert jobs == expected


def _attack_outputs(repo, configfiles):
    """Budget -> (dataset, model) pairs of every `attack` job of a forced dry run."""
    import re

    out = _snakemake(repo, "--dry-run", "--forceall", "--configfile", *configfiles, configfile=configfiles[0]).stdout
    found = {}
    for path in re.findall(r"^    output: (results/attacks/\S+?\.npz)", out, re.M):
        budget, dataset, model = path.split("/")[2:5]
        found.setdefault(budget, set()).add((dataset, model))
    return found


@pytest.mark.e2e
def test_attack_budgets_are_named_in_result_paths(repo):
    """A section that asks the attack stage for other settings gets its own budget name in the
    path (rules/common.smk: attack_budget), even on another section's model, and shares the
    jobs when its settings are the same; no section asks which one owns a model."""
    shared = _attack_outputs(repo, ["tiny.yaml"])
    # tiny: Fig. 9 sets its own n_images / n_iter; Kamath's t is null (figures.ghorbani's k)
    assert set(shared) == {"ghorbani", "ghorbani_fig9"}, shared
    assert ("digits", "cnn_small") in shared["ghorbani"] and ("digits", "mlp") in shared["ghorbani_fig9"]
    (repo / "kamath_t.yaml").write_text("figures:\n  kamath: {t: 5}\n  ghorbani_fig9: {n_images: null, n_iter: null}\n")
    own = _attack_outputs(repo, ["tiny.yaml", "kamath_t.yaml"])
    # Kamath's top-t differs: its own jobs, on figures.ghorbani's model too (once rejected);
    # Fig. 9 without its own n_images / n_iter has figures.ghorbani's settings: shared name
    assert set(own) == {"ghorbani", "kamath"}, own
    assert ("digits", "cnn_small") in own["kamath"] and ("digits", "cnn_small") in own["ghorbani"]
    assert ("digits", "mlp") in own["ghorbani"]


@pytest.mark.e2e
def test_both_randomness_settings_of_a_chunk_share_one_job(repo):
    """rules/lipschitz_pair.smk: where a section asks for fresh and common random numbers
    (tiny.yaml: both sections, as config/config.yaml), each stochastic method's chunk is one
    `lipschitz_pair` job writing both files, deterministic methods one `lipschitz` job; a
    section asking for one setting gets `lipschitz` jobs for that setting alone."""
    import re

    def plan(*configs):
        out = _snakemake(repo, "--dry-run", "--forceall", "--configfile", "tiny.yaml", *configs,
                         configfile="tiny.yaml").stdout
        outputs = re.findall(r"^rule (lipschitz|lipschitz_pair):\n(?:    .*\n)*?    output: (.*)$", out, re.M)
        return job_stats(out), [(rule, o.split(", ")) for rule, o in outputs]

    jobs, outputs = plan()
    # UCI: 2 datasets x (lime, kernel_shap); images: (lime, kernel_shap) in pairs, saliency, occlusion
    assert (jobs["lipschitz_pair"], jobs["lipschitz"]) == (6, 2)
    for rule, files in outputs:
        dirs = sorted(f.split("/")[-2] for f in files)
        assert dirs == (["common", "fresh"] if rule == "lipschitz_pair" else ["common"]), (rule, files)
        assert (rule == "lipschitz_pair") == any(m in files[0] for m in ("/lime/", "/kernel_shap/"))
    (repo / "one_setting.yaml").write_text(
        "figures:\n  alvarez_melis: {randomness: [fresh]}\n  alvarez_melis_images: {randomness: [common]}\n")
    jobs, outputs = plan("one_setting.yaml")
    assert "lipschitz_pair" not in jobs and jobs["lipschitz"] == 8
    uci = {f.split("/")[-2] for rule, files in outputs for f in files if "/alvarez_melis/" in f}
    images = {f.split("/")[-2] for rule, files in outputs for f in files if "/alvarez_melis_images/" in f}
    assert (uci, images) == ({"fresh"}, {"common"})


@pytest.mark.e2e
def test_lipschitz_budgets_are_named_in_result_paths(repo):
    """Figs. 2-3 and Figs. 5-7 estimating on the same (dataset, model) each get their own
    `lipschitz` jobs under their section's budget name (once a config error); Fig. 1 and
    Fig. 4 likewise for the discrete estimate (eq. 2)."""
    import re

    (repo / "same_pair.yaml").write_text(
        "figures:\n"
        "  alvarez_melis: {datasets: [digits], example_dataset: digits, model: cnn_small, methods: [saliency]}\n"
        "  alvarez_melis_discrete: {dataset: synthetic2d, model: linear_svm}\n")
    out = _snakemake(repo, "--dry-run", "--forceall", "--configfile", "tiny.yaml", "same_pair.yaml",
                     configfile="tiny.yaml").stdout
    chunks = set(re.findall(r"^    output: results/lipschitz/(\w+)/digits/cnn_small/\S+/chunk\d+\.npz", out, re.M))
    assert chunks == {"alvarez_melis", "alvarez_melis_images"}, chunks
    discrete = set(re.findall(r"^    output: results/lipschitz/(\w+)/synthetic2d/linear_svm/\S+/discrete\.npz",
                              out, re.M))
    assert discrete == {"alvarez_melis_fig1", "alvarez_melis_discrete"}, discrete
