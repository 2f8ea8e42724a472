"""The shape of the package: no import cycle anywhere, no vendor named in the core modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import cgw
from cgw.platforms import all_platforms

PACKAGE = Path(cgw.__file__).parent
# Modules that must work for every vendor alike: they may not name one.
VENDOR_NEUTRAL = ("model.py", "inventory.py", "workflow.py", "verify.py", "fleet.py")
# The test harness outside per-vendor test modules and tests/data.
VENDOR_NEUTRAL_TESTS = (
    "conftest.py",
    "render_cases.py",
    "envelope.py",
    "test_architecture.py",
    "test_contract.py",
    "test_contract_lab.py",
    "test_plugin_platform.py",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imported(path: Path, name: str, known: set[str]) -> Iterator[str]:
    """Every cgw module `path` imports, wherever the import stands (lazy ones included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # `from pkg import sub` imports the submodule; `from mod import name`, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                yield target


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imported(path, name, known)) for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_cgw() -> None:
    assert cycles(import_graph()) == []


def test_the_platform_interface_depends_on_the_model_only() -> None:
    graph = import_graph()
    allowed = {"cgw.model", "cgw.secrets", "cgw.parsing", "cgw.session", "cgw.verify"}
    assert graph["cgw.platforms.base"] <= allowed


def vendor_words() -> set[str]:
    """Every registered platform's name, and the vendor words in those names."""
    words = set()
    for name in all_platforms():
        words.add(name)
        words.update(part for part in name.split("_") if len(part) > 3)
    return words


def vendor_mentions(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8").lower()
    return sorted(w for w in vendor_words() if re.search(rf"\b{re.escape(w)}\b", text))


@pytest.mark.parametrize("name", VENDOR_NEUTRAL)
def test_core_module_names_no_vendor(name: str) -> None:
    assert vendor_mentions(PACKAGE / name) == []


@pytest.mark.parametrize("name", VENDOR_NEUTRAL_TESTS)
def test_harness_names_no_vendor(name: str) -> None:
    path = Path(__file__).parent / name
    if path.exists():
        assert vendor_mentions(path) == []
