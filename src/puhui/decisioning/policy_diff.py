"""What changed between two credit policy documents, rule by rule (pure): parameters,
products, reasons, each decision table's columns, rows and rule order, the graph's wiring, the
embedded tests. Shown to the second risk officer before approval (`policies.submit_policy`
stores it with the version; `puhui decisions policy diff`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from puhui.decisioning.policy import PolicyDocument, Table, canonical_json, tables_of


@dataclass(frozen=True)
class Change:
    kind: Literal["added", "removed", "changed"]
    where: str
    key: str
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "where": self.where,
            "key": self.key,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class PolicyDiff:
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"counts": self.counts(), "changes": [c.to_dict() for c in self.changes]}

    def render(self) -> str:
        """A plain-text rendering (+ added, - removed, ~ changed), one change per line."""
        sign = {"added": "+", "removed": "-", "changed": "~"}
        lines = []
        for c in self.changes:
            if c.kind == "changed":
                lines.append(f"~ {c.where} {c.key}: {_short(c.old)} -> {_short(c.new)}")
            else:
                value = c.new if c.kind == "added" else c.old
                lines.append(f"{sign[c.kind]} {c.where} {c.key}: {_short(value)}")
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _diff_maps(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any], out: list[Change]
) -> None:
    for key in sorted(set(old) | set(new)):
        if key not in old:
            out.append(Change("added", where, key, None, new[key]))
        elif key not in new:
            out.append(Change("removed", where, key, old[key], None))
        elif canonical_json(old[key]) != canonical_json(new[key]):
            out.append(Change("changed", where, key, old[key], new[key]))


def _diff_table(stage: str, a: Table, b: Table, out: list[Change]) -> None:
    """One decision table present in both documents: hit policy, columns, rows, rule order."""
    where = f"tables.{stage}"
    if a.hit_policy != b.hit_policy:
        out.append(Change("changed", where, "hitPolicy", a.hit_policy, b.hit_policy))
    _diff_maps(
        f"{where}.columns",
        {str(c.get("field") or c.get("id")): c.get("name") for c in (*a.inputs, *a.outputs)},
        {str(c.get("field") or c.get("id")): c.get("name") for c in (*b.inputs, *b.outputs)},
        out,
    )
    _diff_maps(
        f"{where}.rules",
        {str(r.get("_id")): a.rule_cells(r) for r in a.rules},
        {str(r.get("_id")): b.rule_cells(r) for r in b.rules},
        out,
    )
    order_a = [str(r.get("_id")) for r in a.rules]
    order_b = [str(r.get("_id")) for r in b.rules]
    common_a = [r for r in order_a if r in set(order_b)]
    common_b = [r for r in order_b if r in set(order_a)]
    if common_a != common_b and b.hit_policy == "first":
        out.append(Change("changed", where, "rule_order", common_a, common_b))


def _diff_tables(old: PolicyDocument, new: PolicyDocument, out: list[Change]) -> None:
    old_tables, new_tables = tables_of(old.graph), tables_of(new.graph)
    for stage in sorted(set(old_tables) | set(new_tables)):
        a, b = old_tables.get(stage), new_tables.get(stage)
        if a is None and b is not None:
            out.append(Change("added", "tables", stage, None, len(b.rules)))
            continue
        if b is None and a is not None:
            out.append(Change("removed", "tables", stage, len(a.rules), None))
            continue
        assert a is not None and b is not None
        _diff_table(stage, a, b, out)


def _edges(graph: Mapping[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (str(e.get("sourceId")), str(e.get("targetId"))) for e in graph.get("edges", []) or []
    )


def diff_documents(old: PolicyDocument | None, new: PolicyDocument) -> PolicyDiff:
    """Rule-level differences: parameters, products, reasons, each table's rows and columns,
    the graph's wiring, and the embedded tests."""
    if old is None:
        return PolicyDiff((Change("added", "policy", new.name, None, new.sha256()),))
    out: list[Change] = []
    _diff_maps("parameters", old.parameters.model_dump(), new.parameters.model_dump(), out)
    _diff_maps(
        "products",
        {k: v.model_dump() for k, v in old.products.items()},
        {k: v.model_dump() for k, v in new.products.items()},
        out,
    )
    _diff_maps(
        "reasons",
        {k: v.model_dump() for k, v in old.reasons.items()},
        {k: v.model_dump() for k, v in new.reasons.items()},
        out,
    )
    _diff_tables(old, new, out)
    if _edges(old.graph) != _edges(new.graph):
        out.append(Change("changed", "graph", "edges", _edges(old.graph), _edges(new.graph)))
    _diff_maps(
        "tests",
        {t.name: t.model_dump(mode="json") for t in old.tests},
        {t.name: t.model_dump(mode="json") for t in new.tests},
        out,
    )
    for key in ("title_zh", "title_en", "description", "test_defaults"):
        a_val, b_val = getattr(old, key), getattr(new, key)
        if canonical_json(a_val) != canonical_json(b_val):
            out.append(Change("changed", "document", key, a_val, b_val))
    return PolicyDiff(tuple(out))
