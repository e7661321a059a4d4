"""Authorised agents' payment limits (授权委托限额).

The legal representative authorises an agent (a daughter, an employee: identity's
`AgentAuthorisation`, scoped) and may limit what the agent pays out: an amount per payment, a
total per business day, and payees — trusted payees only (可信任收款人, past their cooling-off).
Only the enterprise's verified legal representative, signed in with the mobile their identity
check confirmed, sets them (`set_limits`).

`require_within_limits` is called where an agent initiates a payout — a transfer from the
settlement account, a drawdown paid out to an account — in the same unit of work: the payout is
recorded against the agent's day (`AgentPayout`, by idempotency key: a replay counts once) or
refused with the limit it breaks. The legal representative, and anyone who is no agent of the
enterprise, is not limited here (the guardian rules still apply to everyone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.money import format_fen
from puhui.identity import service as identity_service
from puhui.identity.errors import AuthorisationNotFound, NotTheLegalRepresentative
from puhui.parties import service as parties_service
from puhui.payments.accounts import require_usable
from puhui.payments.errors import (
    AgentDailyCapExceeded,
    AgentPayeeNotAllowed,
    AgentPaymentCapExceeded,
    InvalidLimit,
)
from puhui.payments.models import AgentLimit, AgentPayout


@dataclass(frozen=True)
class Agent:
    """The authorisation an agent acts under (identity's, as payments needs it)."""

    id: uuid.UUID
    enterprise_id: uuid.UUID
    reference: str
    mobile_masked: str


@dataclass(frozen=True)
class Limits:
    per_payment_cap_fen: int | None
    per_day_cap_fen: int | None
    trusted_only: bool


def is_representative(
    session: Session, cipher: FieldCipher, clock: Clock, enterprise_id: uuid.UUID, mobile: str
) -> bool:
    """The signed-in mobile is the enterprise's verified legal representative's."""
    if not mobile:
        return False
    now = clock.now()
    return any(
        identity_service.is_verified_rep_mobile(session, cipher, now, person_id, mobile)
        for person_id in parties_service.legal_representatives_of(session, enterprise_id)
    )


def acting_agent(
    session: Session, cipher: FieldCipher, clock: Clock, enterprise_id: uuid.UUID, mobile: str
) -> Agent | None:
    """The live authorisation under which `mobile` acts for the enterprise, when it is an agent
    (not the verified legal representative); None otherwise."""
    if not mobile or is_representative(session, cipher, clock, enterprise_id, mobile):
        return None
    now = clock.now()
    for row in identity_service.authorisations_for_agent(session, cipher, mobile):
        if row.enterprise_id == enterprise_id and row.is_live(now):
            return Agent(row.id, row.enterprise_id, row.reference, row.agent_mobile_masked)
    return None


def limits_of(session: Session, authorisation_id: uuid.UUID) -> AgentLimit | None:
    return session.get(AgentLimit, authorisation_id)


def limits_by_authorisation(
    session: Session, enterprise_id: uuid.UUID
) -> dict[uuid.UUID, AgentLimit]:
    return {
        row.authorisation_id: row
        for row in session.scalars(
            select(AgentLimit).where(AgentLimit.enterprise_id == enterprise_id)
        )
    }


def set_limits(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    enterprise_id: uuid.UUID,
    representative_mobile: str,
    authorisation_id: uuid.UUID,
    limits: Limits,
) -> AgentLimit:
    """The legal representative (signed in with their verified mobile) sets an agent's limits."""
    if not is_representative(session, cipher, clock, enterprise_id, representative_mobile):
        raise NotTheLegalRepresentative()
    grant = next(
        (
            a
            for a in identity_service.authorisations_of(session, enterprise_id)
            if a.id == authorisation_id
        ),
        None,
    )
    if grant is None:
        raise AuthorisationNotFound()
    for cap in (limits.per_payment_cap_fen, limits.per_day_cap_fen):
        if cap is not None and cap <= 0:
            raise InvalidLimit(field="per_payment_cap_yuan")
    row = session.get(AgentLimit, authorisation_id)
    if row is None:
        row = AgentLimit(authorisation_id=authorisation_id, enterprise_id=enterprise_id)
        session.add(row)
    row.per_payment_cap_fen = limits.per_payment_cap_fen
    row.per_day_cap_fen = limits.per_day_cap_fen
    row.trusted_only = limits.trusted_only
    row.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        "payments.agent_limits",
        "enterprise",
        enterprise_id,
        after={
            "authorisation": grant.reference,
            "agent": grant.agent_mobile_masked,
            "per_payment_cap_fen": limits.per_payment_cap_fen,
            "per_day_cap_fen": limits.per_day_cap_fen,
            "trusted_only": limits.trusted_only,
        },
    )
    return row


def paid_today(session: Session, clock: Clock, authorisation_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(AgentPayout.amount_fen), 0)).where(
                AgentPayout.authorisation_id == authorisation_id,
                AgentPayout.business_date == business_date(clock),
            )
        )
        or 0
    )


def require_within_limits(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    enterprise_id: uuid.UUID,
    mobile: str,
    payout_account_id: uuid.UUID,
    amount_fen: int,
    source_type: str,
    idempotency_key: str,
) -> AgentPayout | None:
    """An agent's payout stays within the limits the representative set, and is recorded
    against the agent's day; None when the caller is no agent (nothing to limit)."""
    agent = acting_agent(session, cipher, clock, enterprise_id, mobile)
    if agent is None:
        return None
    key = f"agent:{agent.id}:{idempotency_key}"[:160]
    done = session.scalar(select(AgentPayout).where(AgentPayout.idempotency_key == key))
    if done is not None:
        return done
    limits = session.get(AgentLimit, agent.id)
    if limits is not None:
        _check(session, clock, agent, limits, payout_account_id, amount_fen)
    row = AgentPayout(
        authorisation_id=agent.id,
        enterprise_id=enterprise_id,
        payout_account_id=payout_account_id,
        amount_fen=amount_fen,
        source_type=source_type,
        idempotency_key=key,
        business_date=business_date(clock),
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def _check(
    session: Session,
    clock: Clock,
    agent: Agent,
    limits: AgentLimit,
    payout_account_id: uuid.UUID,
    amount_fen: int,
) -> None:
    cap = limits.per_payment_cap_fen
    if cap is not None and amount_fen > cap:
        raise AgentPaymentCapExceeded(field="amount_yuan", cap=format_fen(cap, symbol=""))
    day_cap = limits.per_day_cap_fen
    if day_cap is not None:
        used = paid_today(session, clock, agent.id)
        if used + amount_fen > day_cap:
            raise AgentDailyCapExceeded(
                field="amount_yuan",
                cap=format_fen(day_cap, symbol=""),
                used=format_fen(used, symbol=""),
            )
    if limits.trusted_only:
        account = require_usable(session, agent.enterprise_id, payout_account_id)
        trusted_from = account.trusted_from
        if not account.trusted or trusted_from is None or trusted_from > clock.now():
            raise AgentPayeeNotAllowed(field="payout_account_id")
