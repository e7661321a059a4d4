"""Parties on the chain and who may see what.

An enterprise appears in statements under its unified social credit code (a ``Party`` row);
a borrower acts and sees only through the parties of its own enterprises: a certificate it is
or was no party to answers 404, as if it did not exist. Staff see everything; ``None`` is the
platform itself (jobs, CLI).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.parties import service as parties_service
from puhui.receivables.errors import NotFound
from puhui.receivables.models import CertificateRow, LogEntry, PartRow, Party, PartyKind
from puhui.receivables.statements import SignedStatement


class EnterpriseRef(Protocol):
    """What the chain needs of an enterprise (parties' row or any view of it)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def uscc(self) -> str: ...
    @property
    def name(self) -> str: ...


def party_for_enterprise(session: Session, clock: Clock, enterprise: EnterpriseRef) -> Party:
    """The chain party of an enterprise (its code is the unified social credit code)."""
    party = session.scalar(select(Party).where(Party.enterprise_id == enterprise.id))
    if party is None:
        party = Party(
            code=enterprise.uscc,
            kind=PartyKind.ENTERPRISE,
            enterprise_id=enterprise.id,
            name=enterprise.name,
            created_at=clock.now(),
        )
        session.add(party)
        session.flush()
    return party


def enterprise_party(
    session: Session, clock: Clock, principal: Principal | None, enterprise_id: uuid.UUID
) -> Party:
    """The party of an enterprise the principal acts for (404 for a borrower's foreign one)."""
    enterprise = (
        parties_service.get_enterprise(session, enterprise_id)
        if principal is None
        else parties_service.get_enterprise_for(session, principal, enterprise_id)
    )
    return party_for_enterprise(session, clock, enterprise)


def receiver(session: Session, clock: Clock, enterprise_id: uuid.UUID) -> Party:
    """The party of the enterprise at the receiving end (any enterprise)."""
    return party_for_enterprise(
        session, clock, parties_service.get_enterprise(session, enterprise_id)
    )


def party_codes(session: Session, principal: Principal) -> set[str]:
    """The party codes (USCC) of the principal's own enterprises on the chain."""
    if not principal.enterprise_ids:
        return set()
    return set(
        session.scalars(select(Party.code).where(Party.enterprise_id.in_(principal.enterprise_ids)))
    )


def party_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Display names of parties by their code in statements (USCC, ``PLATFORM``, ``BANK``)."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(session.execute(select(Party.code, Party.name).where(Party.code.in_(wanted))).all())


def visible_certs(session: Session, principal: Principal) -> Select[Any]:
    """The certificates the principal may see, as a query to refine."""
    query = select(CertificateRow)
    if principal.is_staff:
        return query
    codes = party_codes(session, principal)
    if not codes:
        return query.where(CertificateRow.id.is_(None))
    touched = exists().where(
        PartRow.cert == CertificateRow.id,
        or_(PartRow.holder.in_(codes), PartRow.pending_to.in_(codes)),
    )
    return query.where(
        or_(CertificateRow.issuer.in_(codes), CertificateRow.supplier.in_(codes), touched)
    )


def cert_parties(cert: CertificateRow, parts: Sequence[PartRow]) -> set[str]:
    """Every party a certificate involves: issuer, supplier, holders and offered receivers."""
    found = {cert.issuer, cert.supplier}
    for p in parts:
        found.add(p.holder)
        if p.pending_to:
            found.add(p.pending_to)
    return found


def parts_of(session: Session, cert_id: str, *, lock: bool = False) -> list[PartRow]:
    """A certificate's parts in the order they were made (``lock``: FOR UPDATE, fresh)."""
    query = select(PartRow).where(PartRow.cert == cert_id).order_by(PartRow.created_seq, PartRow.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def cert_not_found(cert_id: str) -> NotFound:
    return NotFound("cert", kind="certificate", kind_zh="凭证", id=cert_id)


def part_not_found(part_id: str) -> NotFound:
    return NotFound("part", kind="part", kind_zh="凭证拆分", id=part_id)


def check_visible(
    session: Session, principal: Principal | None, cert: CertificateRow, parts: Sequence[PartRow]
) -> None:
    """404 unless the principal is staff, the platform, or a party to the certificate."""
    if principal is None or principal.is_staff:
        return
    if not party_codes(session, principal) & cert_parties(cert, parts):
        raise cert_not_found(cert.id)


def entry_visible(session: Session, principal: Principal | None, row: LogEntry) -> bool:
    """Whether the principal may see a log entry: its certificate's, or its own limit."""
    if principal is None or principal.is_staff:
        return True
    if row.cert is not None:
        cert = session.get(CertificateRow, row.cert)
        if cert is None:
            return False
        codes = party_codes(session, principal)
        return bool(codes & cert_parties(cert, parts_of(session, cert.id)))
    stmt = SignedStatement.from_entry(bytes(row.entry)).statement
    return stmt.get("party") in party_codes(session, principal)
