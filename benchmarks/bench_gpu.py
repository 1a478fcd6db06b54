"""(i) GPU throughput (issue #20, item 5): integrated gradients, SmoothGrad and the top-k
attack on a CUDA device, ours (batched) against the per-example captum loop a user would
write, and the share of the GPU's measured fp32 rate that each reaches.

Needs a CUDA device (and torchvision for the 224x224 networks); not part of run.py, whose
benchmarks are single-thread CPU numbers. Usage (benchmarks/gpu_session.sh runs it):

    python benchmarks/bench_gpu.py --out benchmarks/results_gpu.json [--quick] [--device cpu] [--only ARCH ...]
        [--methods integrated_gradients smoothgrad topk] [--ig-pass-exponents E ...]

Models, with random weights (throughput does not depend on them): ``cnn_small`` on
1x28x28 (the MNIST / Fashion-MNIST architecture of config/paper.yaml), and the registry's
``squeezenet1_1`` and ``resnet18`` on 3x224x224 (config/paper.yaml's ImageNet sections:
torchvision's networks behind an input normalisation, one ReLU per use). Inputs are uniform
in [0, 1]. Settings: IG with the paper's 100 steps (Sundararajan et al.), SmoothGrad with 50
samples at sigma 0.15, the top-k attack (Ghorbani et al. 2019, Algorithm 1) on IG with 32
steps, k = 12.5% of the pixels, eps 8/255.

- ours: ``attrobust.explain.explain`` / ``attrobust.attacks.attack`` on the whole batch;
  for IG also captum's ``IntegratedGradients`` on the batch with larger forward passes
  (``internal_batch_size``), to show what the CPU-sized passes of ours leave on a GPU;
- baseline: captum's ``IntegratedGradients`` / ``NoiseTunnel(Saliency)`` one example at a
  time (captum's defaults: all IG steps in one pass), and the attack one image at a time;
- rate: examples (or images x attack iterations) per second, median of the repeats after
  a warm-up, each call synchronised with the device;
- fp32 share: model FLOPs per second (the FLOPs of one input gradient, counted by
  ``torch.utils.flop_counter``, times the gradients computed) over the rate of a large fp32
  matrix product measured on the same device in the same run (TF32 off), i.e. how far the
  method is from what this GPU does on the best-suited fp32 work.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402

IG_STEPS, SG_SAMPLES, SG_SIGMA, ATTACK_IG_STEPS = 100, 50, 0.15, 32
# (name, arch, input shape, examples per call (full, quick), attack images, attack iterations)
CASES = [
    ("cnn_small 1x28x28", "cnn_small", (1, 28, 28), 10, (256, 16), (64, 4), 10),
    ("squeezenet1_1 3x224x224", "squeezenet1_1", (3, 224, 224), 1000, (32, 2), (8, 2), 5),
    ("resnet18 3x224x224", "resnet18", (3, 224, 224), 1000, (32, 2), (8, 2), 5),
]
IG_PASS_ROWS = (256, 1024)  # captum's internal_batch_size tried besides ours


def _sync(torch, device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, torch, device, repeats):
    fn()  # warm-up: cuDNN picks its kernels for each new shape
    _sync(torch, device)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(torch, device)
        out.append(time.perf_counter() - t0)
    return out


def _measured(fn, torch, device, repeats):
    """Median seconds of ``fn`` and the peak device memory (MiB; None on a CPU) while it ran."""
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    s = statistics.median(_timed(fn, torch, device, repeats))
    return s, (torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None)


def matmul_rate(torch, device, n=8192, repeats=5) -> float:
    """FLOP/s of an n x n x n fp32 matrix product (TF32 off): the device's fp32 ceiling."""
    a = torch.rand(n, n, device=device)
    b = torch.rand(n, n, device=device)
    s = _timed(lambda: a @ b, torch, device, repeats)
    return 2 * n**3 / statistics.median(s)


