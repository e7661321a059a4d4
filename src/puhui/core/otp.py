"""One-time codes (OTP, 短信验证码): 6 digits, keyed hash only, 5 minutes, 5 attempts, single use.

A code is bound to a *purpose* (``"contract.sign"``) and a *subject* (the contract's id): it
verifies only for that pair. Issuing a new code for the same pair supersedes the older one.
Only an HMAC-SHA256 of the code, keyed with the data key's lookup sub-key and salted with the
row id, purpose and subject, is stored — a 6-digit code is too small a space for a plain hash.
The subject itself (a mobile number for sign-in codes) is stored only as a keyed hash too
(`subject_key`: HMAC-SHA256 with the same sub-key, bound to the purpose), never in clear, and the
audit events carry that hash (issue 15, finding 5).

The code is sent by the caller through the outbox's SMS channel (`core/sms.py`: an HTTP gateway,
or the sandbox in development/demo/test only).

A wrong code counts an attempt through a side unit of work (``record_despite_failure``): the
refusal which follows rolls the request back and the count (and its audit event) stays.
Nothing here commits.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.db import record_despite_failure
from puhui.core.errors import DomainError
from puhui.core.i18n import Lang
from puhui.core.ids import new_id
from puhui.core.models import OneTimeCode

CODE_DIGITS = 6
DEFAULT_TTL = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 5
# A new code for the same purpose and subject is refused within this interval (SMS flooding).
RESEND_INTERVAL = timedelta(seconds=60)


class OtpWrong(DomainError):
    code = "otp_wrong"
    status = 400
    title_zh = "验证码错误"
    title_en = "Wrong code"
    message_zh = "验证码错误，还可尝试 {remaining} 次。"
    message_en = "The code is wrong; {remaining} attempts left."

    def problem(self, lang: Lang, instance: str | None = None) -> dict[str, Any]:
        body = super().problem(lang, instance)
        body["remaining_attempts"] = self.params.get("remaining")
        return body


class OtpExpired(DomainError):
    code = "otp_expired"
    status = 400
    title_zh = "验证码已过期"
    title_en = "Code expired"
    message_zh = "验证码已过期，请重新获取。"
    message_en = "The code has expired; request a new one."


class OtpUsed(DomainError):
    code = "otp_used"
    status = 409
    title_zh = "验证码已使用"
    title_en = "Code already used"
    message_zh = "验证码已使用，不能重复使用；如需再次操作请重新获取。"
    message_en = "The code was already used and cannot be used again; request a new one."


class OtpLocked(DomainError):
    code = "otp_locked"
    status = 429
    title_zh = "验证码错误次数过多"
    title_en = "Too many wrong codes"
    message_zh = "验证码错误次数过多，该验证码已失效，请重新获取。"
    message_en = "Too many wrong attempts; this code is no longer valid. Request a new one."


class OtpMissing(DomainError):
    code = "otp_missing"
    status = 409
    title_zh = "没有待验证的验证码"
    title_en = "No code was sent"
    message_zh = "尚未发送验证码，请先获取验证码。"
    message_en = "No code has been sent yet; request a code first."


class OtpTooSoon(DomainError):
    code = "otp_too_soon"
    status = 429
    title_zh = "获取验证码过于频繁"
    title_en = "Code requested too often"
    message_zh = "验证码发送过于频繁，请 {seconds} 秒后再试。"
    message_en = "A code was sent moments ago; try again in {seconds} seconds."


OTP_ERRORS: tuple[type[DomainError], ...] = (
    OtpWrong,
    OtpExpired,
    OtpUsed,
    OtpLocked,
    OtpMissing,
    OtpTooSoon,
)


@dataclass(frozen=True)
class IssuedCode:
    """A fresh code: send `code` to the person, never store or log it."""

    otp_id: uuid.UUID
    code: str
    expires_at: datetime
    row: OneTimeCode

    def __repr__(self) -> str:  # keeps the clear code out of logs and tracebacks
        return f"IssuedCode(otp_id={self.otp_id}, expires_at={self.expires_at.isoformat()})"


def _code_hash(
    cipher: FieldCipher, otp_id: uuid.UUID, purpose: str, subject: str, code: str
) -> str:
    return cipher.lookup_hash(f"{otp_id}|{purpose}|{subject}|{code}", "otp")


def subject_key(cipher: FieldCipher, purpose: str, subject: str) -> str:
    """The stored form of a code's subject: a keyed hash (HMAC-SHA256), bound to the purpose."""
    return cipher.lookup_hash(f"{purpose}|{subject}", "otp_subject")


