"""Optional single sign-on with the bank's directory (OpenID Connect, authorization code flow
with PKCE): authlib for the OAuth pieces (state, nonce, S256 challenge), joserfc (authlib's JOSE
library) for the ID token, httpx for the provider's endpoints.

Configured by `PUHUI_OIDC_ISSUER`, `PUHUI_OIDC_CLIENT_ID`, `PUHUI_OIDC_CLIENT_SECRET`; a
directory group (claim `PUHUI_OIDC_GROUP_CLAIM`, default `groups`) maps to a Puhui role through
`PUHUI_OIDC_ROLE_MAP` (JSON, e.g. `{"puhui-credit": "credit_officer"}`); a person whose groups
map to no role is refused. The directory is the source of truth for the role: it is set again at
every sign-in. The second factor: when the ID token's `amr` says the directory checked one
(`mfa`, `otp`, `hwk`, `swk`, `sc`), the session is complete; otherwise Puhui's own second factor
follows, as after a password.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, auth
from puhui.core.clock import Clock
from puhui.core.config import Settings
from puhui.core.errors import DomainError
from puhui.core.models import Role, User

MFA_METHODS = frozenset({"mfa", "otp", "hwk", "swk", "sc"})
_TIMEOUT = httpx.Timeout(5.0)


class SsoFailed(DomainError):
    code = "sso_failed"
    status = 401
    title_zh = "统一认证登录失败"
    title_en = "Directory sign-in failed"
    message_zh = "行内统一认证未能完成登录，请重试或使用用户名密码登录。"
    message_en = "The bank's directory did not complete the sign-in; try again or use a password."


class SsoNoRole(DomainError):
    code = "sso_no_role"
    status = 403
    title_zh = "没有系统角色"
    title_en = "No role"
    message_zh = "您在行内目录中的用户组没有对应的普惠角色，请联系管理员。"
    message_en = "None of your directory groups maps to a Puhui role; ask an administrator."


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_providers: dict[str, tuple[float, Provider]] = {}


def discover(settings: Settings) -> Provider:
    """The provider's endpoints from its discovery document (kept for an hour)."""
    issuer = settings.oidc_issuer.rstrip("/")
    cached = _providers.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        doc = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=_TIMEOUT).json()
        provider = Provider(
            issuer=str(doc["issuer"]),
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
        )
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SsoFailed() from exc
    if provider.issuer.rstrip("/") != issuer:
        raise SsoFailed()
    _providers[issuer] = (time.monotonic() + 3600, provider)
    return provider


@dataclass(frozen=True)
class Start:
    """Where to send the browser, and what to keep (in the signed session) for the callback."""

    url: str
    state: str
    nonce: str
    verifier: str


def start(settings: Settings, redirect_uri: str) -> Start:
    provider = discover(settings)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url = add_params_to_uri(
        provider.authorization_endpoint,
        [
            ("response_type", "code"),
            ("client_id", settings.oidc_client_id),
            ("redirect_uri", redirect_uri),
            ("scope", settings.oidc_scopes),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ],
    )
    return Start(url=url, state=state, nonce=nonce, verifier=verifier)


def _id_token(
    settings: Settings, provider: Provider, code: str, redirect_uri: str, verifier: str
) -> str:
    try:
        answer = httpx.post(
            provider.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(settings.oidc_client_id, settings.oidc_client_secret),
            timeout=_TIMEOUT,
        )
        answer.raise_for_status()
        return str(answer.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise SsoFailed() from exc


def _claims(
    settings: Settings, provider: Provider, id_token: str, nonce: str, clock: Clock
) -> dict[str, Any]:
    try:
        keys = KeySet.import_key_set(httpx.get(provider.jwks_uri, timeout=_TIMEOUT).json())
        token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256"])
        registry = jwt.JWTClaimsRegistry(
            now=int(clock.now().timestamp()),
            leeway=60,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (httpx.HTTPError, ValueError, JoseError) as exc:
        raise SsoFailed() from exc
    return dict(token.claims)


def _role(settings: Settings, claims: dict[str, Any]) -> Role:
    groups = claims.get(settings.oidc_group_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    for group in groups:
        mapped = settings.oidc_role_map.get(str(group))
        if mapped in {r.value for r in Role} and mapped != Role.BORROWER.value:
            return Role(mapped)
    raise SsoNoRole()


@dataclass(frozen=True)
class SsoLogin:
    user: User
    second_factor_passed: bool


def finish(
    session: Session,
    clock: Clock,
    settings: Settings,
    *,
    code: str,
    redirect_uri: str,
    nonce: str,
    verifier: str,
) -> SsoLogin:
    """Exchange the code, check the ID token, find or create the user, set the role."""
    provider = discover(settings)
    claims = _claims(
        settings,
        provider,
        _id_token(settings, provider, code, redirect_uri, verifier),
        nonce,
        clock,
    )
    role = _role(settings, claims)
    subject = f"{provider.issuer}|{claims['sub']}"[:200]
    user = session.scalar(select(User).where(User.external_subject == subject))
    name = str(claims.get("name") or claims.get("preferred_username") or claims["sub"])[:100]
    if user is None:
        wanted = str(claims.get("preferred_username") or claims["sub"])[:50]
        username = wanted
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            username = f"sso-{wanted}"[:56] + "-" + secrets.token_hex(3)
        user = auth.create_user(
            session,
            clock,
            username=username,
            password=secrets.token_urlsafe(24) + "a1",  # never used: the directory signs in
            role=role,
            display_name=name,
        )
        user.external_subject = subject
    elif user.role != role.value:
        audit.record(
            session, "auth.sso_role", "user", user.id,
            before={"role": user.role}, after={"role": role.value},
        )  # fmt: skip
        user.role = role.value
    if not user.is_active:
        raise SsoFailed()
    amr = claims.get("amr") or []
    return SsoLogin(user, second_factor_passed=bool(MFA_METHODS.intersection(map(str, amr))))
