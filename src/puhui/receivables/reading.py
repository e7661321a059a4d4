"""The read side: certificates, operations and signals as the API's schemas (never ORM rows),
each within what the caller may see (:mod:`puhui.receivables.access`)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.receivables.access import (
    cert_not_found,
    check_visible,
    entry_visible,
    parts_of,
    visible_certs,
)
from puhui.receivables.errors import NotFound
from puhui.receivables.models import CertificateRow, CheckpointRow, LogEntry, Party, Signal
from puhui.receivables.schemas import (
    CertificateOut,
    CheckpointOut,
    LogEntryOut,
    PartOut,
    SignalOut,
)
from puhui.receivables.statements import SignedStatement, format_at


def hex_of(data: bytes) -> str:
    return bytes(data).hex()


def checkpoint_out(row: CheckpointRow) -> CheckpointOut:
    return CheckpointOut(size=row.size, root=hex_of(row.root), at=row.at, note=row.note)


def entry_out(row: LogEntry) -> LogEntryOut:
    signed = SignedStatement.from_entry(bytes(row.entry))
    return LogEntryOut(
        seq=row.seq,
        op=row.op,
        actor=row.actor,
        at=format_at(row.at),
        kid=row.kid,
        leaf_hash=hex_of(row.leaf_hash),
        statement=signed.statement,
    )


def certificate_view(session: Session, cert: CertificateRow) -> CertificateOut:
    """A certificate with its parts and the enterprises behind the parties' codes."""
    parts = parts_of(session, cert.id)
    codes = {cert.issuer, cert.supplier, *(p.holder for p in parts)}
    enterprises = dict(
        session.execute(select(Party.code, Party.enterprise_id).where(Party.code.in_(codes))).all()
    )
    return CertificateOut(
        id=cert.id,
        issuer=cert.issuer,
        issuer_enterprise_id=enterprises.get(cert.issuer),
        supplier=cert.supplier,
        supplier_enterprise_id=enterprises.get(cert.supplier),
        face_fen=cert.face_fen,
        maturity_date=cert.maturity_date,
        status=cert.status,
        invoice_no=cert.invoice,
        contract_no=cert.contract_no,
        cleared_fen=cert.cleared_fen,
        penalty_daily_bp=cert.penalty_daily_bp,
        penalty_fen=cert.penalty_fen,
        issued_seq=cert.issued_seq,
        issued_at=cert.issued_at,
        parts=[
            PartOut(
                id=p.id,
                parent=p.parent,
                amount_fen=p.amount_fen,
                holder=p.holder,
                holder_enterprise_id=enterprises.get(p.holder),
                status=p.status,
                pending_to=p.pending_to,
                price_fen=p.price_fen,
                rate_bp=p.rate_bp,
                created_seq=p.created_seq,
                ended_seq=p.ended_seq,
            )
            for p in parts
        ],
    )


def get_certificate(session: Session, principal: Principal, cert_id: str) -> CertificateOut:
    cert = session.get(CertificateRow, cert_id)
    if cert is None:
        raise cert_not_found(cert_id)
    check_visible(session, principal, cert, parts_of(session, cert_id))
    return certificate_view(session, cert)


def list_certificates(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[CertificateOut]:
    query = visible_certs(session, principal).order_by(CertificateRow.id).limit(limit)
    if status:
        query = query.where(CertificateRow.status == status)
    if after:
        query = query.where(CertificateRow.id > after)
    return [certificate_view(session, c) for c in session.scalars(query).all()]


def get_operation(session: Session, principal: Principal | None, seq: int) -> LogEntryOut:
    row = session.get(LogEntry, seq)
    if row is None or not entry_visible(session, principal, row):
        raise NotFound("seq", kind="operation", kind_zh="操作", id=str(seq))
    return entry_out(row)


def list_signals(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 100
) -> list[SignalOut]:
    query = select(Signal).order_by(Signal.id).limit(limit)
    if after is not None:
        query = query.where(Signal.id > after)
    return [SignalOut.model_validate(s) for s in session.scalars(query)]


def certificate_count(session: Session) -> int:
    """How many certificates the log holds (all statuses)."""
    return int(session.scalar(select(func.count()).select_from(CertificateRow)) or 0)
