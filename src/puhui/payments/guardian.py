"""Trusted payees and the transfer guardian (可信任收款人、转账监管人; 适老化).

An enterprise may switch on "trusted payees only" (`set_trusted_only`). Then a transfer
(`transfer`) to a trusted payee — an account marked trusted, usable after a cooling-off period,
capped per payment (default 500,000 yuan) — goes out at once; a transfer above the cap is
refused; a transfer to any other verified account waits for the transfer guardian, a person the
legal representative named, who receives a one-time code by SMS: the payout is created only
when that code is given (`confirm_transfer`).

The guardian is named or changed only with the legal representative's verification (a one-time
code to the representative's registered mobile: `request_guardian_change` then
`confirm_guardian_change`); a change — not the first naming — takes effect after a delay, so a
fraudster who got hold of the phone for a moment cannot swap the guardian and pay at once.

"Trusted payees only" is on by default for a sole proprietor whose legal representative is over
`trusted_only_default_age`, and for an enterprise that uses the large-type mode
(`protection_of`, rules in `protection.py`); anyone acting for the enterprise may switch it
on, only the legal representative — by a one-time code to their registered mobile — off
(`request_trusted_only_off`, `turn_off_trusted_only`). After that decision no default applies.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, codes, otp, outbox
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher, mask_mobile
from puhui.core.money import format_fen
from puhui.parties import service as parties_service
from puhui.payments import protection
from puhui.payments import service as payments_service
from puhui.payments.accounts import require_usable
from puhui.payments.config import PaymentSettings
from puhui.payments.errors import (
    GuardianRequired,
    LegalRepresentativeUnknown,
    PayeeCapExceeded,
    RepresentativeCodeRequired,
    TransferNotAwaiting,
    TransferNotFound,
)
from puhui.payments.models import (
    GuardianSetting,
    PayoutAccount,
    TransferRequest,
    TransferStatus,
    TrustedOnlyBy,
)

CHANGE_PURPOSE = "payments.guardian.change"
TRUSTED_OFF_PURPOSE = "payments.trusted_only.off"
TRANSFER_PURPOSE = "payments.transfer.guardian"
MOBILE_FIELD = "mobile"
TRANSFER_SOURCE = "transfer"


def setting_of(session: Session, clock: Clock, enterprise_id: uuid.UUID) -> GuardianSetting:
    """The enterprise's setting (created off on first use), the pending guardian promoted once
    its delay has passed."""
    setting = session.get(GuardianSetting, enterprise_id)
    if setting is None:
        setting = GuardianSetting(
            enterprise_id=enterprise_id,
            trusted_only=False,
            guardian_name=None,
            guardian_mobile_enc=None,
            guardian_mobile_masked=None,
            pending_name=None,
            pending_mobile_enc=None,
            pending_mobile_masked=None,
            pending_effective_at=None,
            updated_at=clock.now(),
        )
        session.add(setting)
        session.flush()
    if setting.pending_effective_at is not None and setting.pending_effective_at <= clock.now():
        setting.guardian_name = setting.pending_name
        setting.guardian_mobile_enc = setting.pending_mobile_enc
        setting.guardian_mobile_masked = setting.pending_mobile_masked
        setting.pending_name = setting.pending_mobile_enc = setting.pending_mobile_masked = None
        setting.pending_effective_at = None
        setting.updated_at = clock.now()
    return setting


def protection_of(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    *,
    large_type: bool = False,
    settings: PaymentSettings | None = None,
) -> GuardianSetting:
    """`setting_of`, with "trusted payees only" switched on by default (an older sole
    proprietor, the large-type mode) unless the legal representative has decided."""
    settings = settings or PaymentSettings()
    setting = setting_of(session, clock, enterprise_id)
    if setting.trusted_only or setting.trusted_only_by is not None:
        return setting
    enterprise = parties_service.get_enterprise(session, enterprise_id)
    reason = protection.default_reason(
        uscc=enterprise.uscc,
        birth=_representative_birth(session, cipher, enterprise_id),
        today=business_date(clock),
        large_type=large_type,
        min_age=settings.trusted_only_default_age,
    )
    if reason is not None:
        setting.trusted_only = True
        setting.trusted_only_by = TrustedOnlyBy(reason).value
        setting.updated_at = clock.now()
        audit.record(
            session, "guardian.trusted_only", "enterprise", enterprise_id, after={"default": reason}
        )
    return setting


def _representative_birth(
    session: Session, cipher: FieldCipher, enterprise_id: uuid.UUID
) -> date | None:
    reps = parties_service.legal_representatives_of(session, enterprise_id)
    if not reps:
        return None
    person = parties_service.get_person(session, reps[-1])
    return codes.resident_id_birth_date(cipher.decrypt(person.resident_id_enc, "resident_id"))


def set_trusted_only(
    session: Session, clock: Clock, enterprise_id: uuid.UUID, on: bool
) -> GuardianSetting:
    """Switch "trusted payees only" on (anyone acting for the enterprise may); switching it off
    needs the legal representative's code (`turn_off_trusted_only`)."""
    if not on:
        raise RepresentativeCodeRequired()
    setting = setting_of(session, clock, enterprise_id)
    if not setting.trusted_only:
        setting.trusted_only = True
        setting.trusted_only_by = TrustedOnlyBy.ENTERPRISE.value
        setting.updated_at = clock.now()
        audit.record(
            session, "guardian.trusted_only", "enterprise", enterprise_id, after={"on": on}
        )
    return setting


