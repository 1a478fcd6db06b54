"""config/README.md is generated from the schema's descriptions and defaults: it must be current."""
from pathlib import Path

from attrobust import config as cfg
from attrobust import configdoc

ROOT = Path(__file__).resolve().parents[1]


def test_config_readme_is_current():
    committed = (ROOT / "config/README.md").read_text()
    assert committed == configdoc.render(), "config/README.md is stale: run `make config-doc`"


def _keys(node, path=()):
    """Every documented key path of the schema (properties, recursively, $defs resolved)."""
    for key, sub in node.get("properties", {}).items():
        yield path + (key,), sub
        yield from _keys(sub, path + (key,))


def test_every_key_has_a_description_and_appears_in_the_readme():
    schema = cfg.schema()  # with every paper's sections
    text = (ROOT / "config/README.md").read_text()
    nodes = list(_keys(schema)) + [(("datasets", k), v) for k, v in
                                    schema["$defs"]["dataset"]["properties"].items()]
    nodes += [(("models", k), v) for k, v in schema["$defs"]["model"]["properties"].items()]
    nodes += [(("models", "regime_params", k), v) for k, v in
              schema["$defs"]["model"]["properties"]["regime_params"]["properties"].items()]
    missing = [".".join(p) for p, n in nodes if not n.get("description")]
    assert not missing, f"schema keys without a description: {missing}"
    assert "| `seed` | int >= 0 | `0` |" in text
    # a default that config/config.yaml overrides shows both values
    assert "| `n_points` | int >= 1 | `100`; embedded `10` |" in text


def test_check_mode_flags_a_stale_file(tmp_path):
    stale = tmp_path / "README.md"
    stale.write_text("old\n")
    assert configdoc.main([str(stale), "--check"]) == 1
    assert configdoc.main([str(stale)]) == 0
    assert configdoc.main([str(stale), "--check"]) == 0
