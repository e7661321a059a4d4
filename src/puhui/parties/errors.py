from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class EnterpriseNotFound(NotFound):
    code = "enterprise_not_found"
    message_zh = "未找到该企业。"
    message_en = "Enterprise not found."


class PersonNotFound(NotFound):
    code = "person_not_found"
    message_zh = "未找到该人员。"
    message_en = "Person not found."


class EnterpriseExists(Conflict):
    code = "enterprise_exists"
    message_zh = "统一社会信用代码 {uscc} 已登记。"
    message_en = "An enterprise with unified social credit code {uscc} already exists."


class PersonExists(Conflict):
    code = "person_exists"
    message_zh = "该身份证号已登记。"
    message_en = "A person with this resident ID already exists."


class InvalidRelationship(DomainError):
    code = "invalid_relationship"
    status = 422
    title_zh = "关系无效"
    title_en = "Invalid relationship"
    message_zh = "关系 {kind} 需要{need}。"
    message_en = "Relationship {kind} needs {need_en}."
