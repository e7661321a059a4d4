"""RFC 9457 problem+json rendering for domain errors and malformed payloads, in zh-CN or English,
and content negotiation: people get a page, programs problem+json.

`respond(request, problem, status)` is the one place that decides. A request wants a page when
it is not an API call (`/api/…`, a bearer token, an `Accept` naming JSON but not HTML, a
`.json` path) and it either asks for HTML (`Accept: text/html`) or is under `/m` or `/console`.
The page itself is drawn by the renderer the web layer registers
(`app.state.problem_page = puhui.web.pages.problem_page`; core imports no web code): the
message, what to do next, a way back, in the console's or the phone's layout; without one,
problem+json. Any handler — the catch-all 500 with its request id too — builds the problem
dict and calls `respond`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from puhui.core.auth import LoginRequired
from puhui.core.errors import DomainError
from puhui.core.i18n import Lang
from puhui.core.web import request_lang

PROBLEM = "application/problem+json"

ProblemPage = Callable[[Request, Mapping[str, Any], int], Response]


def wants_page(request: Request) -> bool:
    """A person's browser (a page is the answer), not a program (problem+json)."""
    path = request.url.path
    if path.startswith("/api/") or path.endswith(".json"):
        return False
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return False
    accept = request.headers.get("accept", "").lower()
    if "text/html" in accept:
        return True
    if "json" in accept or "json" in request.headers.get("content-type", "").lower():
        return False  # a script's fetch (it sent or asked for JSON) reads the problem
    return path in ("/m", "/console") or path.startswith(("/m/", "/console/"))


def respond(
    request: Request,
    problem: Mapping[str, Any],
    status: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The problem as a page for a person, as problem+json for a program."""
    lang = request_lang(request)
    all_headers = {"Content-Language": "zh-CN" if lang == "zh" else "en", **(headers or {})}
    page: ProblemPage | None = getattr(request.app.state, "problem_page", None)
    if page is not None and wants_page(request):
        response = page(request, problem, status)
        response.headers.update(all_headers)
        return response
    return JSONResponse(dict(problem), status_code=status, media_type=PROBLEM, headers=all_headers)


# Messages for validation error types, by pydantic's error type (ours and its own).
_FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "uscc_invalid": ("统一社会信用代码格式或校验位不正确", "invalid unified social credit code"),
    "resident_id_invalid": ("身份证号码格式或校验位不正确", "invalid resident ID number"),
    "mobile_invalid": ("手机号码格式不正确，应为 11 位中国大陆手机号", "invalid mobile number"),
    "industry_invalid": ("行业门类不正确（GB/T 4754 门类 A–T）", "invalid industry section"),
    "region_invalid": ("行政区划代码应为 6 位数字", "region code must be 6 digits"),
    "amount_invalid": ("金额格式不正确（元，最多两位小数）", "invalid amount (yuan, 2 decimals)"),
    "missing": ("必填", "required"),
    "extra_forbidden": ("不允许的字段", "field not allowed"),
    "string_too_short": ("长度不足", "too short"),
    "string_too_long": ("过长", "too long"),
    "string_pattern_mismatch": ("格式不正确", "wrong format"),
    "greater_than_equal": ("数值过小", "too small"),
    "greater_than": ("数值过小", "too small"),
    "less_than_equal": ("数值过大", "too large"),
    "less_than": ("数值过大", "too large"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数（金额以分为单位）", "must be an integer (amounts in fen)"),
    "date_from_datetime_parsing": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "date_parsing": ("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD"),
    "uuid_parsing": ("标识格式不正确", "invalid identifier"),
    "enum": ("取值不在允许范围内", "value not allowed"),
    "json_invalid": ("请求体不是合法的 JSON", "the body is not valid JSON"),
    "text_invalid": (
        "含有不允许的字符（控制字符、换行、双向控制符或仅有不可见字符）",
        "contains characters not allowed (control, line break, bidi control, or only invisible)",
    ),
    "date_implausible": ("日期不合理（应在 1900–2100 年之间）", "implausible date (1900–2100)"),
    "birth_date_implausible": (
        "出生日期不合理（应在 1900 年之后且年满 16 周岁）",
        "implausible birth date (after 1900 and at least 16 years old)",
    ),
    "int_type": ("应为整数（JSON 数字，不加引号）", "must be an integer (a JSON number, unquoted)"),
}


_HTTP_TITLES: dict[int, tuple[str, str]] = {
    404: ("未找到", "Not found"),
    405: ("方法不允许", "Method not allowed"),
    429: ("请求过于频繁", "Too many requests"),
}
_HTTP_DETAILS: dict[int, tuple[str, str]] = {
    404: ("您要找的页面不存在。", "The page you asked for does not exist."),
    405: ("此地址不接受这种请求。", "This address does not take this kind of request."),
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_problem(errors: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    items: list[dict[str, str]] = []
    for err in errors:
        kind = str(err.get("type", ""))
        zh, en = _FIELD_MESSAGES.get(kind, ("格式不正确", "invalid value"))
        field = _field_name(tuple(err.get("loc", ())))
        items.append({"field": field, "code": kind, "message": zh if lang == "zh" else en})
    sep = "；" if lang == "zh" else "; "
    listing = sep.join(f"{i['field']}: {i['message']}" for i in items)
    return {
        "type": "https://puhui.dev/problems/validation",
        "title": "输入有误" if lang == "zh" else "Invalid input",
        "status": 422,
        "code": "validation_failed",
        "detail": (f"以下字段有误：{listing}" if lang == "zh" else f"Invalid fields: {listing}"),
        "errors": items,
    }


def install_problem_type(app: Any, exc_type: type[Exception]) -> None:
    """Render another error family shaped like DomainError (``status`` and
    ``problem(lang, instance)``) as problem+json, e.g. the receivables errors, which stay free of
    ``puhui.core`` so that the independent verifier can use them alone."""

    async def _handler(request: Request, exc: Exception) -> Response:
        lang = request_lang(request)
        return respond(
            request,
            exc.problem(lang, str(request.url.path)),  # type: ignore[attr-defined]
            int(exc.status),  # type: ignore[attr-defined]
        )

    app.add_exception_handler(exc_type, _handler)


def install(app: Any) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        lang = request_lang(request)
        problem = exc.problem(lang, str(request.url.path))
        headers: dict[str, str] = {}
        if (retry_after := getattr(exc, "retry_after", None)) is not None:
            headers["Retry-After"] = str(retry_after)  # a login throttle's pause
        if exc.params:  # e.g. a cool-down's seconds, for the page (the JSON keeps its shape)
            problem_for_page = {**problem, "params": dict(exc.params)}
            if wants_page(request):
                return respond(request, problem_for_page, exc.status, headers)
        return respond(request, problem, exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        lang = request_lang(request)
        return respond(request, validation_problem(list(exc.errors()), lang), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = request_lang(request)
        zh, en = _HTTP_TITLES.get(exc.status_code, ("请求错误", "Request error"))
        detail_zh, detail_en = _HTTP_DETAILS.get(exc.status_code, (zh, en))
        return respond(
            request,
            {
                "type": "about:blank",
                "title": zh if lang == "zh" else en,
                "status": exc.status_code,
                "code": f"http_{exc.status_code}",
                "detail": detail_zh if lang == "zh" else detail_en,
            },
            exc.status_code,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/console/login?next={exc.next_url}", status_code=303)
