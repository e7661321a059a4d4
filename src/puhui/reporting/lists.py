"""The console's lists, one page at a time: enterprises, applications (a manager's leads and
portfolio), loans, the review queue, receivable certificates, the audit trail — plus the joined
reads of the enterprise and review pages.

Each list is one ordered query with its joins (no query per row) read a page at a time
(`sql.page_of`: one COUNT, one SELECT with LIMIT/OFFSET), with a search box matching the
enterprise's name or unified social credit code (USCC) or the row's reference, anywhere in the
text and regardless of ASCII case. No list is cut at a fixed number of rows: every row is on
some page. Rows come back as frozen dataclasses or the domain's schemas, never ORM objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from puhui.core.clock import Clock
from puhui.core.models import AuditEvent
from puhui.decisioning import review as review_service
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.models import Application, Decision, Review
from puhui.decisioning.review import OPEN_STATUSES
from puhui.decisioning.schemas import DecisionOut, ReviewOut
from puhui.lending.models import Loan
from puhui.parties.models import Enterprise
from puhui.receivables.models import CertificateRow, PartRow, Party
from puhui.receivables.state import CertificateStatus, PartStatus
from puhui.reporting.book import BookTotals, Scope, book_totals, loans_in_scope
from puhui.reporting.sql import PAGE_SIZE, Page, contains, page_of

LIVE_PARTS = (
    PartStatus.PENDING_ACCEPT.value,
    PartStatus.HELD.value,
    PartStatus.PENDING_TRANSFER.value,
    PartStatus.FINANCED.value,
)


def _enterprise_matches(
    q: str | None, *more: ColumnExpressionArgument[Any]
) -> list[ColumnElement[bool]]:
    """The search: the enterprise's name or USCC, or any of `more` (references), contains q."""
    if not q or not q.strip():
        return []
    found = [contains(Enterprise.name, q), contains(Enterprise.uscc, q)]
    return [or_(*found, *(contains(c, q) for c in more))]


# ---------------------------------------------------------------------------- enterprises


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    id: uuid.UUID
    name: str
    uscc: str
    industry_section: str
    region_name: str
    registered_capital_fen: int
    established_date: date


def enterprises(
    session: Session, *, q: str | None = None, page: int = 1, size: int = PAGE_SIZE
) -> Page[EnterpriseRow]:
    """Enterprises in the order they were registered (ids are time-sortable)."""
    query = (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.uscc,
            Enterprise.industry_section,
            Enterprise.region_name,
            Enterprise.registered_capital_fen,
            Enterprise.established_date,
        )
        .where(*_enterprise_matches(q))
        .order_by(Enterprise.id)
    )
    return page_of(session, query, page, size).map(lambda r: EnterpriseRow(*r))


# --------------------------------------------------------------------------- applications


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    enterprise_name: str
    product_code: str
    requested_amount_fen: int
    status: str
    channel_key: str
    created_at: datetime


