"""The package map holds: no import cycle between puhui's first-level packages, no
`importlib.import_module` to dodge one, and the composition root wires every event handler.

The import-linter contracts (pyproject.toml, `make lint`) check the layers; this test finds
any cycle whatever the layer order and names its path."""

from __future__ import annotations

import ast
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import grimp
import pytest

import puhui
from puhui.core.events import EventRegistry
from puhui.decisioning import service as decisioning_service
from puhui.lending import events as lending_events
from puhui.wiring import wire

SRC = Path(puhui.__file__).parent

# Imports still to move in another slice of issue 13; remove each once its slice is merged.
PENDING: set[tuple[str, str]] = set()


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_graph(
    graph: grimp.ImportGraph, skip: set[tuple[str, str]]
) -> dict[str, dict[str, tuple[str, str]]]:
    """first-level package -> package it imports -> one module import that makes the arrow."""
    arrows: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            a, b = _package(importer), _package(imported)
            if a and b and a != b and (importer, imported) not in skip:
                arrows[a].setdefault(b, (importer, imported))
    return arrows


def find_cycle(arrows: dict[str, dict[str, tuple[str, str]]]) -> list[str] | None:
    """A cycle of packages (first == last), or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(arrows.get(node, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(arrows):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def describe(cycle: list[str], arrows: dict[str, dict[str, tuple[str, str]]]) -> str:
    steps = [f"  {a} -> {b}  ({' imports '.join(arrows[a][b])})" for a, b in pairwise(cycle)]
    return "import cycle between packages " + " -> ".join(cycle) + ":\n" + "\n".join(steps)


def test_no_import_cycle_between_first_level_packages() -> None:
    graph = grimp.build_graph("puhui", cache_dir=None)
    arrows = package_graph(graph, PENDING)
    cycle = find_cycle(arrows)
    assert cycle is None, describe(cycle, arrows)


def test_the_cycle_finder_finds_and_names_a_cycle() -> None:
    arrows = {
        "lending": {"core": ("puhui.lending.x", "puhui.core.y")},
        "decisioning": {"lending": ("puhui.decisioning.a", "puhui.lending.b")},
        "core": {"decisioning": ("puhui.core.z", "puhui.decisioning.c")},
    }
    cycle = find_cycle(arrows)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) == 4
    assert "puhui.core.z imports puhui.decisioning.c" in describe(cycle, arrows)
    assert find_cycle({"a": {"b": ("puhui.a", "puhui.b")}}) is None


def test_no_importlib_import_module_in_domain_code() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Attribute) and node.attr == "import_module") or (
                isinstance(node, ast.ImportFrom)
                and node.module == "importlib"
                and any(alias.name == "import_module" for alias in node.names)
            )
            if named or (isinstance(node, ast.Name) and node.id == "__import__"):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == [], "dynamic imports dodge the import graph: " + ", ".join(offenders)


def test_wire_subscribes_every_handler_and_seals() -> None:
    registry = wire(EventRegistry())
    assert registry.sealed
    assert registry.handlers_for(lending_events.OfferAccepted) == (
        decisioning_service.mark_offer_accepted,
    )
    assert registry.handlers_for(lending_events.OfferLapsed) == (
        decisioning_service.mark_offer_expired,
    )
    assert wire(registry) is registry  # idempotent
    with pytest.raises(RuntimeError):
        registry.subscribe(lending_events.OfferAccepted, decisioning_service.mark_offer_accepted)
