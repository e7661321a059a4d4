"""Identity and access: argon2 passwords, bearer tokens, server-side sessions, role guards,
throttling without lock-out.

Every HTTP endpoint declares the roles it admits with `require(...)` (API) or
`require_page(...)` (console pages), or is declared public with `public()`. A test walks every
registered route and proves that unauthenticated and wrong-role calls are refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from puhui.core import audit, mfa
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.db import record_despite_failure
from puhui.core.errors import (
    DomainError,
    Forbidden,
    InvalidCredentials,
    NotAuthenticated,
)
from puhui.core.models import (
    STAFF_ROLES,
    ApiToken,
    LoginAttempt,
    Role,
    User,
    UserEnterprise,
    UserSession,
)
from puhui.core.throttle import AttemptCounts, ThrottlePolicy, Verdict, judge

_hasher = PasswordHasher()
KNOWN_ADDRESS_DAYS = 30  # an address the account succeeded from this recently is not challenged
_DUMMY_HASH = _hasher.hash("puhui-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role
    enterprise_ids: frozenset[uuid.UUID]
    branch: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can_act_for(self, enterprise_id: uuid.UUID) -> bool:
        return self.is_staff or enterprise_id in self.enterprise_ids


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        enterprise_ids=frozenset(link.enterprise_id for link in user.enterprises),
        branch=user.branch,
    )


class PasswordTooWeak(DomainError):
    code = "password_too_weak"
    status = 422
    title_zh = "密码强度不足"
    title_en = "Password too weak"
    message_zh = "密码至少 10 位，且须同时包含字母和数字。"
    message_en = "A password needs at least 10 characters with both letters and digits."


class UsernameTaken(DomainError):
    code = "username_taken"
    status = 409
    title_zh = "用户名已存在"
    title_en = "Username taken"
    message_zh = "用户名 {username} 已被使用。"
    message_en = "The username {username} is already taken."


def check_password_strength(password: str) -> None:
    if len(password) < 10 or password.isdigit() or password.isalpha():
        raise PasswordTooWeak(field="password")


def create_user(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    branch: str | None = None,
    enterprise_ids: Iterable[uuid.UUID] = (),
) -> User:
    check_password_strength(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(field="username", username=username)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password),
        branch=branch,
        is_active=True,
        created_at=clock.now(),
    )
    for enterprise_id in enterprise_ids:
        user.enterprises.append(UserEnterprise(enterprise_id=enterprise_id))
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user.create",
        "user",
        user.id,
        after={"username": username, "role": role.value, "branch": branch},
    )
    return user


def link_enterprise(session: Session, user: User, enterprise_id: uuid.UUID) -> None:
    if any(link.enterprise_id == enterprise_id for link in user.enterprises):
        return
    user.enterprises.append(UserEnterprise(enterprise_id=enterprise_id))
    session.flush()
    audit.record(
        session,
        "user.link_enterprise",
        "user",
        user.id,
        after={"enterprise_id": str(enterprise_id)},
    )


# --- throttling (see core/throttle.py for the rule) ----------------------------------------


class LoginDelayed(DomainError):
    code = "too_many_attempts"
    status = 429
    title_zh = "尝试过于频繁"
    title_en = "Too many attempts"
    message_zh = "失败次数过多，请 {seconds} 秒后再试。"
    message_en = "Too many failed attempts; try again in {seconds} seconds."

    @property
    def retry_after(self) -> int:
        return int(self.params.get("seconds", 1))


class SignInByCodeRequired(DomainError):
    code = "sign_in_by_code_required"
    status = 401
    title_zh = "请用短信验证码登录"
    title_en = "Sign in with an SMS code"
    message_zh = "该账号近期多次登录失败，请在 /m/start 用短信验证码登录。"
    message_en = "This account saw many failed logins; sign in with an SMS code at /m/start."


def throttle_policy(max_failures: int) -> ThrottlePolicy:
    return ThrottlePolicy(challenge_after=max_failures)


def _attempt_counts(
    session: Session, username: str, ip: str, since: datetime, now: datetime
) -> AttemptCounts:
    a = LoginAttempt
    pair = (a.username == username, a.ip == ip)
    pair_ok = session.scalar(select(func.max(a.attempted_at)).where(*pair, a.succeeded.is_(True)))
    any_ok = session.scalar(
        select(func.max(a.attempted_at)).where(a.username == username, a.succeeded.is_(True))
    )
    pair_n, pair_last = session.execute(
        select(func.count(), func.max(a.attempted_at)).where(
            *pair, a.succeeded.is_(False), a.attempted_at > max(since, pair_ok or since)
        )
    ).one()
    ip_n, ip_last = session.execute(
        select(func.count(), func.max(a.attempted_at)).where(
            a.ip == ip, a.succeeded.is_(False), a.attempted_at > since
        )
    ).one()
    account_n = session.scalar(
        select(func.count()).where(
            a.username == username,
            a.succeeded.is_(False),
            a.attempted_at > max(since, any_ok or since),
        )
    )
    return AttemptCounts(
        pair_failures=int(pair_n or 0),
        pair_last_failure_at=pair_last,
        address_failures=int(ip_n or 0),
        address_last_failure_at=ip_last,
        account_failures=int(account_n or 0),
        known_address=pair_ok is not None and pair_ok > now - timedelta(days=KNOWN_ADDRESS_DAYS),
    )


def check_throttle(
    session: Session,
    clock: Clock,
    *,
    username: str,
    ip: str,
    window_minutes: int,
    policy: ThrottlePolicy,
) -> Verdict:
    """Raise `LoginDelayed` while this address owes a pause; else say whether to challenge."""
    now = clock.now()
    counts = _attempt_counts(session, username, ip, now - timedelta(minutes=window_minutes), now)
    verdict = judge(policy, counts, now)
    if not verdict.may_try:
        raise LoginDelayed(seconds=verdict.wait_seconds)
    return verdict


def record_failure(session: Session, clock: Clock, username: str, ip: str) -> None:
    """A failed attempt, written even though the request that saw it is rolled back."""
    failed = {"username": username, "ip": ip, "attempted_at": clock.now(), "succeeded": False}
    record_despite_failure(session, lambda side: side.add(LoginAttempt(**failed)))


def record_success(session: Session, clock: Clock, username: str, ip: str) -> None:
    session.add(LoginAttempt(username=username, ip=ip, attempted_at=clock.now(), succeeded=True))


@dataclass(frozen=True)
class Login:
    user: User
    second_factor_passed: bool


def authenticate(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    ip: str,
    max_failures: int,
    window_minutes: int,
    cipher: FieldCipher | None = None,
    code: str | None = None,
) -> Login:
    """Check a password (and, for staff, a second factor when given) under the throttle.

    A flood from one address slows that address only (`core/throttle.py`); an account under a
    distributed guess answers a password alone no more from addresses it has not succeeded from:
    staff send the second factor with it, applicants sign in by SMS code. A login counts as a
    success (and resets the pair's count) only once complete: a staff member's password without
    the second factor does not, so the code cannot be guessed between password resets.
    Failures are recorded by a side unit of work (`record_despite_failure`), so the refusal that
    follows, rolling the request back, still leaves the attempt for the throttle to count.
    """
    verdict = check_throttle(
        session,
        clock,
        username=username,
        ip=ip,
        window_minutes=window_minutes,
        policy=throttle_policy(max_failures),
    )
    user = session.scalar(select(User).where(User.username == username))
    ok = (
        verify_password(user.password_hash, password)
        if user
        else (verify_password(_DUMMY_HASH, password) and False)
    )
    staff_like = user is None or Role(user.role) in STAFF_ROLES
    if verdict.challenge:
        if not staff_like:
            raise SignInByCodeRequired()
        if not code:
            raise mfa.SecondFactorRequired(field="code")
    if not ok or user is None or not user.is_active:
        record_failure(session, clock, username, ip)
        raise InvalidCredentials()
    if not staff_like:
        record_success(session, clock, username, ip)
        return Login(user, second_factor_passed=False)
    if code:
        if cipher is None or not mfa.check_second_factor(session, clock, cipher, user, code):
            record_failure(session, clock, username, ip)
            # under a challenge, which of the two was wrong is not told
            raise InvalidCredentials() if verdict.challenge else mfa.InvalidSecondFactor("code")
        record_success(session, clock, username, ip)
        return Login(user, second_factor_passed=True)
    return Login(user, second_factor_passed=False)


def mobile_username(cipher: FieldCipher, mobile: str) -> str:
    """An applicant's username: a keyed hash of the mobile (found again, never read back)."""
    return "m-" + cipher.lookup_hash(mobile, "core_user.mobile")[:40]


def issue_token(
    session: Session, clock: Clock, user: User, ttl_minutes: int
) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(minutes=ttl_minutes)
    session.add(
        ApiToken(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            user_id=user.id,
            created_at=now,
            expires_at=expires,
        )
    )
    audit.record(session, "auth.login", "user", user.id, after={"channel": "api"})
    return token, expires


@cache
def _token_statement() -> Select[uuid.UUID, str, str, str, str | None, uuid.UUID | None]:
    return (
        select(
            User.id,
            User.username,
            User.display_name,
            User.role,
            User.branch,
            UserEnterprise.enterprise_id,
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .outerjoin(UserEnterprise, UserEnterprise.user_id == User.id)
        .where(
            ApiToken.token_hash == bindparam("token_hash", type_=ApiToken.token_hash.type),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > bindparam("now", type_=ApiToken.expires_at.type),
            User.is_active.is_(True),
        )
    )


def principal_for_token(session: Session, clock: Clock, token: str) -> Principal | None:
    """The principal of a live token of an active user, in one query: the token, its user and
    the user's enterprise links (outer join), as columns — every authenticated request runs it."""
    return _principal_for_hash(session, clock, hashlib.sha256(token.encode()).hexdigest())


def _principal_for_hash(session: Session, clock: Clock, token_hash: str) -> Principal | None:
    params = {"token_hash": token_hash, "now": clock.now()}
    rows = session.execute(_token_statement(), params).all()
    if not rows:
        return None
    first = rows[0]
    return Principal(
        user_id=first.id,
        username=first.username,
        display_name=first.display_name,
        role=Role(first.role),
        enterprise_ids=frozenset(r.enterprise_id for r in rows if r.enterprise_id is not None),
        branch=first.branch,
    )


def revoke_token(session: Session, clock: Clock, token: str) -> None:
    row = session.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


# --- server-side sessions ---------------------------------------------------------------------

PENDING_SESSION_MINUTES = 10  # password accepted, second factor (or enrolment) still owed
LAST_SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(
    session: Session,
    clock: Clock,
    user: User,
    *,
    ip: str,
    user_agent: str,
    method: str,
    ttl_minutes: int,
    complete: bool,
) -> str:
    """A new console session; returns the secret the cookie carries (only its hash is kept).

    An incomplete session (a staff member's password accepted, the second factor owed) serves
    only the second-factor and enrolment pages, for a few minutes."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    minutes = ttl_minutes if complete else PENDING_SESSION_MINUTES
    session.add(
        UserSession(
            secret_hash=_secret_hash(secret),
            user_id=user.id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(minutes=minutes),
            ip=ip[:64],
            user_agent=user_agent[:200],
            mfa_at=now if complete else None,
        )
    )
    session.flush()
    if complete:
        audit.record(session, "auth.login", "user", user.id, after={"channel": method})
    return secret


def pending_session(session: Session, clock: Clock, secret: str) -> UserSession | None:
    """The live session of this secret, complete or not (the second-factor pages use it)."""
    row = session.scalar(select(UserSession).where(UserSession.secret_hash == _secret_hash(secret)))
    if row is None or row.revoked_at is not None or row.expires_at <= clock.now():
        return None
    return row


def complete_session(session: Session, clock: Clock, row: UserSession, ttl_minutes: int) -> None:
    """The second factor passed: the session now counts, for the full lifetime."""
    now = clock.now()
    row.mfa_at = now
    row.last_seen_at = now
    row.expires_at = now + timedelta(minutes=ttl_minutes)
    user = session.get(User, row.user_id)
    assert user is not None
    record_success(session, clock, user.username, row.ip)
    audit.record(session, "auth.login", "user", row.user_id, after={"channel": row.method})


@cache
def _session_statement() -> Select[
    uuid.UUID, datetime, uuid.UUID, str, str, str, str | None, uuid.UUID
]:
    return (
        select(
            UserSession.id.label("session_id"),
            UserSession.last_seen_at,
            User.id,
            User.username,
            User.display_name,
            User.role,
            User.branch,
            UserEnterprise.enterprise_id,
        )
        .join(User, UserSession.user_id == User.id)
        .outerjoin(UserEnterprise, UserEnterprise.user_id == User.id)
        .where(
            UserSession.secret_hash == bindparam("secret_hash", type_=UserSession.secret_hash.type),
            UserSession.revoked_at.is_(None),
            UserSession.mfa_at.is_not(None),
            UserSession.expires_at > bindparam("now", type_=UserSession.expires_at.type),
            UserSession.last_seen_at > bindparam("idle", type_=UserSession.last_seen_at.type),
            User.is_active.is_(True),
        )
    )


def principal_for_session(
    session: Session, clock: Clock, secret: str, idle_minutes: int
) -> tuple[Principal, uuid.UUID] | None:
    """The principal of a complete, live, unrevoked session (and the session's id), in one
    query; `last_seen_at` is moved on at most once a minute."""
    now = clock.now()
    params = {
        "secret_hash": _secret_hash(secret),
        "now": now,
        "idle": now - timedelta(minutes=idle_minutes),
    }
    rows = session.execute(_session_statement(), params).all()
    if not rows:
        return None
    first = rows[0]
    if first.last_seen_at <= now - LAST_SEEN_EVERY:
        session.execute(
            update(UserSession).where(UserSession.id == first.session_id).values(last_seen_at=now)
        )
    principal = Principal(
        user_id=first.id,
        username=first.username,
        display_name=first.display_name,
        role=Role(first.role),
        enterprise_ids=frozenset(r.enterprise_id for r in rows if r.enterprise_id is not None),
        branch=first.branch,
    )
    return principal, first.session_id


def list_sessions(session: Session, clock: Clock, user_id: uuid.UUID) -> list[UserSession]:
    """A user's live sessions, newest first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                UserSession.revoked_at.is_(None),
                UserSession.mfa_at.is_not(None),
                UserSession.expires_at > clock.now(),
            )
            .order_by(UserSession.created_at.desc())
        )
    )


