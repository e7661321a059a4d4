"""The outbox: messages written in the caller's transaction, sent by a channel after commit.

`enqueue_sms(...)` adds an `OutboxMessage` to the caller's unit of work: the recipient (a
mobile number) and the body (it may hold a one-time code) are encrypted with the data key, the
recipient is also kept masked and as the same keyed lookup hash as `parties_person.mobile_hash`.
The payload is plain JSON for routing and must never hold a secret.

`dispatch_pending(...)` runs after the commit (a response background task, and
`puhui outbox dispatch` from a scheduler every minute): it opens its own unit of work, takes
pending messages that are due (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), hands each to its
channel and records the outcome. Delivery is at least once: a crash between a send and the
commit sends again, so a gateway adapter passes the message id as its de-duplication key.

Retries: a channel's retryable error (gateway busy, timeout) leaves the message pending with its
next attempt after a growing pause (`RETRY_AFTER`: 30 s, 2 min, 10 min, 30 min, 2 h); after
`MAX_ATTEMPTS` it is failed. A message with an expiry (a one-time code's) is never sent after it:
it is failed as expired instead, since the code in it no longer works.

A channel is anything with a `name` and a `send(message)` method (`Channel`); the default
registry holds `SandboxSmsChannel`, which sends nothing to a phone: it keeps the messages it
"sent" in memory, labelled 沙箱 / sandbox, for demos and tests.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher, mask_mobile
from puhui.core.db import unit_of_work
from puhui.core.models import OutboxMessage

SMS = "sms"
PENDING = "pending"
SENT = "sent"
FAILED = "failed"

# Associated data of the encrypted columns (binds each ciphertext to its column).
RECIPIENT_FIELD = "outbox_recipient"
BODY_FIELD = "outbox_body"
# The recipient's lookup hash uses the people's mobile field, so messages to a person are found.
RECIPIENT_HASH_FIELD = "mobile"

RETRY_AFTER: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(RETRY_AFTER) + 1

SANDBOX_LABEL = "沙箱 sandbox"
SANDBOX_NOTE = "沙箱 sandbox：未发送真实短信 / no real SMS was sent"


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel receives: the clear recipient and body, decrypted just before sending."""

    id: uuid.UUID
    channel: str
    topic: str
    recipient: str
    recipient_masked: str
    body: str
    payload: Mapping[str, Any]

    def __repr__(self) -> str:  # never print the clear recipient or body
        return f"OutgoingMessage(id={self.id}, channel={self.channel}, topic={self.topic})"


@dataclass(frozen=True)
class Delivery:
    """A channel's answer: the provider's reference and a note kept on the outbox row."""

    provider_ref: str
    note: str | None = None


