"""The house's layers contract: every docqa module imports only from its own room or from rooms below
it, in the order the data travels, and no two modules import each other, directly or around a cycle.
Imports inside functions and under TYPE_CHECKING count as well: a cycle hidden in a function is a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module belongs to the first layer whose name is its name or a prefix of it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("docqa", "docqa.names", "docqa.types", "docqa.text", "docqa.errors", "docqa.settings", "docqa.atomic", "docqa.offline",
     "docqa.caching", "docqa.tables"),
    ("docqa.ingest",),
    ("docqa.embed",),
    ("docqa.index",),
    ("docqa.read",),
    ("docqa.pageview",),
    ("docqa.conversation",),
    ("docqa.engine",),
    ("docqa.evaluation",),
    ("docqa.train",),
    ("docqa.bench",),
    ("docqa.cli", "docqa.web"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((SRC / "docqa").rglob("*.py"))}


def imported(path: Path, known: set[str]) -> set[str]:
    """The docqa modules that `path` imports anywhere in it (a name imported from a package that is a
    module of it counts as that module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "docqa"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "docqa":
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
    return {name for name in found if name in known}


def layer(name: str) -> int:
    for number, prefixes in enumerate(LAYERS):
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes if prefix != "docqa"):
            return number
    if name == "docqa":
        return 0
    raise AssertionError(f"{name} is in no layer: add it to LAYERS")


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imported(path, set(found)) - {name} for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer():
    assert [name for name in modules() if layer(name) < 0] == []


def test_no_module_imports_a_room_above_its_own():
    upward = sorted(f"{name} -> {target}" for name, targets in graph().items() for target in targets
                    if layer(target) > layer(name))
    assert upward == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
