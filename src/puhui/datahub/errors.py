"""Errors of the data hub: provider failures, each with a stable code and zh/en messages.

A failed pull stores nothing. The consent refusal (`ConsentMissing`, 403) lives in
`puhui.consents.errors`, because it is the consent domain's rule that the hub enforces.
"""

from __future__ import annotations

from puhui.core.errors import DomainError, NotFound


class ProviderTimeout(DomainError):
    code = "provider_timeout"
    status = 504
    title_zh = "数据源超时"
    title_en = "Data provider timeout"
    message_zh = "数据源 {source} 响应超时，请稍后重试。"
    message_en = "Data provider {source} timed out; try again later."


class ProviderUnavailable(DomainError):
    code = "provider_unavailable"
    status = 502
    title_zh = "数据源不可用"
    title_en = "Data provider unavailable"
    message_zh = "数据源 {source} 暂时不可用（{reason}），请稍后重试。"
    message_en = "Data provider {source} is unavailable ({reason}); try again later."


class ProviderBadPayload(DomainError):
    code = "provider_bad_payload"
    status = 502
    title_zh = "数据源返回数据无效"
    title_en = "Invalid data from provider"
    message_zh = "数据源 {source} 返回的数据格式无效，未予采用。"
    message_en = "Data provider {source} returned invalid data; it was not used."


class ProviderRejected(DomainError):
    code = "provider_rejected"
    status = 502
    title_zh = "数据源拒绝请求"
    title_en = "Request rejected by provider"
    message_zh = "数据源 {source} 拒绝了查询请求（HTTP {http_status}）。"
    message_en = "Data provider {source} rejected the query (HTTP {http_status})."


class SubjectUnknown(DomainError):
    code = "provider_subject_unknown"
    status = 404
    title_zh = "数据源无此主体"
    title_en = "Subject unknown to provider"
    message_zh = "数据源 {source} 没有该主体的记录。"
    message_en = "Data provider {source} has no record of this subject."


class CircuitOpen(DomainError):
    code = "provider_circuit_open"
    status = 503
    title_zh = "数据源暂停调用"
    title_en = "Data provider paused"
    message_zh = "数据源 {source} 连续失败，已暂停调用，约 {retry_after_s} 秒后自动重试。"
    message_en = (
        "Data provider {source} failed repeatedly and is paused; calls resume in about "
        "{retry_after_s} seconds."
    )


class SourceNotConfigured(DomainError):
    code = "provider_not_configured"
    status = 503
    title_zh = "数据源未配置"
    title_en = "Data source not configured"
    message_zh = "数据源 {source} 尚未配置接入。"
    message_en = "Data source {source} is not configured."


class SnapshotNotFound(NotFound):
    code = "snapshot_not_found"
    message_zh = "未找到该数据快照。"
    message_en = "Snapshot not found."


class SnapshotDestroyed(DomainError):
    code = "snapshot_destroyed"
    status = 410
    title_zh = "数据快照已销毁"
    title_en = "Snapshot destroyed"
    message_zh = "该数据快照已按保存期限或本人删除请求销毁，仅保留其哈希。"
    message_en = (
        "This snapshot was destroyed at the end of its retention period or at the data "
        "subject's request; only its hash is kept."
    )


class PersonalRecordsPrivate(DomainError):
    """A person's own housing-fund or social-security records (便民查询) are shown to that
    person only: not pulled nor read through the staff API."""

    code = "datahub_personal_records_private"
    status = 403
    title_zh = "仅限本人查看"
    title_en = "For the person only"
    message_zh = "个人公积金、社保记录依本人授权仅向本人展示，不能通过此接口查询或读取。"
    message_en = (
        "A person's own housing-fund and social-security records are shown only to that "
        "person under his or her consent; this interface cannot pull or read them."
    )
