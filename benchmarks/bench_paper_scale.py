"""(f) Paper scale: an EXTRAPOLATION, not a measurement, of the compute config/paper.yaml
asks for, per paper figure, from the per-call costs measured by (a), (b) and (c) on this
machine (one CPU thread), plus a few per-call costs measured here (Kernel SHAP / LIME on
scikit-learn models with the paper's sample sizes: one call each).

Sizes come from config/paper.yaml merged over config/config.yaml, as Snakemake merges them
(nested keys; a key paper.yaml does not set keeps config.yaml's value).

Assumptions (each is stated next to its number in results.json):
- cost is linear in the number of model evaluations: IG in n_steps, SmoothGrad in
  n_samples, LIME in num_samples, Kernel SHAP in nsamples x n_background;
- an explainer call inside the Lipschitz search costs what one example costs in the
  per-example baseline of (a) (captum / lime called on one input);
- gradient_x_input, guided backprop, deconvolution, Grad-CAM and guided Grad-CAM cost one
  forward and one backward pass, like saliency; epsilon-LRP costs what DeepLIFT costs;
- attacks with simple gradient or DeepLIFT cost at most what IG with the same budget costs
  (we charge IG's rate for all three: an upper bound); random-sign attacks are negligible;
- ResNet-18 at 224x224 (gallery) costs (1.82 GMAC / MACs of cnn_small at 28x28) times the
  28x28 CNN's per-example cost (compute-bound on one thread, as (a) shows for 28x28);
- COMPAS has 6172 rows after ProPublica's filter (13 features); its test fold is 20%.

GPU estimate: we have no GPU. We assume a GPU runs the torch work (every explainer call on
a CNN -- LIME's and Kernel SHAP's time on the CNNs is their forward passes: 10 000 per
Kernel SHAP example in (a) -- and the attacks) GPU_SPEEDUP = 10x faster than one CPU
thread, and gives nothing to the rest (skopt's Bayesian optimisation, LIME and Kernel SHAP
on scikit-learn models), which stays on the host CPU. Why 10x and not the ~100x of peak FLOP/s between a
datacenter GPU and one AVX2 core: these workloads run one input (Lipschitz search) or 16
tiny 8x8 images (attacks) per call through a 38k-parameter CNN, where a GPU is bound by
kernel-launch latency (~5-10 us per kernel, tens of kernels per forward + backward), not by
arithmetic; 10x is what such small-batch work typically gains. ResNet-18 (gallery) would
gain more, so its GPU hours are an upper bound.
"""
from __future__ import annotations

import math
import time

import numpy as np
import yaml

from _common import ROOT, cnn28, macs, one_thread

GPU_SPEEDUP = 10.0
RESNET18_MACS = 1.82e9  # torchvision resnet18 at 3x224x224 (He et al. 2016, Table 1: 1.8 GFLOPs)
COMPAS_ROWS = 6172


def merged_config() -> dict:
    def merge(a, b):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    base = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    return merge(base, yaml.safe_load((ROOT / "config/paper.yaml").read_text()))


def _method_params(cfg, method):
    from attrobust.explain import METHODS

    return {**METHODS[method].defaults, **(cfg.get("methods") or {}).get(method, {})}


