"""Identity and access: argon2 passwords, bearer tokens, cookie sessions, role guards, throttling.

Every HTTP endpoint declares the roles it admits with `require(...)` (API) or
`require_page(...)` (console pages), or is declared public with `public()`. A test walks every
registered route and proves that unauthenticated and wrong-role calls are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.db import record_despite_failure
from puhui.core.errors import (
    DomainError,
    Forbidden,
    InvalidCredentials,
    NotAuthenticated,
    TooManyAttempts,
)
from puhui.core.models import STAFF_ROLES, ApiToken, LoginAttempt, Role, User, UserEnterprise

_hasher = PasswordHasher()
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


def _failures_since_last_success(session: Session, username: str, since: datetime) -> int:
    last_ok = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    start = max(since, last_ok) if last_ok else since
    return int(
        session.scalar(
            select(func.count()).where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > start,
            )
        )
        or 0
    )


def _ip_failures(session: Session, ip: str, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                LoginAttempt.ip == ip,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > since,
            )
        )
        or 0
    )


def authenticate(
    session: Session,
    clock: Clock,
    *,
    username: str,
    password: str,
    ip: str,
    max_failures: int,
    window_minutes: int,
) -> User:
    """Check a password with throttling per username and per address.

    A success is recorded in the caller's unit of work; a failure is recorded by a side unit of
    work (`record_despite_failure`), so that the refusal which follows, rolling the request
    back, still leaves the attempt for the throttle to count.
    """
    now = clock.now()
    since = now - timedelta(minutes=window_minutes)
    if (
        _failures_since_last_success(session, username, since) >= max_failures
        or _ip_failures(session, ip, since) >= max_failures * 4
    ):
        raise TooManyAttempts(minutes=window_minutes)
    user = session.scalar(select(User).where(User.username == username))
    ok = (
        verify_password(user.password_hash, password)
        if user
        else (verify_password(_DUMMY_HASH, password) and False)
    )
    if not ok or user is None or not user.is_active:
        failed = {"username": username, "ip": ip, "attempted_at": now, "succeeded": False}
        record_despite_failure(session, lambda side: side.add(LoginAttempt(**failed)))
        raise InvalidCredentials()
    session.add(LoginAttempt(username=username, ip=ip, attempted_at=now, succeeded=True))
    return user


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


# --- console sessions: the cookie carries a session id, never an API token ------------------
#
# A console or /m sign-in keeps a random session id in the (signed) cookie. Its row is stored
# under a keyed hash of another kind than a bearer token's plain SHA-256, so a session id read
# from a cookie opens no API call as `Authorization: Bearer`, and an API token put in a cookie
# opens no page.
_SESSION_HASH_KEY = b"puhui console session id"


def session_hash(session_id: str) -> str:
    return hmac.new(_SESSION_HASH_KEY, session_id.encode(), hashlib.sha256).hexdigest()


def issue_session(session: Session, clock: Clock, user: User, ttl_minutes: int) -> str:
    """A new console session for `user`: the id to keep in the cookie (`request.session["sid"]`)."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ApiToken(
            token_hash=session_hash(session_id),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(minutes=ttl_minutes),
        )
    )
    audit.record(session, "auth.login", "user", user.id, after={"channel": "console"})
    return session_id


def principal_for_session(session: Session, clock: Clock, session_id: str) -> Principal | None:
    return _principal_for_hash(session, clock, session_hash(session_id))


def revoke_session(session: Session, clock: Clock, session_id: str) -> None:
    row = session.get(ApiToken, session_hash(session_id))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


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


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _principal_from_request(request: Request, *, page: bool) -> Principal | None:
    session: Session = request.state.db
    clock: Clock = request.app.state.clock
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return principal_for_token(session, clock, header[7:].strip())
    if "session" in request.scope:
        session_id = request.session.get("sid")
        if isinstance(session_id, str):
            return principal_for_session(session, clock, session_id)
    return None
