"""The cockpit's figures (驾驶舱), computed in SQL: a fixed number of aggregate queries whatever
the number of applications, decisions, loans and repayments (the console refreshes them every
15 seconds).

Scope: `puhui.reporting.book` (the same scope and totals the portfolio and the staff home
read, so their figures agree). Every figure is over all time unless it says "per day".

Definitions (a finance reviewer should check these):

* ``applications`` — in-scope applications, whatever their status.
* ``applications_per_day`` — of those, the ones created on each of the last 30 business days
  (Asia/Shanghai).
* ``decided`` — decisions to approve or to decline, automated or manual (a credit officer's
  review decision). A referral (``refer``) is not a decision on the application: it counts
  neither as approved nor as decided; the manual decision that closes its review counts once.
  A referral still in review, or withdrawn, is not decided. An application has at most one
  approve-or-decline decision.
* ``approval_rate_bp`` — approve decisions ÷ ``decided``, in basis points (rounded down), 0
  when nothing is decided. An approval is a decision to approve, **whatever the offer became
  later**: an offer signed (application ``accepted``), lapsed (``expired``) or given up for a
  supply-chain limit was still approved. (Before 2026-12 the cockpit counted applications whose
  status was ``approved``: every signed contract lowered the rate.)
* ``approved_per_day`` — applications created on each of the 30 days that have an approve
  decision (the same cohort as ``applications_per_day``).
* ``decision_ms_p50`` / ``_p99`` — nearest-rank percentiles of the automated decisions' latency
  (a manual decision's "latency" is the review's duration, not the engine's), None if none.
* ``loans`` — loans in scope, any status; ``balance_fen`` — their outstanding principal;
  ``overdue_fen`` — their overdue principal and interest; ``five_category`` — count and
  outstanding principal per class (a paid-off or renewed loan counts with a zero balance).
* ``vintages`` — per origination week (Monday to Sunday of the loan's start date): the share of
  the cohort's principal repaid by the end of each week on book, in basis points (rounded down).
* ``top_decline_reasons`` — the reasons of the decline decisions (automated and manual), the
  eight most frequent (ties by code).

Percentiles, portably: one query numbers the automated latencies with ``row_number() OVER
(ORDER BY latency_ms)`` and ``count(*) OVER ()`` and keeps the rows whose number is the nearest
rank ``ceil(q·n/100) = (q·n + 99) / 100`` (integer division): the same statement on PostgreSQL
and SQLite (window functions since 3.25), at most two rows back. On PostgreSQL it equals
``percentile_disc(q/100) WITHIN GROUP (ORDER BY latency_ms)``, which SQLite lacks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from puhui.core.clock import Clock, business_date, shanghai_midnight_utc
from puhui.core.models import Role, User
from puhui.decisioning.models import Application, Decision, DecisionKind, DecisionOutcome
from puhui.lending.classification import LoanClass
from puhui.lending.models import Loan, LoanStatus, Repayment
from puhui.reporting import bad_loans
from puhui.reporting.book import Scope
from puhui.reporting.book import in_scope as _in_scope
from puhui.reporting.book import loans_in_scope as _loans_in_scope
from puhui.reporting.sql import EPOCH_MONDAY, DayNumber, ShanghaiDate, as_date

DAYS = 30
TOP_REASONS = 8
_ZH = {c.value: c.zh for c in LoanClass}
FINAL_OUTCOMES = (DecisionOutcome.APPROVE.value, DecisionOutcome.DECLINE.value)
DECIDING_KINDS = (DecisionKind.AUTOMATED.value, DecisionKind.MANUAL.value)


@dataclass(frozen=True, slots=True)
class Options:
    """What the filters offer: customer managers (id, name, branch), branches, products."""

    managers: list[tuple[uuid.UUID, str]]
    branches: list[str]
    products: list[str]


def options(session: Session) -> Options:
    """The filter choices: two small queries (distinct values, not rows)."""
    managers = session.execute(
        select(User.id, User.display_name, User.branch)
        .where(User.role == Role.CUSTOMER_MANAGER.value)
        .order_by(User.username)
    ).all()
    products = session.scalars(
        select(Application.product_code).distinct().order_by(Application.product_code)
    )
    return Options(
        managers=[(m.id, m.display_name) for m in managers],
        branches=sorted({m.branch for m in managers if m.branch}),
        products=list(products),
    )


def _decision_counts(session: Session, scope: Scope) -> tuple[int, int, int]:
    """(applications, approve decisions, approve-or-decline decisions)."""
    final = and_(Decision.outcome.in_(FINAL_OUTCOMES), Decision.kind.in_(DECIDING_KINDS))
    approve = and_(final, Decision.outcome == DecisionOutcome.APPROVE.value)
    row = session.execute(
        select(
            func.count(distinct(Application.id)),
            func.coalesce(func.sum(case((approve, 1), else_=0)), 0),
            func.coalesce(func.sum(case((final, 1), else_=0)), 0),
        )
        .select_from(Application)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(*_in_scope(scope))
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _per_day(session: Session, scope: Scope, first: date) -> dict[date, tuple[int, int]]:
    """Applications created per business day since `first`, and how many of them approved."""
    day = ShanghaiDate(Application.created_at)
    approved = exists().where(
        Decision.application_id == Application.id,
        Decision.outcome == DecisionOutcome.APPROVE.value,
        Decision.kind.in_(DECIDING_KINDS),
    )
    rows = session.execute(
        select(day, func.count(), func.sum(case((approved, 1), else_=0)))
        .where(*_in_scope(scope), Application.created_at >= shanghai_midnight_utc(first))
        .group_by(day)
    ).all()
    return {as_date(d): (int(n), int(a or 0)) for d, n, a in rows}


def _latency_percentiles(session: Session, scope: Scope, qs: tuple[int, ...]) -> list[int | None]:
    """Nearest-rank percentiles (q in 1..100) of the automated decisions' latency."""
    numbered = (
        select(
            Decision.latency_ms,
            func.row_number().over(order_by=(Decision.latency_ms, Decision.id)).label("rn"),
            func.count().over().label("n"),
        )
        .join(Application, Application.id == Decision.application_id)
        .where(*_in_scope(scope), Decision.kind == DecisionKind.AUTOMATED.value)
        .subquery()
    )
    ranks = [(q * numbered.c.n + 99) // 100 for q in qs]
    rows = session.execute(
        select(numbered.c.rn, numbered.c.n, numbered.c.latency_ms).where(
            or_(*(numbered.c.rn == r for r in ranks))
        )
    ).all()
    if not rows:
        return [None for _ in qs]
    n = int(rows[0].n)
    by_rank = {int(r.rn): int(r.latency_ms) for r in rows}
    return [by_rank.get(max(1, (q * n + 99) // 100)) for q in qs]


def _reason_elements(dialect: str) -> tuple[Any, Any, Any, Any]:
    """The decline reasons as rows: (table-valued JSON array, code, zh, en) per dialect."""
    if dialect == "postgresql":
        elements = func.json_array_elements(Decision.reasons).table_valued("value").alias("r")
        value = elements.c.value

        def field(key: str) -> Any:
            return value.op("->>")(literal(key))

    else:
        elements = func.json_each(Decision.reasons).table_valued("value").alias("r")
        value = elements.c.value

        def field(key: str) -> Any:
            return func.json_extract(value, f"$.{key}")

    return elements, field("code"), field("zh"), field("en")


def _decline_reasons(session: Session, scope: Scope) -> list[dict[str, Any]]:
    elements, code, zh, en = _reason_elements(session.get_bind().dialect.name)
    count = func.count().label("n")
    rows = session.execute(
        select(code.label("code"), func.max(zh), func.max(en), count)
        .select_from(Decision)
        .join(Application, Application.id == Decision.application_id)
        .join(elements, true())
        .where(
            *_in_scope(scope),
            Decision.outcome == DecisionOutcome.DECLINE.value,
            Decision.kind.in_(DECIDING_KINDS),
        )
        .group_by(code)
        .order_by(count.desc(), code)
        .limit(TOP_REASONS)
    ).all()
    return [
        {"code": str(c), "zh": str(z or c), "en": str(e or c), "count": int(n)}
        for c, z, e, n in rows
    ]


def _loan_mix(session: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """Per class: count, outstanding principal, overdue principal + interest."""
    rows = session.execute(
        select(
            Loan.classification,
            func.count(),
            func.coalesce(func.sum(Loan.principal_outstanding_fen), 0),
            func.coalesce(func.sum(Loan.overdue_principal_fen + Loan.overdue_interest_fen), 0),
        )
        # a written-off loan is off the balance sheet (its claim is off-balance)
        .where(_loans_in_scope(scope), Loan.status != LoanStatus.WRITTEN_OFF.value)
        .group_by(Loan.classification)
    ).all()
    mix = {c.value: {"count": 0, "balance_fen": 0, "overdue_fen": 0} for c in LoanClass}
    for cls, n, balance, overdue in rows:
        mix[str(cls)] = {"count": int(n), "balance_fen": int(balance), "overdue_fen": int(overdue)}
    return mix


def _vintages(session: Session, scope: Scope, today: date) -> list[dict[str, Any]]:
    """Principal repaid by week on book per origination week (weeks numbered from 2000-01-03)."""
    in_scope = _loans_in_scope(scope)
    cohort = DayNumber(Loan.start_date) // 7
    totals = dict(
        session.execute(
            select(cohort, func.sum(Loan.principal_fen)).where(in_scope).group_by(cohort)
        ).all()
    )
    on_book = DayNumber(Repayment.business_date) // 7 - cohort
    principal = (
        Repayment.current_principal_fen
        + Repayment.overdue_principal_fen
        + Repayment.prepaid_principal_fen
    )
    paid: dict[int, dict[int, int]] = {}
    for week, k, amount in session.execute(
        select(cohort, on_book, func.sum(principal))
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(in_scope)
        .group_by(cohort, on_book)
    ).all():
        paid.setdefault(int(week), {})[int(k)] = int(amount)
    vintages = []
    for week in sorted(totals):
        start = EPOCH_MONDAY + timedelta(days=7 * int(week))
        total = int(totals[week])
        repaid = paid.get(int(week), {})
        points, running = [], 0
        for k in range(max(0, (today - start).days // 7) + 1):
            running += repaid.get(k, 0)
            points.append(running * 10_000 // total if total else 0)
        vintages.append({"cohort": start.isoformat(), "repaid_bp": points})
    return vintages


def cockpit_data(session: Session, clock: Clock, scope: Scope) -> dict[str, Any]:
    """The cockpit's JSON: figures defined in the module docstring, amounts in integer fen."""
    today = business_date(clock)
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    applications, approved, decided = _decision_counts(session, scope)
    per_day = _per_day(session, scope, days[0])
    p50, p99 = _latency_percentiles(session, scope, (50, 99))
    mix = _loan_mix(session, scope)
    return {
        "as_of": today.isoformat(),
        "filters": {
            "branch": scope.branch,
            "manager_id": str(scope.manager_id) if scope.manager_id else None,
            "product": scope.product,
        },
        "days": [d.isoformat() for d in days],
        "applications_per_day": [per_day.get(d, (0, 0))[0] for d in days],
        "approved_per_day": [per_day.get(d, (0, 0))[1] for d in days],
        "applications": applications,
        "decided": decided,
        "approval_rate_bp": approved * 10_000 // decided if decided else 0,
        "decision_ms_p50": p50,
        "decision_ms_p99": p99,
        "loans": sum(m["count"] for m in mix.values()),
        "balance_fen": sum(m["balance_fen"] for m in mix.values()),
        "overdue_fen": sum(m["overdue_fen"] for m in mix.values()),
        "five_category": [
            {
                "class": c,
                "zh": _ZH.get(c, c),
                "count": m["count"],
                "balance_fen": m["balance_fen"],
            }
            for c, m in mix.items()
        ],
        "vintages": _vintages(session, scope, today),
        "top_decline_reasons": _decline_reasons(session, scope),
        **bad_loans.bad_loan_figures(session, scope),  # NPL, coverage, migration, roll rates
    }