class UserNotFound(DomainError):
    code = "user_not_found"
    status = 404
    title_zh = "用户不存在"
    title_en = "User not found"
    message_zh = "没有找到该用户。"
    message_en = "No such user."


class SessionNotFound(DomainError):
    code = "session_not_found"
    status = 404
    title_zh = "会话不存在"
    title_en = "Session not found"
    message_zh = "没有找到该会话（可能已结束）。"
    message_en = "No such session (it may have ended)."


def revoke_session(
    session: Session, clock: Clock, principal: Principal, session_id: uuid.UUID
) -> None:
    """End one of one's own sessions (an administrator may end anyone's) — at once."""
    row = session.get(UserSession, session_id)
    if row is None or (row.user_id != principal.user_id and principal.role != Role.ADMIN):
        raise SessionNotFound()
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(
            session, "auth.session_revoke", "user", row.user_id, after={"session": str(row.id)}
        )


def revoke_user_sessions(session: Session, clock: Clock, user_id: uuid.UUID) -> int:
    """End every session and API token of a user (an administrator's act); how many ended."""
    now = clock.now()
    ended = session.scalars(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(UserSession.id)
    ).all()
    tokens = session.scalars(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(ApiToken.user_id)
    ).all()
    audit.record(
        session,
        "auth.sessions_revoke_all",
        "user",
        user_id,
        after={"sessions": len(ended), "tokens": len(tokens)},
    )
    return len(ended) + len(tokens)