def grad_flops(torch, net, shape, device) -> float:
    """FLOPs of one input gradient (forward + backward to the input) of one example."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(1, *shape, device=device, requires_grad=True)
    params = [p for p in net.parameters() if p.requires_grad]
    for p in params:  # the gradient w.r.t. the input only, as the methods compute it
        p.requires_grad_(False)
    try:
        with FlopCounterMode(display=False) as fc:
            net(x)[:, 0].sum().backward()  # (FlopCounterMode refuses autograd.grad on a leaf)
    finally:
        for p in params:
            p.requires_grad_(True)
    return float(fc.get_total_flops())


def run(device_name: str = "cuda", quick: bool = False, only=None, out: Path | None = None,
        methods=None, ig_pass_exponents=()) -> dict:
    """``methods``: of integrated_gradients, smoothgrad, topk (default all);
    ``ig_pass_exponents``: also time ours' IG with GPU passes of 2**e input values for each e."""
    import torch
    from captum.attr import IntegratedGradients, NoiseTunnel, Saliency

    from attrobust import attacks, models
    from attrobust import explain as explain_mod
    from attrobust.explain import explain

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False  # fp32 throughout: the rate it is compared with
    device = torch.device(device_name)
    repeats = 1 if quick else 3
    fp32 = matmul_rate(torch, device, n=1024 if quick else 8192)
    print(f"fp32 matrix product: {fp32 / 1e12:.1f} TFLOP/s", flush=True)
    rows = []
    for name, arch, shape, n_classes, n_ex, n_att, n_iter in CASES:
        if only and arch not in only:
            continue
        n_iter = 1 if quick else n_iter
        extra = {"pretrained": False} if arch != "cnn_small" else {}
        net = models.build(arch, shape, n_classes, seed=0, **extra).to(device).eval()
        n = n_ex[1 if quick else 0]
        rng = np.random.default_rng(0)
        X = rng.random((n, *shape), dtype=np.float32)
        flops = grad_flops(torch, net, shape, device)
        with torch.no_grad():
            targets = net(torch.as_tensor(X, device=device)).argmax(1)

        def one(i):
            return torch.as_tensor(X[i : i + 1], device=device).requires_grad_()

        ig, nt = IntegratedGradients(net), NoiseTunnel(Saliency(net))
        fns = {
            ("integrated_gradients", "ours"): lambda: explain(
                "integrated_gradients", net, X, n_steps=IG_STEPS, quadrature="riemann_right"),
            ("integrated_gradients", "baseline"): lambda: [
                ig.attribute(one(i), target=int(targets[i]), n_steps=IG_STEPS, method="riemann_right")
                for i in range(n)],
            ("smoothgrad", "ours"): lambda: explain("smoothgrad", net, X, n_samples=SG_SAMPLES, sigma=SG_SIGMA),
            ("smoothgrad", "baseline"): lambda: [
                nt.attribute(one(i), nt_type="smoothgrad", nt_samples=SG_SAMPLES, stdevs=SG_SIGMA,
                             target=int(targets[i]), abs=False) for i in range(n)],
        }
        for e in ig_pass_exponents:
            def ours_at(e=e):
                saved, explain_mod._IG_PASS_VALUES_GPU = explain_mod._IG_PASS_VALUES_GPU, 2**e
                try:
                    return explain("integrated_gradients", net, X, n_steps=IG_STEPS, quadrature="riemann_right")
                finally:
                    explain_mod._IG_PASS_VALUES_GPU = saved
            fns[("integrated_gradients", f"ours, 2**{e}-value passes")] = ours_at
        xs = torch.as_tensor(X, device=device)
        for r in IG_PASS_ROWS:
            fns[("integrated_gradients", f"captum batch, {r}-row passes")] = (
                lambda r=r: ig.attribute(xs.clone().requires_grad_(), target=targets, n_steps=IG_STEPS,
                                         method="riemann_right", internal_batch_size=r))
        fns = {k: fn for k, fn in fns.items() if not methods or k[0] in methods}
        for (method, impl), fn in fns.items():
            s, mem = _measured(fn, torch, device, repeats)
            grads = n * (IG_STEPS if method == "integrated_gradients" else SG_SAMPLES)
            rows.append({"model": name, "method": method, "impl": impl, "n": n, "seconds": s,
                         "per_s": n / s, "tflops": grads * flops / s / 1e12,
                         "fp32_share": grads * flops / s / fp32, "peak_mem_mib": mem})
            print(f"  {name:24s} {method:20s} {impl:28s} {n / s:9.1f}/s  "
                  f"{grads * flops / s / 1e12:6.2f} TFLOP/s", flush=True)
        if not methods or "topk" in methods:
            # the top-k attack on IG: images x iterations per second
            na = n_att[1 if quick else 0]
            XA = X[:na] if na <= n else rng.random((na, *shape), dtype=np.float32)
            k = max(1, round(0.125 * shape[1] * shape[2]))
            kw = dict(method="integrated_gradients", eps=8 / 255, k=k, n_iter=n_iter, step=0.5 / 255,
                      softplus_beta=10, seed=0,
                      **attacks.method_params("integrated_gradients", mean_image=XA.mean(0), ig_steps=ATTACK_IG_STEPS))
            att = {"ours": lambda: attacks.attack("topk", net, XA, **kw),
                   "baseline": lambda: [attacks.attack("topk", net, XA[i : i + 1], **kw) for i in range(na)]}
            for impl, fn in att.items():
                # the per-image loop is already a mean over its images: one timed pass after the
                # warm-up (three were ~110 s of a 224x224 model's ~160 s on an H200)
                s, mem = _measured(fn, torch, device, repeats if impl == "ours" else 1)
                rows.append({"model": name, "method": f"top-k attack (IG {ATTACK_IG_STEPS} steps)", "impl": impl,
                             "n": na, "n_iter": n_iter, "seconds": s, "per_s": na * n_iter / s,
                             "tflops": None, "fp32_share": None, "peak_mem_mib": mem})
                print(f"  {name:24s} top-k attack         {impl:28s} {na * n_iter / s:9.1f} img*it/s", flush=True)
        if out is not None:  # what is done so far, in case the session's time runs out
            out.write_text(json.dumps(_result(torch, device, quick, fp32, rows), indent=1))
    return _result(torch, device, quick, fp32, rows)


