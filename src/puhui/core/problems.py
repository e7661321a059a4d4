"""RFC 9457 problem+json rendering for domain errors and malformed payloads, in zh-CN or English."""

from __future__ import annotations

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
        return JSONResponse(
            exc.problem(lang, str(request.url.path)),  # type: ignore[attr-defined]
            status_code=int(exc.status),  # type: ignore[attr-defined]
            media_type=PROBLEM,
            headers={"Content-Language": "zh-CN" if lang == "zh" else "en"},
        )

    app.add_exception_handler(exc_type, _handler)


def install(app: Any) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        lang = request_lang(request)
        return JSONResponse(
            exc.problem(lang, str(request.url.path)),
            status_code=exc.status,
            media_type=PROBLEM,
            headers={"Content-Language": "zh-CN" if lang == "zh" else "en"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        lang = request_lang(request)
        return JSONResponse(
            validation_problem(list(exc.errors()), lang),
            status_code=422,
            media_type=PROBLEM,
            headers={"Content-Language": "zh-CN" if lang == "zh" else "en"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        lang = request_lang(request)
        titles = {404: ("未找到", "Not found"), 405: ("方法不允许", "Method not allowed")}
        zh, en = titles.get(exc.status_code, ("请求错误", "Request error"))
        return JSONResponse(
            {
                "type": "about:blank",
                "title": zh if lang == "zh" else en,
                "status": exc.status_code,
                "code": f"http_{exc.status_code}",
                "detail": zh if lang == "zh" else en,
            },
            status_code=exc.status_code,
            media_type=PROBLEM,
        )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/console/login?next={exc.next_url}", status_code=303)