def end_session(session: Session, clock: Clock, secret: str) -> None:
    """Log out: the session of this secret ends."""
    row = session.scalar(select(UserSession).where(UserSession.secret_hash == _secret_hash(secret)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


# --- guards -----------------------------------------------------------------------------------


class LoginRequired(Exception):
    """A console page was opened without a session: redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class RoleGuard:
    """FastAPI dependency admitting only the given roles. Attribute `roles` is read by tests."""

    def __init__(self, roles: Iterable[Role], *, page: bool = False) -> None:
        self.roles = frozenset(roles)
        self.page = page
        if not self.roles:
            raise ValueError("a guard admits at least one role")

    def __call__(self, request: Request) -> Principal:
        principal = _principal_from_request(request, page=self.page)
        if principal is None:
            if self.page:
                raise LoginRequired(str(request.url.path))
            raise NotAuthenticated()
        if principal.role not in self.roles:
            raise Forbidden()
        request.state.principal = principal
        session: Session = request.state.db
        audit.set_actor(
            session,
            audit.Actor(
                principal.user_id, principal.username, principal.role.value, client_ip(request)
            ),
        )
        return principal


class PublicRoute:
    """Marks a route public on purpose (login, health, the applicant's first screen)."""

    def __call__(self) -> None:
        return None


def require(*roles: Role) -> RoleGuard:
    return RoleGuard(roles)


def require_page(*roles: Role) -> RoleGuard:
    return RoleGuard(roles, page=True)


def public() -> PublicRoute:
    return PublicRoute()


ALL_STAFF = tuple(sorted(STAFF_ROLES))
EVERYONE = tuple(Role)


SESSION_KEY = "sid"  # the one authentication item of the session cookie: the session's secret


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _principal_from_request(request: Request, *, page: bool) -> Principal | None:
    session: Session = request.state.db
    clock: Clock = request.app.state.clock
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return principal_for_token(session, clock, header[7:].strip())
    if "session" in request.scope:
        secret = request.session.get(SESSION_KEY)
        if isinstance(secret, str):
            idle = request.app.state.runtime.settings.session_idle_minutes
            found = principal_for_session(session, clock, secret, idle)
            if found is not None:
                request.state.session_id = found[1]
                return found[0]
    return None
