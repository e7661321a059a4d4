"""The policy's decision tables as a risk officer edits them: rows (rules) of condition and output
cells, applied to a copy of a policy document, and a validation issue located at its table, row
and column. Pure (the console's table editor, `web/staff/policy_editor.py`, calls it; the
document is then validated, tested and submitted as before: `policy.validate_document`,
`policies.submit_policy`, maker-checker).

Only the cells, the rows' descriptions, the rows' order, added and deleted rows and the numeric
parameters change; a table's columns and the graph's wiring stay as they are (the JSON document
remains the way to change those).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from puhui.decisioning.jdm import Issue, Table, tables_of
from puhui.decisioning.policy import STAGES

RULE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# where an issue of a rule points: graph.<stage>.rules[<rule id or index>].<column id or field>
_RULE_WHERE = re.compile(
    r"^graph\.(?P<stage>[a-z_]+)\.rules\[(?P<rule>[^\]]*)\](?:\.(?P<key>.+))?$"
)
_TABLE_WHERE = re.compile(r"^graph\.(?P<stage>[a-z_]+)(?:\.inputs\.(?P<field>.+))?$")
EDITABLE_PARAMETERS = (
    "lpr_bp",
    "auto_approve_max_fen",
    "dual_control_above_fen",
    "review_sla_hours",
    "green_channel_sla_hours",
)


@dataclass(frozen=True)
class RowEdit:
    """One rule as edited: its id, description and cells by column id."""

    rule_id: str
    description: str = ""
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TableEdit:
    """A stage's rules in their new order (rows left out are deleted)."""

    stage: str
    rows: tuple[RowEdit, ...]


def stage_tables(document: Mapping[str, Any]) -> list[Table]:
    """The document's decision tables in the order of the stages."""
    tables = tables_of(document.get("graph") or {})
    return [tables[s] for s in STAGES if s in tables]


def apply_edits(
    document: Mapping[str, Any],
    edits: Sequence[TableEdit],
    parameters: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A copy of `document` with the edited tables' rules replaced (cells of unknown columns are
    kept as given, so validation names them) and the given parameters set."""
    out = copy.deepcopy(dict(document))
    by_stage = {e.stage: e for e in edits}
    for node in out.get("graph", {}).get("nodes", []):
        if node.get("type") != "decisionTableNode":
            continue
        content = node.setdefault("content", {})
        edit = by_stage.get(str(content.get("outputPath")))
        if edit is None:
            continue
        columns = [c["id"] for c in (*content.get("inputs", ()), *content.get("outputs", ()))]
        rules = []
        for row in edit.rows:
            rule: dict[str, Any] = {"_id": row.rule_id, "_description": row.description}
            for col in columns:
                rule[col] = row.cells.get(col, "").strip()
            for col, text in row.cells.items():
                if col not in rule:
                    rule[col] = text.strip()
            rules.append(rule)
        content["rules"] = rules
    if parameters:
        out["parameters"] = {**out.get("parameters", {}), **parameters}
    return out


@dataclass(frozen=True)
class Location:
    """Where an issue points in the editor: a table, and a row and a column when it is a cell's."""

    stage: str | None
    rule_id: str | None = None
    row_number: int | None = None  # 1-based, as the editor shows it
    column_id: str | None = None
    column_label: str | None = None


def locate(issue: Issue, tables: Sequence[Table]) -> Location:
    """The table, row and column an issue's `where` names (`graph.knockouts.rules[ko_x].t_in_0`,
    `…rules[ko_x].action`, `graph.pricing.inputs.grade`); `Location(None)` when it names none."""
    by_stage = {t.stage: t for t in tables}
    match = _RULE_WHERE.match(issue.where)
    if match is None:
        table_match = _TABLE_WHERE.match(issue.where)
        if table_match is None or table_match["stage"] not in by_stage:
            return Location(None)
        table = by_stage[table_match["stage"]]
        column = _column(table, table_match["field"]) if table_match["field"] else None
        return Location(table.stage, column_id=column, column_label=_label(table, column))
    found = by_stage.get(match["stage"])
    if found is None:
        return Location(None)
    table = found
    ids = [str(r.get("_id", "")) for r in table.rules]
    rule = match["rule"]
    if rule in ids:
        number: int | None = ids.index(rule) + 1
    elif rule.isdigit() and int(rule) < len(ids):
        number, rule = int(rule) + 1, ids[int(rule)]
    else:
        number = None
    column = _column(table, match["key"]) if match["key"] else None
    return Location(table.stage, rule, number, column, _label(table, column))


def _column(table: Table, key: str) -> str | None:
    """A column's id from its id or its field (an output's issues name the field)."""
    for col in (*table.inputs, *table.outputs):
        if col.get("id") == key:
            return str(col["id"])
    for col in table.outputs:
        if col.get("field") == key:
            return str(col["id"])
    for col in table.inputs:
        if col.get("field") == key:
            return str(col["id"])
    return None


def _label(table: Table, column_id: str | None) -> str | None:
    if column_id is None:
        return None
    for col in (*table.inputs, *table.outputs):
        if col.get("id") == column_id:
            return str(col.get("name") or col.get("field") or column_id)
    return column_id


def describe(location: Location, table_name: str, lang: str) -> str:
    """`决策表「硬性拒绝规则」 · 第 3 行 · 列「失信被执行人」`, or
    `Table "Knock-outs", row 3, column "…"`."""
    if location.stage is None:
        return ""
    zh = lang != "en"
    parts = [f"决策表「{table_name}」" if zh else f'Table "{table_name}"']
    if location.row_number is not None:
        parts.append(f"第 {location.row_number} 行" if zh else f"row {location.row_number}")
    elif location.rule_id:
        parts.append(f"规则 {location.rule_id}" if zh else f"rule {location.rule_id}")
    if location.column_label:
        label = location.column_label
        parts.append(f"列「{label}」" if zh else f'column "{label}"')
    return " · ".join(parts) if zh else ", ".join(parts)
