"""Errors of the receivables chain: a stable code, an HTTP status, zh-CN and English messages.

These classes live here, free of ``puhui.core``, because the pure modules (state machine,
statements, verifier) must run on an export alone, on an auditor's machine. They have the same
shape as ``puhui.core.errors.DomainError`` (``code``, ``status``, ``title_*``, ``message(lang)``,
``problem(lang)``), so the API's problem+json handler can render them unchanged. The database
side's own errors (stale submissions, financing, settlement, proof ranges) are
``DomainError`` subclasses in ``service_errors.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

Lang = Literal["zh", "en"]


class ReceivablesError(Exception):
    """Base class. ``params`` fill the message templates."""

    code: ClassVar[str] = "receivables.error"
    status: ClassVar[int] = 409
    title_zh: ClassVar[str] = "应收款操作无法执行"
    title_en: ClassVar[str] = "The receivables operation cannot be done"
    message_zh: ClassVar[str] = "应收款操作无法执行。"
    message_en: ClassVar[str] = "The receivables operation cannot be done."

    def __init__(self, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: Lang = "en") -> str:
        template = self.message_zh if lang == "zh" else self.message_en
        try:
            return template.format(field=self.field, **self.params)
        except (KeyError, IndexError):
            return template

    def title(self, lang: Lang = "en") -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def problem(self, lang: Lang = "zh", instance: str | None = None) -> dict[str, Any]:
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


# --- statement form ------------------------------------------------------------------------


class MalformedStatement(ReceivablesError):
    code = "receivables.malformed_statement"
    status = 422
    title_zh = "操作报文格式错误"
    title_en = "Malformed statement"
    message_zh = "操作报文字段 {field} 无效：{reason_zh}"
    message_en = "Statement field {field} is invalid: {reason}"

    def __init__(self, field: str | None, reason: str, reason_zh: str | None = None) -> None:
        super().__init__(field, reason=reason, reason_zh=reason_zh or reason)


class NonCanonicalStatement(ReceivablesError):
    code = "receivables.non_canonical"
    status = 422
    title_zh = "报文不是规范编码"
    title_en = "Statement is not canonical"
    message_zh = "报文必须是规范 JSON（键排序、无空白、仅整数）：{reason}"
    message_en = (
        "The statement must be canonical JSON (sorted keys, no whitespace, integers only): {reason}"
    )


class UnknownOperation(ReceivablesError):
    code = "receivables.unknown_operation"
    status = 422
    title_zh = "未知操作"
    title_en = "Unknown operation"
    message_zh = "未知的操作类型 {op}。"
    message_en = "Unknown operation {op}."


class SequenceMismatch(ReceivablesError):
    code = "receivables.sequence_mismatch"
    status = 409
    title_zh = "序号不连续"
    title_en = "Sequence mismatch"
    message_zh = "应为第 {expected} 条操作，实为第 {got} 条（缺失、重复或顺序错误）。"
    message_en = "Expected statement seq {expected}, got {got} (missing, repeated or reordered)."


class TimeWentBackwards(ReceivablesError):
    code = "receivables.time_went_backwards"
    status = 409
    title_zh = "时间倒流"
    title_en = "Time went backwards"
    message_zh = "操作时间 {at} 早于上一条操作的时间 {previous}。"
    message_en = "Statement time {at} is before the previous statement's time {previous}."


# --- signatures and keys -------------------------------------------------------------------


class UnknownKey(ReceivablesError):
    code = "receivables.unknown_key"
    status = 403
    title_zh = "未知签名密钥"
    title_en = "Unknown signing key"
    message_zh = "签名密钥 {kid} 未登记。"
    message_en = "Signing key {kid} is not registered."


class KeyPartyMismatch(ReceivablesError):
    code = "receivables.key_party_mismatch"
    status = 403
    title_zh = "签名密钥与操作方不符"
    title_en = "Key does not belong to the actor"
    message_zh = "密钥 {kid} 属于 {owner}，而操作方是 {actor}。"
    message_en = "Key {kid} belongs to {owner}, but the actor is {actor}."


class KeyNotValid(ReceivablesError):
    code = "receivables.key_not_valid"
    status = 403
    title_zh = "签名密钥不在有效期内"
    title_en = "Signing key not valid at that time"
    message_zh = "密钥 {kid} 在 {at} 时不在有效期内。"
    message_en = "Key {kid} is not valid at {at}."


class BadSignature(ReceivablesError):
    code = "receivables.bad_signature"
    status = 403
    title_zh = "签名无效"
    title_en = "Invalid signature"
    message_zh = "签名验证失败。"
    message_en = "The signature does not verify."


# --- business rules ------------------------------------------------------------------------


class ActorNotAllowed(ReceivablesError):
    code = "receivables.actor_not_allowed"
    status = 403
    title_zh = "无权执行该操作"
    title_en = "Actor not allowed"
    message_zh = "{actor} 无权对 {target} 执行 {op}，应由 {expected} 执行。"
    message_en = "{actor} may not {op} {target}; it must be done by {expected}."


class LimitMissing(ReceivablesError):
    code = "receivables.limit_missing"
    status = 409
    title_zh = "无供应链额度"
    title_en = "No supply-chain limit"
    message_zh = "核心企业 {party} 没有平台授予的供应链额度。"
    message_en = "Core enterprise {party} has no supply-chain limit granted by the platform."


class LimitExceeded(ReceivablesError):
    code = "receivables.limit_exceeded"
    status = 409
    title_zh = "超出供应链额度"
    title_en = "Supply-chain limit exceeded"
    message_zh = (
        "核心企业 {party} 额度 {limit_fen} 分，已用 {outstanding_fen} 分，"
        "本次 {amount_fen} 分，超出额度。"
    )
    message_en = (
        "Core enterprise {party} has a limit of {limit_fen} fen with {outstanding_fen} fen "
        "outstanding; {amount_fen} fen more exceeds it."
    )


class InvoiceMismatch(ReceivablesError):
    code = "receivables.invoice_mismatch"
    status = 409
    title_zh = "发票信息不一致"
    title_en = "Invoice mismatch"
    message_zh = "发票 {invoice} 已登记为 {known}，与本次 {given} 不一致。"
    message_en = "Invoice {invoice} was registered as {known}, not {given}."


class InvoiceExhausted(ReceivablesError):
    code = "receivables.invoice_exhausted"
    status = 409
    title_zh = "发票金额不足"
    title_en = "Invoice exhausted"
    message_zh = (
        "发票 {invoice} 金额 {amount_fen} 分，已支持 {used_fen} 分，"
        "不足以再支持 {requested_fen} 分。"
    )
    message_en = (
        "Invoice {invoice} of {amount_fen} fen already backs {used_fen} fen; it cannot back "
        "{requested_fen} fen more."
    )


class AlreadyExists(ReceivablesError):
    code = "receivables.already_exists"
    status = 409
    title_zh = "编号已存在"
    title_en = "Already exists"
    message_zh = "{kind_zh} {id} 已存在。"
    message_en = "{kind} {id} already exists."


class NotFound(ReceivablesError):
    code = "receivables.not_found"
    status = 404
    title_zh = "未找到"
    title_en = "Not found"
    message_zh = "未找到{kind_zh} {id}。"
    message_en = "{kind} {id} not found."


class InvalidAmount(ReceivablesError):
    code = "receivables.invalid_amount"
    status = 422
    title_zh = "金额无效"
    title_en = "Invalid amount"
    message_zh = "{field} 金额 {amount_fen} 分无效，应为 1 至 {max_fen} 分之间的整数。"
    message_en = "{field} amount {amount_fen} fen is invalid; it must be 1 to {max_fen} fen."


class InvalidDate(ReceivablesError):
    code = "receivables.invalid_date"
    status = 422
    title_zh = "日期无效"
    title_en = "Invalid date"
    message_zh = "{field} 日期 {date} 无效：{reason_zh}"
    message_en = "{field} date {date} is invalid: {reason}"


class PartStatusInvalid(ReceivablesError):
    code = "receivables.part_status_invalid"
    status = 409
    title_zh = "凭证拆分状态不允许该操作"
    title_en = "Part status does not allow this"
    message_zh = "凭证 {part} 当前状态为 {status}，{op} 需要状态 {needed}。"
    message_en = "Part {part} is {status}; {op} needs {needed}."


class DoubleSpend(PartStatusInvalid):
    """The part was already consumed (transferred, split, financed or cleared)."""

    code = "receivables.double_spend"
    title_zh = "重复使用"
    title_en = "Double spend"
    message_zh = "凭证 {part} 已被使用（状态 {status}），不能再次 {op}。"
    message_en = "Part {part} was already used (status {status}); it cannot {op} again."


class CertificateStatusInvalid(ReceivablesError):
    code = "receivables.certificate_status_invalid"
    status = 409
    title_zh = "凭证状态不允许该操作"
    title_en = "Certificate status does not allow this"
    message_zh = "凭证 {cert} 当前状态为 {status}，{op} 需要状态 {needed}。"
    message_en = "Certificate {cert} is {status}; {op} needs {needed}."


class SplitInvalid(ReceivablesError):
    code = "receivables.split_invalid"
    status = 422
    title_zh = "拆分无效"
    title_en = "Invalid split"
    message_zh = "拆分无效：{reason_zh}"
    message_en = "Invalid split: {reason}"


class PartBelowMinimum(ReceivablesError):
    code = "receivables.part_below_minimum"
    status = 422
    title_zh = "拆分金额过小"
    title_en = "Part below minimum"
    message_zh = "拆分金额 {amount_fen} 分低于最低 {minimum_fen} 分。"
    message_en = "Part amount {amount_fen} fen is below the minimum of {minimum_fen} fen."


class SelfTransfer(ReceivablesError):
    code = "receivables.self_transfer"
    status = 422
    title_zh = "不能转让给自己"
    title_en = "Transfer to self"
    message_zh = "{party} 不能把凭证转让给自己。"
    message_en = "{party} cannot transfer a part to itself."


class NotAFinancier(ReceivablesError):
    code = "receivables.not_a_financier"
    status = 403
    title_zh = "非融资机构"
    title_en = "Not a financier"
    message_zh = "{party} 不是平台登记的融资机构。"
    message_en = "{party} is not a financier registered with the platform."


class PriceMismatch(ReceivablesError):
    code = "receivables.price_mismatch"
    status = 409
    title_zh = "融资价格不符"
    title_en = "Price mismatch"
    message_zh = (
        "按年利率 {rate_bp} 基点、剩余 {days} 天计算，"
        "融资价格应为 {expected_fen} 分，而不是 {got_fen} 分。"
    )
    message_en = (
        "At {rate_bp} bp a year for {days} days the price is {expected_fen} fen, not {got_fen} fen."
    )


class CertificateMatured(ReceivablesError):
    code = "receivables.certificate_matured"
    status = 409
    title_zh = "凭证已到期"
    title_en = "Certificate matured"
    message_zh = "凭证 {cert} 已于 {maturity_date} 到期，不能再 {op}。"
    message_en = "Certificate {cert} matured on {maturity_date}; it cannot {op} any more."


class NotYetMatured(ReceivablesError):
    code = "receivables.not_yet_matured"
    status = 409
    title_zh = "凭证未到期"
    title_en = "Not yet matured"
    message_zh = "凭证 {cert} 到期日为 {maturity_date}，{business_date} 还不能 {op}。"
    message_en = "Certificate {cert} matures on {maturity_date}; on {business_date} it cannot {op}."


class PaymentMismatch(ReceivablesError):
    code = "receivables.payment_mismatch"
    status = 409
    title_zh = "兑付金额不符"
    title_en = "Payment mismatch"
    message_zh = "{target} 应付 {expected_fen} 分，而不是 {got_fen} 分。"
    message_en = "{target} is due {expected_fen} fen, not {got_fen} fen."


class PendingOperations(ReceivablesError):
    code = "receivables.pending_operations"
    status = 409
    title_zh = "存在待处理操作"
    title_en = "Pending operations"
    message_zh = "凭证 {cert} 仍有待签收的拆分 {part}，请先完成或撤回。"
    message_en = "Certificate {cert} still has pending part {part}; complete or cancel it first."


class InvariantBroken(ReceivablesError):
    """The state itself is inconsistent: a bug or a tampered replay, never user input."""

    code = "receivables.invariant_broken"
    status = 500
    title_zh = "账实不符"
    title_en = "Invariant broken"
    message_zh = "凭证 {cert} 有效拆分合计 {total_fen} 分，与票面 {face_fen} 分不符。"
    message_en = (
        "Live parts of certificate {cert} sum to {total_fen} fen, not the face {face_fen} fen."
    )


class HolderMismatch(ReceivablesError):
    code = "receivables.holder_mismatch"
    status = 409
    title_zh = "持有人不符"
    title_en = "Holder mismatch"
    message_zh = "凭证 {part} 的持有人是 {holder}，不是 {given}。"
    message_en = "Part {part} is held by {holder}, not {given}."


class CheckpointInvalid(ReceivablesError):
    code = "receivables.checkpoint_invalid"
    status = 422
    title_zh = "树头签名无效"
    title_en = "Invalid checkpoint"
    message_zh = "签名树头无效：{reason_zh}"
    message_en = "Invalid signed checkpoint: {reason}"

    def __init__(self, reason: str, reason_zh: str | None = None) -> None:
        super().__init__(None, reason=reason, reason_zh=reason_zh or reason)
