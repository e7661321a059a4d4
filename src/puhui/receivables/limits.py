"""Supply-chain limits of core enterprises, and the pricing table by grade.

A risk officer grants, changes or (with 0) revokes a core enterprise's limit, with a reason and
the enterprise's grade; the platform signs the ``limit`` statement. A limit backed by an
approved credit decision is granted by the flow
:func:`puhui.flows.supply_chain.grant_supply_chain_limit`: it takes the approval from
decisioning, then calls :func:`grant_limit` here with the application's reference
(``decision_ref``) — this domain never calls decisioning itself.

The grade picks the row of ``receivables_pricing``: the discount rate of financing and the daily
penalty rate snapshotted into each certificate the enterprise issues.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import InvalidInput
from puhui.parties import service as parties_service
from puhui.receivables.access import EnterpriseRef, party_for_enterprise
from puhui.receivables.errors import NotFound
from puhui.receivables.log import OUTSTANDING, locked_log
from puhui.receivables.models import CertificateRow, Limit, Party, Pricing
from puhui.receivables.schemas import LimitGrant, LimitOut, PricingOut, PricingUpdate
from puhui.receivables.service_errors import FinancingUnavailable

# --- limits -----------------------------------------------------------------------------------


def _outstanding_by_issuer(session: Session, parties: Iterable[str]) -> dict[str, int]:
    """The face of each issuer's outstanding certificates (what its limit carries now)."""
    rows = session.execute(
        select(CertificateRow.issuer, func.sum(CertificateRow.face_fen))
        .where(CertificateRow.issuer.in_(list(parties)), CertificateRow.status.in_(OUTSTANDING))
        .group_by(CertificateRow.issuer)
    )
    return {issuer: int(total or 0) for issuer, total in rows}


def _limit_out(
    session: Session, limit: Limit, party: Party | None = None, outstanding: int | None = None
) -> LimitOut:
    if party is None:
        party = session.get(Party, limit.party)
    if outstanding is None:
        outstanding = _outstanding_by_issuer(session, [limit.party]).get(limit.party, 0)
    return LimitOut(
        enterprise_id=party.enterprise_id if party else None,
        party=limit.party,
        limit_fen=limit.limit_fen,
        outstanding_fen=outstanding,
        available_fen=max(limit.limit_fen - outstanding, 0),
        grade=limit.grade,
        reason=limit.reason,
        source=limit.source,
        decision_ref=limit.decision_ref,
        seq=limit.seq,
        updated_at=limit.updated_at,
    )


def check_limit_grant(session: Session, data: LimitGrant) -> EnterpriseRef:
    """What a grant is refused for before anything is written, in this order: an unknown
    grade, an unknown enterprise, an approval behind a revocation (0 needs none)."""
    if session.get(Pricing, data.grade) is None:
        raise InvalidInput(field="grade")
    enterprise = parties_service.get_enterprise(session, data.enterprise_id)
    if data.application_reference is not None and data.limit_fen == 0:
        raise InvalidInput(field="limit_fen")
    return enterprise


def grant_limit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: LimitGrant,
    *,
    decision_ref: str | None = None,
) -> LimitOut:
    """Grant (or change, or with 0 revoke) a core enterprise's supply-chain limit.

    Manual (``source`` ``manual``), or backed by a credit decision (``source`` ``decision``):
    ``decision_ref`` is then the reference of the application whose approval decisioning
    gave up for it — only the flow :func:`puhui.flows.supply_chain.grant_supply_chain_limit`
    passes one, after taking the approval. The platform signs the ``limit`` statement.
    """
    enterprise = check_limit_grant(session, data)
    if (data.application_reference is None) != (decision_ref is None):
        raise ValueError(
            "a limit backed by an application is granted by "
            "puhui.flows.supply_chain.grant_supply_chain_limit (it takes the approval first)"
        )
    source = "manual" if decision_ref is None else "decision"
    with locked_log(session, clock, cipher) as log:
        party = party_for_enterprise(session, clock, enterprise)
        stmt, _ = log.run("limit", log.platform, {"party": party.code, "limit_fen": data.limit_fen})
        limit = session.get(Limit, party.code)
        before = None
        if limit is None:
            limit = Limit(party=party.code)
            session.add(limit)
        else:
            before = {"limit_fen": limit.limit_fen, "grade": limit.grade}
        limit.limit_fen = data.limit_fen
        limit.grade = data.grade
        limit.reason = data.reason
        limit.source = source
        limit.decision_ref = decision_ref
        limit.approved_by = principal.user_id if principal else None
        limit.seq = int(stmt["seq"])
        limit.updated_at = clock.now()
        session.flush()
        audit.record(
            session,
            "receivables.limit",
            "enterprise",
            enterprise.id,
            before=before,
            after={
                "party": party.code,
                "limit_fen": data.limit_fen,
                "grade": data.grade,
                "reason": data.reason,
                "source": source,
                "decision_ref": decision_ref,
                "seq": stmt["seq"],
            },
        )
        return _limit_out(session, limit)


