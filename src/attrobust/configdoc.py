"""config/README.md, generated from the config schema (``make config-doc``).

The schema ``workflow/schemas/config.schema.yaml`` (each paper's sections under ``figures``:
``workflow/papers/<paper>/schema.yaml``) is the one place where a key is documented:
its ``description`` says what the key means, its ``default`` is the value the workflow fills in.
This module renders them as tables, one section per part of the config, with the value
``config/config.yaml`` (the embedded default, the base of every run) sets where it differs, and
the registries' names and parameter defaults (datasets, architectures, training regimes,
attribution methods) read from the library itself.

    python -m attrobust.configdoc            # writes config/README.md
    python -m attrobust.configdoc --check    # exit 1 if config/README.md is not current

``tests/test_configdoc.py`` checks that the committed file is the generator's output.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = ROOT / "config/config.yaml"
OUTPUT = ROOT / "config/README.md"

#: The top-level keys that get a section of their own (the others share "Top level").
SECTIONS = ("datasets", "models", "methods", "explain", "figures")

_MISSING = object()


def fmt(v: Any) -> str:
    """A value as YAML flow style writes it (``[a, b]``, ``{k: v}``, ``null``)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, str) and v in ("true", "false", "null", "yes", "no"):
        return f'"{v}"'
    return str(v)


def code(v: Any) -> str:
    return "`" + fmt(v).replace("|", "\\|") + "`"


def cell(text: str) -> str:
    """One table cell: a single line, ``|`` escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def paragraphs(text: str) -> str:
    """A section's description: its paragraphs (blank lines) kept, each on one line."""
    paras = [" ".join(p.split()) for p in str(text).split("\n\n")]
    return "\n\n".join(p for p in paras if p)


class Doc:
    def __init__(self, schema: dict, embedded: dict):
        self.schema = schema
        self.defs = schema.get("$defs", {})
        self.embedded = embedded or {}

    def resolve(self, node: dict) -> dict:
        """The node with a ``$ref`` or a one-element ``allOf`` merged in (its own keys win)."""
        node = dict(node)
        if "$ref" in node:
            target = self.defs[node.pop("$ref").rsplit("/", 1)[-1]]
            node = {**self.resolve(target), **node}
        if len(node.get("allOf", [])) == 1:
            node = {**self.resolve(node.pop("allOf")[0]), **node}
        return node

    # ------------------------------------------------------------------ types
    def type_of(self, node: dict) -> str:
        node = self.resolve(node)
        if "const" in node:
            return code(node["const"])
        if "enum" in node:
            return " \\| ".join(code(e) for e in node["enum"])
        if "oneOf" in node:
            return " or ".join(self.type_of(o) for o in node["oneOf"])
        types = node.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        parts = [self._base(t, node) for t in types if t != "null"]
        if "null" in types:
            parts.append("`null`")
        return " or ".join(parts) or "(checked by `attrobust.config`)"

    def _base(self, t: str, node: dict) -> str:
        if t in ("integer", "number"):
            bounds = []
            for key, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                            ("maximum", "<="), ("exclusiveMaximum", "<")):
                if key in node:
                    bounds.append(f"{op} {fmt(node[key])}")
            return ("int" if t == "integer" else "number") + (" " + ", ".join(bounds) if bounds else "")
        if t == "array":
            items = self.type_of(node.get("items", {}))
            size = ""
            if "minItems" in node or "maxItems" in node:
                lo, hi = node.get("minItems", 0), node.get("maxItems")
                size = f", {lo}-{hi} entries" if hi is not None and hi != lo else (
                    f", {lo} entries" if hi == lo else f", at least {lo}")
            return f"list of {items}{size}"
        if t == "object":
            return "mapping"
        if t == "boolean":
            return "bool"
        if t == "string" and "pattern" in node:
            return "string " + code(node["pattern"])
        return t

    # ------------------------------------------------------------------ defaults
    def embedded_value(self, path: tuple[str, ...]) -> Any:
        v: Any = self.embedded
        for p in path:
            if not isinstance(v, dict) or p not in v:
                return _MISSING
            v = v[p]
        return v

    def default_of(self, node: dict, path: tuple[str, ...] | None) -> str:
        node = self.resolve(node)
        emb = self.embedded_value(path) if path is not None else _MISSING
        if "default" in node:
            text = code(node["default"])
            if emb is not _MISSING and emb != node["default"] and not (
                    isinstance(emb, dict) and isinstance(node["default"], dict) and not node["default"]):
                text += f"; embedded {code(emb)}"
            return text
        if node.get("_required"):
            return "required"
        if emb is not _MISSING and not isinstance(emb, dict):
            return f"embedded {code(emb)}"
        return ""

    # ------------------------------------------------------------------ tables
    def rows(self, node: dict, path: tuple[str, ...] | None, prefix: str = "") -> list[str]:
        node = self.resolve(node)
        required = set(node.get("required", []))
        out = []
        for key, sub in node.get("properties", {}).items():
            sub = self.resolve(sub)
            if key in required:
                sub = {**sub, "_required": True}
            subpath = None if path is None else path + (key,)
            name = f"`{prefix}{key}`"
            out.append(f"| {name} | {self.type_of(sub)} | {self.default_of(sub, subpath)} | "
                       f"{cell(sub.get('description', ''))} |")
            if sub.get("properties"):
                out += self.rows(sub, subpath, prefix=f"{prefix}{key}.")
        return out

    def table(self, node: dict, path: tuple[str, ...] | None) -> str:
        rows = self.rows(node, path)
        if not rows:
            return ""
        return "\n".join(["| key | type | default | meaning |", "| --- | --- | --- | --- |", *rows])

    def section(self, title: str, node: dict, path: tuple[str, ...] | None,
                level: int = 2, extra: str = "") -> str:
        node = self.resolve(node)
        parts = [f"{'#' * level} `{title}`"]
        if node.get("description"):
            parts.append(paragraphs(node["description"]))
        if extra:
            parts.append(extra)
        table = self.table(node, path)
        if table:
            parts.append(table)
        return "\n\n".join(parts)

    # ------------------------------------------------------------------ document
    def render(self, registries: dict[str, str] | None = None) -> str:
        registries = registries or {}
        props = self.schema["properties"]
        top = {"properties": {k: v for k, v in props.items() if k not in SECTIONS}}
        parts = [
            "# Configuration",
            "<!-- Generated by `python -m attrobust.configdoc` (`make config-doc`) from the "
            "descriptions and defaults of workflow/schemas/config.schema.yaml and, for the "
            "sections under `figures`, workflow/papers/<paper>/schema.yaml: edit the schemas, "
            "not this file. tests/test_configdoc.py checks that it is current. -->",
            paragraphs(self.schema.get("description", "")),
            "How to read the tables: **default** is the schema's, filled in for a key that no "
            "config file sets; **embedded** is the value `config/config.yaml` sets where it "
            "differs from it. `config/config.yaml` is the base of every run, so an embedded value "
            "is what a run gets unless a later `CONFIG` file sets the key. A nested key is "
            "written with dots (`mirrors.mlbench`, `hessian.n_images`).",
            "## Top level\n\n" + self.table(top, ()),
        ]
        for key in SECTIONS:
            node = self.resolve(props[key])
            if key == "figures":
                parts.append(self.section("figures", {"description": node.get("description", "")},
                                          None, extra=registries.get("figures", "")))
                for name, sub in node["properties"].items():
                    parts.append(self.section(f"figures.{name}", sub, ("figures", name), level=3))
            elif isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
                entry = self.resolve(node["additionalProperties"])
                parts.append(self.section(f"{key}.<name>", {**entry, "description":
                                          node.get("description", "")}, None,
                                          extra=registries.get(key, "")))
            else:
                parts.append(self.section(key if key == "explain" else f"{key}.<name>", node,
                                          (key,), extra=registries.get(key, "")))
        return "\n\n".join(p for p in parts if p) + "\n"


