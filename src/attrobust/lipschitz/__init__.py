"""Local Lipschitz estimates of explanation functions (Alvarez-Melis & Jaakkola 2018).

An explanation method is treated as a vector-valued function ``f: x -> attribution``.

- :func:`estimate` -- the continuous estimate, eq. (1):
  ``L(x) = max_{x' in B_eps(x)} ||f(x) - f(x')||_2 / ||x - x'||_2`` with ``B_eps`` the
  L-infinity ball of radius ``eps`` (the paper's footnote 2), intersected with a box
  ``[lower, upper]`` (e.g. the data range). The max is searched by one of
  :data:`ESTIMATORS`: ``'bo'`` (the default: Bayesian optimisation with skopt's GP surrogate
  and EI, as in the paper, Sec. 3, driven by :mod:`attrobust.lipschitz.gpbo`), ``'skopt'`` (skopt's
  own ``Optimizer`` in ``gp_minimize``'s loop: exactly the points ``gp_minimize`` evaluates
  under the same settings; the released-code protocol's), ``'random'`` (uniform search in
  the box), ``'bo_refine'`` (BO, then a local search). ``measure='max_sensitivity'``
  searches ``||f(x) - f(x')|| / ||f(x)||`` over the same box instead.
- :func:`discrete` -- the sample-based estimate, eq. (2): the max over the other points of a
  finite set that lie within ``eps``.
- :func:`noise_ratios` -- the ratio of eq. (1) at Gaussian-noise versions of x (Fig. 5).
- :func:`noise_floor` -- how far a stochastic explainer moves between seeds at x itself.
- :func:`explainer` -- ``f`` for :func:`estimate` from an :func:`attrobust.explain.explain`
  method, with the class and the seed held fixed.

Stochastic explainers (LIME, SHAP, SmoothGrad, C-LIME) are evaluated under one of
:data:`RANDOMNESS`: ``'fresh'`` (a new draw at every call, from a generator seeded once:
what the paper's estimate includes) or ``'common'`` (the same seed at x and at every x', so
the ratio measures sensitivity to the input, not sampling noise); the noise floor says how
large the sampling noise is.

All estimates are lower bounds of the true local constant: they report the largest ratio
actually evaluated.

Submodules (everything below is re-exported here; importing this package loads numpy only):

- :mod:`.objective` -- :class:`LipschitzError`, the ratio objective ``_Ratio``, input checks;
- :mod:`.estimates` -- :func:`estimate` (eq. 1) and :func:`discrete` (eq. 2);
- :mod:`.bo` -- the estimators (:data:`ESTIMATORS` and their options), skopt's GP surrogate
  and vectorised search space for ``'skopt'``;
- :mod:`.gpbo` -- our numpy GP-BO behind ``'bo'`` (imports scipy: loaded when ``'bo'`` runs);
- :mod:`.protocols` -- :data:`PROTOCOLS` (paper vs released code), :func:`protocol_params`,
  :func:`protocol_box`;
- :mod:`.run` -- :func:`explainer`, :data:`RANDOMNESS`, :func:`points`, :func:`noise_floor`,
  :func:`noise_ratios`, :func:`summary`.
"""
from .bo import ESTIMATORS, _box_space, _gp
from .estimates import discrete, estimate
from .objective import LipschitzError, _Ratio
from .protocols import PROTOCOLS, protocol_box, protocol_params
from .run import RANDOMNESS, explainer, noise_floor, noise_ratios, points, summary

__all__ = ["ESTIMATORS", "PROTOCOLS", "RANDOMNESS", "LipschitzError", "discrete", "estimate",
           "explainer", "noise_floor", "noise_ratios", "points", "protocol_box",
           "protocol_params", "summary"]
