"""The edges every response passes: security headers, a request id, a body size limit, JSON
bodies declared as JSON, and no plain-text 500 — installed once by `create_app` (`install`).

One pure ASGI middleware (no `BaseHTTPMiddleware`: it would buffer streamed responses and cost a
task per request) does the header work and refuses bodies before the application reads them:

- every response carries `X-Request-ID` (the client's, when it is a short token, else a new
  one) and the security headers of `security_headers` (CSP with `script-src 'self'` plus a
  per-response nonce pages can use for an inline script, `frame-ancestors 'none'` and
  `X-Frame-Options: DENY`, `nosniff`, a referrer policy, HSTS when cookies are `Secure`);
- a body above `max_body_bytes` (or `upload_max_body_bytes` under `upload_paths`) is refused
  with 413 — by its `Content-Length` before a byte is read, or when the streamed body passes
  the limit — so a 20 MB body is never read whole;
- an `/api/` request with a body must say `Content-Type: application/json` (or multipart for
  the upload endpoints): 415 otherwise, where FastAPI would have parsed an undeclared body as
  JSON.

Two exception handlers finish the job: a database that stays busy past its timeout (SQLite's
"database is locked", PostgreSQL's lock timeout) answers 503 with `Retry-After` — retryable,
nothing was kept — and any other unhandled error answers a problem+json 500 carrying the
request id (`internal_error_response`, small on purpose so that the HTML negotiation of error
pages can call it), never Starlette's plain-text body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from puhui.core.clock import Clock, SystemClock
from puhui.core.config import Settings
from puhui.core.i18n import Lang, pick_language

PROBLEM = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
RETRY_AFTER_SECONDS = 2
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger(__name__)


# FastAPI's API documentation pages start Swagger UI / ReDoc with an inline script they cannot
# give a nonce to: there (and only there) inline scripts of this origin's page may run.
DOCS_PATHS = ("/docs", "/redoc")


def content_security_policy(nonce: str, *, inline_scripts: bool = False) -> str:
    """Scripts only from this origin (htmx, ECharts, the pages' own files) or with this
    response's nonce; styles from this origin plus inline styles (ECharts' tooltips and htmx's
    indicator style are written inline — a style cannot run code); nothing may frame a page."""
    scripts = (
        "script-src 'self' 'unsafe-inline'"
        if inline_scripts
        else (f"script-src 'self' 'nonce-{nonce}'")
    )
    return "; ".join(
        (
            "default-src 'self'",
            scripts,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(
    nonce: str, *, hsts: bool, inline_scripts: bool = False
) -> list[tuple[bytes, bytes]]:
    policy = content_security_policy(nonce, inline_scripts=inline_scripts)
    headers = [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def request_id_of(request: Request) -> str:
    """The id of this request (also in its response's `X-Request-ID`)."""
    state = request.scope.get("state") or {}
    return str(state.get("request_id") or "-")


def _lang(request: Request) -> Lang:
    chosen = request.query_params.get("lang")
    if chosen in ("zh", "en"):
        return chosen  # type: ignore[return-value]
    return pick_language(request.headers.get("accept-language"))


def problem_body(
    status: int, code: str, zh: tuple[str, str], en: tuple[str, str], lang: Lang, **extra: Any
) -> dict[str, Any]:
    title, detail = zh if lang == "zh" else en
    body = {
        "type": f"https://puhui.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    return body


def internal_error_problem(request_id: str, lang: Lang) -> dict[str, Any]:
    """The problem+json of an unexpected failure: no internals, the request id to quote."""
    return problem_body(
        500,
        "internal_error",
        ("系统错误", f"系统内部错误，请稍后重试；如需协助请提供请求编号 {request_id}。"),
        ("Internal error", f"Something went wrong on our side; quote request id {request_id}."),
        lang,
        request_id=request_id,
    )


def internal_error_response(request: Request, exc: Exception | None = None) -> Response:
    """Exception handler (and helper) for any unhandled error: a problem+json 500."""
    request_id = request_id_of(request)
    if exc is not None:
        logger.error("unhandled error (request %s)", request_id, exc_info=exc)
    return JSONResponse(
        internal_error_problem(request_id, _lang(request)),
        status_code=500,
        media_type=PROBLEM,
        headers={REQUEST_ID_HEADER: request_id},
    )


def is_busy(exc: BaseException) -> bool:
    """A database that stayed locked past its wait: SQLite's busy timeout, PostgreSQL's
    lock_timeout (55P03) — the work was rolled back and may simply be tried again."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig).lower()
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return "database is locked" in text or "database is busy" in text or code == "55P03"


def busy_response(request: Request) -> Response:
    request_id = request_id_of(request)
    return JSONResponse(
        problem_body(
            503,
            "database_busy",
            ("系统繁忙", f"系统繁忙，本次请求未做任何变更，请 {RETRY_AFTER_SECONDS} 秒后重试。"),
            (
                "Busy",
                f"The system is busy; nothing was changed. Retry in {RETRY_AFTER_SECONDS} s.",
            ),
            _lang(request),
            request_id=request_id,
        ),
        status_code=503,
        media_type=PROBLEM,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), REQUEST_ID_HEADER: request_id},
    )


async def _operational_error(request: Request, exc: Exception) -> Response:
    if is_busy(exc):
        logger.warning("database busy (request %s): %s", request_id_of(request), exc)
        return busy_response(request)
    return internal_error_response(request, exc)


async def _unhandled(request: Request, exc: Exception) -> Response:
    # Starlette's last resort; `EdgeMiddleware` has answered (and logged) already, unless the
    # error came from outside it.
    return internal_error_response(request)


class _BodyTooLarge(StarletteHTTPException):
    """A streamed body passed the limit (an HTTP error, so FastAPI's body parsing lets it
    through as a 413 rather than turning it into a 400)."""

    def __init__(self) -> None:
        super().__init__(413, "payload too large")


class EdgeMiddleware:
    """Request id, security headers, body size limit and the API's Content-Type rule."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.upload_max_body_bytes
        self.upload_paths = tuple(settings.upload_paths)
        self.max_recording = settings.interview_recording_max_bytes
        self.hsts = settings.cookie_secure

    def limit_for(self, path: str) -> int:
        if path.startswith("/console/interviews/") and path.endswith("/recording"):
            return self.max_recording  # a video interview's recording (interviews domain)
        return self.max_upload if path.startswith(self.upload_paths) else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        sent_id = headers.get("x-request-id", "")
        request_id = sent_id if _REQUEST_ID_RE.fullmatch(sent_id) else uuid.uuid4().hex
        nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["csp_nonce"] = nonce
        docs = scope["path"].startswith(DOCS_PATHS)
        extra = [
            (b"x-request-id", request_id.encode()),
            *security_headers(nonce, hsts=self.hsts, inline_scripts=docs),
        ]
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in extra if k not in present),
                ]
            await send(message)

        refusal = self.refusal(scope, headers)
        if refusal is not None:
            await self.answer(scope, send_with_headers, refusal, request_id)
            return
        limit = self.limit_for(scope["path"])
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if started:
                raise
            await self.answer(scope, send_with_headers, 413, request_id)
        except Exception as exc:
            # Answer with the problem (and this middleware's headers) first; re-raised, the
            # server logs it and Starlette's error middleware, seeing a response started, sends
            # nothing of its own.
            if not started:
                response = internal_error_response(Request(scope), exc)
                await response(scope, _drain_nothing, send_with_headers)
            raise

    def refusal(self, scope: Scope, headers: dict[str, str]) -> int | None:
        """413 for a declared length above the limit; 415 for an API body not said to be
        JSON (multipart is the upload endpoints' form)."""
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit_for(scope["path"]):
            return 413
        if scope["method"] not in _BODY_METHODS or not scope["path"].startswith("/api/"):
            return None
        has_body = (length is not None and length != "0") or "transfer-encoding" in headers
        if not has_body:
            return None
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind == "application/json" or (
            kind.startswith("application/") and kind.endswith("+json")
        ):
            return None
        if kind == "multipart/form-data":
            return None
        return 415

    async def answer(self, scope: Scope, send: Send, status: int, request_id: str) -> None:
        request = Request(scope)
        lang = _lang(request)
        if status == 413:
            body = problem_body(
                413,
                "payload_too_large",
                ("请求过大", f"请求体超过上限（{self.limit_for(scope['path'])} 字节）。"),
                (
                    "Payload too large",
                    f"The body exceeds the limit ({self.limit_for(scope['path'])} bytes).",
                ),
                lang,
                request_id=request_id,
            )
        else:
            body = problem_body(
                415,
                "unsupported_media_type",
                ("不支持的内容类型", "请求体须为 JSON，并带 Content-Type: application/json。"),
                (
                    "Unsupported media type",
                    "Send the body as JSON with Content-Type: application/json.",
                ),
                lang,
                request_id=request_id,
            )
        response = JSONResponse(
            body, status_code=status, media_type=PROBLEM, headers={"Connection": "close"}
        )
        await response(scope, _drain_nothing, send)


