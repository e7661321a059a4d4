"""The book: one definition of "which applications, lines and loans" and of the headline totals,
read by every page that shows them — the portfolio, the cockpit and the staff home — so that
their figures agree (issue 21: the portfolio counted the lines on the applications, the cockpit
also those on the decisions; the totals differed with nothing to say why).

Scope. The filters (branch, customer manager, product) select applications; a branch is the
branch of the application's customer manager. The lines in scope are those an in-scope
application's offer made (on the application or on its decisions); the loans in scope are
those booked under them. A line with no application behind it (a supply-chain or a test line)
is in no scope. `DEFINITIONS` says it in zh and en; the pages show it on hover.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, select, union
from sqlalchemy.orm import Session

from puhui.core.models import User
from puhui.decisioning.models import Application, Decision
from puhui.lending.models import Loan

# What each headline figure means, in both languages (shown as the figure's title on hover).
DEFINITIONS: dict[str, tuple[str, str]] = {
    "applications": (
        "范围内的授信申请数，不论状态。",
        "Credit applications in scope, whatever their status.",
    ),
    "lines": (
        "范围内申请的批复所产生的授信额度数（申请或其决策上的额度，各计一次）。",
        "Credit lines made by the offers of the applications in scope (on the application or "
        "its decisions, each once).",
    ),
    "loans": (
        "上述额度下的贷款笔数（含已结清，余额为零）。",
        "Loans booked under those lines (settled ones included, with a zero balance).",
    ),
    "balance_fen": (
        "上述贷款的未还本金合计（不含利息）。",
        "Outstanding principal of those loans (interest not included).",
    ),
    "overdue_fen": (
        "上述贷款的逾期本金与逾期利息合计。",
        "Overdue principal plus overdue interest of those loans.",
    ),
    "approval_rate_bp": (
        "批准决策数 ÷ 批准或拒绝决策数（自动与人工；转人工不计），与额度后来是否签约无关。",
        "Approve decisions ÷ approve-or-decline decisions (automated and manual; a referral "
        "does not count), whatever became of the offer.",
    ),
    "decision_ms": (
        "自动决策耗时的中位数与 99 分位（就近秩）。",
        "Median and 99th percentile (nearest rank) of the automated decisions' latency.",
    ),
}


def definition(key: str, lang: str) -> str:
    zh, en = DEFINITIONS[key]
    return en if lang == "en" else zh


@dataclass(frozen=True, slots=True)
class Scope:
    """The filters; None means all."""

    branch: str | None = None
    manager_id: uuid.UUID | None = None
    product: str | None = None


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on `Application` for the filters."""
    conditions: list[ColumnElement[bool]] = []
    if scope.product:
        conditions.append(Application.product_code == scope.product)
    if scope.manager_id:
        conditions.append(Application.manager_user_id == scope.manager_id)
    if scope.branch:
        managers = select(User.id).where(User.branch == scope.branch)
        conditions.append(Application.manager_user_id.in_(managers))
    return conditions


def scope_lines(scope: Scope) -> Select[Any]:
    """The credit lines the in-scope applications' offers made."""
    where = in_scope(scope)
    return union(
        select(Application.credit_line_id).where(*where, Application.credit_line_id.is_not(None)),
        select(Decision.credit_line_id)
        .join(Application, Application.id == Decision.application_id)
        .where(*where, Decision.credit_line_id.is_not(None)),
    )  # type: ignore[return-value]


def loans_in_scope(scope: Scope) -> ColumnElement[bool]:
    return Loan.line_id.in_(scope_lines(scope))


@dataclass(frozen=True, slots=True)
class BookTotals:
    applications: int
    lines: int
    loans: int
    balance_fen: int
    overdue_fen: int

    @property
    def outstanding_fen(self) -> int:  # the portfolio page's name for the balance
        return self.balance_fen


def book_totals(session: Session, scope: Scope) -> BookTotals:
    """The headline totals of a scope: three aggregate statements, whatever the book's size."""
    applications = session.scalar(
        select(func.count()).select_from(Application).where(*in_scope(scope))
    )
    lines_sub = scope_lines(scope).subquery()
    lines = session.scalar(select(func.count(distinct(lines_sub.c[0]))))
    loans, balance, overdue = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Loan.principal_outstanding_fen), 0),
            func.coalesce(func.sum(Loan.overdue_principal_fen + Loan.overdue_interest_fen), 0),
        ).where(loans_in_scope(scope))
    ).one()
    return BookTotals(
        int(applications or 0), int(lines or 0), int(loans), int(balance), int(overdue)
    )
