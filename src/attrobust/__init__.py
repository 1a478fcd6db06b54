"""attrobust: explainers, attacks and robustness metrics for attribution methods.

One entry point per concept, each over a small registry of named methods:

- :func:`attrobust.data.load` - datasets (embedded, local mirrors, downloads)
- :func:`attrobust.models.build` / :func:`attrobust.models.train` - architectures, training
- :func:`attrobust.explain.explain` - attribution methods (captum, lime, shap, C-LIME)
- :mod:`attrobust.plots` - paper-style figures

Submodules are imported lazily so that the Snakefile (which imports only the
registries' names) starts quickly without loading torch.
"""

__version__ = "0.1.0"
