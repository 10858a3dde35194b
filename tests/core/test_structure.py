"""The shape the docstrings promise, checked by reading the source (no import needed):
tasks are leaves, queueing helpers depend on models and settings only, no module reaches
into another's private names, and the sending and subscribers apps have no import circles."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hanji"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts and "locale" not in path.parts
    }


@cache
def imports(name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(module, names) for every import in the module, those inside functions included."""
    path = modules()[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = tuple(alias.name for alias in node.names)
            found.append((base, names))
            # `from hanji.sending import tasks` imports the module hanji.sending.tasks
            found.extend((f"{base}.{n}", ()) for n in names if f"{base}.{n}" in modules())
    return tuple(found)


def hanji_imports(name: str) -> set[str]:
    return {target for target, _names in imports(name) if target in modules()}


def test_no_module_imports_a_private_name_of_another():
    offences = [
        f"{name}: from {target} import {n}"
        for name in modules()
        for target, names in imports(name)
        if target.startswith("hanji") and target != name
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert offences == []


@pytest.mark.parametrize("app", ["sending", "subscribers"])
def test_nothing_imports_the_tasks_but_the_task_backend(app):
    tasks = f"hanji.{app}.tasks"
    assert tasks in modules()
    importers = sorted(name for name in modules() if tasks in hanji_imports(name))
    assert importers == []


def test_tasks_import_no_loop_and_no_importer_internals():
    for app in ("sending", "subscribers"):
        allowed = {f"hanji.{app}", f"hanji.{app}.actions", "hanji.subscribers.importer"}
        assert hanji_imports(f"hanji.{app}.tasks") <= allowed, app
    assert "hanji.sending.loop" not in hanji_imports("hanji.sending.tasks")


@pytest.mark.parametrize("app", ["sending", "subscribers"])
def test_queueing_helpers_import_only_models_and_settings(app):
    allowed = {
        f"hanji.{app}",
        f"hanji.{app}.models",
        "hanji.sending.conf",
        "hanji.sending.clock",
    }
    assert hanji_imports(f"hanji.{app}.queue") <= allowed


def import_graph(names: set[str]) -> dict[str, set[str]]:
    """Who imports whom among `names` (imports inside functions count); a package's
    `__init__` importing its own submodules is how packages are built, so it is left out."""
    return {
        name: {
            t for t in hanji_imports(name) if t in names and t != name and not t.startswith(name)
        }
        for name in names
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle in `graph`, or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


@pytest.mark.parametrize("app", ["sending", "subscribers"])
def test_the_app_has_no_import_circle(app):
    names = {name for name in modules() if name.startswith(f"hanji.{app}")}
    assert find_cycle(import_graph(names)) == []


def test_the_circle_finder_finds_a_circle():
    # the check above must be able to fail: the circle this issue broke is found
    graph = {
        "hanji.sending.actions": {"hanji.sending.tasks"},
        "hanji.sending.tasks": {"hanji.sending.loop"},
        "hanji.sending.loop": {"hanji.sending.actions", "hanji.sending.claims"},
        "hanji.sending.claims": set(),
    }
    assert find_cycle(graph) == [
        "hanji.sending.actions",
        "hanji.sending.tasks",
        "hanji.sending.loop",
        "hanji.sending.actions",
    ]