def _mine(manager_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    return [] if manager_id is None else [Application.manager_user_id == manager_id]


def applications(
    session: Session,
    *,
    manager_id: uuid.UUID | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[ApplicationRow]:
    """Applications, newest first; a customer manager's own when `manager_id` is given."""
    query = (
        select(
            Application.id,
            Application.reference,
            Application.enterprise_id,
            Enterprise.name,
            Application.product_code,
            Application.requested_amount_fen,
            Application.status,
            Application.channel_key,
            Application.created_at,
        )
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(*_mine(manager_id), *_enterprise_matches(q, Application.reference))
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    return page_of(session, query, page, size).map(lambda r: ApplicationRow(*r))


# ---------------------------------------------------------------------------------- loans


@dataclass(frozen=True, slots=True)
class LoanRow:
    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    enterprise_name: str
    status: str
    principal_fen: int
    principal_outstanding_fen: int
    classification: str
    dpd: int
    start_date: date


def loans(
    session: Session,
    *,
    manager_id: uuid.UUID | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[LoanRow]:
    """Loans under the lines the applications' offers made (a customer manager's applications
    when `manager_id` is given), newest first: the loans the totals add up."""
    where = [loans_in_scope(Scope(manager_id=manager_id))]  # the totals' scope (reporting.book)
    query = (
        select(
            Loan.id,
            Loan.reference,
            Loan.enterprise_id,
            Enterprise.name,
            Loan.status,
            Loan.principal_fen,
            Loan.principal_outstanding_fen,
            Loan.classification,
            Loan.dpd,
            Loan.start_date,
        )
        .join(Enterprise, Enterprise.id == Loan.enterprise_id)
        .where(*where, *_enterprise_matches(q, Loan.reference))
        .order_by(Loan.id.desc())
    )
    return page_of(session, query, page, size).map(lambda r: LoanRow(*r))


def portfolio_totals(session: Session, manager_id: uuid.UUID | None) -> BookTotals:
    """A customer manager's own book (an admin's: everyone's) — the same totals, by the same
    definitions, as the cockpit's (`puhui.reporting.book`)."""
    return book_totals(session, Scope(manager_id=manager_id))


# --------------------------------------------------------------------------- review queue


def review_queue(
    session: Session,
    clock: Clock,
    *,
    q: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[ReviewOut]:
    """Open reviews: green channel first, then by due time (oldest first), as
    `decisioning.review.queue` orders them — every one of them, a page at a time."""
    query = (
        select(Review, Application, Decision)
        .join(Application, Application.id == Review.application_id)
        .join(Decision, Decision.id == Review.decision_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(Review.status.in_(OPEN_STATUSES), *_enterprise_matches(q, Application.reference))
        .order_by(Review.green_channel.desc(), Review.due_at, Review.id)
    )
    return page_of(session, query, page, size).map(
        lambda r: review_service.review_out(clock, r[0], r[1], r[2])
    )


def review_decision(session: Session, review_id: uuid.UUID) -> DecisionOut | None:
    """The automated decision that referred a review's application."""
    decision = session.scalar(
        select(Decision)
        .join(Review, Review.decision_id == Decision.id)
        .where(Review.id == review_id)
    )
    return decisioning_service.decision_out(decision) if decision is not None else None


def enterprise_decisions(
    session: Session, enterprise_id: uuid.UUID
) -> list[tuple[str, DecisionOut]]:
    """Every decision on an enterprise's applications, newest application first, newest
    decision first: (application reference, decision), one query."""
    rows = session.execute(
        select(Application.reference, Decision)
        .join(Application, Application.id == Decision.application_id)
        .where(Application.enterprise_id == enterprise_id)
        .order_by(Application.created_at.desc(), Application.id, Decision.decided_at.desc())
    ).all()
    return [(ref, decisioning_service.decision_out(d)) for ref, d in rows]


# ------------------------------------------------------------------ receivable certificates


@dataclass(frozen=True, slots=True)
class CertificateListRow:
    id: str
    status: str
    issuer: str
    issuer_name: str | None
    supplier: str
    supplier_name: str | None
    face_fen: int
    maturity_date: date
    live_parts: int
    live_fen: int
    financed: bool


def certificates(
    session: Session,
    *,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[CertificateListRow]:
    """Every certificate (staff see them all), by id, with its live parts (those that hold
    value: pending acceptance, held, offered, financed) summed in the same query. The search
    matches the certificate's id, or the issuer's or the tier-1 supplier's name or code."""
    issuer, supplier = aliased(Party), aliased(Party)
    live = and_(PartRow.cert == CertificateRow.id, PartRow.status.in_(LIVE_PARTS))
    live_count = select(func.count()).where(live).scalar_subquery()
    live_fen = select(func.coalesce(func.sum(PartRow.amount_fen), 0)).where(live).scalar_subquery()
    financed = exists().where(
        PartRow.cert == CertificateRow.id, PartRow.status == PartStatus.FINANCED.value
    )
    where: list[ColumnElement[bool]] = []
    if status in set(CertificateStatus):
        where.append(CertificateRow.status == status)
    if q and q.strip():
        where.append(
            or_(
                contains(CertificateRow.id, q),
                contains(issuer.name, q),
                contains(issuer.code, q),
                contains(supplier.name, q),
                contains(supplier.code, q),
            )
        )
    query = (
        select(
            CertificateRow.id,
            CertificateRow.status,
            CertificateRow.issuer,
            issuer.name,
            CertificateRow.supplier,
            supplier.name,
            CertificateRow.face_fen,
            CertificateRow.maturity_date,
            live_count,
            live_fen,
            case((financed, True), else_=False),
        )
        .outerjoin(issuer, issuer.code == CertificateRow.issuer)
        .outerjoin(supplier, supplier.code == CertificateRow.supplier)
        .where(*where)
        .order_by(CertificateRow.id)
    )
    return page_of(session, query, page, size).map(_certificate_row)


def _certificate_row(r: Any) -> CertificateListRow:
    return CertificateListRow(
        id=r[0],
        status=r[1],
        issuer=r[2],
        issuer_name=r[3],
        supplier=r[4],
        supplier_name=r[5],
        face_fen=int(r[6]),
        maturity_date=r[7],
        live_parts=int(r[8]),
        live_fen=int(r[9]),
        financed=bool(r[10]),
    )


# ---------------------------------------------------------------------------- audit trail


@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    occurred_at: datetime
    actor_name: str
    action: str
    entity_type: str
    entity_id: str | None
    source_ip: str | None


def audit_events(
    session: Session, *, q: str | None = None, page: int = 1, size: int = PAGE_SIZE
) -> Page[AuditRow]:
    """The audit trail, newest first; the search matches the action, the entity's id or the
    actor's name."""
    where = []
    if q and q.strip():
        where.append(
            or_(
                contains(AuditEvent.action, q),
                contains(AuditEvent.entity_id, q),
                contains(AuditEvent.actor_name, q),
            )
        )
    query = (
        select(
            AuditEvent.seq,
            AuditEvent.occurred_at,
            AuditEvent.actor_name,
            AuditEvent.action,
            AuditEvent.entity_type,
            AuditEvent.entity_id,
            AuditEvent.source_ip,
        )
        .where(*where)
        .order_by(AuditEvent.seq.desc())
    )
    return page_of(session, query, page, size).map(lambda r: AuditRow(*r))