async def _drain_nothing() -> Message:
    return {"type": "http.disconnect"}


def csp_nonce(request: Request) -> str:
    """The nonce an inline `<script nonce="...">` of this page must carry."""
    state = request.scope.get("state") or {}
    return str(state.get("csp_nonce", ""))


class EncryptedSessionMiddleware:
    """Starlette's cookie session (`request.session`), with the cookie encrypted and
    authenticated (AES-256-GCM, the key derived from the secret key) instead of only signed:
    nothing in it — the session id, a mobile number being signed in — can be read from the
    cookie. Expired (older than `max_age` since last written), tampered or foreign cookies give
    an empty session."""

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str,
        session_cookie: str = "puhui_session",
        max_age: int = 14 * 24 * 3600,
        same_site: str = "lax",
        https_only: bool = True,
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.clock: Clock = clock or SystemClock()
        digest = hashlib.sha256(b"puhui session cookie v1\x00" + secret_key.encode()).digest()
        self.aead = AESGCM(digest)
        self.cookie = session_cookie
        self.max_age = max_age
        flags = f"path=/; Max-Age={max_age}; httponly; samesite={same_site}"
        self.flags = flags + ("; secure" if https_only else "")
        self.expired = f"path=/; Max-Age=0; httponly; samesite={same_site}" + (
            "; secure" if https_only else ""
        )

    def _now(self) -> int:
        return int(self.clock.now().timestamp())

    def seal(self, data: dict[str, Any]) -> str:
        nonce = secrets.token_bytes(12)
        plain = json.dumps({"d": data, "t": self._now()}, separators=(",", ":")).encode()
        sealed = self.aead.encrypt(nonce, plain, self.cookie.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, value: str) -> dict[str, Any]:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self.aead.decrypt(raw[:12], raw[12:], self.cookie.encode())
            content = json.loads(plain)
        except (ValueError, InvalidTag, binascii.Error):
            return {}
        if not isinstance(content, dict) or not isinstance(content.get("d"), dict):
            return {}
        if self._now() - int(content.get("t", 0)) > self.max_age:
            return {}
        return dict(content["d"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        value = _cookie(scope, self.cookie)
        scope["session"] = self.open(value) if value else {}
        had_session = bool(scope["session"])

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                if scope["session"]:
                    cookie = f"{self.cookie}={self.seal(scope['session'])}; {self.flags}"
                elif had_session:
                    cookie = f"{self.cookie}=null; {self.expired}"
                else:
                    cookie = ""
                if cookie:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"set-cookie", cookie.encode("latin-1")),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, raw in scope["headers"]:
        if key == b"cookie":
            for part in raw.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def same_site_path(target: str | None, default: str) -> str:
    """`target` when it is a path on this site ("/console/loans?page=2"), else `default`: a
    `back` or `next` parameter must never send the browser elsewhere ("//evil.example/",
    "/\\evil.example", "https://evil.example", control characters)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(ord(c) < 0x20 or c == "\\" for c in target)
        or len(target) > 2000
    ):
        return default
    return target


class SecretKeyMissing(RuntimeError):
    """Production without PUHUI_SECRET_KEY: the process refuses to start."""


def require_secret_key(settings: Settings) -> None:
    """In production the cookie key comes from the operator (PUHUI_SECRET_KEY), never from a
    file the process made up: several workers or hosts must share it, and a generated file is
    one more secret lying on the disk."""
    if settings.environment == "production" and not settings.secret_key:
        raise SecretKeyMissing(
            "PUHUI_SECRET_KEY must be set in production (a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`); "
            "生产环境必须设置 PUHUI_SECRET_KEY。"
        )


def write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only (0600 from the start, no window)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, in the caller's language",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable error code"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_PROBLEM_CONTENT = {PROBLEM: {"schema": _PROBLEM_REF}}


def declare_problems(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the errors as they are answered: 422 and every other error
    status (the `default` response) are problem+json, never FastAPI's `HTTPValidationError`."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if "422" in responses:
                responses["422"] = {"description": "Invalid input", "content": _PROBLEM_CONTENT}
            responses.setdefault(
                "default",
                {"description": "Error (problem+json, RFC 9457)", "content": _PROBLEM_CONTENT},
            )
    return spec


def _install_openapi(app: Any) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(original())
        schema: dict[str, Any] = app.openapi_schema
        return schema

    app.openapi = openapi


def install(app: Any, settings: Settings) -> None:
    """Add the edge middleware and the last-resort handlers to an app (from `create_app`)."""
    app.add_middleware(EdgeMiddleware, settings=settings)
    _install_openapi(app)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unhandled)
