"""The cockpit's bad-loan figures by hand (issue 14 item 6): NPL ratio, provision coverage, the
five-category migration matrix from the month-end snapshot, and the roll rates."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.integration.reporting import cockpit_world

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import provisions
from puhui.lending.models import Loan
from puhui.reporting.bad_loans import bad_loan_figures
from puhui.reporting.book import Scope


def _set(session: Session, loan_id: Any, **values: Any) -> None:
    session.execute(update(Loan).where(Loan.id == loan_id).values(**values))


def test_npl_coverage_migration_and_roll_rates_by_hand(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    L = world.loans
    # active in scope: 正常 100,000 · 关注 80,000 · 次级 50,000 · 可疑 40,000 · 损失 30,000
    # (the stray 正常 999,000 is out of every scope but in the bank's reserve)
    provisions.post_provisions(session, runtime.clock, date(2026, 11, 23))
    figures = bad_loan_figures(session, Scope())
    assert figures["npl_fen"] == 120_000
    assert figures["npl_ratio_bp"] == 120_000 * 10_000 // 300_000 == 4000
    # reserve: 1,099,000 × 1 % + 80,000 × 2 % + 50,000 × 25 % + 40,000 × 50 % + 30,000 = 75,090
    assert figures["provision_coverage_bp"] == 75_090 * 10_000 // 120_000 == 6257
    assert figures["migration_from"] is None and figures["roll_rates"][0]["rate_bp"] is None

    _set(session, L["special_mention"], dpd=20)  # M1 at the month end
    _set(session, L["substandard"], dpd=95)  # M3+
    provisions.snapshot_classes(session, date(2026, 10, 31))
    # during the month: the 关注 loan rolls to M2 and 次级; the 损失 loan is written off
    _set(session, L["special_mention"], dpd=50, classification="substandard")
    _set(session, L["loss"], status="written_off")
    figures = bad_loan_figures(session, Scope())
    assert (figures["migration_from"], figures["migration_to"]) == ("2026-10-31", None)
    moved = {
        (row["from"], cell["to"]): (cell["count"], cell["balance_fen"])
        for row in figures["migration"]
        for cell in row["to"]
        if cell["count"]
    }
    assert moved == {
        ("normal", "normal"): (1, 100_000),
        ("special_mention", "substandard"): (1, 80_000),
        ("substandard", "substandard"): (1, 50_000),
        ("doubtful", "doubtful"): (1, 40_000),
        ("loss", "written_off"): (1, 30_000),
    }
    rolls = {r["from"]: (r["balance_fen"], r["rate_bp"]) for r in figures["roll_rates"]}
    # current at the start: 100,000 + 40,000 + 30,000 (written off: rolled)
    assert rolls == {
        "current": (170_000, 30_000 * 10_000 // 170_000),
        "M1": (80_000, 10_000),
        "M2": (0, None),
        "M3": (0, None),
    }
    # written off: out of the balance; NPL 80,000 + 50,000 + 40,000 of 270,000
    assert figures["npl_ratio_bp"] == 170_000 * 10_000 // 270_000
    session.commit()
    data = client.get("/console/cockpit/data.json", headers=headers_for(Role.RISK_OFFICER)).json()
    assert data["npl_ratio_bp"] == figures["npl_ratio_bp"]
    assert data["balance_fen"] == 270_000  # the written-off loan's principal is off-balance
    page = client.get("/console/cockpit", headers=headers_for(Role.RISK_OFFICER)).text
    assert "不良贷款率" in page and "拨备覆盖率" in page and "迁徙矩阵" in page
