"""The architecture as a test: which part of cstool may import which.

Layers, lowest first: the core (domain, store, host) knows nothing above it; the command
line (cli) builds commands over the core; ``cstool.api`` is what plugins import (the core's
types and the command helpers: output formats, masking, prompts, imports); bundled plugins
import only ``cstool.api`` and their own modules, exactly as an outside plugin would. Every import is
read from the source (module level and inside functions alike), so a lazy import cannot
slip past.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cstool"

# (the modules a rule covers, the imports they may not make)
RULES = {
    "the core imports neither the command line, the plugin API nor a plugin": (
        "cstool.core",
        ("cstool.cli", "cstool.api", "cstool.plugins"),
    ),
    "the command line imports no bundled plugin": ("cstool.cli", ("cstool.plugins",)),
    "the plugin API imports no bundled plugin": ("cstool.api", ("cstool.plugins",)),
    "bundled plugins use cstool.api, as outside plugins do": ("cstool.plugins", ("cstool.cli", "cstool.core")),
    "the stores import neither the command line nor a plugin": ("cstool.stores", ("cstool.cli", "cstool.plugins")),
    "the PostgreSQL store is a plugin like any other: cstool.api alone": (
        "cstool.stores.postgresql",
        ("cstool.cli", "cstool.core", "cstool.stores.base", "cstool.stores.folder", "cstool.stores.copying"),
    ),
}

# Imports that break a rule, each by (importing module, imported module). None: keep it so.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every cstool module ``path`` imports, wherever in the file the import stands."""
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from cstool import cli`
    return {name for name in found if name == "cstool" or name.startswith("cstool.")}


def modules() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def breaks(rule: tuple[str, tuple[str, ...]], graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    covered, forbidden = rule
    return {
        (module, imported)
        for module, imported_names in graph.items()
        if is_within(module, covered)
        for imported in imported_names
        if any(is_within(imported, prefix) for prefix in forbidden) and imported in graph
    }


@pytest.mark.parametrize("rule", RULES)
def test_import_contract(rule):
    found = breaks(RULES[rule], modules()) - KNOWN_EXCEPTIONS
    assert not found, f"{rule}: " + ", ".join(f"{a} imports {b}" for a, b in sorted(found))


def test_the_contract_sees_an_import_inside_a_function(tmp_path):
    source = tmp_path / "cstool" / "core" / "sneaky.py"
    source.parent.mkdir(parents=True)
    source.write_text("def later():\n    from cstool.cli.output import emit_json\n", encoding="utf-8")
    global PACKAGE
    real, PACKAGE = PACKAGE, tmp_path / "cstool"
    try:
        found = imports_of(source)
    finally:
        PACKAGE = real
    assert "cstool.cli.output" in found


def test_the_lazy_names_of_the_plugin_api_are_the_ones_type_checkers_see():
    """cstool.api loads most names on first use (_LAZY) and declares them again for type
    checkers under TYPE_CHECKING: the two lists must name the same things, from the same modules."""
    import cstool.api

    tree = ast.parse((PACKAGE / "api.py").read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    declared = {
        alias.asname or alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert declared == cstool.api._LAZY
    for name in cstool.api._LAZY:
        assert getattr(cstool.api, name) is not None


def test_no_two_modules_import_each_other():
    """A pair that imports each other (even lazily) is one module pretending to be two: the
    rendering of pages and charts, restore and the workspace, were such pairs once."""
    graph = modules()
    pairs = {
        tuple(sorted((module, imported)))
        for module, imported_names in graph.items()
        for imported in imported_names
        if imported in graph
        and module in graph.get(imported, ())
        and module != imported
        and not (is_within(module, imported) or is_within(imported, module))  # a package and its own modules
    }
    assert not pairs, pairs