def request_trusted_only_off(
    session: Session, clock: Clock, cipher: FieldCipher, enterprise_id: uuid.UUID
) -> uuid.UUID:
    """A code to the legal representative's registered mobile, to switch "trusted payees only"
    off; returns the outbox message's id."""
    return _code_to_representative(
        session,
        clock,
        cipher,
        enterprise_id,
        TRUSTED_OFF_PURPOSE,
        "【普惠】您正在关闭“只向可信任收款人付款”，验证码 {code}，5 分钟内有效。"
        "如非本人操作请勿告知他人，谨防诈骗。",
    )


def turn_off_trusted_only(
    session: Session, clock: Clock, cipher: FieldCipher, enterprise_id: uuid.UUID, code: str
) -> GuardianSetting:
    """The representative's code verified: "trusted payees only" off, and no default again."""
    otp.verify(
        session, clock, cipher, purpose=TRUSTED_OFF_PURPOSE, subject=str(enterprise_id), code=code
    )
    setting = setting_of(session, clock, enterprise_id)
    setting.trusted_only = False
    setting.trusted_only_by = TrustedOnlyBy.REPRESENTATIVE.value
    setting.updated_at = clock.now()
    audit.record(session, "guardian.trusted_only", "enterprise", enterprise_id, after={"on": False})
    return setting


def trust_payee(
    session: Session,
    clock: Clock,
    account: PayoutAccount,
    cap_fen: int | None = None,
    settings: PaymentSettings | None = None,
) -> PayoutAccount:
    """Mark a verified account trusted: capped per payment, usable after the cooling-off."""
    settings = settings or PaymentSettings()
    require_usable(session, account.enterprise_id, account.id)
    account.trusted = True
    account.trusted_cap_fen = min(cap_fen or settings.trusted_cap_fen, settings.trusted_cap_fen)
    account.trusted_from = clock.now() + timedelta(hours=settings.trusted_cooling_off_hours)
    account.updated_at = clock.now()
    audit.record(
        session,
        "guardian.trust_payee",
        "enterprise",
        account.enterprise_id,
        after={"account": account.number_masked, "cap_fen": account.trusted_cap_fen},
    )
    return account


# ---------------------------------------------------------------- naming / changing the guardian


def request_guardian_change(
    session: Session, clock: Clock, cipher: FieldCipher, enterprise_id: uuid.UUID
) -> uuid.UUID:
    """Send the enterprise's recorded legal representative — whoever is signed in, an agent
    included — a one-time code to their registered mobile; returns the outbox message's id."""
    return _code_to_representative(
        session,
        clock,
        cipher,
        enterprise_id,
        CHANGE_PURPOSE,
        "【普惠】您正在设置转账监管人，验证码 {code}，5 分钟内有效。如非本人操作请勿告知他人。",
    )


def _code_to_representative(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    purpose: str,
    text: str,
) -> uuid.UUID:
    reps = parties_service.legal_representatives_of(session, enterprise_id)
    if not reps:
        raise LegalRepresentativeUnknown()
    representative_mobile = parties_service.mobile_of(
        cipher, parties_service.get_person(session, reps[-1])
    )
    issued = otp.issue(session, clock, cipher, purpose=purpose, subject=str(enterprise_id))
    message = outbox.enqueue_sms(
        session,
        clock,
        cipher,
        representative_mobile,
        purpose,
        text.format(code=issued.code),
        expires_at=issued.expires_at,
    )
    otp.attach_message(issued.row, message.id)
    return message.id


def confirm_guardian_change(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    name: str,
    mobile: str,
    code: str,
    settings: PaymentSettings | None = None,
) -> GuardianSetting:
    """The representative's code verified: the first guardian at once, a new one after the
    delay (`guardian_change_delay_hours`)."""
    settings = settings or PaymentSettings()
    number = codes.normalize_mobile(mobile)
    otp.verify(
        session, clock, cipher, purpose=CHANGE_PURPOSE, subject=str(enterprise_id), code=code
    )
    setting = setting_of(session, clock, enterprise_id)
    first = setting.guardian_mobile_enc is None
    setting.pending_name = name.strip()[:100]
    setting.pending_mobile_enc = cipher.encrypt(number, MOBILE_FIELD)
    setting.pending_mobile_masked = mask_mobile(number)
    delay = timedelta(hours=0 if first else settings.guardian_change_delay_hours)
    setting.pending_effective_at = clock.now() + delay
    setting.updated_at = clock.now()
    audit.record(
        session,
        "guardian.change",
        "enterprise",
        enterprise_id,
        after={
            "guardian": setting.pending_mobile_masked,
            "effective_at": setting.pending_effective_at,
        },
    )
    return setting_of(session, clock, enterprise_id)


