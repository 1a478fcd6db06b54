"""A job on a scikit-learn model never imports torch (issue #20: its ~0.8 s import was a
quarter of such a job): the train, explain and Lipschitz scripts run here as the workflow
runs them (the script with a `snakemake` object), on a random forest, in one fresh
interpreter, which then has not loaded torch. The same scripts on a torch model do."""
import json
import subprocess
import sys
import textwrap

from _workflow import ROOT

# The scripts in one process, each with the params its rule gives (workflow/rules/*.smk).
RUN = textwrap.dedent("""
    import runpy, sys, types
    from pathlib import Path
    sys.path.insert(0, "{root}/src")
    from attrobust import data, models

    N = types.SimpleNamespace
    out, arch = Path("{tmp}"), "{arch}"
    scripts = Path("{root}/workflow/scripts")
    data.prepare("synthetic2d", None, out / "d.npz", out / "d.json", n=80)
    model = dict(data=str(out / "d.npz"), model=str(out / "model.pt"))

    def run(script, **job):
        sm = N(scriptdir=str(scripts), threads=1, rule=script, log=[str(out / (script + ".log"))], **job)
        runpy.run_path(str(scripts / (script + ".py")), init_globals=dict(snakemake=sm))

    spec = dict(arch=arch, hp=dict(epochs=2) if arch == "mlp" else {{}})
    run("train", input=N(data=model["data"]), output=N(model=model["model"], metrics=str(out / "m.json")),
        params=N(spec=spec, device="cpu"), wildcards=N(seed="0", regime="natural"))
    run("explain", input=N(**model), output=[str(out / "explain.npz")],
        params=N(methods=["lime", "kernel_shap"], n_points=2, target="predicted", n_background=10,
                 batch_size=8, seed=0, device="cpu",
                 method_params=dict(lime=dict(num_samples=50), kernel_shap=dict(nsamples=30, n_background=5))),
        wildcards=N(seed="0"))
    run("lipschitz", input=N(**model), output=[str(out / "lipschitz.npz")],
        params=N(method_params=dict(nsamples=30, n_background=5), chunk=0, chunk_size=2, eps=0.1,
                 estimator="bo", noise_seeds=0, protocol="paper", output="prob", n_calls=12,
                 randomness="common", n_background=10, seed=0),
        wildcards=N(method="kernel_shap", seed="0"))
    print("TORCH_LOADED", "torch" in sys.modules)
""")


def _run(tmp_path, arch):
    code = RUN.format(root=ROOT, tmp=tmp_path, arch=arch)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    assert json.loads((tmp_path / "m.json").read_text())["arch"] == arch
    assert (tmp_path / "explain.npz").is_file() and (tmp_path / "lipschitz.npz").is_file()
    return res.stdout


def test_a_scikit_learn_models_jobs_never_import_torch(tmp_path):
    assert "TORCH_LOADED False" in _run(tmp_path, "random_forest")
    assert "device cpu (a scikit-learn model" in (tmp_path / "explain.log").read_text()


def test_a_torch_models_jobs_do(tmp_path):
    # the same harness sees torch where it is used: the check above can fail
    assert "TORCH_LOADED True" in _run(tmp_path, "mlp")
