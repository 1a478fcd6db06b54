"""Influence functions and the gradient-sign attack on them (Ghorbani, Abid & Zou 2019,
Sec. 2.2 eq. (1), Sec. 3 eq. (2), Figs. 3, 4, 10; Appendix F, Fig. 11b).

Setting (Ghorbani et al. Sec. 4 and footnote 3, after Koh & Liang 2017): a binary task in
which only the last layer is trained. The features phi(x) are a trained network's
penultimate activations (the input of its last ``nn.Linear``, :func:`penultimate`); the
last layer is an L2-regularised logistic regression on [phi(x), 1] (:func:`fit_logistic`,
Newton's method in float64, deterministic), fitted on the training points of two classes.
With theta = (w, b), labels y in {0, 1}, s = sigmoid(theta . [phi, 1]):

- loss L(z, theta) = log(1 + exp(theta . [phi, 1])) - y theta . [phi, 1];
  per-example gradient grad L(z) = (s - y) [phi, 1] (:func:`loss_grads`);
- objective R(theta) = 1/n sum_i L(z_i, theta) + l2/2 ||w||^2 (bias not penalised);
- H = its Hessian, exact: 1/n sum_i s_i (1 - s_i) [phi_i, 1][phi_i, 1]^T + l2 diag(1..1, 0)
  (:func:`hessian`; small: (features + 1)^2);
- influence, eq. (1): I(z_i, z_t) = -grad L(z_t)^T H^{-1} grad L(z_i), the derivative of the
  test loss with respect to up-weighting z_i by eps in R (Koh & Liang 2017, eq. 2), so -I/n
  predicts the change of the test loss when z_i is left out (:func:`influence`, see below).

Shared factor. For this last layer grad L(z_t) = (sigma_t - y_t) [phi_t, 1], so every training
point's score on z_t carries the same factor: s(z_i, z_t) = (sigma_t - y_t) [phi_t, 1]^T
H^{-1} grad L(z_i). The ranking of the training points depends on x_t only through the
direction of [phi_t, 1]; a perturbation that raises the last layer's confidence shrinks all
influences by one factor and keeps the ranks (:func:`loss_factor`), and the part of
grad_x s parallel to grad_x L (:func:`loss_influence_terms`) sets the angle of Fig. 11b.
This holds in the paper's set-up too (a logistic last layer on fixed features).

Sign (``score``). Eq. (1) as printed, I = -grad L(z_t)^T H^{-1} grad L(z_i), is Koh & Liang's
I_up,loss; the attack of eq. (2), delta = eps sign(grad_x I) = -eps sign(grad_x grad L(z_t)^T
H^{-1} grad L(z_i)), and footnote 2 lower s = grad L(z_t)^T H^{-1} grad L(z_i) = -I, which the
text calls "decreasing the influence of the most influential training images"; Fig. 3 shows
training images of the test image's class on top. Only s makes these agree: ``score="eq2"``
(default) ranks and attacks s (positive: helpful, up-weighting z_i lowers the test loss; also
Koh & Liang's released code, "predicted loss difference" on removal, and captum's influence
classes). ``score="eq1"`` uses eq. (1)'s I as printed throughout (the top points are then the
most harmful ones). The score used is what :func:`influence` and :meth:`LastLayer.scores` return.

Attack, eq. (2) and footnote 2: delta = -eps sign(grad_x sum_{i in top-3} score(z_(i), z_t)),
iterated here (:func:`attack`, ``n_iter`` signed-gradient steps of size ``step``, each
projected onto B_inf(x_t, eps) ∩ [0, 1]; ``n_iter=1, step=eps`` is the paper's single step);
the iterate with the smallest summed score of the original top points whose predicted label
(of the logistic last layer) is unchanged is returned. H^{-1} grad L(z_i) does not depend
on x_t; the gradient reaches x_t through grad L(z_t) and phi (through ``grad_model``, e.g.
the softplus copy of :func:`attrobust.models.softplus`). Baseline: random sign perturbation
of the same eps (:func:`random_sign`).

Only numpy at module level; torch is imported inside functions.
"""
from __future__ import annotations

import math
import zlib
from typing import Sequence

import numpy as np

from . import utils

