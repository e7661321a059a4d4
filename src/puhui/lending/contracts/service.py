"""E-contracts (电子合同): render the loan contract, sign it with an SMS code, verify a file.

Life of a contract::

    draft ──send_for_signature──▶ sent_for_signature ──sign──▶ signed
      │                               │  ▲ (send again: a new code)
      └──────── cancel / expire ──────┴──┴──▶ cancelled / expired

* `create_contract` renders the contract for a credit line that waits for its signature
  (`pending_signature`) from a Jinja2 text template into a PDF with an embedded Chinese font
  (fpdf2, see `contract_pdf`). The PDF is deterministic — its creation date is the clock's,
  it holds no random id — so the same terms give the same bytes and the same SHA-256. Bytes
  and hash are stored.
* `send_for_signature` issues a one-time code (core.otp) for this contract and writes an SMS to
  the legal representative's mobile into the outbox (core.outbox), sent after the commit.
* `sign` checks the code, records the signature (user and person, time, IP, user agent, the
  document hash signed, the code's message) and activates the credit line through
  `credit_lines.activate_after_signing`: the line becomes usable only after signing.
* `verify_document` tells whether a file's SHA-256 is the one of a signed contract.

Services never commit. Every change is audited.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit, events, otp, outbox
from puhui.core.auth import Principal
from puhui.core.clock import SHANGHAI, Clock, business_date
from puhui.core.config import get_settings
from puhui.core.crypto import FieldCipher, sha256_hex
from puhui.core.db import record_despite_failure
from puhui.core.errors import Conflict, DomainError, NotFound
from puhui.identity import service as identity_service
from puhui.identity.rules import FacePolicy
from puhui.lending import charges, charges_rules, credit_lines, loans, products
from puhui.lending.allocation import DEFAULT_ORDER
from puhui.lending.contracts.models import (
    TRANSITIONS,
    Contract,
    ContractSignature,
    ContractStatus,
    ContractStatusHistory,
)
from puhui.lending.contracts.pdf import (
    DEFAULT_PENALTY_MARKUP_BP,
    TEMPLATE_VERSION,
    ContractFontMissing,
    ContractFontMissingGlyphs,
    ContractSettings,
    ContractTerms,
    FontChoice,
    contract_settings,
    render_pdf,
    render_text,
    resolve_font,
)
from puhui.lending.contracts.words import format_yuan, mask_name
from puhui.lending.events import OfferAccepted
from puhui.lending.models import CreditLine
from puhui.parties import service as parties_service

__all__ = [
    "ContractFontMissing",
    "ContractFontMissingGlyphs",
    "ContractSettings",
    "ContractTerms",
    "FontChoice",
    "cancel",
    "create_contract",
    "expire_overdue",
    "get_contract",
    "get_contract_for",
    "render_pdf",
    "render_text",
    "resolve_font",
    "send_for_signature",
    "sign",
    "verify_document",
]

OTP_PURPOSE = "contract.sign"
SMS_TOPIC = "contract.sign_otp"
LINE_PENDING_SIGNATURE = "pending_signature"
REFERENCE_PREFIX = "HT"

# --- errors -----------------------------------------------------------------------------------


class ContractNotFound(NotFound):
    code = "contract_not_found"
    message_zh = "未找到该合同。"
    message_en = "Contract not found."


class LineNotAwaitingSignature(Conflict):
    code = "credit_line_not_pending_signature"
    message_zh = "该授信额度当前状态为 {status}，不是待签约状态，不能生成合同。"
    message_en = "The credit line is {status}, not pending signature; no contract can be made."


class LegalRepresentativeMissing(Conflict):
    code = "legal_representative_missing"
    message_zh = "该企业未登记法定代表人，无法签署合同。"
    message_en = "The enterprise has no legal representative on record; it cannot sign."


class ContractWrongStatus(Conflict):
    code = "contract_wrong_status"
    message_zh = "合同当前状态为“{status_zh}”，不能{action_zh}。"
    message_en = "The contract is {status}; it cannot be {action_en}."


class ContractAlreadySigned(Conflict):
    code = "contract_already_signed"
    message_zh = "合同已于 {signed_at} 签署，不能重复签署。"
    message_en = "The contract was already signed at {signed_at}."


class ContractExpired(DomainError):
    code = "contract_expired"
    status = 410
    title_zh = "合同已过期"
    title_en = "Contract expired"
    message_zh = "合同签署期限已过（{deadline}），请联系客户经理重新生成合同。"
    message_en = "The signing period ended ({deadline}); ask your customer manager for a new one."


class ContractDocumentTampered(Conflict):
    code = "contract_document_tampered"
    message_zh = "合同文件与登记的摘要不一致，已停止签署，请联系银行。"
    message_en = "The contract file does not match its recorded hash; signing stopped."


class ContractSealUnavailable(DomainError):
    code = "contract_seal_unavailable"
    status = 503
    title_zh = "电子签章暂不可用"
    title_en = "Contract seal unavailable"
    message_zh = "时间戳服务暂时无法访问，合同未签署，请稍后重试。"
    message_en = (
        "The timestamp authority cannot be reached; the contract was not signed. Try again."
    )


# --- the line's product -----------------------------------------------------------------------


def _product(session: Session, code: str) -> Any | None:
    """The line's product (name_zh, penalty_markup_bp, compound_interest, day_count), if known."""
    try:
        return products.get_product(session, code)
    except NotFound:
        return None