def _per_example_28(prior, cfg):
    """Seconds per single-example call on the 28x28 CNN for every method, from (a)'s
    per-example baseline, scaled to the config's method parameters. -> {method: (s, note)}"""
    a = {r["method"]: r for r in prior["attribution"]["rows"] if r["model"] == "28x28"}
    measured = prior["attribution"]["params"]
    s = lambda m: a[m]["baseline_s_per_example"]  # noqa: E731
    p = lambda m: _method_params(cfg, m)  # noqa: E731
    out = {
        "saliency": (s("saliency"), "(a) saliency"),
        "gradient_x_input": (s("saliency"), "(a) saliency (one forward + backward)"),
        "guided_backprop": (s("saliency"), "(a) saliency (one forward + backward)"),
        "deconvolution": (s("saliency"), "(a) saliency (one forward + backward)"),
        "gradcam": (s("saliency"), "(a) saliency (one forward + backward)"),
        "guided_gradcam": (s("saliency"), "(a) saliency (one forward + backward)"),
        "deeplift": (s("deeplift"), "(a) deeplift"),
        "lrp_epsilon": (s("deeplift"), "(a) deeplift (assumed equal)"),
        "occlusion": (s("occlusion"), "(a) occlusion"),
        "integrated_gradients": (s("integrated_gradients") * p("integrated_gradients")["n_steps"]
                                 / measured["integrated_gradients"]["n_steps"],
                                 f"(a) IG x {p('integrated_gradients')['n_steps']}/{measured['integrated_gradients']['n_steps']} steps"),
        "smoothgrad": (s("smoothgrad") * p("smoothgrad")["n_samples"] / measured["smoothgrad"]["n_samples"],
                       f"(a) SmoothGrad x {p('smoothgrad')['n_samples']}/{measured['smoothgrad']['n_samples']} samples"),
        "lime": (s("lime") * p("lime")["num_samples"] / measured["lime"]["num_samples"],
                 f"(a) LIME x {p('lime')['num_samples']}/{measured['lime']['num_samples']} samples"),
    }
    ks, km = p("kernel_shap"), measured["kernel_shap"]
    ns = ks["nsamples"] if ks["nsamples"] != "auto" else 2 * 49 + 2048  # shap's auto: 2 M + 2048
    factor = ns * ks["n_background"] / (km["nsamples"] * km["n_background"])
    out["kernel_shap"] = (s("kernel_shap") * factor,
                          f"(a) Kernel SHAP x {ns}*{ks['n_background']}/({km['nsamples']}*{km['n_background']}) evaluations")
    return out


def _bo_overhead(prior, n_calls):
    """BO's own seconds per point (total minus explainer) after n_calls calls in 784
    dimensions, from (b)'s 28x28 case; beyond the measured calls, linear in the calls."""
    rows = [r for r in prior["lipschitz"]["rows"] if r["case"].startswith("28x28")]
    p = rows[0]["points"][0]
    marks = p["marks"]
    if n_calls <= len(marks):
        t, ex = marks[n_calls - 1]
        return t - ex, f"(b) 28x28 BO, first {n_calls} calls"
    per_call = (p["total_s"] - p["explainer_s"]) / len(marks)
    return per_call * n_calls, f"(b) 28x28 BO: {len(marks)} calls measured, linear to {n_calls} (underestimate)"


def _measure_tabular(cfg):
    """One call each of LIME and Kernel SHAP with the paper's parameters on a random forest
    (the UCI figures' model) and a logistic regression (Fig. 4's), on wine (13 features,
    as COMPAS)."""
    from attrobust import data, explain, models

    wine = data.load("wine")
    bg = wine["X_train"][:100]
    out = {}
    for arch in ("random_forest", "logistic_regression"):
        m = models.build(arch, wine["input_shape"], len(wine["class_names"]), seed=0)
        models.train(m, wine, seed=0)
        for method in ("lime", "kernel_shap"):
            params = {k: v for k, v in _method_params(cfg, method).items()
                      if k in ("num_samples", "nsamples", "n_background")}
            x = wine["X_test"][:1]
            explain.explain(method, m, x, background=bg, **{**params, **({"num_samples": 50} if method == "lime" else {"nsamples": 50})})
            t0 = time.perf_counter()
            explain.explain(method, m, x, background=bg, **params)
            out[(arch, method)] = time.perf_counter() - t0
            print(f"  measured: {method} of {arch} on wine, {params}: {out[(arch, method)]:.2f} s/call", flush=True)
    return out


