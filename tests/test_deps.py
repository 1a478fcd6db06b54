"""Rules' library inputs are the import closure of their scripts (`attrobust.deps`)."""
import re

import pytest
from attrobust import deps

from _workflow import ROOT

PKG = ROOT / "src" / "attrobust"


def names(paths):
    return {str(p.relative_to(PKG.parent)) for p in paths}


def test_closure_follows_imports_through_other_modules(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("import numpy\nfrom attrobust import attacks\n")
    got = names(deps.import_closure(script))
    # metrics only through attacks; models through attacks, utils through models
    assert {"attrobust/__init__.py", "attrobust/attacks.py", "attrobust/metrics.py",
            "attrobust/models/__init__.py", "attrobust/utils.py"} <= got
    assert "attrobust/lipschitz/__init__.py" not in got and "attrobust/plots/__init__.py" not in got


def test_closure_resolves_relative_and_function_local_imports(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("def main():\n    from attrobust.plots import kamath\n")
    got = names(deps.import_closure(script))
    # `from .ghorbani import ...` inside plots/kamath.py; the parent packages run too
    assert {"attrobust/plots/__init__.py", "attrobust/plots/kamath.py",
            "attrobust/plots/ghorbani.py", "attrobust/__init__.py"} <= got


def test_every_rule_takes_the_closure_of_its_own_script():
    """`lib=lib("<script>")` names the rule's own `script:`, so no module list is kept by
    hand; only the downloads (raw files checked by their SHA256) and the data check have none."""
    without = []
    for smk in [*sorted((ROOT / "workflow/rules").glob("*.smk")), *sorted((ROOT / "workflow/papers").glob("*/rules.smk"))]:
        for block in re.split(r"(?m)^(?=rule \w+:)", smk.read_text())[1:]:
            rule = re.match(r"rule (\w+):", block).group(1)
            script = re.search(r'script:\s*\n\s*"([\w./]+\.py)"', block).group(1)
            lib = re.findall(r"lib=lib\(([^)]*)\)", block)
            if not lib:
                without.append(rule)
                continue
            assert lib == [f'"{script}"'], f"{smk.name}: rule {rule} runs {script} but takes lib={lib}"
    # downloads of checksummed files: the output is checked by its SHA-256, whatever the library;
    # the data check, which changes no result and is read as `ancient` (rules/data.smk says why)
    assert without == ["download", "check_data", "fetch_weights"]


def test_the_library_has_no_import_cycle():
    """From the modules' own imports, function-local ones included (graphlib names a cycle)."""
    from graphlib import TopologicalSorter

    graph = deps.import_graph()
    assert {"attrobust.attacks", "attrobust.claims.kamath", "attrobust.plots.nielsen"} <= set(graph)
    assert "attrobust.metrics" in graph["attrobust.attacks"]
    TopologicalSorter(graph).prepare()  # raises CycleError with the cycle


def test_a_cycle_would_be_found():
    from graphlib import CycleError, TopologicalSorter

    graph = deps.import_graph()
    graph["attrobust.metrics"] = graph["attrobust.metrics"] | {"attrobust.attacks"}
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()