# --- the contract record ----------------------------------------------------------------------


def _next_reference(session: Session, clock: Clock) -> str:
    """`HT-2026-000042` from the lending numbering (a sequence per year on PostgreSQL: contract
    creations — PDF rendering included — no longer wait on each other); contracts numbered
    before by counting them are continued after."""
    year = business_date(clock).year

    def numbered() -> int:
        like = Contract.reference.like(f"{REFERENCE_PREFIX}-{year}-%")
        return int(session.scalar(select(func.count()).select_from(Contract).where(like)) or 0)

    return loans.next_reference(session, REFERENCE_PREFIX, year, numbered=numbered)


def _legal_representative(session: Session, enterprise_id: uuid.UUID) -> uuid.UUID:
    reps = parties_service.legal_representatives_of(session, enterprise_id)
    if not reps:
        raise LegalRepresentativeMissing()
    return reps[-1]  # the most recently recorded one


def _status(contract: Contract) -> ContractStatus:
    return ContractStatus(contract.status)


def _transition(
    session: Session,
    clock: Clock,
    contract: Contract,
    to: ContractStatus,
    *,
    reason: str | None = None,
) -> None:
    current = _status(contract)
    if to not in TRANSITIONS[current]:
        raise ContractWrongStatus(
            status=current.value,
            status_zh=current.zh,
            action_zh=f"变更为“{to.zh}”",
            action_en=f"moved to {to.value}",
        )
    actor = audit.current_actor(session)
    contract.status = to.value
    session.add(
        ContractStatusHistory(
            contract_id=contract.id,
            from_status=current.value,
            to_status=to.value,
            changed_at=clock.now(),
            actor_id=actor.user_id,
            reason=reason,
        )
    )


def _check_access(principal: Principal | None, contract: Contract) -> None:
    if principal is not None and not principal.can_act_for(contract.enterprise_id):
        raise ContractNotFound()


def get_contract(session: Session, contract_id: uuid.UUID) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise ContractNotFound()
    return contract


def get_contract_for(
    session: Session, principal: Principal | None, contract_id: uuid.UUID
) -> Contract:
    """A contract as the principal may see it: a borrower only its own (else not found)."""
    contract = get_contract(session, contract_id)
    _check_access(principal, contract)
    return contract


def signed_contract(session: Session, reference: str | None = None) -> Contract:
    """A signed contract by its reference, or the most recently signed one (what
    `puhui contracts export` writes out)."""
    query = select(Contract).where(Contract.signed_at.is_not(None))
    if reference:
        query = query.where(Contract.reference == reference)
    contract = session.scalar(query.order_by(Contract.signed_at.desc()).limit(1))
    if contract is None:
        raise ContractNotFound()
    return contract


def _lock_contract(session: Session, contract_id: uuid.UUID) -> Contract:
    contract = session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if contract is None:
        raise ContractNotFound()
    return contract