def _result(torch, device, quick, fp32, rows) -> dict:
    """The JSON of a run: its rows with the device, versions and the fp32 ceiling."""
    dev = {"type": device.type}
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        dev.update(name=p.name, memory_gib=round(p.total_memory / 2**30, 1), sms=p.multi_processor_count)
    import importlib.metadata as md

    def version(p):
        try:
            return md.version(p)
        except md.PackageNotFoundError:  # torchvision, with --only cnn_small
            return None

    return {"description": "IG / SmoothGrad / top-k attack on a GPU: ours vs captum one example at a time",
            "date": dt.datetime.now().isoformat(timespec="seconds"), "quick": quick, "device": dev,
            "python": platform.python_version(),
            "versions": {p: version(p) for p in ("torch", "torchvision", "captum", "numpy")},
            "cpu_count": os.cpu_count(), "fp32_matmul_tflops": fp32 / 1e12, "rows": rows}


def table(res: dict) -> str:
    """Markdown: per model and method, each implementation's rate and fp32 share."""
    out = ["| model | method | implementation | examples | rate | model TFLOP/s | share of fp32 matmul | peak memory |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
        unit = "img*it/s" if r.get("n_iter") else "/s"
        ex = f"{r['n']} x {r['n_iter']} it" if r.get("n_iter") else str(r["n"])
        tf = f"{r['tflops']:.2f}" if r["tflops"] is not None else ""
        share = f"{100 * r['fp32_share']:.1f}%" if r["fp32_share"] is not None else ""
        mem = f"{r['peak_mem_mib'] / 1024:.1f} GiB" if r["peak_mem_mib"] is not None else ""
        out.append(f"| {r['model']} | {r['method']} | {r['impl']} | {ex} | {r['per_s']:.1f} {unit} | {tf} | "
                   f"{share} | {mem} |")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", nargs="+", metavar="ARCH", help="these architectures only")
    ap.add_argument("--methods", nargs="+", choices=("integrated_gradients", "smoothgrad", "topk"),
                    help="these methods only (default: all three)")
    ap.add_argument("--ig-pass-exponents", nargs="+", type=int, default=(), metavar="E",
                    help="also time ours' IG with GPU forward passes of 2**E input values")
    ap.add_argument("--print", action="store_true", help="print the table of an existing --out file")
    a = ap.parse_args()
    if a.print:
        print(table(json.loads(a.out.read_text())))
        sys.exit(0)
    res = run(a.device, a.quick, a.only, a.out, a.methods, a.ig_pass_exponents)
    a.out.write_text(json.dumps(res, indent=1))
    print(table(res))
