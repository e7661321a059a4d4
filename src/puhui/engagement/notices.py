"""Servicing notices (服务通知, issue 18): repayment due, overdue, limit expiry, renewal offer,
rate change, contract to sign — through the same machinery as campaigns (SMS through the outbox
to the legal representative's mobile, a message in the /m inbox) but NOT marketing: a marketing
opt-out never stops them, no frequency cap, no quiet hours (a repayment reminder is the
customer's own business). Each notice is sent once per ``key`` (the producer's idempotency key,
e.g. ``repayment_due:<instalment id>:T-3``), so a re-run sends nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, outbox
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.money import format_fen
from puhui.engagement.models import InAppMessage, Notice
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service

SMS_TOPIC = "engagement.notice"


class NoticeKind(StrEnum):
    REPAYMENT_DUE = "repayment_due"
    OVERDUE = "overdue"
    LIMIT_EXPIRY = "limit_expiry"
    RENEWAL_OFFER = "renewal_offer"
    RATE_CHANGE = "rate_change"
    CONTRACT_TO_SIGN = "contract_to_sign"
    LIMIT_INCREASE = "limit_increase"


def send_notice(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    enterprise_id: uuid.UUID,
    kind: NoticeKind,
    key: str,
    body: str,
    link: str | None = None,
) -> Notice:
    """Send one servicing notice (once per ``key``): an SMS to the enterprise's legal
    representative (when one is registered) and a message in its /m inbox."""
    found = session.scalar(select(Notice).where(Notice.key == key[:120]))
    if found is not None:
        return found
    outbox_id = None
    reps = parties_service.legal_representatives_of(session, enterprise_id)
    if reps:
        mobile = parties_service.mobile_of(cipher, parties_service.get_person(session, reps[-1]))
        outbox_id = outbox.enqueue_sms(
            session, clock, cipher, mobile, SMS_TOPIC, body, {"kind": kind.value}
        ).id
    return record_notice(
        session, clock.now(), enterprise_id=enterprise_id, kind=kind, key=key, body=body,
        link=link, outbox_message_id=outbox_id,
    )  # fmt: skip


# days after the offer: the first notice, then reminders while the contract stays unsigned
CONTRACT_REMINDER_DAYS = (0, 3, 7)


def contract_reminders(session: Session, clock: Clock, cipher: FieldCipher, day: date) -> int:
    """The end of day's contract-to-sign notices (待签合同): a line approved and accepted but not
    signed gets a notice on its first evening, and reminders 3 and 7 days after the offer while
    it stays unsigned (each once: the key is the line and the day count). Returns how many were
    sent now."""
    sent = 0
    for line in lending_service.lines_awaiting_signature(session):
        waited = (day - line.offered_on).days
        due = [d for d in CONTRACT_REMINDER_DAYS if d <= waited]
        if not due or line.expiry_date < day:
            continue
        key = f"contract_to_sign:{line.line_id}:T+{due[-1]}"
        if session.scalar(select(Notice.id).where(Notice.key == key)) is not None:
            continue
        amount = format_fen(line.limit_fen)
        body = (
            f"【普惠】您的授信额度{amount}（{line.reference}）已获批，尚待签署借款合同，签署后即可用款。"
            f"请于{line.expiry_date:%Y-%m-%d}前在普惠App签署。"
        )
        send_notice(
            session, clock, cipher, enterprise_id=line.enterprise_id,
            kind=NoticeKind.CONTRACT_TO_SIGN, key=key, body=body,
            link=f"/m/lines/{line.line_id}",
        )  # fmt: skip
        sent += 1
    return sent


def record_notice(
    session: Session,
    now: datetime,
    *,
    enterprise_id: uuid.UUID,
    kind: NoticeKind,
    key: str,
    body: str,
    link: str | None = None,
    outbox_message_id: uuid.UUID | None = None,
) -> Notice:
    """Record a servicing notice whose SMS its producer already queued (collections
    reminders, through ``flows.notices``), with its message in the /m inbox; once per key."""
    found = session.scalar(select(Notice).where(Notice.key == key[:120]))
    if found is not None:
        return found
    message = InAppMessage(
        enterprise_id=enterprise_id, mobile_hash=None, kind="servicing", topic=kind.value,
        body=body[:1000], link=link, created_at=now, read_at=None,
    )  # fmt: skip
    session.add(message)
    session.flush()
    notice = Notice(
        key=key[:120], enterprise_id=enterprise_id, kind=kind.value, body=body[:1000],
        outbox_message_id=outbox_message_id, in_app_id=message.id, created_at=now,
    )  # fmt: skip
    session.add(notice)
    session.flush()
    audit.record(session, "engagement.notice", "engagement_notice", notice.id,
                 after={"kind": kind.value})  # fmt: skip
    return notice


def notices_of(session: Session, enterprise_id: uuid.UUID, limit: int = 50) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.enterprise_id == enterprise_id)
            .order_by(Notice.created_at.desc())
            .limit(limit)
        )
    )