def generate_code(digits: int = CODE_DIGITS) -> str:
    """A uniformly random decimal code from the OS's CSPRNG (leading zeros kept)."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def _live(session: Session, purpose: str, subject_hash: str) -> list[OneTimeCode]:
    return list(
        session.scalars(
            select(OneTimeCode)
            .where(
                OneTimeCode.purpose == purpose,
                OneTimeCode.subject == subject_hash,
                OneTimeCode.consumed_at.is_(None),
                OneTimeCode.superseded_at.is_(None),
            )
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .with_for_update()
        )
    )


def issue(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    purpose: str,
    subject: str,
    ttl: timedelta = DEFAULT_TTL,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    resend_interval: timedelta = RESEND_INTERVAL,
) -> IssuedCode:
    """Create a code for (purpose, subject), superseding any earlier live one."""
    now = clock.now()
    stored_subject = subject_key(cipher, purpose, subject)
    previous = _live(session, purpose, stored_subject)
    if previous and resend_interval and now - previous[0].created_at < resend_interval:
        wait = resend_interval - (now - previous[0].created_at)
        raise OtpTooSoon(seconds=max(1, int(wait.total_seconds())))
    for row in previous:
        row.superseded_at = now
    code = generate_code()
    otp_id = new_id()
    row = OneTimeCode(
        id=otp_id,
        purpose=purpose,
        subject=stored_subject,
        code_hash=_code_hash(cipher, otp_id, purpose, subject, code),
        created_at=now,
        expires_at=now + ttl,
        attempts=0,
        max_attempts=max_attempts,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "otp.issue",
        "otp",
        otp_id,
        after={
            "purpose": purpose,
            "subject": stored_subject,
            "expires_at": row.expires_at,
            "superseded": [str(p.id) for p in previous],
        },
    )
    return IssuedCode(otp_id=otp_id, code=code, expires_at=row.expires_at, row=row)


def attach_message(row: OneTimeCode, message_id: uuid.UUID) -> None:
    """Remember which outbox message carried the code."""
    row.message_id = message_id


def verify(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    purpose: str,
    subject: str,
    code: str,
) -> OneTimeCode:
    """Check and consume the live code for (purpose, subject); return its row.

    Raises OtpMissing (none sent), OtpUsed (the latest was consumed), OtpExpired, OtpLocked
    (too many wrong attempts) or OtpWrong (with the remaining attempts).
    """
    now = clock.now()
    stored_subject = subject_key(cipher, purpose, subject)
    live = _live(session, purpose, stored_subject)
    if not live:
        latest = session.scalar(
            select(OneTimeCode)
            .where(OneTimeCode.purpose == purpose, OneTimeCode.subject == stored_subject)
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .limit(1)
        )
        if latest is not None and latest.consumed_at is not None:
            raise OtpUsed(field="code")
        raise OtpMissing(field="code")
    row = live[0]
    if now >= row.expires_at:
        raise OtpExpired(field="code")
    if row.attempts >= row.max_attempts:
        raise OtpLocked(field="code")
    candidate = code.strip()
    expected = row.code_hash
    given = _code_hash(cipher, row.id, purpose, subject, candidate)
    if not (candidate.isdigit() and len(candidate) == CODE_DIGITS) or not hmac.compare_digest(
        expected, given
    ):
        remaining = row.max_attempts - (row.attempts + 1)
        # Counted beside the request, which the refusal below rolls back (see core.db).
        otp_id = row.id
        record_despite_failure(
            session, lambda side: _count_wrong_attempt(side, otp_id, purpose, stored_subject)
        )
        if remaining <= 0:
            raise OtpLocked(field="code")
        raise OtpWrong(field="code", remaining=remaining)
    row.consumed_at = now
    session.flush()
    audit.record(
        session,
        "otp.verify",
        "otp",
        row.id,
        after={"purpose": purpose, "subject": stored_subject, "attempts": row.attempts + 1},
    )
    return row


def _count_wrong_attempt(
    session: Session, otp_id: uuid.UUID, purpose: str, subject_hash: str
) -> None:
    """One more wrong attempt on the code, counted in the database (concurrent wrong attempts
    all count), with its audit event."""
    attempts = session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == otp_id)
        .values(attempts=OneTimeCode.attempts + 1)
        .returning(OneTimeCode.attempts)
    ).scalar_one()
    audit.record(
        session,
        "otp.verify_failed",
        "otp",
        otp_id,
        after={"purpose": purpose, "subject": subject_hash, "attempts": attempts},
    )


def invalidate(
    session: Session, clock: Clock, cipher: FieldCipher, *, purpose: str, subject: str
) -> int:
    """Supersede every live code for (purpose, subject) (e.g. the contract was cancelled)."""
    rows = _live(session, purpose, subject_key(cipher, purpose, subject))
    for row in rows:
        row.superseded_at = clock.now()
    if rows:
        session.flush()
    return len(rows)
