"""The claims ledger: each paper's findings, checked on this run's results.

One module per paper registers its claims with :func:`attrobust.ledger.claim`; importing
this package imports them all and gives the engine's API (:mod:`attrobust.ledger`).
"""
from ..ledger import (  # noqa: F401
    CLAIMS, CODE_CHECK, FINDING, Claim, NotEvaluable, Part, claim, combine, compare, evaluate, nearest, paired_ci,
    require, to_markdown, verdict,
)
from . import agarwal, alvarez_melis, ghorbani  # noqa: F401  (registers the claims)
from . import nielsen  # noqa: F401  (Nielsen et al. 2022)
from . import kamath  # noqa: F401  (Kamath et al. 2023)
