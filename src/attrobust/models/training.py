"""Training: :func:`train` (torch: Adam, natural or robust regimes; scikit-learn: ``fit``;
torchvision: evaluated only), the data checks and the metrics it returns.

Regimes: ``natural``; ``pgd`` (Madry et al. 2018) and ``ig_sum_norm`` (Chen et al. 2019),
whose adversaries are in :mod:`.regimes` and whose parameters are checked in :mod:`.spec`.
torch is imported only to train a torch model: a scikit-learn job never imports it (~0.8 s).
"""
from __future__ import annotations

import math
import time

import numpy as np
from tqdm.auto import tqdm

from ..utils import Progress, get_device, seed_everything
from .predict import predict_proba
from .registry import _arch, _train_params, split_hp
from .spec import REGIME_HP, ModelError, _regime_name, _regime_params, _spec_of


def _check_data(data: dict, spec: dict, need_train: bool = True) -> None:
    keys = ("X_train", "y_train", "X_test", "y_test") if need_train else ("X_test", "y_test")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ModelError(f"data is missing {missing}; it needs numpy arrays {list(keys)}")
    for split in ("train", "test"):
        if f"X_{split}" not in data:
            continue
        X, y = np.asarray(data[f"X_{split}"]), np.asarray(data[f"y_{split}"])
        if len(X) != len(y) or len(X) == 0:
            raise ModelError(f"X_{split} and y_{split} need the same, non-zero length; "
                             f"got {len(X)} and {len(y)}")
        if tuple(X.shape[1:]) != tuple(spec["input_shape"]) and \
                int(np.prod(X.shape[1:])) != int(np.prod(spec["input_shape"])):
            raise ModelError(f"X_{split} has example shape {X.shape[1:]}, model "
                             f"{spec['arch']!r} was built for {tuple(spec['input_shape'])}")
        if not np.isfinite(X).all():
            raise ModelError(f"X_{split} contains NaN or inf")
        if spec["task"] == "classification" and not (
                np.issubdtype(y.dtype, np.integer) or y.dtype == bool
                or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
            # cast to int64 for the loss, 0.7 would train as class 0 and score accuracy 0
            raise ModelError(f"y_{split} must hold class indices (ints) for the classification "
                             f"model {spec['arch']!r}; got dtype {y.dtype} with non-integer values "
                             "(for a numeric target build the model with task='regression')")
        if spec["task"] == "classification" and (y.min() < 0 or y.max() >= spec["n_classes"]):
            raise ModelError(f"y_{split} has labels outside [0, {spec['n_classes']}) "
                             f"for model {spec['arch']!r}")


def _scores(model, data: dict, task: str, splits=("train", "test")) -> dict:
    out = {}
    for split in splits:
        if f"X_{split}" not in data:
            continue
        y = np.asarray(data[f"y_{split}"])
        p = predict_proba(model, data[f"X_{split}"])
        if task == "classification":
            out[f"{split}_accuracy"] = float((p.argmax(1) == y).mean())
        else:
            from sklearn.metrics import r2_score

            out[f"{split}_r2"] = float(r2_score(y, p))
    return out


def train(model, data: dict, *, regime: str = "natural", seed: int = 0, device: str = "auto",
          progress: bool = False, **hp) -> dict:
    """Train ``model`` (built by :func:`build`) in place and return its metrics.

    torch: Adam on cross-entropy (classification) or MSE (regression), minibatches
    reshuffled every epoch by a ``torch.Generator`` seeded with ``seed``; bit-identical
    on CPU for a given seed. scikit-learn: ``fit``. torchvision: pretrained, only evaluated.
    ``hp`` overrides the training hyper-parameters given to :func:`build` and
    ``ARCHS[name].defaults``, and sets the regime's own ones (:data:`REGIME_HP`).
    Metrics: train/test accuracy (or R^2), epochs, seconds, device, n_params (torch),
    regime, seed, arch, and for the robust regimes their parameters (``regime_params``).

    Regimes (torch classifiers only, besides ``natural``), both over the L_inf ball
    B(x, eps) intersected with the training data's value range [min X_train, max X_train]:

    - ``pgd`` (Madry et al. 2018, eq. 2.1): min_theta E[max_{x' in B(x, eps)} CE(f(x'), y)];
      the inner max by ``steps`` steps of projected signed-gradient ascent of size
      ``step_size`` (default eps / 4) from a uniform random start in the ball
      (``random_start``); each minibatch is replaced by its adversarial version.
    - ``ig_sum_norm`` (Chen et al. 2019, "Robust attribution regularization", Sec. 4,
      IG-SUM-NORM): min_theta E[max_{x' in B(x, eps)} CE(f(x'), y) + lam * ||IG^CE_y(x, x')||_1]
      where IG^CE_y(x, x') = (x' - x) * 1/m sum_{j=1..m} grad_z CE(f(z), y) at
      z = x + j/m (x' - x), the integrated gradients of the *loss* from x to x' (right
      Riemann sum, m = ``ig_steps``; by completeness its sum is CE(x') - CE(x), hence
      "SUM"). The inner max runs PGD on the whole objective (double backpropagation
      through the IG term), the outer step minimises the same objective at the found x'.
      ``lam`` is Chen et al.'s beta.

    Regime names: :data:`REGIMES`; ``ig-sum-norm`` and other :data:`REGIME_ALIASES` are
    accepted too. Deterministic on CPU for a given seed (the random starts come from a
    seeded CPU generator).
    """
    spec = _spec_of(model)
    arch = _arch(spec["arch"])
    regime = _regime_name(regime)
    allowed = _train_params(arch) + tuple(REGIME_HP[regime])
    unknown = sorted(set(hp) - set(allowed))
    if unknown:
        hint = " (pass scikit-learn parameters to build())" if arch.kind == "sklearn" else ""
        raise ModelError(f"unknown training hyper-parameter(s) {unknown} for architecture "
                         f"{arch.name!r} and regime {regime!r}; allowed: {list(allowed)}{hint}")
    rhp = {k: hp.pop(k) for k in list(hp) if k in REGIME_HP[regime]}
    rhp = _regime_params(regime, rhp)
    if regime != "natural" and (arch.kind != "torch" or spec["task"] != "classification"):
        raise ModelError(f"regime {regime!r} trains torch classifiers only; model {arch.name!r} "
                         f"is a {arch.kind} {spec['task']} model (use regime 'natural')")
    _check_data(data, spec, need_train=arch.kind != "torchvision")
    seed_everything(int(seed))
    t0 = time.perf_counter()
    metrics = {"arch": arch.name, "regime": regime, "seed": int(seed)}
    if rhp:
        metrics["regime_params"] = dict(rhp)

    if arch.kind == "sklearn":
        X = np.asarray(data["X_train"]).reshape(len(data["X_train"]), -1)
        model.fit(X, np.asarray(data["y_train"]))
        metrics.update(epochs=0, device="cpu")
    else:
        dev = get_device(device)
        model.to(dev)
        epochs = 0
        if arch.kind == "torch":
            _, build_train = split_hp(arch.name, spec["hp"])
            thp = {**arch.defaults, **build_train, **hp}
            epochs = _fit_torch(model, data, spec["task"], dev, int(seed), progress,
                                regime=regime, regime_params=rhp, **thp)
        n_params = sum(p.numel() for p in model.parameters())
        metrics.update(epochs=epochs, device=str(dev), n_params=int(n_params))
    metrics.update(_scores(model, data, spec["task"]))
    metrics["seconds"] = round(time.perf_counter() - t0, 3)
    return metrics


def _fit_torch(model, data, task, dev, seed, progress, *, epochs, lr, batch_size,
               weight_decay, regime="natural", regime_params=None) -> int:
    import torch
    from torch import nn

    from .regimes import _adversary, _ig_sum_norm_objective

    epochs, batch_size = int(epochs), int(batch_size)
    if epochs < 1 or batch_size < 1 or not lr > 0 or weight_decay < 0:
        raise ModelError(f"need epochs >= 1, batch_size >= 1, lr > 0, weight_decay >= 0; got "
                         f"{epochs=}, {batch_size=}, {lr=}, {weight_decay=}")
    X = torch.as_tensor(np.asarray(data["X_train"], dtype=np.float32), device=dev)
    X = X.reshape(len(X), *model.attrobust_spec["input_shape"])
    if task == "classification":
        y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.int64), device=dev)
        loss_fn = nn.CrossEntropyLoss()
    else:
        y = torch.as_tensor(np.asarray(data["y_train"], dtype=np.float32), device=dev).view(-1, 1)
        loss_fn = nn.MSELoss()
        # Learn standardised targets (raw ones such as diabetes' 25..346 train badly with
        # Adam at small lr) and fold the scale into the last Linear afterwards, so the
        # model still predicts on the original scale with no extra module.
        mu, sd = y.mean(), y.std().clamp_min(1e-12)
        y = (y - mu) / sd
        _rescale_output(model, 1 / sd, -mu / sd)
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    gen = torch.Generator().manual_seed(seed)  # CPU generator: same order on every device
    adv_gen = torch.Generator().manual_seed(seed + 1)  # random starts of the adversary
    lo, hi = float(X.min()), float(X.max())  # the ball is clipped to the data's range
    model.train()
    n_batches = -(-len(X) // batch_size)
    # progress lines in the job's log: every epoch, and every 30 s within long epochs
    per_epoch = Progress("train", epochs, "epoch", every=0)
    per_batch = Progress(f"train ({len(X)} examples, {regime})", epochs * n_batches, "batch")
    for epoch in tqdm(range(epochs), disable=not progress, desc="epochs", leave=False):
        perm = torch.randperm(len(X), generator=gen).to(dev)
        total = torch.zeros((), device=dev)
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            if regime == "natural":
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
            else:
                x_adv = _adversary(model, X[idx], y[idx], regime, regime_params, lo, hi, adv_gen)
                opt.zero_grad()
                if regime == "pgd":
                    loss = loss_fn(model(x_adv), y[idx])
                else:
                    loss = _ig_sum_norm_objective(model, X[idx], x_adv, y[idx], regime_params["lam"],
                                                  regime_params["ig_steps"], True).mean()
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
            per_batch.update()
        per_epoch.update(extra=f"mean loss {total.item() / len(X):.4g}")
        if not math.isfinite(total.item()):
            raise ModelError(f"training diverged (loss {total.item()}) at epoch {epoch + 1}; "
                             f"lower lr (now {lr}) or standardise the data")
    if task == "regression":
        _rescale_output(model, sd, mu)
    model.eval()
    return epochs


def _rescale_output(model, scale, shift) -> None:
    """Make the last Linear layer output ``scale * out + shift`` (exact: it is affine)."""
    import torch
    from torch import nn

    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.weight.mul_(scale)
        last.bias.mul_(scale).add_(shift)
