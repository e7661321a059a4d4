"""A small world for the cockpit: applications in every status, their decisions (automated and
manual, approve / decline / refer), offers' lines in every status and loans in every status and
class, with repayments — rows written directly, so each cockpit number can be computed by hand.

The clock of the tests is 2026-11-23 10:00 in Shanghai (02:00 UTC); the cockpit's 30 days run
from 2026-10-25 to 2026-11-23.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise

from puhui.core.clock import Clock, shanghai_midnight_utc
from puhui.core.db import table_insert
from puhui.core.ids import new_id
from puhui.core.models import Role, User
from puhui.decisioning.models import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionKind,
    DecisionOutcome,
    Review,
    ReviewStatus,
)
from puhui.ledger.models import Entry
from puhui.lending import service as lending_service
from puhui.lending.classification import LoanClass
from puhui.lending.models import CreditLine, LineStatus, Loan, LoanStatus, Repayment
from puhui.lending.products import JINGYINGDAI, WEIYEDAI

R_SCORE = {"code": "low_score", "zh": "评分不足", "en": "Score too low"}
R_TAX = {"code": "tax_arrears", "zh": "欠税", "en": "Tax arrears"}


def day_at(day: date, hour: int = 10) -> datetime:
    """`hour` o'clock in Shanghai on `day`, as a UTC timestamp."""
    return shanghai_midnight_utc(day) + timedelta(hours=hour)


@dataclass
class World:
    managers: dict[str, uuid.UUID] = field(default_factory=dict)
    apps: dict[str, uuid.UUID] = field(default_factory=dict)
    lines: dict[str, uuid.UUID] = field(default_factory=dict)
    loans: dict[str, uuid.UUID] = field(default_factory=dict)
    enterprise_id: uuid.UUID | None = None
    entry_id: uuid.UUID | None = None


def _user(session: Session, clock: Clock, name: str, branch: str) -> uuid.UUID:
    user = User(
        id=new_id(),
        username=f"{name}-{uuid.uuid4().hex[:6]}",
        display_name=name,
        role=Role.CUSTOMER_MANAGER.value,
        password_hash="x",
        branch=branch,
        is_active=True,
        created_at=clock.now(),
    )
    session.add(user)
    return user.id


def _decision(
    app_id: uuid.UUID,
    kind: DecisionKind,
    outcome: DecisionOutcome,
    latency_ms: int,
    at: datetime,
    reasons: list[dict[str, str]] | None = None,
    line_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "application_id": app_id,
        "kind": kind.value,
        "outcome": outcome.value,
        "feature_set_version": "test",
        "features": {},
        "snapshot_ids": [],
        "inputs": {},
        "policy_version_id": None,
        "policy_version": None,
        "model_id": None,
        "model_version": None,
        "score_points": None,
        "pd_ppm": None,
        "grade": None,
        "rule_hits": [],
        "reasons": reasons or [],
        "result": {},
        "limit_fen": 10_000_000 if outcome == DecisionOutcome.APPROVE else 0,
        "rate_bp": None,
        "term_months": None,
        "repayment_method": None,
        "credit_line_id": line_id,
        "decided_by_id": None,
        "decided_by_name": "system",
        "reason_text": None,
        "latency_ms": latency_ms,
        "decided_at": at,
    }