SCORES = ("eq2", "eq1")


class InfluenceError(ValueError):
    """Bad class choice, parameter or input."""


# ------------------------------------------------------------------------- features
def _last_linear(model):
    from torch import nn

    lin = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not lin:
        raise InfluenceError("the model has no nn.Linear layer; penultimate features are the input "
                             "of its last one")
    return lin[-1]


def penultimate(model, x):
    """phi(x): the input of ``model``'s last ``nn.Linear`` (its penultimate activations),
    differentiable in ``x`` when x requires grad. x: torch tensor (N, ...)."""
    last = _last_linear(model)
    store = []
    handle = last.register_forward_hook(lambda m, inp, out: store.append(inp[0]))
    try:
        model(x)
    finally:
        handle.remove()
    return store[-1].flatten(1)


def features(model, X, *, batch_size: int = 256) -> np.ndarray:
    """phi(X) (N, d) as float64 numpy, in batches, without a graph (eval mode)."""
    import torch

    p = next(model.parameters())
    was = model.training
    model.eval()
    out = []
    try:
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                xb = torch.as_tensor(np.asarray(X[i:i + batch_size]), dtype=torch.float32, device=p.device)
                out.append(penultimate(model, xb).double().cpu().numpy())
    finally:
        model.train(was)
    return np.concatenate(out) if out else np.zeros((0, 0))


def binary_subset(X, y, classes: Sequence[int]):
    """Rows of ``X`` whose label is one of the two ``classes``; labels mapped to 0/1
    (classes[0] -> 0, classes[1] -> 1). Returns (X_sub, y01, index)."""
    classes = [int(c) for c in classes]
    if len(classes) != 2 or classes[0] == classes[1]:
        raise InfluenceError(f"classes must be two different class indices; got {classes}")
    y = np.asarray(y)
    idx = np.flatnonzero(np.isin(y, classes))
    for c in classes:
        if not (y[idx] == c).any():
            raise InfluenceError(f"class {c} has no example here (labels present: {sorted(set(y.tolist()))})")
    return np.asarray(X)[idx], (y[idx] == classes[1]).astype(np.int64), idx


# -------------------------------------------------------------- logistic last layer
def _aug(Phi):
    Phi = np.asarray(Phi, dtype=np.float64)
    return np.hstack([Phi, np.ones((len(Phi), 1))])


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))  # overflow-free


def hessian(theta, Phi, y, l2: float) -> np.ndarray:
    """Exact Hessian (d+1, d+1) of R(theta) = mean logistic loss + l2/2 ||w||^2."""
    A = _aug(Phi)
    s = _sigmoid(A @ theta)
    H = (A * (s * (1 - s))[:, None]).T @ A / len(A)
    H[np.arange(len(theta) - 1), np.arange(len(theta) - 1)] += l2
    return H


