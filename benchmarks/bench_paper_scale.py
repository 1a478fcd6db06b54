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
- a model other than the measured ones costs (its MACs / MACs of the measured model) times
  the measured cost (compute-bound, as above): cifar_cnn at 3x32x32 for Ghorbani Fig. 9 and
  the influence figures, cnn_small at 3x32x32 for Kamath's CIFAR-10 runs, ResNet-50
  (4.09 GMAC, torchvision's figure) for Alvarez-Melis Fig. 8;
- attack jobs: seconds per image-iteration of (c) at the job's IG steps (28x28 rate scaled
  by MACs for other inputs); the evaluation of the maps before / after is not counted;
  attack files that several figures read (same dataset, model, method, attack, eps) once;
- a forward pass alone (infidelity, pixel removal, influence features) costs the per-example
  forward time measured here on the 28x28 CNN (times the MACs ratio); a forward + backward
  to the input (an attack or PGD step, a saliency map) costs (a)'s 28x28 saliency; a
  Hessian-vector product by double backprop costs two of those;
- training: epochs x training-set size x the per-example cost of one optimiser step
  measured here on the 28x28 CNN at batch 32 (times the MACs ratio); a PGD step on top
  costs one forward + backward to the input; an IG-SUM-NORM objective (Chen et al. 2019,
  ig_steps path points, double backprop) costs 2 ig_steps + 1 of them; training sets:
  MNIST / Fashion-MNIST 60 000, CIFAR-10 50 000 images (all of the official training
  split); models from torchvision (ResNet-18/50) are pretrained, not trained;
- occlusion on ResNet-18 uses as many windows as on 28x28 (window scaled with the image).

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
from attrobust.papers import kamath as kamath_paper

GPU_SPEEDUP = 10.0
# The other bound: large-batch torch work (ImageNet / CIFAR-10 attacks, training) is
# compute-bound on a GPU as on the CPU. One thread here sustains ~45 GFLOP/s on the 28x28
# CNN ((a)); a modern datacenter GPU sustaining 15 TFLOP/s in fp32 (~25% of an H100's peak)
# is then ~330x faster on the same FLOPs.
CPU_FLOPS, GPU_FLOPS = 45e9, 15e12
RESNET18_MACS = 1.82e9  # torchvision resnet18 at 3x224x224 (He et al. 2016, Table 1: 1.8 GFLOPs)
RESNET50_MACS = 4.09e9  # torchvision resnet50 at 3x224x224
SQUEEZENET_MACS = 0.35e9  # torchvision squeezenet1_1 at 3x224x224 (its model card: 0.35 GFLOPS)
TORCHVISION_MACS = {"resnet18": RESNET18_MACS, "resnet50": RESNET50_MACS, "squeezenet1_1": SQUEEZENET_MACS}
COMPAS_ROWS = 6172
TRAIN_SIZES = {"mnist": 60000, "fashion_mnist": 60000, "cifar10": 50000}
SHAPES = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32), "digits": (1, 8, 8),
          "imagenet_val": (3, 224, 224)}


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


