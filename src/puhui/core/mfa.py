"""The staff second factor: TOTP (RFC 6238, pyotp) and single-use recovery codes.

Enrolment offers a fresh secret (kept encrypted as *pending* with the data key's `FieldCipher`),
shown as a QR code and as text; the first correct code confirms it, and ten recovery codes are
shown once — only their argon2 hashes are stored, each usable once. A TOTP code is accepted one
30-second step either side of the server's time, and never twice (`totp_last_step`): a code seen
over a shoulder cannot be replayed.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError
from puhui.core.models import RecoveryCode, User

ISSUER = "Puhui 普惠"
STEP_SECONDS = 30
RECOVERY_CODES = 10
_SECRET_FIELD = "core_user.totp_secret"
# Recovery codes are random (about 49 bits), not chosen by people: argon2id at OWASP's minimum
# (19 MiB, 2 passes) is ample and hashes ten codes in 0.2 s instead of 1.7 s with the defaults.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class SecondFactorRequired(DomainError):
    code = "second_factor_required"
    status = 401
    title_zh = "需要第二重验证"
    title_en = "Second factor required"
    message_zh = "请同时提供身份验证器 App 中的 6 位动态码（或一个恢复码）。"
    message_en = "Send the 6-digit code of your authenticator app (or a recovery code) as well."


class InvalidSecondFactor(DomainError):
    code = "invalid_second_factor"
    status = 401
    title_zh = "动态码错误"
    title_en = "Wrong code"
    message_zh = "动态码或恢复码不正确，或已使用过。"
    message_en = "The code or recovery code is wrong or was already used."


class EnrolmentRequired(DomainError):
    code = "second_factor_enrolment_required"
    status = 403
    title_zh = "尚未绑定身份验证器"
    title_en = "Second factor not enrolled"
    message_zh = "员工账号须先在控制台登录并绑定身份验证器，才能获取 API 令牌。"
    message_en = "Staff must enrol an authenticator in the console before requesting API tokens."


def is_enrolled(user: User) -> bool:
    return user.totp_secret_enc is not None


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def current_code(secret: str, at: datetime) -> str:
    """The code an authenticator shows at `at` (tests, the demo's helper command)."""
    return pyotp.TOTP(secret).at(at)


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def begin_enrolment(session: Session, cipher: FieldCipher, user: User) -> str:
    """A new secret offered to the user (kept pending until a first code confirms it)."""
    secret = pyotp.random_base32()
    user.totp_pending_enc = cipher.encrypt(secret, _SECRET_FIELD)
    session.flush()
    return secret


def pending_secret(cipher: FieldCipher, user: User) -> str | None:
    if user.totp_pending_enc is None:
        return None
    return cipher.decrypt(user.totp_pending_enc, _SECRET_FIELD)


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    here = _step(now)
    for step in (here, here - 1, here + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(
    session: Session, clock: Clock, cipher: FieldCipher, user: User, code: str
) -> list[str]:
    """Confirm the pending secret with a first code; returns the recovery codes (shown once)."""
    secret = pending_secret(cipher, user)
    step = _matching_step(secret, code, clock.now(), None) if secret else None
    if secret is None or step is None:
        raise InvalidSecondFactor(field="code")
    user.totp_secret_enc = cipher.encrypt(secret, _SECRET_FIELD)
    user.totp_pending_enc = None
    user.totp_enrolled_at = clock.now()
    user.totp_last_step = step
    codes = replace_recovery_codes(session, clock, user)
    audit.record(session, "auth.mfa_enrol", "user", user.id, after={"factor": "totp"})
    return codes


def enrol_with_secret(
    session: Session, clock: Clock, cipher: FieldCipher, user: User, secret: str
) -> None:
    """Enrol a known secret at once (the demo's pre-enrolled staff, tests' fixtures); recovery
    codes are made on the security page when wanted."""
    user.totp_secret_enc = cipher.encrypt(secret, _SECRET_FIELD)
    user.totp_pending_enc = None
    user.totp_enrolled_at = clock.now()
    session.flush()
    audit.record(session, "auth.mfa_enrol", "user", user.id, after={"factor": "totp"})


def enrolled_secret(cipher: FieldCipher, user: User) -> str | None:
    if user.totp_secret_enc is None:
        return None
    return cipher.decrypt(user.totp_secret_enc, _SECRET_FIELD)


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def replace_recovery_codes(session: Session, clock: Clock, user: User) -> list[str]:
    """Ten fresh recovery codes (about 49 bits each); the old ones stop working."""
    now = clock.now()
    for old in session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        old.used_at = now
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_hasher.hash(code), created_at=now)
        for code in codes
    )
    session.flush()
    return codes


def _use_recovery_code(session: Session, clock: Clock, user: User, code: str) -> bool:
    given = code.strip().lower()
    if len(given) != 11 or given[5] != "-":
        return False
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for row in unused:
        try:
            _hasher.verify(row.code_hash, given)
        except (VerificationError, InvalidHashError):
            continue
        row.used_at = clock.now()
        audit.record(session, "auth.recovery_code_used", "user", user.id)
        return True
    return False


def unused_recovery_codes(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def check_second_factor(
    session: Session, clock: Clock, cipher: FieldCipher, user: User, code: str
) -> bool:
    """A TOTP code (each step once) or an unused recovery code of an enrolled user."""
    secret = enrolled_secret(cipher, user)
    if secret is None:
        return False
    step = _matching_step(secret, code, clock.now(), user.totp_last_step)
    if step is not None:
        # compare-and-set: of two requests racing with the same code, one moves the step on
        # (the other waits for its row lock, then finds the step taken)
        moved = session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .returning(User.id)
        ).first()
        return moved is not None
    return _use_recovery_code(session, clock, user, code)


def reset(session: Session, clock: Clock, user: User) -> None:
    """Forget a user's second factor (lost phone and codes: an administrator's act from the
    command line); the next login enrols again."""
    user.totp_secret_enc = None
    user.totp_pending_enc = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, "auth.mfa_reset", "user", user.id)