def fit_logistic(Phi, y, *, l2: float = 0.01, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """theta = (w, b) (d+1,) minimising 1/n sum L(z_i) + l2/2 ||w||^2 by Newton's method with
    step halving (float64; the same inputs give the same bits)."""
    A, y = _aug(Phi), np.asarray(y, dtype=np.float64)
    if set(np.unique(y)) - {0.0, 1.0} or len(np.unique(y)) < 2:
        raise InfluenceError("fit_logistic needs labels of both classes, coded 0 and 1")
    if not l2 > 0:
        raise InfluenceError(f"l2 must be > 0 (a separable task has no finite unpenalised fit); got {l2}")
    theta = np.zeros(A.shape[1])

    def obj(t):
        z = A @ t
        return float(np.mean(np.logaddexp(0, z) - y * z) + 0.5 * l2 * t[:-1] @ t[:-1])

    f = obj(theta)
    for _ in range(max_iter):
        g = A.T @ (_sigmoid(A @ theta) - y) / len(A)
        g[:-1] += l2 * theta[:-1]
        step = np.linalg.solve(hessian(theta, Phi, y, l2), g)
        t = 1.0
        while t > 1e-10:
            new = theta - t * step
            f_new = obj(new)
            if f_new <= f:
                break
            t /= 2
        theta, f_old, f = new, f, f_new
        if float(g @ step) < tol or f_old - f < tol * 1e-3:
            break
    return theta


def loss_grads(theta, Phi, y) -> np.ndarray:
    """Per-example gradients grad_theta L(z_i) (n, d+1) of the unpenalised logistic loss."""
    A = _aug(Phi)
    return (_sigmoid(A @ theta) - np.asarray(y, dtype=np.float64))[:, None] * A


def _sign(score: str) -> float:
    """+1: eq. (1)'s I; -1: s = -I (eq. 2, footnote 2)."""
    if score not in SCORES:
        raise InfluenceError(f"score must be one of {SCORES}; got {score!r}")
    return 1.0 if score == "eq1" else -1.0


def influence(theta, H, Phi_train, y_train, Phi_test, y_test, *, score: str = "eq2") -> np.ndarray:
    """Influence scores (n_test, n_train): s = grad L(z_t)^T H^{-1} grad L(z_i) (``score="eq2"``,
    the quantity eq. (2) lowers; Koh & Liang's code, captum) or eq. (1)'s I = -s (``"eq1"``)."""
    G = loss_grads(theta, Phi_train, y_train)
    Gt = loss_grads(theta, Phi_test, y_test)
    return -_sign(score) * Gt @ np.linalg.solve(H, G.T)


def top(scores, k: int) -> np.ndarray:
    """Indices of the k largest scores per row (n, k), largest first (stable on ties)."""
    scores = np.atleast_2d(scores)
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


# ------------------------------------------------------------------------ the model
class LastLayer:
    """The fitted binary last layer on a network's penultimate features, with what eq. (1)
    and eq. (2) need. Build with :meth:`fit`."""

    def __init__(self, model, theta, H, Phi_train, y_train, l2, score="eq2"):
        self.model, self.theta, self.H = model, np.asarray(theta), np.asarray(H)
        self.Phi_train, self.y_train, self.l2 = np.asarray(Phi_train), np.asarray(y_train), l2
        self.sign = _sign(score)
        self.score = score
        # H^{-1} grad L(z_i) for every training point (d+1, n): independent of x_t
        self.HinvG = np.linalg.solve(self.H, loss_grads(self.theta, self.Phi_train, self.y_train).T)

    @classmethod
    def fit(cls, model, X_train, y01, *, l2: float = 0.01, score: str = "eq2"):
        Phi = features(model, X_train)
        theta = fit_logistic(Phi, y01, l2=l2)
        return cls(model, theta, hessian(theta, Phi, y01, l2), Phi, y01, l2, score)

    def scores(self, X, y01) -> np.ndarray:
        """Influence scores (n, n_train) of every training point on each (x, y) (``self.score``)."""
        Phi = features(self.model, X)
        return -self.sign * loss_grads(self.theta, Phi, y01) @ self.HinvG

    def predict(self, X) -> np.ndarray:
        """Labels 0/1 of the logistic last layer."""
        return (_aug(features(self.model, X)) @ self.theta > 0).astype(np.int64)

    def accuracy(self, X, y01) -> float:
        return float((self.predict(X) == np.asarray(y01)).mean())

    # torch pieces: differentiable in x
    def _torch_score(self, grad_model, x, y01, V):
        """Per image: -sign * grad L(z_t)^T V[:, n] (V: (d+1, N) torch), differentiable in x.
        Also returns the logit theta . [phi, 1]."""
        import torch

        theta = torch.as_tensor(self.theta, dtype=torch.float64, device=x.device)
        phi = penultimate(grad_model, x).double()
        a = torch.cat([phi, torch.ones(len(phi), 1, dtype=phi.dtype, device=phi.device)], 1)
        z = a @ theta
        gt = (torch.sigmoid(z) - y01)[:, None] * a  # (N, d+1)
        return -self.sign * (gt * V.T).sum(1), z

    def logit_torch(self, grad_model, x):
        import torch

        theta = torch.as_tensor(self.theta, dtype=torch.float64, device=x.device)
        phi = penultimate(grad_model, x).double()
        return phi @ theta[:-1] + theta[-1]


def _prep(last: LastLayer, x, y01, device=None):
    import torch

    dev = device or next(last.model.parameters()).device
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=dev)
    if xt.ndim < 2 or not torch.isfinite(xt).all() or xt.min() < -1e-6 or xt.max() > 1 + 1e-6:
        raise InfluenceError("attack inputs must be a batch of finite images in [0, 1]")
    yt = torch.as_tensor(np.asarray(y01), dtype=torch.float64, device=dev)
    return xt, yt


