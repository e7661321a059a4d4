"""The outbox: written in the caller's transaction, encrypted at rest, dispatched after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from puhui.core import outbox
from puhui.core.clock import FixedClock
from puhui.core.models import OutboxMessage
from puhui.core.runtime import Runtime

MOBILE = "13712345678"
BODY = "【普惠】验证码 482913，5 分钟内有效。"


@dataclass
class FlakyChannel:
    """A stand-in gateway: fails a given number of times (retryable or not), then sends."""

    failures: int = 0
    retryable: bool = True
    name: str = "sms"
    seen: list[outbox.OutgoingMessage] = field(default_factory=list)

    def send(self, message: outbox.OutgoingMessage) -> outbox.Delivery:
        self.seen.append(message)
        if self.failures:
            self.failures -= 1
            raise outbox.ChannelError("gateway busy", retryable=self.retryable)
        return outbox.Delivery(provider_ref=f"gw:{message.id}")


def _enqueue(session: Session, runtime: Runtime, topic: str = "test.otp") -> uuid.UUID:
    row = outbox.enqueue_sms(
        session, runtime.clock, runtime.cipher, MOBILE, topic, BODY, {"k": "v"}
    )
    session.commit()
    return row.id


def test_enqueue_encrypts_and_nothing_is_sent_before_dispatch(
    session: Session, runtime: Runtime
) -> None:
    message_id = _enqueue(session, runtime)
    row = session.get(OutboxMessage, message_id)
    assert row is not None and row.status == "pending" and row.sent_at is None
    assert row.recipient_masked == "137****5678"
    assert row.recipient_hash == runtime.cipher.lookup_hash(MOBILE, "mobile")
    rows = session.execute(text("SELECT * FROM core_outbox")).all()
    assert rows
    dump = " ".join(
        bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
        for raw in rows
        for v in raw
    )
    assert MOBILE not in dump and "482913" not in dump and "验证码" not in dump
    assert outbox.read_body(runtime.cipher, row) == BODY
    assert outbox.read_recipient(runtime.cipher, row) == MOBILE


def test_dispatch_through_the_sandbox(session: Session, runtime: Runtime) -> None:
    message_id = _enqueue(session, runtime)
    channels = outbox.sandbox_registry(runtime.cipher, runtime.clock)
    report = outbox.dispatch_pending(
        runtime.session_factory,
        channels,
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[message_id],
    )
    assert report.sent == 1 and report.message_ids == [message_id]
    session.expire_all()
    row = session.get(OutboxMessage, message_id)
    assert row is not None and row.status == "sent" and row.sent_at == runtime.clock.now()
    assert row.note is not None and "沙箱" in row.note and "no real SMS" in row.note
    sandbox = channels["sms"]
    assert isinstance(sandbox, outbox.SandboxSmsChannel)
    [delivered] = sandbox.inbox(mobile=MOBILE)
    assert delivered.label == "沙箱 sandbox" and delivered.body == "【沙箱 sandbox】" + BODY
    assert delivered.recipient_masked == "137****5678"
    assert MOBILE not in repr(delivered) and "482913" not in repr(delivered)
    assert sandbox.inbox(mobile="13700000000") == []
    # A second run finds nothing left to send.
    again = outbox.dispatch_pending(
        runtime.session_factory,
        channels,
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[message_id],
    )
    assert again.sent == 0


def test_retryable_failure_stays_pending_permanent_failure_is_recorded(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    first = _enqueue(session, runtime)
    flaky = FlakyChannel(failures=1, retryable=True)
    report = outbox.dispatch_pending(
        runtime.session_factory,
        {"sms": flaky},
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[first],
    )
    assert report.retry == 1 and report.sent == 0
    session.expire_all()
    row = session.get(OutboxMessage, first)
    assert row is not None and row.status == "pending" and "gateway busy" in (row.note or "")
    assert flaky.seen[0].recipient == MOBILE and flaky.seen[0].body == BODY
    assert MOBILE not in repr(flaky.seen[0])
    assert row.attempts == 1 and row.next_attempt_at == runtime.clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=30))
    report = outbox.dispatch_pending(
        runtime.session_factory,
        {"sms": flaky},
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[first],
    )
    assert report.sent == 1
    session.expire_all()
    row = session.get(OutboxMessage, first)
    assert row is not None and row.status == "sent" and row.note == f"gw:{first}"

    second = _enqueue(session, runtime)
    broken = FlakyChannel(failures=1, retryable=False)
    outbox.dispatch_pending(
        runtime.session_factory,
        {"sms": broken},
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[second],
    )
    session.expire_all()
    row = session.get(OutboxMessage, second)
    assert row is not None and row.status == "failed"

    third = _enqueue(session, runtime)
    report = outbox.dispatch_pending(
        runtime.session_factory, {}, cipher=runtime.cipher, clock=runtime.clock, message_ids=[third]
    )
    assert report.failed == 1
    session.expire_all()
    row = session.get(OutboxMessage, third)
    assert row is not None and row.status == "failed" and "no channel" in (row.note or "")


def test_the_sandbox_is_a_channel(runtime: Runtime) -> None:
    sandbox = outbox.SandboxSmsChannel(cipher=runtime.cipher, clock=runtime.clock)
    assert isinstance(sandbox, outbox.Channel) and sandbox.name == outbox.SMS


def _dispatch(runtime: Runtime, channel: FlakyChannel) -> outbox.DispatchReport:
    return outbox.dispatch_pending(
        runtime.session_factory, {"sms": channel}, cipher=runtime.cipher, clock=runtime.clock
    )


def _row(session: Session, message_id: uuid.UUID) -> OutboxMessage:
    session.expire_all()
    row = session.get(OutboxMessage, message_id)
    assert row is not None
    return row


def test_retries_wait_longer_each_time_then_give_up(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    message_id = _enqueue(session, runtime)
    busy = FlakyChannel(failures=100, retryable=True)
    for attempt, pause in enumerate(outbox.RETRY_AFTER, start=1):
        assert _dispatch(runtime, busy).retry == 1
        row = _row(session, message_id)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.next_attempt_at == clock.now() + pause
        # not due yet: a run before the pause is over does not try again
        clock.advance(pause - timedelta(seconds=1))
        assert _dispatch(runtime, busy) == outbox.DispatchReport()
        assert len(busy.seen) == attempt
        clock.advance(timedelta(seconds=1))
    report = _dispatch(runtime, busy)  # the last attempt
    assert report.failed == 1 and len(busy.seen) == outbox.MAX_ATTEMPTS
    row = _row(session, message_id)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    assert f"gave up after {outbox.MAX_ATTEMPTS} attempts" in (row.note or "")
    assert _dispatch(runtime, busy) == outbox.DispatchReport()  # failed stays failed


def test_an_expired_code_is_never_sent(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    row = outbox.enqueue_sms(
        session,
        clock,
        runtime.cipher,
        MOBILE,
        "test.otp",
        BODY,
        expires_at=clock.now() + timedelta(minutes=5),
    )
    session.commit()
    busy = FlakyChannel(failures=1, retryable=True)
    assert _dispatch(runtime, busy).retry == 1  # the gateway is busy when it is first sent
    clock.advance(timedelta(minutes=5))  # the code has expired
    report = _dispatch(runtime, busy)
    assert (report.expired, report.sent) == (1, 0) and len(busy.seen) == 1
    failed = _row(session, row.id)
    assert failed.status == "failed" and "expired" in (failed.note or "")


def test_the_dispatch_command_sends_what_is_due(
    session: Session,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from typer.testing import CliRunner

    from puhui import cli
    from puhui.core.config import get_settings

    first, second = _enqueue(session, runtime), _enqueue(session, runtime)
    _row(session, second).next_attempt_at = runtime.clock.now() + timedelta(minutes=1)
    session.commit()
    monkeypatch.setattr(cli, "_runtime", lambda: runtime)
    # the command group checks that the configured database exists before it runs
    monkeypatch.setenv("PUHUI_DATABASE_URL", runtime.settings.database_url)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    status = CliRunner().invoke(cli.app, ["outbox", "status"])
    assert status.exit_code == 0 and "due now: 1" in status.output
    result = CliRunner().invoke(cli.app, ["outbox", "dispatch"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and "沙箱" in result.output
    assert (_row(session, first).status, _row(session, second).status) == ("sent", "pending")