class ChannelError(Exception):
    """A channel could not send. `retryable` leaves the message pending for the next run."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@runtime_checkable
class Channel(Protocol):
    """A way out: SMS gateway, WeChat template message, outbound call. Adapters implement this."""

    name: str

    def send(self, message: OutgoingMessage) -> Delivery:
        """Deliver the message or raise ChannelError; use `message.id` to de-duplicate."""
        ...


ChannelRegistry = Mapping[str, Channel]


@dataclass(frozen=True)
class SandboxDelivery:
    """One message the sandbox "sent": visibly labelled, never reaching a phone."""

    label: str
    message_id: uuid.UUID
    topic: str
    recipient_masked: str
    recipient_hash: str
    body: str
    sent_at: datetime

    def __repr__(self) -> str:
        return (
            f"SandboxDelivery({self.label}, id={self.message_id}, topic={self.topic}, "
            f"to={self.recipient_masked})"
        )


@dataclass
class SandboxSmsChannel:
    """SMS channel of the sandbox: keeps the last `capacity` messages in memory, sends nothing.

    `inbox(...)` shows what a phone would have received (for demos and tests). The outbox row
    is marked sent with a note that says no real SMS was sent.
    """

    cipher: FieldCipher
    clock: Clock
    capacity: int = 1000
    name: str = SMS
    _sent: deque[SandboxDelivery] = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._sent = deque(maxlen=self.capacity)

    def send(self, message: OutgoingMessage) -> Delivery:
        delivery = SandboxDelivery(
            label=SANDBOX_LABEL,
            message_id=message.id,
            topic=message.topic,
            recipient_masked=message.recipient_masked,
            recipient_hash=self.cipher.lookup_hash(message.recipient, RECIPIENT_HASH_FIELD),
            body=f"【{SANDBOX_LABEL}】{message.body}",
            sent_at=self.clock.now(),
        )
        with self._lock:
            self._sent.append(delivery)
        return Delivery(provider_ref=f"sandbox:{message.id}", note=SANDBOX_NOTE)

    def inbox(self, mobile: str | None = None, topic: str | None = None) -> list[SandboxDelivery]:
        """Messages "sent", newest last; optionally to one mobile and of one topic."""
        wanted = self.cipher.lookup_hash(mobile, RECIPIENT_HASH_FIELD) if mobile else None
        with self._lock:
            items = list(self._sent)
        return [
            d
            for d in items
            if (wanted is None or d.recipient_hash == wanted)
            and (topic is None or d.topic == topic)
        ]


def sandbox_registry(cipher: FieldCipher, clock: Clock) -> dict[str, Channel]:
    """The default channels: the sandbox SMS channel (no real gateway is configured)."""
    return {SMS: SandboxSmsChannel(cipher=cipher, clock=clock)}


_registry_lock = threading.Lock()


def app_channels(app: Any, cipher: FieldCipher, clock: Clock) -> ChannelRegistry:
    """The channels of a running app (`app.state.outbox_channels`), the sandbox by default.

    A deployment with a real SMS gateway sets `app.state.outbox_channels` at start-up.
    """
    with _registry_lock:
        registry: ChannelRegistry | None = getattr(app.state, "outbox_channels", None)
        if registry is None:
            registry = sandbox_registry(cipher, clock)
            app.state.outbox_channels = registry
        return registry


def enqueue_sms(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    mobile: str,
    topic: str,
    body: str,
    payload: Mapping[str, Any] | None = None,
    *,
    expires_at: datetime | None = None,
) -> OutboxMessage:
    """Write an SMS to the outbox in the caller's transaction; it is sent after the commit.

    `expires_at`: when the message is no use any more (a one-time code's expiry); it is never
    sent after that."""
    if not mobile or not body:
        raise ValueError("an SMS needs a recipient and a body")
    row = OutboxMessage(
        channel=SMS,
        topic=topic,
        recipient_masked=mask_mobile(mobile),
        recipient_hash=cipher.lookup_hash(mobile, RECIPIENT_HASH_FIELD),
        recipient_enc=cipher.encrypt(mobile, RECIPIENT_FIELD),
        body_enc=cipher.encrypt(body, BODY_FIELD),
        payload=dict(payload or {}),
        created_at=clock.now(),
        status=PENDING,
        attempts=0,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def read_body(cipher: FieldCipher, row: OutboxMessage) -> str:
    """The clear body of an outbox message (for the sandbox inbox and tests, never for display)."""
    return cipher.decrypt(row.body_enc, BODY_FIELD)


def read_recipient(cipher: FieldCipher, row: OutboxMessage) -> str:
    return cipher.decrypt(row.recipient_enc, RECIPIENT_FIELD)


def get_message(session: Session, message_id: uuid.UUID) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    expired: int = 0
    message_ids: list[uuid.UUID] = field(default_factory=list)


def due(now: datetime) -> ColumnElement[bool]:
    """The messages a dispatch at `now` takes: pending, and past their pause after a retry."""
    return and_(
        OutboxMessage.status == PENDING,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def _mark_failed(row: OutboxMessage, note: str) -> None:
    row.status = FAILED
    row.note = note[:500]


def dispatch_pending(
    session_factory: sessionmaker[Session],
    channel_registry: ChannelRegistry,
    *,
    cipher: FieldCipher,
    clock: Clock,
    limit: int = 100,
    message_ids: list[uuid.UUID] | None = None,
) -> DispatchReport:
    """Send up to `limit` pending messages that are due (optionally only `message_ids`) in one
    unit of work; see the module's docstring for retries and expiry."""
    report = DispatchReport()
    now = clock.now()
    with unit_of_work(session_factory) as session:
        query = (
            select(OutboxMessage)
            .where(due(now))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if message_ids is not None:
            if not message_ids:
                return report
            query = query.where(OutboxMessage.id.in_(message_ids))
        for row in session.scalars(query).all():
            report.message_ids.append(row.id)
            if row.expires_at is not None and row.expires_at <= now:
                _mark_failed(row, f"expired at {row.expires_at.isoformat()} before it was sent")
                report.expired += 1
                continue
            channel = channel_registry.get(row.channel)
            if channel is None:
                _mark_failed(row, f"no channel named {row.channel!r} is configured")
                report.failed += 1
                continue
            try:
                message = OutgoingMessage(
                    id=row.id,
                    channel=row.channel,
                    topic=row.topic,
                    recipient=read_recipient(cipher, row),
                    recipient_masked=row.recipient_masked,
                    body=read_body(cipher, row),
                    payload=dict(row.payload),
                )
                row.attempts += 1
                delivery = channel.send(message)
            except ChannelError as exc:
                if exc.retryable and row.attempts < MAX_ATTEMPTS:
                    row.next_attempt_at = now + RETRY_AFTER[row.attempts - 1]
                    row.note = f"retry {row.attempts}/{MAX_ATTEMPTS}: {exc}"[:500]
                    report.retry += 1
                elif exc.retryable:
                    _mark_failed(row, f"gave up after {row.attempts} attempts: {exc}")
                    report.failed += 1
                else:
                    _mark_failed(row, str(exc))
                    report.failed += 1
                continue
            except Exception as exc:  # one broken message must not block the others
                _mark_failed(row, f"{type(exc).__name__}: {exc}")
                report.failed += 1
                continue
            row.status = SENT
            row.sent_at = clock.now()
            row.note = (delivery.provider_ref + (f"; {delivery.note}" if delivery.note else ""))[
                :500
            ]
            report.sent += 1
    return report