def run(quick: bool = False, prior: dict | None = None) -> dict:
    one_thread()
    prior = prior or {}
    missing = [k for k in ("attribution", "lipschitz", "attacks") if k not in prior]
    if missing:
        print(f"  needs the results of {missing}: run them first (or without --only)", flush=True)
        return {"description": "paper-scale extrapolation", "missing": missing, "rows": []}
    cfg = merged_config()
    figs = cfg["figures"]
    per28 = _per_example_28(prior, cfg)
    tab = _measure_tabular(cfg)
    rows = []

    def add(figure, what, units, torch_s, other_s, source):
        cpu_h = (torch_s + other_s) / 3600
        gpu_h = (torch_s / GPU_SPEEDUP + other_s) / 3600
        rows.append({"figure": figure, "work": what, "units": units, "cpu_hours": cpu_h,
                     "gpu_hours": gpu_h, "torch_cpu_s": torch_s, "other_cpu_s": other_s, "source": source})

    # Alvarez-Melis & Jaakkola Figs. 5-7: eq. (1) by BO for every method on MNIST
    im = figs.get("alvarez_melis_images")
    if im:
        from attrobust.explain import METHODS

        for m in im["methods"]:
            black = METHODS[m].kind == "blackbox"
            n_calls = im["n_calls_blackbox"] if black and im.get("n_calls_blackbox") else im["n_calls"]
            extra = 2 + (im["noise_seeds"] if METHODS[m].stochastic else 0)  # f(x), f(x_max), noise floor
            call_s, note = per28[m]
            bo_s, bo_note = _bo_overhead(prior, n_calls)
            pts = im["n_points"]
            f_s = pts * (n_calls + extra) * call_s  # all torch work: on a CNN, LIME's and SHAP's
            add("alvarez_melis_images (Figs. 5-7)",  # time is the model's forward passes
                f"{m}: {pts} {im['dataset']} points x {n_calls} BO calls", pts, f_s, pts * bo_s,
                f"{note}; {bo_note}")

    # Alvarez-Melis & Jaakkola Figs. 2-3: UCI sets, random forest, LIME and Kernel SHAP
    uci = figs.get("alvarez_melis")
    if uci:
        lw = {r["estimator"]: r for r in prior["lipschitz"]["rows"] if r["case"].startswith("wine")}["bo"]
        lime_call = tab[("random_forest", "lime")]
        shap_call = tab[("random_forest", "kernel_shap")]
        bo_per_point = lw["total_s_per_point"] - lw["explainer_s_per_point"]  # 13 dims, 40 calls
        for m, call in (("lime", lime_call), ("kernel_shap", shap_call)):
            if m not in uci["methods"]:
                continue
            pts = uci["n_points"] * len(uci["datasets"])
            calls = uci["n_calls"] + 2 + uci["noise_seeds"]
            add("alvarez_melis (Figs. 2-3)", f"{m}: {len(uci['datasets'])} UCI sets x {uci['n_points']} points "
                f"x {uci['n_calls']} BO calls", pts, 0.0, pts * (calls * call + bo_per_point * uci["n_calls"] / lw["n_calls"]),
                f"measured here: {m} of a random forest {call:.2f} s/call; (b) wine BO overhead")

    # Alvarez-Melis & Jaakkola Fig. 4: eq. (2) over the whole COMPAS test fold
    disc = figs.get("alvarez_melis_discrete")
    if disc:
        n_test = math.ceil(COMPAS_ROWS * 0.2) if disc["dataset"] == "compas" else None
        if n_test:
            for m in disc["methods"]:
                call = tab[("logistic_regression", m)]
                add("alvarez_melis_discrete (Fig. 4)", f"{m}: explain {n_test} COMPAS test points",
                    n_test, 0.0, n_test * call, f"measured here: {m} of a logistic regression {call:.2f} s/call")

    # Ghorbani et al.: iterative attacks
    gh = figs.get("ghorbani")
    if gh:
        att = prior["attacks"]["rows"]
        model = {"digits": "digits 8x8", "mnist": "28x28", "fashion_mnist": "28x28"}.get(gh["dataset"])
        rs = sorted((r for r in att if r["model"] == model), key=lambda r: r["ig_steps"])
        if rs:
            # seconds per image-iteration, linear in IG steps between the measured settings
            steps = [r["ig_steps"] for r in rs]
            per = [1 / r["ours_img_it_per_s"] for r in rs]
            s_it = float(np.interp(gh["ig_steps"], steps, per)) if len(rs) > 1 else per[0] * gh["ig_steps"] / steps[0]
            iterative = [a for a in gh["attacks"] if a != "random_sign"]
            jobs = len(gh["methods"]) * len(iterative) * len(gh["eps"])
            work = jobs * gh["n_images"] * gh["n_iter"]
            add("ghorbani (Figs. 1, 2, 8)", f"{jobs} attack jobs x {gh['n_images']} images x {gh['n_iter']} "
                f"iterations ({gh['dataset']}, IG {gh['ig_steps']} steps charged for every method)",
                work, work * s_it, 0.0, f"(c) {model}, batched, {1 / s_it:.1f} img*it/s")

    # Nielsen et al. Fig. 1: the attribution gallery on ImageNet
    gal = figs.get("gallery")
    if gal and gal.get("model") in ("resnet18",):
        ratio = RESNET18_MACS / macs(cnn28(), (1, 28, 28))
        total = sum(per28[m][0] for m in gal["methods"]) * gal["n_images"] * ratio
        add("gallery (Nielsen Fig. 1)", f"{len(gal['methods'])} methods x {gal['n_images']} ImageNet images, "
            f"ResNet-18", gal["n_images"], total, 0.0,
            f"(a) 28x28 per-example costs x {ratio:.0f} (MACs of ResNet-18 / cnn_small 28x28)")

    not_estimated = [f for f in figs if f not in {"alvarez_melis_images", "alvarez_melis",
                                                  "alvarez_melis_discrete", "ghorbani", "gallery"}]
    for r in rows:
        print(f"  {r['figure']:34s} {r['work'][:70]:70s} CPU {r['cpu_hours']:8.2f} h  GPU {r['gpu_hours']:8.2f} h",
              flush=True)
    by_fig: dict = {}
    for r in rows:
        f = by_fig.setdefault(r["figure"], {"cpu_hours": 0.0, "gpu_hours": 0.0})
        f["cpu_hours"] += r["cpu_hours"]
        f["gpu_hours"] += r["gpu_hours"]
    return {
        "description": "EXTRAPOLATION of config/paper.yaml's compute from measured per-call costs "
                       "(one CPU thread of this machine); GPU hours assume a GPU_SPEEDUP x faster "
                       "torch part and no gain elsewhere",
        "gpu_speedup_assumed": GPU_SPEEDUP,
        "assumptions": __doc__.split("Assumptions", 1)[1].strip(),
        "rows": rows,
        "per_figure": by_fig,
        "total_cpu_hours": sum(r["cpu_hours"] for r in rows),
        "total_gpu_hours": sum(r["gpu_hours"] for r in rows),
        "not_estimated": not_estimated,
        "measured_here_s_per_call": {f"{m} of {a}": s for (a, m), s in tab.items()},
    }


def table(res: dict) -> str:
    if res.get("missing"):
        return f"not computed: needs {res['missing']}"
    out = ["| figure (config/paper.yaml) | work | CPU hours (1 thread) | GPU hours (assumed "
           f"{res['gpu_speedup_assumed']:g}x on torch work) | per-call costs from |",
           "| --- | --- | ---: | ---: | --- |"]
    for r in res["rows"]:
        out.append(f"| {r['figure']} | {r['work']} | {r['cpu_hours']:.2f} | {r['gpu_hours']:.2f} | {r['source']} |")
    out.append(f"| **total** | | **{res['total_cpu_hours']:.1f}** | **{res['total_gpu_hours']:.1f}** | |")
    if res["not_estimated"]:
        out.append(f"\nNot estimated (no per-call cost measured here): {', '.join(res['not_estimated'])}.")
    return "\n".join(out)