def attack(last: LastLayer, x, y01, *, eps: float, n_top: int = 3, n_iter: int = 10,
           step: float | None = None, grad_model=None) -> dict:
    """Gradient-sign attack on influence (Ghorbani et al. eq. (2), footnote 2), iterated.

    x: test images (N, C, H, W) in [0, 1]; y01: their labels 0/1 (the loss of eq. 1).
    Lowers S(x') = sum over the ``n_top`` most influential training points of x (by the
    score ``last.score``) of their score on (x', y), within B_inf(x, eps) ∩ [0, 1];
    ``step`` defaults to eps / n_iter * 2 (at least 2 steps to cross the ball). The iterate
    with the lowest S whose last-layer label equals x's is returned (x itself if none).
    grad_model: the network the gradient passes through (default ``last.model``; e.g. its
    softplus copy). Returns {'x_adv', 'top' (N, n_top), 'objective' (N,) S(x') - S(x),
    'label_kept' (N,) bool}.
    """
    import torch

    if not (math.isfinite(eps) and eps >= 0):
        raise InfluenceError(f"eps must be a finite number >= 0; got {eps}")
    if isinstance(n_iter, bool) or int(n_iter) != n_iter or n_iter < 1:
        raise InfluenceError(f"n_iter must be an int >= 1; got {n_iter!r}")
    grad_model = grad_model or last.model
    xt, yt = _prep(last, x, y01)
    s0 = last.scores(x, y01)
    top_idx = top(s0, n_top)
    V = torch.as_tensor(last.HinvG[:, top_idx].sum(2), dtype=torch.float64, device=xt.device)  # (d+1, N)
    step = 2 * eps / n_iter if step is None else step
    lo, hi = (xt - eps).clamp_min(0), (xt + eps).clamp_max(1)
    with torch.no_grad():
        label = (last.logit_torch(last.model, xt) > 0)
        obj0 = last._torch_score(last.model, xt, yt, V)[0]
    best = torch.full((len(xt),), math.inf, dtype=torch.float64, device=xt.device)
    x_best, found = xt.clone(), torch.zeros(len(xt), dtype=torch.bool, device=xt.device)
    x_cur = xt.clone()
    for _ in range(int(n_iter)):
        xg = x_cur.detach().requires_grad_(True)
        with torch.enable_grad():
            s, _ = last._torch_score(grad_model, xg, yt, V)
            g = torch.autograd.grad(s.sum(), xg)[0]
        x_cur = utils.sign_step(x_cur, -g, step, lo, hi)  # descent: lower the score
        with torch.no_grad():
            s_new, z = last._torch_score(last.model, x_cur, yt, V)
            kept = (z > 0) == label
        better = kept & (s_new < best)
        best, found = torch.where(better, s_new, best), found | kept
        x_best[better] = x_cur[better]
    best = torch.where(found, best, obj0)
    return {"x_adv": x_best.cpu().numpy().astype(np.float32), "top": top_idx,
            "objective": (best - obj0).cpu().numpy(), "label_kept": found.cpu().numpy()}


def random_sign(last: LastLayer, x, y01, *, eps: float, seed: int = 0, n_trials: int = 1) -> dict:
    """Baseline (Ghorbani et al. Sec. 3): x + eps * (random sign per value), clipped to [0, 1];
    signs drawn per image from (seed, crc32 of its bytes). With ``n_trials`` > 1 the first
    draw keeping the last layer's label is taken (x itself if none does)."""
    X = np.asarray(x, dtype=np.float32)
    label = last.predict(X)
    out, kept = X.copy(), np.zeros(len(X), dtype=bool)
    for i, xi in enumerate(X):
        rng = np.random.default_rng([int(seed), zlib.crc32(xi.tobytes())])
        for _ in range(int(n_trials)):
            cand = np.clip(xi + eps * (rng.integers(0, 2, size=xi.shape) * 2 - 1), 0, 1).astype(np.float32)
            if last.predict(cand[None])[0] == label[i]:
                out[i], kept[i] = cand, True
                break
    return {"x_adv": out, "label_kept": kept}


