"""The cockpit's numbers against hand-computed ones, on a world with applications in every
status (cockpit_world.py), and the number of SQL statements its endpoint issues, independent of
the number of loans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from tests.integration.reporting import cockpit_world
from tests.integration.reporting.cockpit_world import loan_values, repayment_values

from puhui.core.clock import FixedClock
from puhui.core.db import table_insert
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning.models import ApplicationStatus
from puhui.lending.models import Loan, LoanStatus, Repayment
from puhui.lending.products import JINGYINGDAI

DAY0 = date(2026, 10, 25)  # the first of the cockpit's 30 days (the clock: 2026-11-23)


def _cockpit(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, Any]:
    resp = client.get("/console/cockpit/data.json", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _per_day(counts: dict[date, int]) -> list[int]:
    return [counts.get(DAY0 + timedelta(days=i), 0) for i in range(30)]


def test_the_world_has_an_application_in_every_status() -> None:
    assert {row[1] for row in cockpit_world.APPLICATIONS} == set(ApplicationStatus)
    assert {row[6] for row in cockpit_world.APPLICATIONS if row[6]} >= {"active", "closed"}


def test_cockpit_numbers_by_hand(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    session.commit()
    risk = headers_for(Role.RISK_OFFICER)
    data = _cockpit(client, risk)

    assert data["as_of"] == "2026-11-23"
    assert data["days"][0] == "2026-10-25" and data["days"][-1] == "2026-11-23"
    assert data["applications"] == 10  # every status; one created before the 30 days
    assert data["applications_per_day"] == _per_day(
        {
            date(2026, 10, 30): 1,
            date(2026, 11, 2): 2,
            date(2026, 11, 20): 2,
            date(2026, 11, 21): 1,
            date(2026, 11, 22): 1,
            date(2026, 11, 23): 2,
        }
    )
    # Approved: a decision to approve, whatever the offer became (approved, accepted, expired,
    # and the referral a credit officer approved, now accepted), by the application's day.
    assert data["approved_per_day"] == _per_day(
        {date(2026, 10, 30): 1, date(2026, 11, 2): 2, date(2026, 11, 20): 1}
    )
    # Decided: approve or decline decisions, automated or manual; a referral is not a decision
    # until the review's manual decision (the open and the withdrawn referrals count nowhere).
    assert data["decided"] == 7
    assert data["approval_rate_bp"] == 4 * 10_000 // 7 == 5714
    # Automated decisions only (nearest rank): 100, 200, ..., 900 ms.
    assert data["decision_ms_p50"] == 500
    assert data["decision_ms_p99"] == 900
    # Loans under the lines the applications' offers made, every status (the stray one not).
    assert data["loans"] == 7
    assert data["balance_fen"] == 100_000 + 80_000 + 50_000 + 40_000 + 30_000
    assert data["overdue_fen"] == 21_000 + 52_000 + 30_500
    assert data["five_category"] == [
        {"class": "normal", "zh": "正常", "count": 2, "balance_fen": 100_000},
        {"class": "special_mention", "zh": "关注", "count": 1, "balance_fen": 80_000},
        {"class": "substandard", "zh": "次级", "count": 2, "balance_fen": 50_000},
        {"class": "doubtful", "zh": "可疑", "count": 1, "balance_fen": 40_000},
        {"class": "loss", "zh": "损失", "count": 1, "balance_fen": 30_000},
    ]
    assert data["vintages"] == [
        {"cohort": "2026-11-02", "repaid_bp": [800, 2000, 2800, 2800]},
        {"cohort": "2026-11-09", "repaid_bp": [555, 3888, 3888]},
        {"cohort": "2026-11-16", "repaid_bp": [0, 0]},
    ]
    assert data["top_decline_reasons"] == [
        {"code": "low_score", "zh": "评分不足", "en": "Score too low", "count": 3},
        {"code": "tax_arrears", "zh": "欠税", "en": "Tax arrears", "count": 1},
    ]

    # The filters: a product, a manager, a branch.
    other = _cockpit(client, risk, product=JINGYINGDAI)
    assert (other["applications"], other["decided"], other["approval_rate_bp"]) == (1, 1, 0)
    assert (other["loans"], other["balance_fen"], other["decision_ms_p50"]) == (0, 0, 900)
    assert [r["count"] for r in other["top_decline_reasons"]] == [1]
    b = _cockpit(client, risk, manager=str(world.managers["b"]))
    assert (b["applications"], b["decided"], b["approval_rate_bp"]) == (4, 3, 6666)
    assert (b["loans"], b["balance_fen"], b["overdue_fen"]) == (2, 70_000, 30_500)
    a = _cockpit(client, risk, branch="杭州分行")
    assert (a["applications"], a["decided"], a["approval_rate_bp"]) == (6, 4, 5000)
    assert (a["loans"], a["balance_fen"]) == (5, 230_000)
    assert (a["decision_ms_p50"], a["decision_ms_p99"]) == (400, 800)  # 100,200,400,700,800


def test_a_customer_manager_sees_only_their_own_applications(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    cockpit_world.build(session, runtime.clock)
    session.commit()
    mine = _cockpit(client, headers_for(Role.CUSTOMER_MANAGER))
    assert (mine["applications"], mine["decided"], mine["loans"]) == (0, 0, 0)
    assert mine["approval_rate_bp"] == 0 and mine["decision_ms_p50"] is None


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _add_loans(session: Session, clock: FixedClock, world: cockpit_world.World, n: int) -> None:
    """`n` more loans (with a repayment each) under the `accepted` application's line."""
    line, e, entry = world.lines["accepted"], world.enterprise_id, world.entry_id
    assert e is not None and entry is not None
    rows = [
        loan_values(
            line,
            e,
            start=date(2026, 11, 2) + timedelta(days=i % 20),
            principal_fen=10_000,
            outstanding_fen=5_000,
            status=LoanStatus.ACTIVE,
            now=clock.now(),
        )
        for i in range(n)
    ]
    session.execute(table_insert(Loan), rows)
    session.execute(
        table_insert(Repayment),
        [repayment_values(r["id"], entry, date(2026, 11, 22), 5_000) for r in rows],
    )


def test_the_endpoint_issues_as_many_statements_for_1000_loans_as_for_10(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, headers_for: Any
) -> None:
    world = cockpit_world.build(session, runtime.clock)
    risk = headers_for(Role.RISK_OFFICER)
    counts = {}
    for total in (10, 1_000):
        _add_loans(session, runtime.clock, world, total - (7 if total == 10 else 10))
        session.commit()
        _cockpit(client, risk)  # warm: the first request of a client loads more
        with _statements(engine) as seen:
            data = _cockpit(client, risk)
        assert data["loans"] == total
        counts[total] = len(seen)
    assert counts[10] == counts[1_000] <= 12, counts
