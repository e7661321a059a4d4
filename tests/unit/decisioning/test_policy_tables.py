"""The policy's decision tables edited as tables: one cell changed gives a document that differs
in that cell only and still validates; a cell that does not parse is located at its table, row
and column (zh and en); rows deleted and added; parameters set."""

from __future__ import annotations

import json
from pathlib import Path

from puhui.decisioning.policy import PolicyDocument, validate_document
from puhui.decisioning.policy_diff import diff_documents
from puhui.decisioning.policy_tables import (
    RowEdit,
    TableEdit,
    apply_edits,
    describe,
    locate,
    stage_tables,
)

DEFAULT = json.loads(
    (Path(__file__).parents[3] / "src/puhui/decisioning/policies/default.json").read_text()
)


def _as_edit(table, change=None) -> TableEdit:  # type: ignore[no-untyped-def]
    rows = []
    for rule in table.rules:
        cells = {k: str(v) for k, v in rule.items() if not k.startswith("_")}
        if change and rule["_id"] == change[0]:
            cells[change[1]] = change[2]
        rows.append(RowEdit(rule["_id"], rule.get("_description", ""), cells))
    return TableEdit(table.stage, tuple(rows))


def test_one_cell_changed_is_the_only_change_and_the_tests_still_pass() -> None:
    knockouts = stage_tables(DEFAULT)[0]
    assert knockouts.stage == "knockouts"
    edited = apply_edits(
        DEFAULT, [_as_edit(knockouts, ("ko_dishonest", "t_knockouts_out_1", "'refer'"))]
    )
    diff = diff_documents(
        PolicyDocument.model_validate(DEFAULT), PolicyDocument.model_validate(edited)
    )
    assert len(diff.changes) == 1 and "'refer'" in str(diff.changes[0].to_dict())
    assert DEFAULT["graph"] != edited["graph"]  # a copy: the original is untouched
    result = validate_document(apply_edits(DEFAULT, [_as_edit(t) for t in stage_tables(DEFAULT)]))
    assert result.ok, result.to_dict()


def test_a_bad_cell_is_located_at_its_row_and_column() -> None:
    knockouts = stage_tables(DEFAULT)[0]
    edited = apply_edits(
        DEFAULT, [_as_edit(knockouts, ("ko_dishonest", "t_knockouts_in_0", "== tru e"))]
    )
    result = validate_document(edited)
    assert not result.ok and result.issues
    where = locate(result.issues[0], stage_tables(edited))
    assert (where.stage, where.rule_id, where.row_number, where.column_id) == (
        "knockouts",
        "ko_dishonest",
        1,
        "t_knockouts_in_0",
    )
    assert (
        describe(where, "硬性拒绝规则", "zh")
        == "决策表「硬性拒绝规则」 · 第 1 行 · 列「失信被执行人」"
    )
    assert describe(where, "Knock-outs", "en") == 'Table "Knock-outs", row 1, column "失信被执行人"'


def test_an_output_issue_names_its_column_by_field() -> None:
    knockouts = stage_tables(DEFAULT)[0]
    rid = knockouts.rules[2]["_id"]
    edited = apply_edits(DEFAULT, [_as_edit(knockouts, (rid, "t_knockouts_out_1", "'maybe'"))])
    issue = validate_document(edited).issues[0]
    where = locate(issue, stage_tables(edited))
    assert (where.row_number, where.column_id) == (3, "t_knockouts_out_1")


def test_rows_deleted_added_and_parameters_set() -> None:
    grading = stage_tables(DEFAULT)[3]
    edit = _as_edit(grading)
    fewer = TableEdit(grading.stage, edit.rows[1:])
    added = RowEdit("g_new", "new", {"t_grading_in_0": "> 0.9", "t_grading_out_0": "'E'"})
    more = TableEdit(grading.stage, (*edit.rows, added))
    out = apply_edits(DEFAULT, [fewer], {"review_sla_hours": 12})
    assert len(stage_tables(out)[3].rules) == len(grading.rules) - 1
    assert out["parameters"]["review_sla_hours"] == 12
    rules = stage_tables(apply_edits(DEFAULT, [more]))[3].rules
    assert rules[-1]["_id"] == "g_new" and rules[-1]["t_grading_out_1"] == ""
