"""A job on a scikit-learn model never imports torch (issue #20: its ~0.8 s import was a
quarter of such a job): the train, explain and Lipschitz scripts run here as the workflow
runs them (the script with a `snakemake` object, each in a fresh interpreter), on a random
forest, and torch stays unloaded. On a torch model they load it before their log starts, so
that the start-up a log reports (`make bench-table`) includes torch's import."""
import subprocess
import sys
import textwrap

import pytest
from _workflow import ROOT

# One script in a fresh interpreter, with the params its rule gives (workflow/rules/*.smk).
RUN = textwrap.dedent("""
    import runpy, sys, types
    from pathlib import Path
    sys.path.insert(0, "{root}/src")
    from attrobust import data, utils

    started = []  # whether torch was loaded when the job's log started
    log_to = utils.log_to
    utils.log_to = lambda path: (started.append("torch" in sys.modules), log_to(path))
    N = types.SimpleNamespace
    out, arch, script = Path("{tmp}"), "{arch}", "{script}"
    scripts = Path("{root}/workflow/scripts")
    model = dict(data=str(out / "d.npz"), model=str(out / "model.pt"))
    jobs = dict(
        train=dict(input=N(data=model["data"]), output=N(model=model["model"], metrics=str(out / "m.json")),
                   params=N(spec=dict(arch=arch, hp=dict(epochs=2) if arch == "mlp" else {{}}), device="cpu"),
                   wildcards=N(seed="0", regime="natural")),
        explain=dict(input=N(**model), output=[str(out / "explain.npz")], wildcards=N(seed="0"),
                     params=N(methods=["lime", "kernel_shap"], n_points=2, target="predicted", n_background=10,
                              batch_size=8, seed=0, device="cpu",
                              method_params=dict(lime=dict(num_samples=50),
                                                 kernel_shap=dict(nsamples=30, n_background=5)))),
        lipschitz=dict(input=N(**model), output=[str(out / "lipschitz.npz")],
                       params=N(method_params=dict(nsamples=30, n_background=5), chunk=0, chunk_size=2, eps=0.1,
                                estimator="bo", noise_seeds=0, protocol="paper", output="prob", n_calls=12,
                                randomness=["common"], n_background=10, seed=0),
                       wildcards=N(method="kernel_shap", seed="0")),
    )
    if script == "train":
        data.prepare("synthetic2d", None, out / "d.npz", out / "d.json", n=80)
    sm = N(scriptdir=str(scripts), threads=1, rule=script, log=[str(out / (script + ".log"))], **jobs[script])
    runpy.run_path(str(scripts / (script + ".py")), init_globals=dict(snakemake=sm))
    assert Path(sm.output[0] if isinstance(sm.output, list) else sm.output.model).is_file()
    print("TORCH", "torch" in sys.modules, "AT_LOG_START", started)
""")


@pytest.mark.parametrize("arch,torch_loaded", [("random_forest", False), ("mlp", True)])
def test_jobs_on_a_scikit_learn_model_never_import_torch(tmp_path, arch, torch_loaded):
    for script in ("train", "explain", "lipschitz"):
        code = RUN.format(root=ROOT, tmp=tmp_path, arch=arch, script=script)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr[-4000:]
        # the torch model's case: the check can fail, and torch came before the log
        assert f"TORCH {torch_loaded} AT_LOG_START [{torch_loaded}]" in res.stdout, (script, res.stdout)
    if not torch_loaded:
        assert "device cpu (a scikit-learn model" in (tmp_path / "explain.log").read_text()