def contracts_of_line(session: Session, credit_line_id: uuid.UUID) -> list[Contract]:
    return list(
        session.scalars(
            select(Contract)
            .where(Contract.credit_line_id == credit_line_id)
            .order_by(Contract.created_at, Contract.id)
        )
    )


def terms_of(contract: Contract) -> ContractTerms:
    return ContractTerms.from_json(contract.terms)


def _expire_if_due(session: Session, clock: Clock, contract: Contract) -> None:
    """A contract past its signing deadline is refused, and expired by a side unit of work:
    the expiry stays although the refusal rolls the request back."""
    deadline = contract.signing_deadline_at
    if deadline is None or clock.now() < deadline:
        return
    if _status(contract) in (ContractStatus.DRAFT, ContractStatus.SENT_FOR_SIGNATURE):
        contract_id = contract.id
        record_despite_failure(session, lambda side: _expire_when_due(side, clock, contract_id))
    raise ContractExpired(deadline=deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


def _expire_when_due(session: Session, clock: Clock, contract_id: uuid.UUID) -> None:
    contract = _lock_contract(session, contract_id)
    deadline = contract.signing_deadline_at
    if _status(contract) in (ContractStatus.DRAFT, ContractStatus.SENT_FOR_SIGNATURE) and (
        deadline is not None and clock.now() >= deadline
    ):
        _expire(session, clock, contract)


def _expire(session: Session, clock: Clock, contract: Contract) -> None:
    _transition(session, clock, contract, ContractStatus.EXPIRED, reason="signing deadline")
    contract.closed_at = clock.now()
    # No code of this contract is invalidated here: `sign` refuses a contract that is not sent
    # for signature before it looks at a code, and the code's stored subject is a keyed hash
    # (core.otp.subject_key) this function has no key for; the code lapses within 5 minutes.
    audit.record(
        session,
        "contract.expire",
        "contract",
        contract.id,
        after={"reference": contract.reference, "deadline": contract.signing_deadline_at},
    )


def _open_contract(
    session: Session, line: CreditLine, credit_line_id: uuid.UUID
) -> Contract | None:
    """The line's draft or sent contract, if any; a signed one is a conflict, and a new one needs
    a line waiting for signature."""
    for existing in contracts_of_line(session, credit_line_id):
        status = _status(existing)
        if status == ContractStatus.SIGNED:
            raise ContractAlreadySigned(signed_at=_shanghai(existing.signed_at))
        if status in (ContractStatus.DRAFT, ContractStatus.SENT_FOR_SIGNATURE):
            return existing
    line_status = str(getattr(line, "status", ""))
    if line_status != LINE_PENDING_SIGNATURE:
        raise LineNotAwaitingSignature(status=line_status)
    return None


def _contract_terms(
    session: Session,
    clock: Clock,
    settings: ContractSettings,
    line: CreditLine,
    enterprise_id: uuid.UUID,
) -> tuple[ContractTerms, uuid.UUID]:
    """What the contract shows (the line's offer, the enterprise, its legal representative, the
    product's rules, a new reference), and the representative's person id."""
    enterprise = parties_service.get_enterprise(session, enterprise_id)
    product = _product(session, str(line.product_code))
    rep_id = _legal_representative(session, enterprise_id)
    rep = parties_service.get_person(session, rep_id)
    now = clock.now()
    charge_lines = charges.contract_lines(session, str(line.product_code))
    terms = ContractTerms(
        reference=_next_reference(session, clock),
        bank_name=settings.bank_name,
        enterprise_name=enterprise.name,
        enterprise_uscc=enterprise.uscc,
        enterprise_region=enterprise.region_name,
        legal_rep_name=rep.name,
        product_code=str(line.product_code),
        product_name=str(getattr(product, "name_zh", None) or line.product_code),
        limit_fen=int(line.limit_fen),
        rate_bp=int(line.rate_bp),
        lpr_bp=int(getattr(line, "lpr_bp", None) or settings.lpr_1y_bp),
        term_months=int(line.term_months),
        expiry_date=line.expiry_date,
        repayment_method=str(line.repayment_method),
        penalty_markup_bp=int(getattr(product, "penalty_markup_bp", DEFAULT_PENALTY_MARKUP_BP)),
        compound_interest=bool(getattr(product, "compound_interest", True)),
        day_count=str(getattr(product, "day_count", None) or "ACT/360"),
        created_at=now,
        grace_days=int(getattr(product, "grace_days", 0)),
        prepayment_allowed=bool(getattr(product, "prepayment_allowed", True)),
        prepayment_fee_bp=int(getattr(product, "prepayment_fee_bp", 0)),
        allocation_order=_order_with_charges(
            tuple(getattr(product, "allocation_order", None) or DEFAULT_ORDER), charge_lines
        ),
        charges=charge_lines,
    )
    return terms, rep.id


def _order_with_charges(order: tuple[str, ...], charge_lines: tuple[str, ...]) -> tuple[str, ...]:
    """The repayment order the contract states: with the charges' bucket when it has any."""
    return charges_rules.allocation_order(order) if charge_lines else order


def create_contract(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    credit_line_id: uuid.UUID,
    *,
    settings: ContractSettings | None = None,
    font: FontChoice | None = None,
) -> tuple[Contract, bool]:
    """Render and store the contract of a credit line waiting for signature.

    Returns (contract, created). A line that already has a draft or sent contract gets that one
    back (created False); a signed one is a conflict.
    """
    settings = settings or contract_settings()
    line = credit_lines.get_line(session, credit_line_id)
    enterprise_id = uuid.UUID(str(line.enterprise_id))
    if principal is not None and not principal.can_act_for(enterprise_id):
        raise ContractNotFound()
    existing = _open_contract(session, line, credit_line_id)
    if existing is not None:
        return existing, False

    terms, rep_id = _contract_terms(session, clock, settings, line, enterprise_id)
    now = terms.created_at
    font = font or resolve_font(settings)
    pdf = render_pdf(terms, font)
    digest = sha256_hex(pdf)
    actor = audit.current_actor(session)
    contract = Contract(
        reference=terms.reference,
        credit_line_id=credit_line_id,
        enterprise_id=enterprise_id,
        legal_rep_person_id=rep_id,
        status=ContractStatus.DRAFT.value,
        template_version=TEMPLATE_VERSION,
        terms=terms.to_json(),
        document=pdf,
        document_sha256=digest,
        document_size=len(pdf),
        font_name=font.name[:100],
        created_at=now,
        created_by=actor.user_id,
        signing_deadline_at=now + timedelta(days=settings.signing_days),
    )
    session.add(contract)
    session.flush()
    session.add(
        ContractStatusHistory(
            contract_id=contract.id,
            from_status=None,
            to_status=ContractStatus.DRAFT.value,
            changed_at=now,
            actor_id=actor.user_id,
        )
    )
    audit.record(
        session,
        "contract.create",
        "contract",
        contract.id,
        after={
            "reference": contract.reference,
            "credit_line_id": credit_line_id,
            "enterprise_id": enterprise_id,
            "document_sha256": digest,
            "template_version": TEMPLATE_VERSION,
            "limit_fen": terms.limit_fen,
            "rate_bp": terms.rate_bp,
        },
    )
    return contract, True


@dataclass(frozen=True)
class SignatureRequest:
    contract: Contract
    otp_id: uuid.UUID
    message_id: uuid.UUID
    recipient_masked: str
    code_expires_at: datetime


def _sms_body(settings: ContractSettings, contract: Contract, code: str) -> str:
    terms = terms_of(contract)
    return (
        f"【{settings.sms_sign}】验证码 {code}，用于签署借款合同 {contract.reference}"
        f"（授信额度 ¥{format_yuan(terms.limit_fen)}，文件摘要 {contract.document_sha256[:8]}），"
        f"{int(otp.DEFAULT_TTL.total_seconds() // 60)} 分钟内有效。"
        "银行工作人员不会向您索要验证码，请勿告诉他人。"
    )


def send_for_signature(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    contract_id: uuid.UUID,
    *,
    settings: ContractSettings | None = None,
) -> SignatureRequest:
    """Send a signing code by SMS to the legal representative (again: a new code)."""
    settings = settings or contract_settings()
    contract = _lock_contract(session, contract_id)
    _check_access(principal, contract)
    status = _status(contract)
    if status == ContractStatus.SIGNED:
        raise ContractAlreadySigned(signed_at=_shanghai(contract.signed_at))
    if status not in (ContractStatus.DRAFT, ContractStatus.SENT_FOR_SIGNATURE):
        raise ContractWrongStatus(
            status=status.value,
            status_zh=status.zh,
            action_zh="发送签署验证码",
            action_en="sent for signature",
        )
    _expire_if_due(session, clock, contract)
    # The code goes only to the mobile the carrier confirmed is the legal representative's
    # (three-factor verification), never to whoever is signed in (issue 15, finding 1).
    verified = identity_service.require_verified_rep(
        session, clock.now(), contract.legal_rep_person_id
    )
    mobile = identity_service.verified_mobile(cipher, verified)
    issued = otp.issue(session, clock, cipher, purpose=OTP_PURPOSE, subject=str(contract.id))
    message = outbox.enqueue_sms(
        session,
        clock,
        cipher,
        mobile,
        SMS_TOPIC,
        _sms_body(settings, contract, issued.code),
        {"contract_id": str(contract.id), "otp_id": str(issued.otp_id)},
        expires_at=issued.expires_at,  # a code that no longer works is not sent
    )
    otp.attach_message(issued.row, message.id)
    if status == ContractStatus.DRAFT:
        contract.sent_at = clock.now()
    _transition(session, clock, contract, ContractStatus.SENT_FOR_SIGNATURE, reason="code sent")
    session.flush()
    audit.record(
        session,
        "contract.send_for_signature",
        "contract",
        contract.id,
        before={"status": status.value},
        after={
            "status": ContractStatus.SENT_FOR_SIGNATURE.value,
            "recipient": message.recipient_masked,
            "otp_id": issued.otp_id,
            "message_id": message.id,
        },
    )
    return SignatureRequest(
        contract=contract,
        otp_id=issued.otp_id,
        message_id=message.id,
        recipient_masked=message.recipient_masked,
        code_expires_at=issued.expires_at,
    )


def _check_identity(
    session: Session,
    clock: Clock,
    contract: Contract,
    device_hash: str | None,
    face_policy: FacePolicy | None,
) -> None:
    now = clock.now()
    identity_service.require_verified_rep(session, now, contract.legal_rep_person_id)
    signed_before = session.scalar(
        select(func.count())
        .select_from(Contract)
        .where(
            Contract.enterprise_id == contract.enterprise_id,
            Contract.status == ContractStatus.SIGNED.value,
        )
    )
    identity_service.require_face(
        session,
        now,
        face_policy or identity_service.face_policy(),
        contract.legal_rep_person_id,
        first_credit=not signed_before,
        amount_fen=terms_of(contract).limit_fen,
        device_hash=device_hash,
    )


def _shanghai(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def sign(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal,
    contract_id: uuid.UUID,
    code: str,
    *,
    ip: str,
    user_agent: str | None = None,
    device_hash: str | None = None,
    face_policy: FacePolicy | None = None,
) -> ContractSignature:
    """Sign with the SMS code: record the signature, mark signed, activate the credit line.

    The legal representative must have passed three-factor verification, and a face check when
    a rule requires one (the enterprise's first contract, a limit at or above the threshold, a
    new device: `identity.rules`, `PUHUI_IDENTITY_FACE_*`)."""
    contract = _lock_contract(session, contract_id)
    _check_access(principal, contract)
    _check_identity(session, clock, contract, device_hash, face_policy)
    status = _status(contract)
    if status == ContractStatus.SIGNED:
        raise ContractAlreadySigned(signed_at=_shanghai(contract.signed_at))
    if status != ContractStatus.SENT_FOR_SIGNATURE:
        raise ContractWrongStatus(
            status=status.value,
            status_zh=status.zh,
            action_zh="签署（请先获取验证码）" if status == ContractStatus.DRAFT else "签署",
            action_en="signed",
        )
    _expire_if_due(session, clock, contract)
    code_row = otp.verify(
        session, clock, cipher, purpose=OTP_PURPOSE, subject=str(contract.id), code=code
    )
    if sha256_hex(contract.document) != contract.document_sha256:
        raise ContractDocumentTampered()
    person = parties_service.get_person(session, contract.legal_rep_person_id)
    now = clock.now()
    signature = ContractSignature(
        contract_id=contract.id,
        signer_user_id=principal.user_id,
        signer_person_id=person.id,
        signer_name=person.name,
        signer_mobile_masked=person.mobile_masked,
        signed_at=now,
        ip=ip[:64],
        user_agent=user_agent[:300] if user_agent else None,
        document_sha256=contract.document_sha256,
        otp_id=code_row.id,
        otp_message_id=code_row.message_id,
        method="sms_otp",
    )
    session.add(signature)
    _transition(session, clock, contract, ContractStatus.SIGNED, reason="signed with SMS code")
    contract.signed_at = now
    contract.closed_at = now
    session.flush()
    credit_lines.activate_after_signing(session, clock, contract.credit_line_id, contract.id)
    events.publish(session, OfferAccepted(contract.credit_line_id, contract.id, now))
    audit.record(
        session,
        "contract.sign",
        "contract",
        contract.id,
        before={"status": status.value},
        after={
            "status": ContractStatus.SIGNED.value,
            "signature_id": signature.id,
            "signer_user_id": principal.user_id,
            "signer_person_id": person.id,
            "document_sha256": contract.document_sha256,
            "ip": signature.ip,
            "otp_id": code_row.id,
            "otp_message_id": code_row.message_id,
            "credit_line_id": contract.credit_line_id,
        },
    )
    seal_signed(contract, signature)
    return signature


def seal_signed(contract: Contract, signature: ContractSignature) -> None:
    """Attach the signer's evidence to the contract PDF and seal it as the bank (PAdES with an
    RFC 3161 timestamp): ``contract.signed_document``. A timestamp authority that cannot be
    reached refuses the signing (503, retry): a contract is never signed unsealed."""
    from puhui.lending.contracts import pades  # pyHanko: imported when a contract is signed

    core_settings = get_settings()
    evidence = {
        "contract": contract.reference,
        "contract_id": str(contract.id),
        "document_sha256": contract.document_sha256,
        "template_version": contract.template_version,
        "signer": {
            "name": mask_name(signature.signer_name),
            "mobile": signature.signer_mobile_masked,
            "user_id": str(signature.signer_user_id),
            "person_id": str(signature.signer_person_id),
        },
        "method": signature.method,
        "signed_at": signature.signed_at.isoformat(),
        "ip": signature.ip,
        "user_agent": signature.user_agent,
        "otp_id": str(signature.otp_id),
        "otp_message_id": str(signature.otp_message_id) if signature.otp_message_id else None,
        "consent": "签署人输入发送至其本人手机的一次性验证码，确认已阅读并同意本合同全部条款。 "
        "The signer entered the one-time code sent to their own mobile, confirming they read "
        "and accept every term of this contract.",
    }
    seal = pades.seal_for(core_settings.environment, core_settings.var_dir, contract_settings())
    try:
        sealed = pades.seal_pdf(
            contract.document, evidence, seal, reason=f"电子合同签署 {contract.reference}"
        )
    except OSError as exc:  # the timestamp authority (TimestampRequestError is an IOError)
        raise ContractSealUnavailable() from exc
    contract.signed_document = sealed
    contract.signed_document_sha256 = sha256_hex(sealed)


def cancel(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    contract_id: uuid.UUID,
    reason: str,
) -> Contract:
    """Cancel a contract not yet signed (terms changed, customer withdrew)."""
    contract = _lock_contract(session, contract_id)
    _check_access(principal, contract)
    status = _status(contract)
    if status == ContractStatus.SIGNED:
        raise ContractAlreadySigned(signed_at=_shanghai(contract.signed_at))
    if status not in (ContractStatus.DRAFT, ContractStatus.SENT_FOR_SIGNATURE):
        raise ContractWrongStatus(
            status=status.value, status_zh=status.zh, action_zh="作废", action_en="cancelled"
        )
    _transition(session, clock, contract, ContractStatus.CANCELLED, reason=reason)
    contract.closed_at = clock.now()
    # No code of this contract is invalidated here: `sign` refuses a contract that is not sent
    # for signature before it looks at a code, and the code's stored subject is a keyed hash
    # (core.otp.subject_key) this function has no key for; the code lapses within 5 minutes.
    audit.record(
        session,
        "contract.cancel",
        "contract",
        contract.id,
        before={"status": status.value},
        after={"status": ContractStatus.CANCELLED.value, "reason": reason},
    )
    return contract


def expire_overdue(
    session: Session, clock: Clock, *, as_of: datetime | None = None
) -> list[uuid.UUID]:
    """Expire every unsigned contract whose signing deadline is `as_of` (default: now) or
    earlier — the end of day's step; return their ids."""
    cutoff = clock.now() if as_of is None else min(as_of, clock.now())
    rows = session.scalars(
        select(Contract)
        .where(
            Contract.status.in_(
                [ContractStatus.DRAFT.value, ContractStatus.SENT_FOR_SIGNATURE.value]
            ),
            Contract.signing_deadline_at <= cutoff,
        )
        .order_by(Contract.id)
        .with_for_update(skip_locked=True)
    ).all()
    for contract in rows:
        _expire(session, clock, contract)
    session.flush()
    return [c.id for c in rows]


def signature_of(session: Session, contract_id: uuid.UUID) -> ContractSignature | None:
    return session.scalar(
        select(ContractSignature).where(ContractSignature.contract_id == contract_id)
    )


def record_download(session: Session, contract: Contract) -> None:
    audit.record(
        session,
        "contract.download",
        "contract",
        contract.id,
        after={"reference": contract.reference, "document_sha256": contract.document_sha256},
    )


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedMatch:
    contract_id: uuid.UUID
    reference: str
    enterprise_name: str
    enterprise_uscc: str
    signed_at: datetime
    signer_name_masked: str
    signer_mobile_masked: str
    signer_user_id: uuid.UUID


@dataclass(frozen=True)
class UnsignedMatch:
    contract_id: uuid.UUID
    reference: str
    status: str


@dataclass(frozen=True)
class VerifyOutcome:
    sha256: str
    size: int
    signed: list[SignedMatch] = field(default_factory=list)
    unsigned: list[UnsignedMatch] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.signed)


def verify_document(
    session: Session, data: bytes, principal: Principal | None = None
) -> VerifyOutcome:
    """Does this file's SHA-256 equal a signed contract's? (A borrower sees only its own.)"""
    digest = hashlib.sha256(data).hexdigest()
    contracts = session.scalars(
        select(Contract)
        .where(or_(Contract.document_sha256 == digest, Contract.signed_document_sha256 == digest))
        .order_by(Contract.created_at)
    ).all()
    signed: list[SignedMatch] = []
    unsigned: list[UnsignedMatch] = []
    for contract in contracts:
        if principal is not None and not principal.can_act_for(contract.enterprise_id):
            continue
        sig = signature_of(session, contract.id)
        if contract.status == ContractStatus.SIGNED.value and sig is not None:
            terms = terms_of(contract)
            signed.append(
                SignedMatch(
                    contract_id=contract.id,
                    reference=contract.reference,
                    enterprise_name=terms.enterprise_name,
                    enterprise_uscc=terms.enterprise_uscc,
                    signed_at=sig.signed_at,
                    signer_name_masked=mask_name(sig.signer_name),
                    signer_mobile_masked=sig.signer_mobile_masked,
                    signer_user_id=sig.signer_user_id,
                )
            )
        else:
            unsigned.append(UnsignedMatch(contract.id, contract.reference, contract.status))
    return VerifyOutcome(sha256=digest, size=len(data), signed=signed, unsigned=unsigned)


def record_verification(session: Session, outcome: VerifyOutcome) -> None:
    audit.record(
        session,
        "contract.verify",
        "contract",
        outcome.signed[0].contract_id if outcome.signed else None,
        after={
            "sha256": outcome.sha256,
            "size": outcome.size,
            "matched": outcome.matched,
            "references": [m.reference for m in outcome.signed],
        },
    )