def get_limit(session: Session, principal: Principal, enterprise_id: uuid.UUID) -> LimitOut:
    parties_service.get_enterprise_for(session, principal, enterprise_id)
    party = session.scalar(select(Party).where(Party.enterprise_id == enterprise_id))
    limit = session.get(Limit, party.code) if party else None
    if limit is None:
        raise NotFound(None, kind="supply-chain limit", kind_zh="供应链额度", id=str(enterprise_id))
    return _limit_out(session, limit)


def list_limits(session: Session) -> list[LimitOut]:
    """Every core enterprise's supply-chain limit, revoked ones (0) included (staff)."""
    pairs = list(session.execute(select(Limit, Party).join(Party, Party.code == Limit.party)))
    outstanding = _outstanding_by_issuer(session, [limit.party for limit, _ in pairs])
    out = [
        _limit_out(session, limit, party, outstanding.get(limit.party, 0)) for limit, party in pairs
    ]
    return sorted(out, key=lambda limit: (-limit.limit_fen, limit.party))


# --- pricing by grade -------------------------------------------------------------------------


def list_pricing(session: Session) -> list[PricingOut]:
    rows = session.scalars(select(Pricing).order_by(Pricing.discount_rate_bp, Pricing.grade))
    return [PricingOut.model_validate(r) for r in rows]


def update_pricing(
    session: Session, clock: Clock, principal: Principal, grade: str, data: PricingUpdate
) -> PricingOut:
    grade = grade.strip().upper()
    if not 1 <= len(grade) <= 8:
        raise InvalidInput(field="grade")
    row = session.get(Pricing, grade)
    before = None
    if row is None:
        row = Pricing(grade=grade)
        session.add(row)
    else:
        before = {
            "discount_rate_bp": row.discount_rate_bp,
            "penalty_daily_bp": row.penalty_daily_bp,
            "financeable": row.financeable,
        }
    row.discount_rate_bp = data.discount_rate_bp
    row.penalty_daily_bp = data.penalty_daily_bp
    row.financeable = data.financeable
    row.updated_at = clock.now()
    row.updated_by = principal.user_id
    session.flush()
    audit.record(
        session,
        "receivables.pricing",
        "receivables_pricing",
        grade,
        before=before,
        after=data.model_dump(),
    )
    return PricingOut.model_validate(row)


def financing_terms(session: Session, issuer: str) -> Pricing:
    """The pricing of the issuer's grade, refused when its certificates are not financeable."""
    limit = session.get(Limit, issuer)
    grade = limit.grade if limit is not None else "-"
    pricing = session.get(Pricing, grade) if limit is not None else None
    if pricing is None or not pricing.financeable:
        raise FinancingUnavailable(party=issuer, grade=grade)
    return pricing


def issue_terms(session: Session, issuer: str, contract_no: str) -> dict[str, Any]:
    """What a new certificate stores besides its statement: the trade contract number and the
    daily penalty rate of the issuer's grade at issue (the agreement)."""
    limit = session.get(Limit, issuer)
    pricing = session.get(Pricing, limit.grade) if limit is not None else None
    return {
        "contract_no": contract_no,
        "penalty_daily_bp": pricing.penalty_daily_bp if pricing is not None else 0,
    }
