"""One-time codes: keyed hash only, 5-minute expiry, 5 attempts, single use, purpose-bound.

Runs on an in-memory SQLite holding only the OTP and audit tables (no migrations needed for a
unit test).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from puhui.core import otp
from puhui.core.clock import FixedClock
from puhui.core.crypto import FieldCipher
from puhui.core.db import Outcome, end_unit_of_work, roll_back
from puhui.core.models import AuditCheckpoint, AuditEvent, OneTimeCode

CIPHER = FieldCipher.from_master(b"o" * 32)
PURPOSE = "contract.sign"
SUBJECT = "0192f0c4-0000-7000-8000-000000000001"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    OneTimeCode.__table__.create(engine)  # type: ignore[attr-defined]
    AuditEvent.__table__.create(engine)  # type: ignore[attr-defined]
    AuditCheckpoint.__table__.create(engine)  # type: ignore[attr-defined]
    with Session(engine) as session:
        yield session
    engine.dispose()


def _issue(db: Session, clock: FixedClock, **kw: str) -> otp.IssuedCode:
    return otp.issue(
        db,
        clock,
        CIPHER,
        purpose=kw.get("purpose", PURPOSE),
        subject=kw.get("subject", SUBJECT),
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_code_is_six_digits_and_only_a_keyed_hash_is_stored(db: Session, clock: FixedClock) -> None:
    issued = _issue(db, clock)
    assert re.fullmatch(r"\d{6}", issued.code)
    assert issued.code not in repr(issued)
    assert issued.expires_at == clock.now() + timedelta(minutes=5)
    db.flush()
    values = [str(v) for row in db.execute(text("SELECT * FROM core_otp")) for v in row]
    assert issued.code not in values  # no column holds the code
    row = db.get(OneTimeCode, issued.otp_id)
    assert row is not None and re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    # The hash is keyed and salted with the row: another key or another row gives another hash.
    other_key = FieldCipher.from_master(b"p" * 32)
    assert otp._code_hash(other_key, row.id, PURPOSE, SUBJECT, issued.code) != row.code_hash
    import hashlib

    assert hashlib.sha256(issued.code.encode()).hexdigest() != row.code_hash


def test_codes_keep_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(otp.secrets, "randbelow", lambda n: 42)
    assert otp.generate_code() == "000042"


def test_codes_are_spread_over_the_whole_range() -> None:
    codes = {otp.generate_code() for _ in range(2000)}
    assert len(codes) > 1900
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_right_code_once_then_reuse_refused(db: Session, clock: FixedClock) -> None:
    issued = _issue(db, clock)
    row = otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)
    assert row.id == issued.otp_id and row.consumed_at == clock.now()
    with pytest.raises(otp.OtpUsed):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)


def test_expiry_follows_the_clock(db: Session, clock: FixedClock) -> None:
    issued = _issue(db, clock)
    clock.advance(timedelta(minutes=4, seconds=59))
    otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)

    clock.advance(timedelta(minutes=1))
    late = _issue(db, clock)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(otp.OtpExpired) as err:
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=late.code)
    assert "过期" in err.value.message("zh") and "expired" in err.value.message("en")


def test_five_wrong_attempts_lock_the_code(db: Session, clock: FixedClock) -> None:
    issued = _issue(db, clock)
    db.commit()
    for left in (4, 3, 2, 1):
        with pytest.raises(otp.OtpWrong) as err:
            otp.verify(
                db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=_wrong(issued.code)
            )
        assert err.value.params["remaining"] == left
        assert f"还可尝试 {left} 次" in err.value.message("zh")
        assert f"{left} attempts left" in err.value.message("en")
        assert err.value.problem("zh")["remaining_attempts"] == left
        # The attempt survives the failing request's rollback.
        roll_back(db)
    with pytest.raises(otp.OtpLocked):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=_wrong(issued.code))
    roll_back(db)
    with pytest.raises(otp.OtpLocked):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)
    row = db.get(OneTimeCode, issued.otp_id)
    assert row is not None and row.attempts == 5 and row.consumed_at is None
    failed = db.scalars(select(AuditEvent).where(AuditEvent.action == "otp.verify_failed")).all()
    assert [e.after["attempts"] for e in failed if e.after] == [1, 2, 3, 4, 5]


def test_a_wrong_code_is_counted_only_by_the_side_unit_of_work(
    db: Session, clock: FixedClock
) -> None:
    """Nothing of the refused request itself is kept: the count is written after its rollback,
    once, in a transaction of its own — also when the caller went on and committed."""
    issued = _issue(db, clock)
    db.commit()
    with pytest.raises(otp.OtpWrong):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=_wrong(issued.code))
    row = db.get(OneTimeCode, issued.otp_id)
    assert row is not None and row.attempts == 0  # not in the request's transaction
    end_unit_of_work(db, Outcome.COMMIT)  # a caller that caught the refusal and committed
    row = db.get(OneTimeCode, issued.otp_id)
    assert row is not None and row.attempts == 1


def test_malformed_code_counts_as_wrong(db: Session, clock: FixedClock) -> None:
    _issue(db, clock)
    for bad in ("12345", "abcdef", "1234567", ""):
        with pytest.raises(otp.OtpWrong):
            otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=bad)


def test_purpose_and_subject_bound(db: Session, clock: FixedClock) -> None:
    issued = _issue(db, clock)
    with pytest.raises(otp.OtpMissing):
        otp.verify(db, clock, CIPHER, purpose="drawdown.confirm", subject=SUBJECT, code=issued.code)
    with pytest.raises(otp.OtpMissing):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject="another", code=issued.code)
    # A code issued for another subject does not open this one either.
    other = _issue(db, clock, subject="another")
    if other.code != issued.code:
        with pytest.raises(otp.OtpWrong):
            otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=other.code)
    otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)


def test_new_code_supersedes_the_old_and_resend_is_throttled(
    db: Session, clock: FixedClock
) -> None:
    first = _issue(db, clock)
    with pytest.raises(otp.OtpTooSoon) as err:
        _issue(db, clock)
    assert err.value.params["seconds"] == 60
    clock.advance(timedelta(seconds=61))
    second = _issue(db, clock)
    row = db.get(OneTimeCode, first.otp_id)
    assert row is not None and row.superseded_at == clock.now()
    if first.code != second.code:
        with pytest.raises(otp.OtpWrong):
            otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=first.code)
    otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=second.code)


def test_nothing_sent_and_invalidate(db: Session, clock: FixedClock) -> None:
    with pytest.raises(otp.OtpMissing):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code="123456")
    issued = _issue(db, clock)
    assert otp.invalidate(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT) == 1
    with pytest.raises(otp.OtpMissing):
        otp.verify(db, clock, CIPHER, purpose=PURPOSE, subject=SUBJECT, code=issued.code)
