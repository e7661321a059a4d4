"""Errors of the receivables service in the database, and the idempotency-key check.

Unlike :mod:`puhui.receivables.errors` (free of ``puhui.core``, because the auditor's verifier
imports it), these are ``puhui.core.errors.DomainError`` subclasses: only the database side
raises them (stale or foreign submitted statements, financing, settlement, proof ranges, the
log's configuration). The idempotency-key check is core's
(``puhui.core.idempotency.require_idempotency_key``).
"""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, Forbidden


class StaleStatement(Conflict):
    code = "receivables.stale_statement"
    title_zh = "待签报文已过期"
    title_en = "Prepared statement is stale"
    message_zh = "{reason_zh}请重新获取待签报文（prepare）并签名。"
    message_en = "{reason} Prepare the statement again and sign it."


class StatementMismatch(DomainError):
    code = "receivables.statement_mismatch"
    status = 422
    title_zh = "报文与平台记录不符"
    title_en = "Statement does not match"
    message_zh = "提交的报文与平台按同一请求生成的报文不一致：{reason_zh}"
    message_en = "The submitted statement differs from the one the platform makes: {reason}"


class NotOwnStatement(Forbidden):
    code = "receivables.not_own_statement"
    message_zh = "只能提交本企业作为操作方的报文（{op} 由平台或银行签署）。"
    message_en = "Only statements whose actor is your own enterprise can be submitted ({op})."


class FinancingUnavailable(Conflict):
    code = "receivables.financing_unavailable"
    title_zh = "暂不支持融资"
    title_en = "Financing not available"
    message_zh = "核心企业 {party}（评级 {grade}）的凭证暂不支持贴现融资。"
    message_en = "Certificates of core enterprise {party} (grade {grade}) cannot be discounted."


class InsufficientSettlement(Conflict):
    code = "receivables.insufficient_settlement"
    title_zh = "结算账户余额不足"
    title_en = "Insufficient settlement balance"
    message_zh = (
        "凭证 {cert} 应付 {due_fen} 分（含罚息 {penalty_fen} 分），"
        "结算账户可用 {available_fen} 分。"
    )
    message_en = (
        "Certificate {cert} needs {due_fen} fen (penalty {penalty_fen} fen included); the "
        "settlement account has {available_fen} fen."
    )


class ProofRangeInvalid(DomainError):
    code = "receivables.proof_range_invalid"
    status = 422
    title_zh = "证明范围无效"
    title_en = "Invalid proof range"
    message_zh = "{reason_zh}"
    message_en = "{reason}"


class LogNotEmpty(Conflict):
    code = "receivables.log_not_empty"
    message_zh = "日志已有 {size} 条记录，不能再修改来源名称或规则。"
    message_en = "The log already has {size} entries; its origin and rules can no longer change."


class NoLogKey(Conflict):
    code = "receivables.no_log_key"
    message_zh = "尚未发布任何签名树头，请先发布（puhui receivables checkpoint）。"
    message_en = (
        "No checkpoint was published yet; publish one first (puhui receivables checkpoint)."
    )