def loan_values(
    line_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    *,
    start: date,
    principal_fen: int,
    outstanding_fen: int,
    status: LoanStatus = LoanStatus.ACTIVE,
    classification: LoanClass = LoanClass.NORMAL,
    overdue_principal_fen: int = 0,
    overdue_interest_fen: int = 0,
    product_code: str = WEIYEDAI,
    now: datetime | None = None,
) -> dict[str, Any]:
    loan_id = new_id()
    at = now or day_at(start)
    return {
        "id": loan_id,
        "reference": f"L{loan_id.hex[-18:]}",
        "line_id": line_id,
        "enterprise_id": enterprise_id,
        "product_code": product_code,
        "drawdown_id": None,
        "renewed_from_loan_id": None,
        "status": status.value,
        "revolving": True,
        "repayment_method": "interest_first",
        "principal_fen": principal_fen,
        "rate_bp": 435,
        "term_months": 12,
        "day_count": "act360",
        "interest_mode": "daily",
        "grace_days": 0,
        "penalty_markup_bp": 5000,
        "compound_interest": False,
        "start_date": start,
        "maturity_date": start + timedelta(days=365),
        "principal_outstanding_fen": outstanding_fen,
        "overdue_principal_fen": overdue_principal_fen,
        "overdue_interest_fen": overdue_interest_fen,
        "interest_accrued_fen": 0,
        "interest_carry": 0,
        "interest_accrued_through": start,
        "interest_deferred_fen": 0,
        "penalty_accrued_fen": 0,
        "penalty_carry": 0,
        "compound_accrued_fen": 0,
        "compound_carry": 0,
        "penalty_accrued_through": None,
        "next_due_date": None,
        "oldest_unpaid_due_date": None,
        "dpd": 0,
        "classification": classification.value,
        "last_overdue_date": None,
        "created_at": at,
        "updated_at": at,
    }


