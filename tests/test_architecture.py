"""The package's layering: which module may import what.

Read from the source with :mod:`ast`, so a lazy import inside a function counts
as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "jobfsm"

#: Each optional or engine-level library, and the only modules that may import it.
OWNERS = {
    "transitions": {"jobfsm.machine"},
    "psycopg": {"jobfsm.store.postgres"},
    "sqlite3": {"jobfsm.store.sqlite"},
    "msgspec": {"jobfsm._fastjson"},
    "pyspark": {"jobfsm.spark"},
    "pyarrow": {"jobfsm.columnar", "jobfsm.spark"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(name: str, path: Path, *, top_level_only: bool) -> set[str]:
    """Dotted names *name* imports (with ``from a import b``: ``a`` and ``a.b``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue  # for the type checker only: never run
            if isinstance(child, ast.Import) and (top or not top_level_only):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and (top or not top_level_only):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                submodules = {f"{base}.{alias.name}" for alias in child.names}
                found.update(submodules)
                if not submodules <= MODULES.keys():  # `from pkg import submodule` is the submodule
                    found.add(base)
            body_runs_later = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, top and not body_runs_later)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_each_library_is_imported_by_its_owner_only(library: str) -> None:
    importers = {
        name
        for name, path in MODULES.items()
        if any(
            i == library or i.startswith(library + ".")
            for i in _imports(name, path, top_level_only=False)
        )
    }
    assert importers <= OWNERS[library], sorted(importers - OWNERS[library])


def test_module_level_imports_have_no_cycle() -> None:
    graph = {
        name: {i for i in _imports(name, path, top_level_only=True) if i in MODULES} - {name}
        for name, path in MODULES.items()
    }
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:  # pragma: no cover - shown when it fails
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_the_checks_see_imports() -> None:
    """The scan finds the imports it is meant to police (so the tests above can fail)."""
    assert "transitions" in _imports(
        "jobfsm.machine", MODULES["jobfsm.machine"], top_level_only=True
    )
    assert "jobfsm.store._document" in _imports(
        "jobfsm.store._base", MODULES["jobfsm.store._base"], top_level_only=True
    )
    lazy = _imports("jobfsm._fastjson", MODULES["jobfsm._fastjson"], top_level_only=False)
    assert "msgspec" in lazy
