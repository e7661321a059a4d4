"""Domain errors with a stable code, an HTTP status and a message in zh-CN and English.

Each domain's errors.py subclasses DomainError. One handler (puhui.app) renders them as
RFC 9457 problem+json. Messages are templates filled from the error's params.
"""

from __future__ import annotations

from typing import Any, ClassVar

from puhui.core.i18n import Lang


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    title_zh: ClassVar[str] = "请求无法处理"
    title_en: ClassVar[str] = "The request cannot be processed"
    message_zh: ClassVar[str] = "请求无法处理。"
    message_en: ClassVar[str] = "The request cannot be processed."

    def __init__(self, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang) -> str:
        template = self.message_zh if lang == "zh" else self.message_en
        try:
            return template.format(field=self.field, **self.params)
        except (KeyError, IndexError):
            return template

    def title(self, lang: Lang) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def problem(self, lang: Lang, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://puhui.dev/problems/{self.code}",
            "title": self.title(lang),
            "status": self.status,
            "code": self.code,
            "detail": self.message(lang),
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["errors"] = [
                {"field": self.field, "code": self.code, "message": self.message(lang)}
            ]
        return body


class InvalidInput(DomainError):
    """A field failed a business validation (bad check digit, out of range, ...)."""

    code = "invalid_input"
    status = 422
    title_zh = "输入有误"
    title_en = "Invalid input"
    message_zh = "字段 {field} 的值无效。"
    message_en = "The value of field {field} is invalid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title_zh = "未找到"
    title_en = "Not found"
    message_zh = "未找到{what}。"
    message_en = "{what_en} not found."

    def __init__(self, what: str = "记录", what_en: str = "Record", **params: Any) -> None:
        super().__init__(what=what, what_en=what_en, **params)


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title_zh = "冲突"
    title_en = "Conflict"
    message_zh = "请求与当前状态冲突。"
    message_en = "The request conflicts with the current state."


class IdempotencyConflict(DomainError):
    code = "idempotency_key_reused"
    status = 409
    title_zh = "幂等键冲突"
    title_en = "Idempotency key reused"
    message_zh = "该幂等键已用于不同的请求内容。"
    message_en = "This idempotency key was already used with a different payload."


class IdempotencyKeyMissing(DomainError):
    """A money-moving command without its key (`core.idempotency.require_idempotency_key`)."""

    code = "idempotency_key_missing"
    status = 400
    title_zh = "缺少幂等键"
    title_en = "Idempotency key missing"
    message_zh = "资金类请求必须携带 Idempotency-Key 请求头（每笔业务一个唯一值）。"
    message_en = "Money-moving requests need an Idempotency-Key header (one unique value each)."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    title_zh = "未登录"
    title_en = "Not authenticated"
    message_zh = "请先登录。"
    message_en = "Please log in first."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title_zh = "无权访问"
    title_en = "Forbidden"
    message_zh = "您的角色无权执行此操作。"
    message_en = "Your role is not allowed to do this."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    title_zh = "登录失败"
    title_en = "Login failed"
    message_zh = "用户名或密码错误。"
    message_en = "Wrong username or password."


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    title_zh = "尝试次数过多"
    title_en = "Too many attempts"
    message_zh = "登录失败次数过多，请 {minutes} 分钟后再试。"
    message_en = "Too many failed logins; try again in {minutes} minutes."


class CsrfFailed(DomainError):
    code = "csrf_failed"
    status = 403
    title_zh = "请求校验失败"
    title_en = "CSRF check failed"
    message_zh = "页面已过期，请刷新后重试。"
    message_en = "The page has expired; reload it and try again."