def _measure_cnn28():
    """Per-example seconds of a forward pass (batch 1, no grad) and of one training step
    (forward + backward to the weights + Adam, batch 32) of the 28x28 CNN, one thread."""
    import torch

    net, x = cnn28(), torch.rand(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    def fwd():
        with torch.no_grad():
            for i in range(32):
                net(x[i:i + 1])

    out = {}
    for name, fn in (("forward", fwd), ("train_step", step)):
        fn()
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) / 32)
        out[name] = float(np.median(ts))
        print(f"  measured: {name} of cnn_small 28x28: {out[name] * 1e3:.3f} ms/example", flush=True)
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
        gpu_fast_h = (torch_s * CPU_FLOPS / GPU_FLOPS + other_s) / 3600
        rows.append({"figure": figure, "work": what, "units": units, "cpu_hours": cpu_h,
                     "gpu_hours": gpu_h, "gpu_hours_compute_bound": gpu_fast_h, "torch_cpu_s": torch_s, "other_cpu_s": other_s, "source": source})

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

    # Nielsen et al. Fig. 1: the attribution gallery on ImageNet
    gal = figs.get("gallery")
    if gal and gal.get("model") in ("resnet18",):
        ratio = RESNET18_MACS / macs(cnn28(), (1, 28, 28))
        total = sum(per28[m][0] for m in gal["methods"]) * gal["n_images"] * ratio
        add("gallery (Nielsen Fig. 1)", f"{len(gal['methods'])} methods x {gal['n_images']} ImageNet images, "
            f"ResNet-18", gal["n_images"], total, 0.0,
            f"(a) 28x28 per-example costs x {ratio:.0f} (MACs of ResNet-18 / cnn_small 28x28)")

    # ------------------------------------------------------------ the sections added later
    from attrobust import models as M

    meas = _measure_cnn28()
    mac28 = macs(cnn28(), (1, 28, 28))
    _macs_cache: dict = {}

    def ratio(arch, shape):
        """MACs of ``arch`` at ``shape`` / MACs of cnn_small at 1x28x28."""
        key = (arch, tuple(shape))
        if arch in TORCHVISION_MACS:  # torchvision is not installed here: published MACs
            return TORCHVISION_MACS[arch] / mac28
        if key not in _macs_cache:
            _macs_cache[key] = macs(M.build(arch, shape, 10, seed=0), shape) / mac28
        return _macs_cache[key]

    spec = lambda name: {"arch": name, "regime": "natural", "hp": {}, "regime_params": {},  # noqa: E731
                         **(cfg.get("models") or {}).get(name, {})}
    fb28 = per28["saliency"][0]  # one forward + backward to the input, per example
    att = prior["attacks"]["rows"]

    def attack_rate(dataset, arch, ig_steps):
        """Seconds per image-iteration of an iterative attack on (dataset, arch), and its note."""
        if dataset == "digits" and arch == "cnn_small":
            rs = sorted((r for r in att if r["model"] == "digits 8x8"), key=lambda r: r["ig_steps"])
            steps, per = [r["ig_steps"] for r in rs], [1 / r["ours_img_it_per_s"] for r in rs]
            return float(np.interp(ig_steps, steps, per)), "(c) digits 8x8"
        r28 = next(r for r in att if r["model"] == "28x28")
        q = ratio(arch, SHAPES[dataset])
        s_it = ig_steps / r28["ig_steps"] / r28["ours_img_it_per_s"] * q
        return s_it, (f"(c) 28x28 at IG {r28['ig_steps']} steps x {ig_steps}/{r28['ig_steps']} steps"
                      + (f" x {q:.2f} (MACs of {arch} {SHAPES[dataset]} / cnn_small 28x28)" if q != 1 else ""))

    gh = figs.get("ghorbani") or {}
    f9 = figs.get("ghorbani_fig9")
    counted = set()  # attack files already charged: (dataset, model, method, attack, eps)

    def attack_jobs(figure, runs, tag):
        """Rows for the iterative attack files in ``runs`` not yet counted, per (dataset, model, method)."""
        groups: dict = {}
        for d, m, meth, a, e in runs:
            key = (d, m, meth, a, float(e))
            if key in counted or a == "random_sign":
                continue
            counted.add(key)
            groups.setdefault((d, m, meth), []).append((a, e))
        for (d, m, meth), jobs in sorted(groups.items()):
            sp = spec(m)
            fig9_pair = f9 and (d, m) == (f9["dataset"], f9["model"]) and (d, m) != (gh.get("dataset"), gh.get("model"))
            n_img = f9["n_images"] if fig9_pair and f9.get("n_images") else gh["n_images"]
            n_it = f9["n_iter"] if fig9_pair and f9.get("n_iter") else gh["n_iter"]
            s_it, note = attack_rate(d, sp["arch"], gh["ig_steps"])
            work = len(jobs) * n_img * n_it
            add(figure, f"{meth} on {d}/{m}{tag}: {len(jobs)} (attack, eps) runs x {n_img} images x {n_it} iterations",
                work, work * s_it, 0.0,
                f"{note}, {1 / s_it:.2f} img*it/s; IG {gh['ig_steps']} steps' rate charged"
                + ("" if meth == "integrated_gradients" else " (upper bound for this method)"))

    trained = set()  # (dataset, model) pairs whose training was charged

    def train_cost(figure, dataset, model, note=""):
        if (dataset, model) in trained:
            return
        trained.add((dataset, model))
        sp = spec(model)
        if sp["arch"] not in ("cnn_small", "cifar_cnn") or dataset not in TRAIN_SIZES:
            return  # pretrained (torchvision) or too small to matter (digits)
        hp = {**M.ARCHS[sp["arch"]].defaults, **(sp.get("hp") or {})}
        q = ratio(sp["arch"], SHAPES[dataset])
        rp = {**M.REGIME_HP.get(sp["regime"], {}), **(sp.get("regime_params") or {})}
        if sp["regime"] == "natural":
            per, how = meas["train_step"], "1 optimiser step"
        elif sp["regime"] == "pgd":
            per = rp["steps"] * fb28 + meas["train_step"]
            how = f"{rp['steps']} PGD steps + 1 optimiser step"
        else:
            k = 2 * rp["ig_steps"] + 1
            per = rp["steps"] * k * fb28 + k * meas["train_step"]
            how = f"{rp['steps']} IG-SUM-NORM PGD steps x {k} + {k} optimiser-step equivalents"
        n = TRAIN_SIZES[dataset]
        add(figure, f"train {model} ({sp['regime']}) on {dataset}: {hp['epochs']} epochs x {n} images{note}",
            hp["epochs"] * n, hp["epochs"] * n * per * q, 0.0,
            f"measured here: train step {meas['train_step'] * 1e3:.2f} ms/example; (a) saliency; per example: "
            f"{how}" + (f"; x {q:.2f} MACs" if q != 1 else ""))

    for d, m in ([(figs["alvarez_melis_images"]["dataset"], figs["alvarez_melis_images"]["model"])]
                 if im else []):
        train_cost("alvarez_melis_images (Figs. 5-7)", d, m)

    # Ghorbani et al. Figs. 1, 2, 8: figures.ghorbani's iterative attacks
    if gh:
        attack_jobs("ghorbani (Figs. 1, 2, 8)", [(gh["dataset"], gh["model"], m, a, e) for m in gh["methods"]
                                                 for a in gh["attacks"] for e in gh["eps"]], "")

    # Ghorbani Fig. 9: figures.ghorbani's attacks on a second dataset / model
    if f9:
        train_cost("ghorbani_fig9 (Fig. 9)", f9["dataset"], f9["model"])
        attack_jobs("ghorbani_fig9 (Fig. 9)", [(f9["dataset"], f9["model"], m, a, e) for m in f9["methods"]
                                               for a in f9["attacks"] for e in f9["eps"]], "")

    # Ghorbani Figs. 3, 4, 10, 11: eq. (2) attack on the influence of a binary last layer, Hessian
    gi = figs.get("ghorbani_influence")
    if gi:
        fig = "ghorbani_influence (Figs. 3, 4, 10, 11)"
        train_cost(fig, gi["dataset"], gi["model"])
        q = ratio(spec(gi["model"])["arch"], SHAPES.get(gi["dataset"], (1, 28, 28)))
        n_cls = TRAIN_SIZES.get(gi["dataset"], 0) // 10 * len(gi["classes"])  # balanced classes
        feat = n_cls * meas["forward"] * q
        steps = gi["n_images"] * len(gi["eps"]) * gi["n_iter"] + 2 * gi["n_images"]  # + Fig. 11b angles
        add(fig, f"influence: features of {n_cls} training images + {len(gi['eps'])} eps x {gi['n_images']} "
            f"images x {gi['n_iter']} attack steps (+2 gradients per image, Fig. 11b)", gi["n_images"],
            feat + steps * fb28 * q, 0.0,
            f"measured here: forward {meas['forward'] * 1e3:.2f} ms; (a) saliency as one step; x {q:.1f} MACs")
        h = gi["hessian"]
        hvps = h["n_images"] * h["n_iter"] * 2  # H^2 v per power iteration
        add(fig, f"Hessian power iteration: {h['n_images']} images x {h['n_iter']} iterations x 2 HVPs",
            h["n_images"], hvps * 2 * fb28 * q, 0.0,
            f"(a) saliency x 2 per HVP (double backprop) x {q:.1f} MACs")

    # Kamath et al.: the `attack` rule's files (figures.ghorbani's settings) + robust training
    ka = figs.get("kamath")
    if ka and gh:
        fig = "kamath (Figs. 2-8, Table 2)"
        runs = kamath_paper.attack_runs(ka)  # the rules' own list (workflow/papers/kamath/rules.smk)
        for d, m in sorted({(r[0], r[1]) for r in runs}):
            train_cost(fig, d, m)
        attack_jobs(fig, runs, "")

    # Nielsen et al.: ResNet-18 on ImageNet (Fig. 2, faithfulness), the 28x28 CNN (sanity, Fig. 3)
    r18 = RESNET18_MACS / mac28
    nc = figs.get("nielsen_class")
    if nc and nc.get("model") == "resnet18":
        maps = nc["n_images"] * (1 + nc["n_other"])
        add("nielsen_class (Fig. 2)", f"{len(nc['methods'])} methods x {nc['n_images']} images x "
            f"(1 + {nc['n_other']}) classes, ResNet-18", maps,
            sum(per28[m][0] for m in nc["methods"]) * maps * r18, 0.0,
            f"(a) 28x28 per-example costs x {r18:.0f} (MACs of ResNet-18 / cnn_small 28x28)")
    nf = figs.get("nielsen_faithfulness")
    if nf and nf.get("model") == "resnet18":
        n = nf["n_images"]
        fwd = (nf["infidelity"]["n_perturb"] + 2 * (nf["removal"]["n_steps"] + 1)) * meas["forward"] * n
        for m in nf["methods"]:
            expl = (1 + nf["sensitivity"]["n_perturb"]) * per28[m][0] * n
            add("nielsen_faithfulness (Sec. 4)", f"{m}: {n} images x (1 + {nf['sensitivity']['n_perturb']} "
                f"explanations + {nf['infidelity']['n_perturb']} + 2 x {nf['removal']['n_steps'] + 1} forward passes)",
                n, (expl + fwd) * r18, 0.0, f"{per28[m][1]}; forward measured here; x {r18:.0f} MACs (ResNet-18)")
    ns = figs.get("nielsen_sanity")
    if ns:
        q = ratio(spec(ns["model"])["arch"], SHAPES.get(ns["dataset"], (1, 28, 28)))
        from attrobust import sanity

        stages = len(sanity.layers(M.build(spec(ns["model"])["arch"], SHAPES[ns["dataset"]], 10, seed=0))) + 1
        maps = ns["n_images"] * (stages + 1)
        add("nielsen_sanity (Adebayo et al.)", f"{len(ns['methods'])} methods x {ns['n_images']} images x "
            f"({stages} cascade stages + permuted model)", maps,
            sum(per28[m][0] for m in ns["methods"]) * maps * q, 0.0, "(a) 28x28 per-example costs")
        train_cost("nielsen_sanity (Adebayo et al.)", ns["dataset"], ns["model"])
        ep = ns["permuted_hp"]["epochs"]
        n = TRAIN_SIZES.get(ns["dataset"], 0)
        add("nielsen_sanity (Adebayo et al.)", f"train {ns['model']} on permuted {ns['dataset']} labels: "
            f"{ep} epochs x {n} images", ep * n, ep * n * meas["train_step"] * q, 0.0,
            f"measured here: train step {meas['train_step'] * 1e3:.2f} ms/example")
    npg = figs.get("nielsen_pgd")
    if npg:
        for m in npg["models"]:
            train_cost("nielsen_pgd (Fig. 3)", npg["dataset"], m)  # n_images saliency maps: negligible

    # Alvarez-Melis Fig. 1: LIME / Kernel SHAP of two scikit-learn models on a 2-D set
    f1 = figs.get("alvarez_melis_fig1")
    if f1:
        n = (cfg["datasets"].get(f1["dataset"]) or {}).get("n_explain") or cfg["explain"]["n_points"]
        for meth in f1["methods"]:
            call = tab[("logistic_regression", meth)]
            add("alvarez_melis_fig1 (Fig. 1)", f"{meth}: {len(f1['models'])} models x {n} points",
                n * len(f1["models"]), 0.0, n * len(f1["models"]) * call,
                f"measured here: {meth} of a logistic regression (13 features) {call:.2f} s/call")
    # Alvarez-Melis Fig. 8: eq. (1) at one ImageNet image by random search, ResNet-50 saliency
    f8 = figs.get("alvarez_melis_fig8")
    if f8 and f8.get("model") == "resnet50" and f8.get("n_calls"):
        r50 = RESNET50_MACS / mac28
        calls = f8["n_calls"] + 2
        add("alvarez_melis_fig8 (Fig. 8)", f"{f8['method']}: 1 image x {f8['n_calls']} calls, ResNet-50", calls,
            calls * per28[f8["method"]][0] * r50, 0.0, f"{per28[f8['method']][1]} x {r50:.0f} MACs (ResNet-50)")

    estimated = {"alvarez_melis_images", "alvarez_melis", "alvarez_melis_discrete", "ghorbani", "gallery",
                 "ghorbani_fig9", "ghorbani_influence", "kamath", "nielsen_class", "nielsen_faithfulness",
                 "nielsen_sanity", "nielsen_pgd", "alvarez_melis_fig1", "alvarez_melis_fig8"}
    reasons = {"agarwal": "no per-call cost measured for its tiny ELU MLPs' perturbation sweeps",
               "robustness_matrix": "reads other figures' files"}
    not_estimated = [f for f in figs if f not in estimated]
    order = {f: i for i, f in enumerate(figs)}  # rows in config order (stable within a figure)
    rows.sort(key=lambda r: order.get(r["figure"].split(" ")[0], len(order)))
    for r in rows:
        print(f"  {r['figure']:34s} {r['work'][:70]:70s} CPU {r['cpu_hours']:8.2f} h  GPU {r['gpu_hours']:8.2f} h",
              flush=True)
    by_fig: dict = {}
    for r in rows:
        f = by_fig.setdefault(r["figure"], {"cpu_hours": 0.0, "gpu_hours": 0.0, "gpu_hours_compute_bound": 0.0})
        f["gpu_hours_compute_bound"] += r["gpu_hours_compute_bound"]
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
        "total_gpu_hours_compute_bound": sum(r["gpu_hours_compute_bound"] for r in rows),
        "gpu_flops_assumed": GPU_FLOPS, "cpu_flops_assumed": CPU_FLOPS,
        "not_estimated": not_estimated,
        "not_estimated_why": {f: reasons.get(f, "no cost model here") for f in not_estimated},
        "measured_here_cnn28_s_per_example": meas,
        "measured_here_s_per_call": {f"{m} of {a}": s for (a, m), s in tab.items()},
    }


def table(res: dict) -> str:
    if res.get("missing"):
        return f"not computed: needs {res['missing']}"
    out = ["| figure (config/paper.yaml) | work | CPU hours (1 thread) | GPU hours (assumed "
           f"{res['gpu_speedup_assumed']:g}x on torch work) | GPU hours (compute-bound, "
           f"{res['gpu_flops_assumed'] / 1e12:g} TFLOP/s) | per-call costs from |",
           "| --- | --- | ---: | ---: | ---: | --- |"]
    for r in res["rows"]:
        out.append(f"| {r['figure']} | {r['work']} | {r['cpu_hours']:.2f} | {r['gpu_hours']:.2f} | "
                   f"{r['gpu_hours_compute_bound']:.2f} | {r['source']} |")
    out.append(f"| **total** | | **{res['total_cpu_hours']:.1f}** | **{res['total_gpu_hours']:.1f}** | "
               f"**{res['total_gpu_hours_compute_bound']:.1f}** | |")
    if res["not_estimated"]:
        why = res.get("not_estimated_why") or {}
        out.append("\nNot estimated: " + "; ".join(f"{f} ({why[f]})" if f in why else f for f in res["not_estimated"]) + ".")
    return "\n".join(out)
