"""(a) Attribution throughput: our batched engine against the loop a user would write.

Ours: ``attrobust.explain.explain(method, model, X)`` on the whole batch (its default
``batch_size=64``, the predicted class). Baseline, per method, one example at a time:

- saliency, integrated_gradients, smoothgrad, deeplift, occlusion: captum's class
  (``Saliency``, ``IntegratedGradients``, ``NoiseTunnel(Saliency)``, ``DeepLift``,
  ``Occlusion``) on the bare model, captum's defaults except the settings that define the
  same attribution (``abs=False``, ``n_steps``, ``nt_samples``/``stdevs``, the occlusion
  window and stride);
- lime: the ``lime`` package directly (``LimeImageExplainer().explain_instance``, its
  default ``batch_size=10`` and feature selection), with the same square-tile segmentation,
  ``num_samples`` and hidden value 0 as ours;
- kernel_shap: our engine with ``batch_size=1``. That is the same computation as calling
  ``shap.KernelExplainer`` once per example: ours does exactly that, and ``batch_size``
  only floors the rows per forward pass of its value function, which are already
  >= 2**22 / (background x pixels).

The baseline also computes the predicted classes (one batched forward pass). Method
settings are the default config's (config/config.yaml), IG with the paper's 100 steps.

Ceiling (IG and SmoothGrad): both are n model gradients per example (n = steps or
samples), so no batching can beat the bare model's own rate: one forward + backward of a
stack of rows (gradient w.r.t. the input only, no captum, no attribution bookkeeping), the
best of several stack sizes, divided by n. ``ceiling_ratio`` = that rate / the baseline's:
the largest ratio any implementation that computes those n gradients could reach here.

Forward passes (``chunks``): the black-box methods (Kernel SHAP, LIME) send tens of
thousands of rows through the model without gradients; ``explain`` splits them into passes
of a fixed number of input values. Rows per second of the bare model for several pass
sizes (40 960 rows of 8x8, Kernel SHAP's 2048 coalitions x 20 background images of one
call; 8192 of 28x28), with torch's default (NCHW) max-pooling and with the channels-last
pooling of ``attrobust.models.predict.inference``, all alternating.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from _common import cnn28, digits, digits_cnn, images28, interleaved, median, one_thread

PARAMS = {
    "saliency": {},
    "integrated_gradients": {"n_steps": 100},
    "smoothgrad": {"n_samples": 50, "sigma": 0.15},
    "deeplift": {},
    "occlusion": {},
    "lime": {"num_samples": 1000},
    "kernel_shap": {"nsamples": 200, "n_background": 50},
}
CHUNK_VALUES = (2**14, 2**15, 2**16, 2**17, 2**18)  # input values per forward pass
WARM = {"lime": {"num_samples": 50}, "kernel_shap": {"nsamples": 20}}
TARGET = {"integrated_gradients": 5.0, "smoothgrad": 5.0}  # issue #9: >= 5x on CPU

# examples per timed call (full, quick): each call takes roughly 0.1-10 s on one thread
# (Kernel SHAP on 28x28: 10 000 forward passes per example)
N = {
    "digits 8x8": {"saliency": (512, 128), "integrated_gradients": (64, 16), "smoothgrad": (64, 16),
                   "deeplift": (256, 64), "occlusion": (32, 8), "lime": (4, 2), "kernel_shap": (2, 1)},
    "28x28": {"saliency": (256, 64), "integrated_gradients": (16, 4), "smoothgrad": (16, 4),
              "deeplift": (128, 32), "occlusion": (4, 2), "lime": (2, 1), "kernel_shap": (1, 1)},
}


@contextlib.contextmanager
def _quiet():
    """No captum hook notes, no lime progress bars (lime 0.2.0.1 has no switch; the engine
    patches it out the same way)."""
    from unittest import mock

    import lime.lime_image

    with warnings.catch_warnings(), mock.patch.object(lime.lime_image, "tqdm", lambda it, *a, **k: it):
        warnings.simplefilter("ignore")
        yield


def _baseline(method, net, X, background, params):
    """The per-example loop: returns a function of no arguments."""
    import torch
    from captum.attr import DeepLift, IntegratedGradients, NoiseTunnel, Occlusion, Saliency

    from attrobust import explain as E

    def targets():
        with torch.no_grad():
            return net(torch.as_tensor(X)).argmax(1).tolist()

    def one(i):
        return torch.as_tensor(X[i : i + 1]).requires_grad_()

    if method == "saliency":
        sal = Saliency(net)
        return lambda: [sal.attribute(one(i), target=t, abs=False) for i, t in enumerate(targets())]
    if method == "integrated_gradients":
        ig = IntegratedGradients(net)
        return lambda: [ig.attribute(one(i), target=t, n_steps=params["n_steps"])
                        for i, t in enumerate(targets())]
    if method == "smoothgrad":
        nt = NoiseTunnel(Saliency(net))
        return lambda: [nt.attribute(one(i), nt_type="smoothgrad", nt_samples=params["n_samples"],
                                     stdevs=params["sigma"], target=t, abs=False)
                        for i, t in enumerate(targets())]
    if method == "deeplift":
        dl = DeepLift(net)
        return lambda: [dl.attribute(one(i), target=t) for i, t in enumerate(targets())]
    if method == "occlusion":
        occ = Occlusion(net)
        win, st = E._occlusion_shapes(X.shape, None, None)  # our defaults, so the same work
        return lambda: [occ.attribute(one(i), sliding_window_shapes=win, strides=st, target=t)
                        for i, t in enumerate(targets())]
    if method == "lime":
        from lime.lime_image import LimeImageExplainer

        segments = E._tile_segments(X.shape[2], X.shape[3], E._segment_size(X, None))

        def classify(imgs):  # lime passes (n, H, W, C) float64
            with torch.no_grad():
                x = torch.as_tensor(np.transpose(imgs, (0, 3, 1, 2)), dtype=torch.float32)
                return torch.softmax(net(x), 1).numpy()

        def run():
            for i, t in enumerate(targets()):
                LimeImageExplainer(random_state=0).explain_instance(
                    np.transpose(X[i], (1, 2, 0)).astype(np.float64), classify, labels=(t,),
                    top_labels=None, hide_color=0, num_features=int(segments.max()) + 1,
                    num_samples=params["num_samples"], segmentation_fn=lambda img: segments)

        return run
    if method == "kernel_shap":
        return lambda: E.explain("kernel_shap", net, X, background=background, batch_size=1, **params)
    raise KeyError(method)


CEILING_ROWS = (32, 64, 128, 256, 512, 1024)


def _bare(net, x1, n_rows: int, stack: int):
    """A function of no arguments: ``n_rows`` input gradients of the bare model (forward +
    backward of stacks of ``stack`` copies of one input, gradient of one logit w.r.t. the
    input only), i.e. the model work of IG / SmoothGrad without any bookkeeping."""
    import torch

    x = torch.as_tensor(np.repeat(x1[None], stack, 0))
    t = torch.zeros(stack, dtype=torch.long)

    def run():
        for _ in range(max(1, round(n_rows / stack))):
            xx = x.clone().requires_grad_()
            torch.autograd.grad(net(xx).gather(1, t[:, None]).sum(), xx)

    return run


def _best_stack(net, x1) -> int:
    """The stack size among CEILING_ROWS at which the bare model is fastest per row."""
    rate = {}
    for stack in CEILING_ROWS:
        f = _bare(net, x1, 2048, stack)
        rate[stack] = 1 / median(interleaved({"bare": f}, 2)["bare"])
    return max(rate, key=rate.get)


def chunks(quick: bool = False) -> list[dict]:
    """Rows per second of no-grad forward passes of each model in passes of each of
    CHUNK_VALUES input values, under plain ``torch.no_grad()`` and under
    ``attrobust.models.predict.inference`` (max-pooling a channels-last copy), which
    ``explain``'s black boxes and ``predict_proba`` use (see the module doc)."""
    import torch

    from attrobust.models.predict import inference

    out = []
    for name, net, n in (("digits 8x8", digits_cnn(), 40960), ("28x28", cnn28(), 8192)):
        n //= 4 if quick else 1
        shape = tuple(net.attrobust_spec["input_shape"])
        X = torch.rand((n, *shape), generator=torch.Generator().manual_seed(0))
        net.eval()

        def passes(rows, ours):
            def go():
                with (inference(net, "cpu") if ours else torch.no_grad()):
                    for s in range(0, n, rows):
                        net(X[s:s + rows])
            return go

        per = {v: max(1, v // int(np.prod(shape))) for v in CHUNK_VALUES}
        fns = {f"{v} {ours}": passes(r, ours) for v, r in per.items() for ours in (False, True)}
        t = interleaved(fns, 2 if quick else 3)
        for v, r in per.items():
            for ours in (False, True):
                rate = n / median(t[f"{v} {ours}"])
                out.append({"model": name, "values_per_pass": v, "rows_per_pass": r, "n_rows": n,
                            "pooling": "channels-last (inference)" if ours else "NCHW (no_grad)",
                            "rows_per_s": rate, "seconds": t[f"{v} {ours}"]})
                print(f"  {name:10s} passes of 2**{int(np.log2(v))} values ({r} rows), "
                      f"{out[-1]['pooling']:26s} {rate:9.0f} rows/s", flush=True)
    return out


def run(quick: bool = False) -> dict:
    one_thread()
    from attrobust.explain import explain

    ds = digits()
    models = {
        "digits 8x8": (digits_cnn(), np.asarray(ds["X_test"], np.float32),
                       np.asarray(ds["X_train"][:100], np.float32)),
        "28x28": (cnn28(), images28(), images28("train")[:100]),
    }
    repeats = 2 if quick else 3
    rows = []
    with _quiet():
        for model_name, (net, X_all, background) in models.items():
            for method, params in PARAMS.items():
                n = N[model_name][method][1 if quick else 0]
                X = X_all[:n]
                extra = {"background": background} if method in ("lime", "kernel_shap") else {}
                ours = lambda X=X: explain(method, net, X, **params, **extra)  # noqa: E731
                base = _baseline(method, net, X, background, params)
                fns = {"ours": ours, "baseline": base}
                target = TARGET.get(method)
                if target is not None:  # the bare model's gradient rate bounds every implementation
                    n_grads = params.get("n_steps") or params["n_samples"]
                    stack = _best_stack(net, X_all[0])
                    fns["ceiling"] = _bare(net, X_all[0], n * n_grads, stack)
                # warm-up: the timed calls themselves (the first call with a new batch shape
                # is slow: oneDNN builds its kernels); black boxes: 1-2 examples, few samples
                warm = None
                if method in WARM:
                    small, wp = X_all[: min(2, n)], {**params, **WARM[method]}
                    warm = {"ours": lambda: explain(method, net, small, **wp, **extra),
                            "baseline": _baseline(method, net, small, background, wp)}
                t = interleaved(fns, repeats, warmup=warm)
                ours_s, base_s = median(t["ours"]), median(t["baseline"])
                ratio = base_s / ours_s
                ceiling = {}
                if "ceiling" in t:
                    ceil_s = median(t["ceiling"])
                    ceiling = {"ceiling_examples_per_s": n / ceil_s, "ceiling_rows": stack,
                               "ceiling_s": t["ceiling"], "ceiling_ratio": base_s / ceil_s}
                rows.append({
                    "model": model_name, "method": method, "n_examples": n, "repeats": repeats,
                    "ours_examples_per_s": n / ours_s, "baseline_examples_per_s": n / base_s,
                    "ratio": ratio, "target_ratio": target,
                    "met": None if target is None else bool(ratio >= target),
                    "ours_s": t["ours"], "baseline_s": t["baseline"],
                    "ours_s_per_example": ours_s / n, "baseline_s_per_example": base_s / n,
                    **ceiling,
                })
                print(f"  {model_name:10s} {method:20s} ours {n / ours_s:9.1f}/s  "
                      f"baseline {n / base_s:9.1f}/s  x{ratio:.2f}"
                      + (f"  (ceiling x{ceiling['ceiling_ratio']:.2f})" if ceiling else ""), flush=True)
    return {
        "description": "examples per second, ours (attrobust.explain.explain, batch_size=64) vs the "
                       "per-example loop (captum / lime / engine batch_size=1 for kernel_shap)",
        "params": PARAMS,
        "rows": rows,
        "chunks": chunks(quick),
    }


def _num(v: float) -> str:
    """At least 3 significant digits, no exponent: 9625, 104, 13.9, 0.0712."""
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def table(res: dict) -> str:
    out = ["| model | method | n | ours (ex/s) | baseline (ex/s) | ratio | ceiling (ex/s) | ceiling ratio "
           "| target | met |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in res["rows"]:
        tgt = f">= {r['target_ratio']:g}x" if r["target_ratio"] else ""
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        out.append(f"| {r['model']} | {r['method']} | {r['n_examples']} | "
                   f"{_num(r['ours_examples_per_s'])} | {_num(r['baseline_examples_per_s'])} | "
                   f"{r['ratio']:.2f}x | {_num(r['ceiling_examples_per_s']) if 'ceiling_ratio' in r else ''} | "
                   f"{format(r['ceiling_ratio'], '.2f') + 'x' if 'ceiling_ratio' in r else ''} | {tgt} | {met} |")
    if res.get("chunks"):
        out += ["", "| model | input values per forward pass | rows per pass | max-pool layout | rows/s |",
                "| --- | ---: | ---: | --- | ---: |"]
        out += [f"| {c['model']} | 2**{int(np.log2(c['values_per_pass']))} | {c['rows_per_pass']} | "
                f"{c.get('pooling', '')} | {c['rows_per_s']:.0f} |" for c in res["chunks"]]
    return "\n".join(out)
