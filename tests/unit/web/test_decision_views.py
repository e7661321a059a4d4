"""Decisions in words on the console (issue 21): the SLA as time left or overdue by (never
`-42906 分钟`), the limit calculation step by step, rule hits by stage, the reduced-limit note."""

from __future__ import annotations

from puhui.web.decisions import hits_by_stage, limit_note, limit_steps, proposal_rows, sla_text


def test_sla_in_hours_and_days() -> None:
    assert sla_text(-42906, False, "zh") == "已超时 29 天 19 小时"
    assert sla_text(-42906, False, "en") == "Overdue by 29 d 19 h"
    assert sla_text(312, False, "zh") == "还剩 5 小时 12 分钟"
    assert sla_text(45, False, "en") == "45 min left"
    assert sla_text(-5, True, "zh") == "已办结"


CALC = {
    "monthly_sales_fen": 50_000_000,
    "by_sales_fen": 17_000_000,
    "requested_fen": 2_000_000_000,
    "product_cap_fen": 100_000_000,
    "ceiling_room_fen": 300_000_000,
    "group_room_fen": 500_000_000,
    "binding": "by_sales",
    "limit_fen": 17_000_000,
}


def test_the_limit_calculation_step_by_step() -> None:
    rows = limit_steps(CALC, "zh")
    assert [r.label for r in rows][:2] == ["月均开票销售额", "按销售额测算的额度"]
    assert [r.note for r in rows if r.note] == ["取其最低者"]
    assert rows[1].value == "¥170,000.00" and rows[-1].value == "¥170,000.00"


def test_a_reduced_limit_says_why() -> None:
    note = limit_note(2_000_000_000, 17_000_000, CALC, "zh")
    assert note is not None and "¥170,000.00 低于申请金额 ¥20,000,000.00" in note
    assert "按销售额测算" in note
    assert limit_note(100, 100, CALC, "zh") is None


def test_hits_by_stage_and_proposal_rows_read_as_words() -> None:
    hits = [
        {"stage": "knockouts", "code": "K1", "action": "refer"},
        {"stage": "knockouts", "code": "K2", "action": "decline"},
        {"stage": "anti_fraud", "code": "F1", "action": "refer"},
    ]
    assert hits_by_stage(hits, "zh") == [
        ("准入规则", ["K1 → 转人工", "K2 → 拒绝"]),
        ("反欺诈", ["F1 → 转人工"]),
    ]
    rows = proposal_rows({"limit_fen": 100, "pd": 0.0125, "repayment_method": "bullet"}, "en")
    assert [r.value for r in rows] == ["¥1.00", "Bullet", "1.25%"]