# ---------------------------------------------------------------------- registries

def registry_tables() -> dict[str, str]:
    """The names and defaults the library's registries hold (torch-free imports)."""
    from . import attacks, data, explain, lipschitz, models

    ds = ["| dataset | origin | kind, task | description |", "| --- | --- | --- | --- |"]
    for name in data.names():
        d = data.info(name)
        ds.append(f"| `{name}` | {d.origin} | {d.kind}, {d.task} | {cell(d.description)} |")
    ar = ["| architecture | kind | `hp` defaults | reference |", "| --- | --- | --- | --- |"]
    for name, a in models.ARCHS.items():
        ar.append(f"| `{name}` | {a.kind} | {code(a.defaults) if a.defaults else ''} | "
                  f"{cell(a.reference)} |")
    rg = ["| regime | `regime_params` defaults |", "| --- | --- |"]
    for name, hp in models.REGIME_HP.items():
        rg.append(f"| `{name}` | {code(hp) if hp else '(none)'} |")
    me = ["| method | kind | parameters and defaults | reference |", "| --- | --- | --- | --- |"]
    for name, m in explain.METHODS.items():
        me.append(f"| `{name}` | {m.kind} | {code(m.defaults)} | {cell(m.reference)} |")
    names = ", ".join
    fig = ("Names that `config.check` looks up in the library's registries (the schema takes any "
           "string): a section's `attacks` in `attrobust.attacks.ATTACKS` ("
           + names(f"`{a}`" for a in attacks.ATTACKS) + "); the `methods` and `table_methods` "
           "of a section with `attacks` among the methods with a differentiable implementation, "
           "`attrobust.attacks.attackable()` (" + names(f"`{m}`" for m in attacks.attackable()) + "); every `estimator` in "
           "`attrobust.lipschitz.ESTIMATORS` (" + names(f"`{e}`" for e in lipschitz.ESTIMATORS)
           + "); every other `methods` / `method` in `attrobust.explain.METHODS` (`methods.<name>`).")
    return {"figures": fig,
            "datasets": "Registered datasets (`attrobust.data.REGISTRY`):\n\n" + "\n".join(ds),
            "models": ("Architectures (`attrobust.models.ARCHS`) with their default "
                       "hyper-parameters:\n\n" + "\n".join(ar)
                       + "\n\nTraining regimes (`attrobust.models.REGIME_HP`):\n\n" + "\n".join(rg)),
            "methods": ("Methods (`attrobust.explain.METHODS`) with their parameters' defaults; "
                        "`kind` gradient needs a torch model, blackbox takes any model:\n\n"
                        + "\n".join(me))}


def render(embedded_path: Path = EMBEDDED) -> str:
    from .config import schema as config_schema

    schema = config_schema()  # with every paper's sections (workflow/papers/<paper>/schema.yaml)
    embedded = yaml.safe_load(Path(embedded_path).read_text())
    return Doc(schema, embedded).render(registry_tables())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m attrobust.configdoc", description=__doc__.split("\n")[0])
    ap.add_argument("output", nargs="?", default=str(OUTPUT), help="default: config/README.md")
    ap.add_argument("--check", action="store_true", help="exit 1 if OUTPUT is not current")
    args = ap.parse_args(argv)
    text = render()
    out = Path(args.output)
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is not current: run `make config-doc`", file=sys.stderr)
            return 1
        return 0
    out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
