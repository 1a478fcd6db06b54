"""Which library modules a workflow script runs: the import closure of its source.

The workflow gives each rule these files as inputs, so that editing a module reruns
exactly the jobs whose scripts import it, directly or through other modules, and no list
of modules is kept by hand. Read from the source with :mod:`ast` (nothing is imported, so
parsing the Snakefile stays torch-free); function-local imports count too, since a job may
call the function.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "attrobust"
SRC = Path(__file__).resolve().parents[1]


def _module_file(name: str) -> Path | None:
    """The source file of module ``name`` (a package's ``__init__.py``), if it is ours."""
    path = SRC.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


@cache
def _direct_imports(path: Path, module: str) -> frozenset[str]:
    """Names of our modules that ``path`` (module ``module``) imports anywhere in its body.
    ``from a import b`` yields both ``a`` and ``a.b``; the latter is kept only if it is a
    module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return frozenset(n for n in names if n == PACKAGE or n.startswith(PACKAGE + "."))


def import_closure(script: str | Path) -> list[Path]:
    """Every module file of ``attrobust`` that running ``script`` can import, sorted.

    A module's parent packages count too (importing ``attrobust.plots.nielsen`` runs
    ``attrobust/__init__.py`` and ``attrobust/plots/__init__.py``).
    """
    seen: dict[str, Path] = {}
    todo = list(_direct_imports(Path(script).resolve(), "__main__"))
    while todo:
        parts = todo.pop().split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            path = _module_file(name)
            if path is not None and name not in seen:
                seen[name] = path
                todo.extend(_direct_imports(path, name))
    return sorted(seen.values())



def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, for every module of the package (checks
    such as "no import cycle")."""
    graph = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[name] = {m for m in _direct_imports(path, name) if m != name and _module_file(m)}
    return graph