# ---------------------------------------------------------------- transfers


@dataclass(frozen=True)
class TransferOutcome:
    transfer: TransferRequest
    sms_id: uuid.UUID | None  # the code sent to the guardian, when the transfer waits


def transfer(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    account_id: uuid.UUID,
    amount_fen: int,
    idempotency_key: str,
) -> TransferOutcome:
    """A payout from the settlement account to a verified account, under the guardian rules."""
    existing = session.scalar(
        select(TransferRequest).where(TransferRequest.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return TransferOutcome(existing, None)
    account = require_usable(session, enterprise_id, account_id)
    setting = protection_of(session, clock, cipher, enterprise_id)
    now = clock.now()
    trusted = account.trusted and account.trusted_from is not None and account.trusted_from <= now
    if setting.trusted_only and trusted and amount_fen > (account.trusted_cap_fen or 0):
        raise PayeeCapExceeded(field="amount_fen", cap=format_fen(account.trusted_cap_fen or 0))
    waits = setting.trusted_only and not trusted
    if waits and setting.guardian_mobile_enc is None:
        raise GuardianRequired(field="payout_account_id")
    request = TransferRequest(
        enterprise_id=enterprise_id,
        payout_account_id=account.id,
        amount_fen=amount_fen,
        status=TransferStatus.AWAITING_GUARDIAN.value,
        idempotency_key=idempotency_key,
        payment_id=None,
        reason=_why(account, now) if waits else "",
        created_at=now,
        confirmed_at=None,
    )
    session.add(request)
    session.flush()
    if not waits:
        _send(session, clock, request)
        return TransferOutcome(request, None)
    return TransferOutcome(
        request, _ask_guardian(session, clock, cipher, setting, request, account)
    )


def _why(account: PayoutAccount, now: datetime) -> str:
    if not account.trusted:
        return "not_trusted"
    return "cooling_off"


def _ask_guardian(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    setting: GuardianSetting,
    request: TransferRequest,
    account: PayoutAccount,
) -> uuid.UUID:
    assert setting.guardian_mobile_enc is not None
    issued = otp.issue(session, clock, cipher, purpose=TRANSFER_PURPOSE, subject=str(request.id))
    message = outbox.enqueue_sms(
        session,
        clock,
        cipher,
        cipher.decrypt(setting.guardian_mobile_enc, MOBILE_FIELD),
        TRANSFER_PURPOSE,
        f"【普惠】{setting.guardian_name or ''}您好：有一笔 {format_fen(request.amount_fen)} "
        f"转账将付给 {account.holder_name}（{account.number_masked}），需您确认。验证码 "
        f"{issued.code}，5 分钟内有效。如有疑问请先联系本人，谨防诈骗。",
        expires_at=issued.expires_at,
    )
    otp.attach_message(issued.row, message.id)
    return message.id


def confirm_transfer(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    transfer_id: uuid.UUID,
    code: str,
) -> TransferRequest:
    """The guardian's code verified: the payout is created (and goes out with the rails)."""
    request = get_transfer(session, enterprise_id, transfer_id)
    if request.status != TransferStatus.AWAITING_GUARDIAN.value:
        raise TransferNotAwaiting()
    otp.verify(session, clock, cipher, purpose=TRANSFER_PURPOSE, subject=str(request.id), code=code)
    request.confirmed_at = clock.now()
    _send(session, clock, request)
    audit.record(
        session,
        "guardian.confirm_transfer",
        "enterprise",
        enterprise_id,
        after={"transfer": str(request.id)},
    )
    return request


def _send(session: Session, clock: Clock, request: TransferRequest) -> None:
    payment = payments_service.create_payout(
        session,
        clock,
        payments_service.PaymentRequest(
            enterprise_id=request.enterprise_id,
            amount_fen=request.amount_fen,
            payout_account_id=request.payout_account_id,
            source_type=TRANSFER_SOURCE,
            source_id=request.id,
            idempotency_key=f"transfer:{request.id}",
            remittance="转账",
        ),
    )
    request.payment_id = payment.id
    request.status = TransferStatus.SENT.value


def get_transfer(
    session: Session, enterprise_id: uuid.UUID, transfer_id: uuid.UUID
) -> TransferRequest:
    request = session.get(TransferRequest, transfer_id)
    if request is None or request.enterprise_id != enterprise_id:
        raise TransferNotFound()
    return request


def transfers_of(session: Session, enterprise_id: uuid.UUID) -> list[TransferRequest]:
    return list(
        session.scalars(
            select(TransferRequest)
            .where(TransferRequest.enterprise_id == enterprise_id)
            .order_by(TransferRequest.created_at.desc())
            .limit(20)
        )
    )
