"""The borrower's data rights (PIPL art. 44–47): see what is held about them and their
enterprises, revoke consents, and ask for deletion — granted where the law allows, refused with
the reason where a legal retention duty applies.

Deletion is refused while the enterprise has a credit line, a loan or a signed contract: credit
files are kept five years after the business relationship ends (《反洗钱法》 art. 19 and the
banks' credit-file rules; PIPL art. 47 para. 2 lets a retention period set by law prevail).
Otherwise the enterprise's data-source snapshots are destroyed, its live consents revoked and
the account closed; each step is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import DomainError
from puhui.core.models import ApiToken, User
from puhui.datahub import service as datahub_service
from puhui.decisioning import service as decisioning_service
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service


class DeletionRefused(DomainError):
    code = "deletion_refused_retention"
    status = 409
    title_zh = "依法需保存，暂不能删除"
    title_en = "Kept by law: cannot be deleted yet"
    message_zh = (
        "您的企业有授信额度、借款或已签署的合同，依照《反洗钱法》及信贷档案管理规定，"
        "相关资料须在业务关系结束后保存五年，期满后将自动销毁。您仍可撤回数据授权。"
    )
    message_en = (
        "Your enterprise has a credit line, a loan or a signed contract: by the "
        "anti-money-laundering law and the credit-file rules these records are kept for five "
        "years after the relationship ends and destroyed automatically afterwards. You can "
        "still revoke your data authorizations."
    )


class NotYourConsent(DomainError):
    code = "consent_not_found"
    status = 404
    title_zh = "未找到授权"
    title_en = "Authorization not found"
    message_zh = "未找到该数据授权。"
    message_en = "Authorization not found."


# a line in these statuses was signed: its contract and file are kept by law
_SIGNED_LINE_STATUSES = {"active", "frozen", "expired"}


@dataclass(frozen=True)
class ConsentHeld:
    id: uuid.UUID
    source: str
    purpose: str
    status: str
    granted_at: str
    expires_at: str


@dataclass(frozen=True)
class EnterpriseHeld:
    id: uuid.UUID
    name: str
    uscc: str
    legal_representatives: list[str]  # masked: name · resident ID · mobile
    consents: list[ConsentHeld]
    snapshots: dict[str, int]
    applications: int
    credit_lines: int
    loans: int

    @property
    def under_retention(self) -> bool:
        return self.credit_lines > 0 or self.loans > 0


@dataclass(frozen=True)
class Holdings:
    display_name: str
    enterprises: list[EnterpriseHeld] = field(default_factory=list)

    @property
    def deletable(self) -> bool:
        return not any(e.under_retention for e in self.enterprises)


def _enterprise(
    session: Session, clock: Clock, principal: Principal, enterprise_id: uuid.UUID
) -> EnterpriseHeld:
    ent = parties_service.get_enterprise(session, enterprise_id)
    reps = []
    for person_id in parties_service.legal_representatives_of(session, enterprise_id):
        out = parties_service.person_masked(parties_service.get_person(session, person_id))
        reps.append(f"{out.name} · {out.resident_id} · {out.mobile}")
    now = clock.now()
    consents = [
        ConsentHeld(
            c.id,
            c.source,
            c.purpose,
            c.status_at(now).value,
            c.granted_at.date().isoformat(),
            c.expires_at.date().isoformat(),
        )
        for c in consents_service.list_for_enterprise(session, enterprise_id)
    ]
    apps = [
        a
        for a in decisioning_service.own_applications(session, principal)
        if a.enterprise_id == enterprise_id
    ]
    lines = lending_service.list_lines(session, principal, enterprise_id=enterprise_id, limit=500)
    loans = lending_service.list_loans(session, enterprise_id=enterprise_id)
    held_lines = [line for line in lines if line.status in _SIGNED_LINE_STATUSES]
    return EnterpriseHeld(
        id=ent.id,
        name=ent.name,
        uscc=ent.uscc,
        legal_representatives=reps,
        consents=consents,
        snapshots=datahub_service.count_snapshots(session, [enterprise_id]),
        applications=len(apps),
        credit_lines=len(held_lines),
        loans=len(loans),
    )


def holdings(session: Session, clock: Clock, principal: Principal) -> Holdings:
    """What Puhui holds about the borrower's enterprises (personal values masked); audited."""
    ids = sorted(principal.enterprise_ids)
    held = Holdings(
        principal.display_name, [_enterprise(session, clock, principal, i) for i in ids]
    )
    audit.record(session, "rights.view", "user", principal.user_id, after={"enterprises": ids})
    return held


def revoke_consent(
    session: Session, clock: Clock, principal: Principal, consent_id: uuid.UUID
) -> None:
    """Withdraw one consent of the borrower's enterprises (PIPL art. 15)."""
    try:
        consent = consents_service.get_consent(session, consent_id)
    except DomainError as exc:
        raise NotYourConsent() from exc
    if not principal.can_act_for(consent.enterprise_id) or principal.is_staff:
        raise NotYourConsent()
    consents_service.revoke(
        session, clock, consent_id, revoked_by=principal.user_id, reason="data-subject request"
    )


def _close_account(session: Session, clock: Clock, user_id: uuid.UUID) -> None:
    now = clock.now()
    user = session.get(User, user_id)
    if user is not None:
        user.is_active = False
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def request_deletion(session: Session, clock: Clock, principal: Principal) -> int:
    """Delete what the law allows, or raise :class:`DeletionRefused` (nothing changed).

    Returns how many snapshots were destroyed. The caller ends the borrower's session."""
    held = [_enterprise(session, clock, principal, i) for i in sorted(principal.enterprise_ids)]
    if any(e.under_retention for e in held):
        audit.record(
            session,
            "rights.delete_refused",
            "user",
            principal.user_id,
            after={"reason": DeletionRefused.code},
        )
        raise DeletionRefused()
    now = clock.now()
    for ent in held:
        for consent in ent.consents:
            if consent.status == "live":
                consents_service.revoke(
                    session, clock, consent.id, revoked_by=principal.user_id, reason="erasure"
                )
    destroyed = datahub_service.destroy_snapshots(session, enterprise_ids=[e.id for e in held])
    _close_account(session, clock, principal.user_id)
    audit.record(
        session,
        "rights.delete",
        "user",
        principal.user_id,
        after={"snapshots_destroyed": destroyed, "enterprises": [e.id for e in held], "at": now},
    )
    return destroyed
