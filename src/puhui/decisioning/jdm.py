"""Reading a GoRules JDM graph: its decision tables by stage, and the problems found in it.

Pure (no database): the credit policy (`decisioning.policy`) validates and shows its tables
through these, the policy editor renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One problem of a submitted document: where, and what, in both languages."""

    where: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "zh": self.message_zh, "en": self.message_en}


@dataclass(frozen=True)
class Table:
    """A decision table of the graph, as read from the JDM."""

    node_id: str
    name: str
    stage: str
    hit_policy: str
    inputs: tuple[dict[str, Any], ...]
    outputs: tuple[dict[str, Any], ...]
    rules: tuple[dict[str, Any], ...]
    pass_through: bool = False

    def column_label(self, column_id: str) -> str:
        for col in (*self.inputs, *self.outputs):
            if col.get("id") == column_id:
                return str(col.get("field") or col.get("name") or column_id)
        return column_id

    def rule_cells(self, rule: Mapping[str, Any]) -> dict[str, str]:
        return {
            self.column_label(k): str(v)
            for k, v in rule.items()
            if k not in ("_id", "_description")
        }


def tables_of(graph: Mapping[str, Any]) -> dict[str, Table]:
    """The decision tables of a JDM graph by stage (their `outputPath`)."""
    out: dict[str, Table] = {}
    for node in graph.get("nodes", []) or []:
        if not isinstance(node, Mapping) or node.get("type") != "decisionTableNode":
            continue
        content = node.get("content") or {}
        stage = str(content.get("outputPath") or node.get("name") or node.get("id"))
        out[stage] = Table(
            node_id=str(node.get("id")),
            name=str(node.get("name", "")),
            stage=stage,
            hit_policy=str(content.get("hitPolicy", "")),
            inputs=tuple(content.get("inputs") or ()),
            outputs=tuple(content.get("outputs") or ()),
            rules=tuple(content.get("rules") or ()),
            pass_through=bool(content.get("passThrough")),
        )
    return out
