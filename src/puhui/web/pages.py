"""What every page shares: the Jinja2 templates, `render` (language, strings, the signed-in
person, the CSRF token), `page_error` (a refused form shown again with the message) and the
CSRF check of unsafe console and mobile requests."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from puhui.core.auth import Principal
from puhui.core.errors import CsrfFailed
from puhui.core.hardening import csp_nonce
from puhui.core.i18n import Lang
from puhui.core.models import ROLE_LABELS_ZH
from puhui.core.money import format_fen
from puhui.core.web import RefusedPage, request_lang
from puhui.web.i18n import error_text, translate

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["format_fen"] = format_fen


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Unsafe console requests must echo the session's CSRF token (form field or header).

    A request authenticated by a bearer header carries no ambient cookie authority, so it needs
    no token.
    """
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise CsrfFailed()


def render(request: Request, name: str, principal: Principal | None = None, **ctx: Any) -> Response:
    lang = request_lang(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": lambda key, **p: translate(lang, key, **p),
            "principal": principal,
            "role_label": (
                ROLE_LABELS_ZH.get(principal.role, principal.role.value)
                if principal and lang == "zh"
                else principal.role.value
                if principal
                else ""
            ),
            "csrf": csrf_token(request),
            "csp_nonce": csp_nonce(request),  # for an inline <script nonce="...">
            **ctx,
        },
    )


class Refusal(Protocol):
    """A DomainError, or an error of the same shape (receivables' errors)."""

    field: str | None

    @property
    def status(self) -> int: ...

    def message(self, lang: Lang) -> str: ...


def page_error(request: Request, exc: Refusal, page: Callable[[str], Response]) -> RefusedPage:
    """A refused form, to raise: `page(message)` builds the page to show again (the form, what
    was typed) with the refusal's message in the user's language; it answers with the error's
    status. Never touches the session: the route rolls the refused work back first, then calls
    `page` in a fresh transaction (see `puhui.core.web`), so the page shows nothing half-done."""
    message = error_text(exc, request_lang(request))

    def render_refused() -> Response:
        response = page(message)
        response.status_code = exc.status
        return response

    return RefusedPage(render_refused)