def line_values(
    enterprise_id: uuid.UUID, status: LineStatus, decision_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    line_id = new_id()
    return {
        "id": line_id,
        "reference": f"CL{line_id.hex[-18:]}",
        "enterprise_id": enterprise_id,
        "product_code": WEIYEDAI,
        "status": status.value,
        "limit_fen": 10_000_000,
        "used_fen": 0,
        "rate_bp": 435,
        "term_months": 12,
        "repayment_method": "interest_first",
        "expiry_date": date(2027, 11, 23),
        "decision_id": decision_id,
        "contract_id": None,
        "activated_at": None,
        "last_limit_change_date": None,
        "created_at": at,
        "updated_at": at,
    }


def repayment_values(
    loan_id: uuid.UUID, entry_id: uuid.UUID, day: date, principal_fen: int
) -> dict[str, Any]:
    rep_id = new_id()
    return {
        "id": rep_id,
        "reference": f"R{rep_id.hex[-18:]}",
        "loan_id": loan_id,
        "kind": "manual",
        "amount_requested_fen": principal_fen,
        "amount_applied_fen": principal_fen,
        "unapplied_fen": 0,
        "penalty_fen": 0,
        "compound_fen": 0,
        "overdue_interest_fen": 0,
        "overdue_principal_fen": 0,
        "current_interest_fen": 0,
        "current_principal_fen": principal_fen,
        "accrued_interest_fen": 0,
        "prepaid_principal_fen": 0,
        "fee_fen": 0,
        "prepayment_option": None,
        "idempotency_key": None,
        "entry_id": entry_id,
        "business_date": day,
        "created_at": day_at(day),
    }


# One row per application: (key, status, manager, product, created day, decisions, line status).
# Decisions: (kind, outcome, latency ms, reasons). The rates by hand are in the test.
A, M = DecisionKind.AUTOMATED, DecisionKind.MANUAL
APPROVE, DECLINE, REFER = DecisionOutcome.APPROVE, DecisionOutcome.DECLINE, DecisionOutcome.REFER
APPLICATIONS: list[tuple[str, ApplicationStatus, str, str, date, list[Any], LineStatus | None]] = [
    ("submitted", ApplicationStatus.SUBMITTED, "a", WEIYEDAI, date(2026, 10, 1), [], None),
    (
        "approved",
        ApplicationStatus.APPROVED,
        "a",
        WEIYEDAI,
        date(2026, 11, 20),
        [(A, APPROVE, 100, [])],
        LineStatus.PENDING_SIGNATURE,
    ),
    (
        "accepted",
        ApplicationStatus.ACCEPTED,
        "a",
        WEIYEDAI,
        date(2026, 10, 30),
        [(A, APPROVE, 200, [])],
        LineStatus.ACTIVE,
    ),
    (
        "expired",
        ApplicationStatus.EXPIRED,
        "b",
        WEIYEDAI,
        date(2026, 11, 2),
        [(A, APPROVE, 300, [])],
        LineStatus.CLOSED,
    ),
    (
        "declined",
        ApplicationStatus.DECLINED,
        "a",
        WEIYEDAI,
        date(2026, 11, 20),
        [(A, DECLINE, 400, [R_SCORE, R_TAX])],
        None,
    ),
    (
        "referred",
        ApplicationStatus.REFERRED,
        "b",
        WEIYEDAI,
        date(2026, 11, 22),
        [(A, REFER, 500, [R_TAX])],
        None,
    ),
    (
        "referred_approved_accepted",
        ApplicationStatus.ACCEPTED,
        "b",
        WEIYEDAI,
        date(2026, 11, 2),
        [(A, REFER, 600, [R_SCORE]), (M, APPROVE, 3_600_000, [R_SCORE])],
        LineStatus.FROZEN,
    ),
    (
        "referred_declined",
        ApplicationStatus.DECLINED,
        "a",
        WEIYEDAI,
        date(2026, 11, 23),
        [(A, REFER, 700, [R_SCORE]), (M, DECLINE, 7_200_000, [R_SCORE])],
        None,
    ),
    (
        "referred_withdrawn",
        ApplicationStatus.WITHDRAWN,
        "a",
        WEIYEDAI,
        date(2026, 11, 23),
        [(A, REFER, 800, [R_TAX])],
        None,
    ),
    (
        "declined_other_product",
        ApplicationStatus.DECLINED,
        "b",
        JINGYINGDAI,
        date(2026, 11, 21),
        [(A, DECLINE, 900, [R_SCORE])],
        None,
    ),
]


def build(session: Session, clock: Clock) -> World:
    """The world above, plus loans and repayments under the lines of `accepted` and
    `referred_approved_accepted` and one loan under a line no application made."""
    lending_service.ensure_default_products(session, clock)
    world = World()
    world.managers = {
        "a": _user(session, clock, "经理甲", "杭州分行"),
        "b": _user(session, clock, "经理乙", "宁波分行"),
    }
    enterprise = make_enterprise(session, clock, "杭州驾驶舱测试有限公司")
    world.enterprise_id = enterprise.id
    session.flush()
    app_rows, decision_rows, line_rows, review_rows = [], [], [], []
    for key, status, manager, product, created, decisions, line_status in APPLICATIONS:
        app_id = new_id()
        world.apps[key] = app_id
        created_at = day_at(created, 9)
        line_id = None
        rows = []
        for i, (kind, outcome, latency, reasons) in enumerate(decisions):
            rows.append(
                _decision(
                    app_id, kind, outcome, latency, created_at + timedelta(hours=i + 1), reasons
                )
            )
        if line_status is not None:
            approving = next(r for r in rows if r["outcome"] == APPROVE.value)
            line = line_values(enterprise.id, line_status, approving["id"], created_at)
            line_id = approving["credit_line_id"] = line["id"]
            world.lines[key] = line_id
            line_rows.append(line)
        app_rows.append(
            {
                "id": app_id,
                "reference": f"APP-{app_id.hex[-12:]}".upper(),
                "enterprise_id": enterprise.id,
                "product_code": product,
                "requested_amount_fen": 10_000_000,
                "requested_term_months": None,
                "declared_annual_revenue_fen": None,
                "status": status.value,
                "applicant_user_id": None,
                "applicant_role": Role.CUSTOMER_MANAGER.value,
                "legal_rep_person_id": None,
                "contact_mobile_hash": None,
                "manager_user_id": world.managers[manager],
                "team_code": None,
                "channel_key": "test",
                "green_channel": False,
                "latest_decision_id": rows[-1]["id"] if rows else None,
                "credit_line_id": line_id,
                "created_at": created_at,
                "updated_at": created_at,
                "decided_at": rows[-1]["decided_at"] if rows else None,
            }
        )
        decision_rows.extend(rows)
        if rows and rows[0]["outcome"] == REFER.value:
            closed = {
                ApplicationStatus.REFERRED: ReviewStatus.OPEN,
                ApplicationStatus.WITHDRAWN: ReviewStatus.WITHDRAWN,
                ApplicationStatus.DECLINED: ReviewStatus.DECLINED,
            }.get(status, ReviewStatus.APPROVED)
            review_rows.append(
                {
                    "id": new_id(),
                    "application_id": app_id,
                    "decision_id": rows[0]["id"],
                    "status": closed.value,
                    "green_channel": False,
                    "due_at": created_at + timedelta(hours=24),
                    "dual_control_above_fen": 100_000_000,
                    "created_at": created_at,
                }
            )
    session.execute(table_insert(Application), app_rows)
    session.execute(table_insert(Decision), decision_rows)
    session.execute(table_insert(Review), review_rows)
    session.execute(table_insert(CreditLine), line_rows)

    # A line no application made (a test factory's): its loan is outside every scope.
    stray_line = line_values(enterprise.id, LineStatus.ACTIVE, uuid.uuid4(), clock.now())
    session.execute(table_insert(CreditLine), [stray_line])

    e = enterprise.id
    first, second = world.lines["accepted"], world.lines["referred_approved_accepted"]
    loans = {
        # cohort week 2026-11-02 (Mon): 150,000 + 100,000 fen
        "normal": loan_values(first, e, start=date(2026, 11, 2), principal_fen=150_000,
                              outstanding_fen=100_000),
        "special_mention": loan_values(
            first, e, start=date(2026, 11, 4), principal_fen=100_000, outstanding_fen=80_000,
            classification=LoanClass.SPECIAL_MENTION, overdue_principal_fen=20_000,
            overdue_interest_fen=1_000,
        ),
        # cohort week 2026-11-09: 60,000 + 70,000 + 50,000 fen
        "paid_off": loan_values(first, e, start=date(2026, 11, 9), principal_fen=60_000,
                                outstanding_fen=0, status=LoanStatus.PAID_OFF),
        "renewed": loan_values(first, e, start=date(2026, 11, 10), principal_fen=70_000,
                               outstanding_fen=0, status=LoanStatus.RENEWED,
                               classification=LoanClass.SUBSTANDARD),
        "substandard": loan_values(
            first, e, start=date(2026, 11, 15), principal_fen=50_000, outstanding_fen=50_000,
            classification=LoanClass.SUBSTANDARD, overdue_principal_fen=50_000,
            overdue_interest_fen=2_000,
        ),
        # cohort week 2026-11-16: 40,000 + 30,000 fen
        "doubtful": loan_values(second, e, start=date(2026, 11, 16), principal_fen=40_000,
                                outstanding_fen=40_000, classification=LoanClass.DOUBTFUL),
        "loss": loan_values(second, e, start=date(2026, 11, 22), principal_fen=30_000,
                            outstanding_fen=30_000, classification=LoanClass.LOSS,
                            overdue_principal_fen=30_000, overdue_interest_fen=500),
        "stray": loan_values(stray_line["id"], e, start=date(2026, 11, 2),
                             principal_fen=999_000, outstanding_fen=999_000),
    }  # fmt: skip
    session.execute(table_insert(Loan), list(loans.values()))
    world.loans = {k: v["id"] for k, v in loans.items()}

    entry_id = new_id()
    world.entry_id = entry_id
    session.execute(
        table_insert(Entry),
        [
            {
                "id": entry_id,
                "kind": "test",
                "business_date": date(2026, 11, 2),
                "posted_at": datetime(2026, 11, 2, tzinfo=UTC),
                "memo": "",
                "source_type": None,
                "source_id": None,
                "reverses_entry_id": None,
            }
        ],
    )
    L = world.loans
    session.execute(
        table_insert(Repayment),
        [
            repayment_values(L["normal"], entry_id, date(2026, 11, 6), 20_000),  # week 0
            repayment_values(L["normal"], entry_id, date(2026, 11, 12), 30_000),  # week 1
            repayment_values(L["special_mention"], entry_id, date(2026, 11, 20), 20_000),  # wk 2
            repayment_values(L["paid_off"], entry_id, date(2026, 11, 16), 60_000),  # week 1
            repayment_values(L["renewed"], entry_id, date(2026, 11, 13), 10_000),  # week 0
            repayment_values(L["stray"], entry_id, date(2026, 11, 3), 1_000),  # out of scope
        ],
    )
    return world
