"""What the receivables package may import, read from its source: the auditor's half imports
only itself (it runs on an export alone), the other pure modules no database, nothing in the
package reaches decisioning or the flows above it (a limit from a decision is a flow's job), and
no other domain's ORM models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import puhui.receivables

PACKAGE = Path(puhui.receivables.__file__).parent
AUDITOR = {
    "errors",
    "keys",
    "merkle",
    "statements",
    "checkpoint",
    "state",
    "export",
    "verifier",
    "chain",
    "synthetic",
    "supply_state",
    "supply_errors",
}
# the Ed25519 primitives and signed notes, shared with the audit trail's checkpoints: pure too
SHARED = {"puhui.core", "puhui.core.signing"}
PURE = {"drafts": set(), "pricing": {"puhui.core.money"}}
DATABASE = ("sqlalchemy", "fastapi", "pydantic", "starlette")


def imported(path: Path) -> set[str]:
    """Absolute module names a file imports (``from a import b`` counts ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _ours(names: set[str]) -> set[str]:
    return {f"puhui.receivables.{n}" for n in names} | {"puhui.receivables"}


@pytest.mark.parametrize("name", sorted(AUDITOR | PURE.keys()))
def test_pure_modules_import_only_the_pure_half(name: str) -> None:
    allowed = _ours(AUDITOR) if name in AUDITOR else _ours(AUDITOR | PURE.keys()) | PURE[name]
    allowed |= SHARED
    mods = imported(PACKAGE / f"{name}.py")
    # `from puhui.core.money import round_fen` also yields the attribute's dotted name
    outside = {
        m
        for m in mods
        if m.startswith("puhui.") and m not in allowed and m.rpartition(".")[0] not in allowed
    }
    assert not outside, f"{name}.py imports {sorted(outside)}"
    assert not {m for m in mods if m.split(".")[0] in DATABASE}


def test_nothing_in_receivables_imports_decisioning_or_flows() -> None:
    reaching = {
        f"{path.name}: {mod}"
        for path in PACKAGE.rglob("*.py")
        for mod in imported(path)
        if mod.startswith(("puhui.decisioning", "puhui.flows"))
    }
    assert not reaching


def test_receivables_uses_no_other_domains_models() -> None:
    foreign = {
        f"{path.name}: {mod}"
        for path in PACKAGE.rglob("*.py")
        for mod in imported(path)
        if mod.startswith("puhui.")
        and ".models" in mod
        and not mod.startswith(("puhui.receivables.", "puhui.core."))
    }
    assert not foreign
