"""Errors of the consents domain (data authorization under PIPL)."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class ConsentMissing(DomainError):
    """No live consent covers the source, purpose and scope: the data may not be used."""

    code = "consent_missing"
    status = 403
    title_zh = "缺少数据授权"
    title_en = "Consent missing"
    message_zh = "未获得有效授权：数据源 {sources}，用途 {purpose}，范围 {scope}。"
    message_en = "No live consent for data source {sources}, purpose {purpose}, scope {scope}."


class ConsentNotFound(NotFound):
    code = "consent_not_found"
    message_zh = "未找到该授权记录。"
    message_en = "Consent not found."


class ConsentAlreadyEnded(Conflict):
    code = "consent_already_ended"
    title_zh = "授权已失效"
    title_en = "Consent already ended"
    message_zh = "该授权已撤回或已被新的授权取代，无需再次撤回。"
    message_en = "This consent was already revoked or superseded."


class PurposeNotAllowed(DomainError):
    code = "consent_purpose_not_allowed"
    status = 422
    title_zh = "用途不允许"
    title_en = "Purpose not allowed"
    message_zh = "数据源 {source} 不能用于 {purpose}。"
    message_en = "Data source {source} may not be used for {purpose}."


class ScopeNotAllowed(DomainError):
    code = "consent_scope_not_allowed"
    status = 422
    title_zh = "授权范围不允许"
    title_en = "Scope not allowed"
    message_zh = "数据源 {source} 不支持授权范围 {scope}。"
    message_en = "Data source {source} does not support scope {scope}."


class PersonNotLegalRepresentative(DomainError):
    code = "consent_person_not_legal_representative"
    status = 422
    title_zh = "授权人不符"
    title_en = "Wrong person"
    message_zh = "法定代表人授权须由该企业登记的法定代表人本人作出。"
    message_en = (
        "A legal-representative consent must come from the enterprise's registered legal "
        "representative."
    )


class ConsentTextUnknown(DomainError):
    code = "consent_text_unknown"
    status = 422
    title_zh = "授权书版本无效"
    title_en = "Unknown consent text"
    message_zh = "数据源 {source} 的授权书版本 {version} 不存在。"
    message_en = "Consent text version {version} of data source {source} does not exist."


class ConsentTextOutdated(Conflict):
    code = "consent_text_outdated"
    title_zh = "授权书已更新"
    title_en = "Consent text outdated"
    message_zh = "数据源 {source} 的授权书已更新为 {current} 版，请阅读新版后重新授权。"
    message_en = (
        "The consent text of data source {source} is now version {current}; "
        "read the new text and consent again."
    )


class ConsentTextMismatch(Conflict):
    code = "consent_text_mismatch"
    title_zh = "授权书内容不一致"
    title_en = "Consent text mismatch"
    message_zh = "数据源 {source} 展示的授权书内容与登记版本不一致，请刷新后重试。"
    message_en = (
        "The consent text shown for data source {source} differs from the registered "
        "version; reload and try again."
    )