def loss_influence_terms(last: LastLayer, x, y01, *, grad_model=None) -> dict:
    """Ghorbani et al. Appendix F, Fig. 11b, with the decomposition that explains it.

    Per test image: 'angle' (degrees, in [0, 90]; the sign of a direction is immaterial)
    between grad_x L(z_t) (the steepest change of the prediction's loss) and grad_x s(z_(1), z_t)
    (the steepest change of the influence of the most influential training point); and
    'confidence_ratio' = ||c|| / ||r|| of the two terms of that influence gradient.

    With a = [phi(x), 1], z = theta . a, sigma = sigmoid(z), V = H^{-1} grad L(z_(1)) and J the
    Jacobian of phi (the score of eq. 1-2 for this last layer, up to the sign of ``score``):

        s = (sigma - y) a . V                          (the factor sigma - y is shared by all z_i)
        grad_x s = sigma (1 - sigma) (a . V) grad_x z  +  (sigma - y) J^T V_w  =  c + r,
        grad_x L = (sigma - y) grad_x z,               grad_x z = J^T w.

    c is parallel to grad_x L (it changes the confidence, and with it every influence by the
    same factor); r changes the direction of a, hence the ranking of the training points. The
    angle is small where ||c|| >> ||r||. Returns numpy arrays {'angle', 'confidence_ratio'}."""
    import torch

    from .curvature import angle

    grad_model = grad_model or last.model
    xt, yt = _prep(last, x, y01)
    top1 = top(last.scores(x, y01), 1)[:, 0]
    V = torch.as_tensor(last.HinvG[:, top1], dtype=torch.float64, device=xt.device)
    theta = torch.as_tensor(last.theta, dtype=torch.float64, device=xt.device)
    xg = xt.detach().requires_grad_(True)
    with torch.enable_grad():
        s, z = last._torch_score(grad_model, xg, yt, V)
        g_inf = torch.autograd.grad(s.sum(), xg, retain_graph=True)[0]
        g_z = torch.autograd.grad(z.sum(), xg, retain_graph=True)[0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="sum")
        g_loss = torch.autograd.grad(loss, xg)[0]
    with torch.no_grad():
        phi = penultimate(grad_model, xt).double()
        a = torch.cat([phi, torch.ones(len(phi), 1, dtype=phi.dtype, device=phi.device)], 1)
        sig = torch.sigmoid(a @ theta)
        aV = (a * V.T).sum(1)
        shape = (-1,) + (1,) * (xt.ndim - 1)
        c = (-last.sign * sig * (1 - sig) * aV).view(shape) * g_z
        r = g_inf - c
        ratio = c.flatten(1).norm(dim=1) / r.flatten(1).norm(dim=1).clamp_min(1e-300)
    return {"angle": angle(g_loss.flatten(1), g_inf.flatten(1), unsigned=True).cpu().numpy(),
            "confidence_ratio": ratio.cpu().numpy()}


def loss_influence_angles(last: LastLayer, x, y01, *, grad_model=None) -> np.ndarray:
    """Ghorbani et al. Appendix F, Fig. 11b: angle (degrees, in [0, 90]) between grad_x L(z_t)
    and grad_x I(z_(1), z_t), per test image (:func:`loss_influence_terms`' 'angle')."""
    return loss_influence_terms(last, x, y01, grad_model=grad_model)["angle"]


def loss_factor(last: LastLayer, x, x_adv, y01) -> np.ndarray:
    """(sigma(x_adv) - y) / (sigma(x) - y) per image: the factor by which a perturbation scales
    every training point's influence through the shared factor sigma - y of eq. (1) (see
    :func:`loss_influence_terms`); below 1 when the last layer is more confident at x_adv."""
    y = np.asarray(y01, dtype=np.float64)
    s0 = _sigmoid(_aug(features(last.model, x)) @ last.theta)
    s1 = _sigmoid(_aug(features(last.model, x_adv)) @ last.theta)
    return (s1 - y) / (s0 - y)
