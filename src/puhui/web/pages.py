"""What every page shares: the Jinja2 templates, `render` (language, strings, labels, the
signed-in person, the CSRF token, a refused form's flash), `refuse` (Post/Redirect/Get for a
refused form: the message and what was typed go to the session's flash, the browser goes back to
the form's GET page), `page_error` (the older form: the page rendered in the POST's answer),
`problem_page` (an error in words, in the console's or the phone's layout; see
`puhui.core.problems`) and the CSRF check of unsafe console and mobile requests."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from puhui.core.auth import Principal
from puhui.core.errors import CsrfFailed
from puhui.core.hardening import csp_nonce
from puhui.core.i18n import Lang
from puhui.core.models import ROLE_LABELS_ZH
from puhui.core.money import format_fen
from puhui.core.web import RefusedPage, request_lang, runtime_of
from puhui.web import labels
from puhui.web.decisions import sla_text
from puhui.web.definitions import define
from puhui.web.i18n import error_text, translate
from puhui.web.timefmt import local_time

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["format_fen"] = format_fen
templates.env.filters["local_time"] = local_time  # every time in Asia/Shanghai, zone shown
templates.env.globals["define"] = define  # a figure's definition, shown on hover
templates.env.filters["label"] = lambda code, kind, lang="zh": labels.label(kind, code, lang)

templates.env.globals["sla_text"] = sla_text
templates.env.globals["channel_label"] = labels.channel_label

FLASH = "flash"
# typed values kept across the redirect are sealed: the session cookie is signed, not secret
_FLASH_FIELD = "web.flash"


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
    if request.method == "GET":
        for key, value in take_flash(request).items():
            ctx.setdefault(key, value)
    return templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": lambda key, **p: translate(lang, key, **p),
            "lbl": labels.filter_for(lang),
            "principal": principal,
            "role_label": (
                ROLE_LABELS_ZH.get(principal.role, principal.role.value)
                if principal and lang == "zh"
                else labels.label("role", principal.role, lang)
                if principal
                else ""
            ),
            "csrf": csrf_token(request),
            "csp_nonce": csp_nonce(request),  # for an inline <script nonce="...">
            **ctx,
        },
    )


def refuse(
    request: Request, exc: Refusal, back: str, typed: Mapping[str, str] | None = None, **extra: Any
) -> RefusedPage:
    """A refused form, to raise, the Post/Redirect/Get way: the route rolls back, the message,
    what was typed (sealed with the data key) and `extra` (plain values: a cool-down's end) go
    to the session's flash, and the browser is sent back to `back`, the form's GET page, which
    `render` shows with them. Reloading, the language and large-type switches are then safe."""
    message = error_text(exc, request_lang(request))

    def go_back() -> Response:
        flash: dict[str, Any] = {
            "path": back.split("?")[0],
            "error": message,
            "bad_field": getattr(exc, "field", None),
            **extra,
        }
        if typed:
            cipher = runtime_of(request).cipher
            sealed = cipher.encrypt(json.dumps(dict(typed), ensure_ascii=False), _FLASH_FIELD)
            flash["typed"] = base64.b64encode(sealed).decode()
        request.session[FLASH] = flash
        return RedirectResponse(back, status_code=303)

    return RefusedPage(go_back)


def take_flash(request: Request) -> dict[str, Any]:
    """The flash a refusal left for this page (once), typed values unsealed."""
    if "session" not in request.scope:
        return {}
    flash = request.session.get(FLASH)
    if not isinstance(flash, dict) or flash.get("path") != request.url.path:
        return {}
    request.session.pop(FLASH, None)
    out = {k: v for k, v in flash.items() if k not in ("path", "typed")}
    sealed = flash.get("typed")
    if isinstance(sealed, str):
        try:
            blob = base64.b64decode(sealed)
            out["typed"] = json.loads(runtime_of(request).cipher.decrypt(blob, _FLASH_FIELD))
        except (ValueError, InvalidTag):
            pass
    return out


# What to do next, by status (the problem's own detail says what happened).
_NEXT: dict[int, tuple[str, str]] = {
    400: ("请检查填写的内容后重试。", "Please check what you entered and try again."),
    401: ("请先登录。", "Please sign in first."),
    403: (
        "您当前的角色无权打开此页面。如确需访问，请联系系统管理员。",
        "Your role cannot open this page. If you need it, ask an administrator.",
    ),
    404: (
        "页面不存在或已被移除。请检查链接，或从首页重新进入。",
        "This page does not exist or was removed. Check the link, or start again from the "
        "home page.",
    ),
    405: (
        "此地址不能直接打开（例如刷新了提交后的页面）。请返回上一页重新操作。",
        "This address cannot be opened directly (a reloaded form, perhaps). Go back and try again.",
    ),
    409: ("请返回上一页，刷新后重试。", "Go back, reload the page and try again."),
    422: ("请返回上一页修改后重新提交。", "Go back, correct the form and submit it again."),
    429: ("请稍候片刻再试。", "Please wait a moment and try again."),
    500: (
        "系统暂时出错，请稍后重试。如问题持续，请把下方的请求编号告诉客服。",
        "Something went wrong on our side. Try again later; if it persists, give the request "
        "number below to customer service.",
    ),
}


def problem_page(request: Request, problem: Mapping[str, Any], status: int) -> Response:
    """An RFC 9457 problem as a page for people: what happened, what to do next, a way back, in
    the console's layout (`error.html`) or the phone's (`m_error.html`, under /m)."""
    lang = request_lang(request)
    zh = lang == "zh"
    mobile = request.url.path == "/m" or request.url.path.startswith("/m/")
    family = status if status in _NEXT else (500 if status >= 500 else 400)
    next_zh, next_en = _NEXT[family]
    signed_in = bool(request.session.get("token")) if "session" in request.scope else False
    home = ("/m/home" if signed_in else "/m/start") if mobile else "/console/"
    title = str(problem.get("title") or ("出错了" if zh else "Something went wrong"))
    detail = str(problem.get("detail") or "")
    ctx: dict[str, Any] = {
        "status": status,
        "title": title,
        "detail": detail if detail != title else "",
        "next_step": next_zh if zh else next_en,
        "request_id": problem.get("request_id"),
        "retry_seconds": (problem.get("params") or {}).get("seconds")
        if isinstance(problem.get("params"), Mapping)
        else None,
        "home": home,
        "error": None,
    }
    if mobile:
        ctx.update(
            large=bool(request.session.get("large")) if "session" in request.scope else False,
            L=lambda a, b: a if zh else b,
        )
    if "session" not in request.scope:
        request.scope["session"] = {}
    response = render(request, "m_error.html" if mobile else "error.html", None, **ctx)
    response.status_code = status
    return response


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
