"""Errors of the payments domain: stable codes, HTTP statuses, messages in zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message_zh = "未找到该笔支付。"
    message_en = "Payment not found."


class PayoutAccountNotFound(NotFound):
    code = "payout_account_not_found"
    message_zh = "未找到该收款账户。"
    message_en = "Payout account not found."


class PayoutAccountNotVerified(Conflict):
    code = "payout_account_not_verified"
    title_zh = "账户尚未验证"
    title_en = "Account not verified"
    message_zh = "他行账户须先完成验证（户名核验或小额打款验证）才能使用。"
    message_en = (
        "Another bank's account must be verified (name check or micro-credit) before first use."
    )


class PayoutAccountExists(Conflict):
    code = "payout_account_exists"
    message_zh = "该账户已登记。"
    message_en = "This account is already registered."


class InvalidAccountNumber(DomainError):
    code = "invalid_account_number"
    status = 422
    title_zh = "账号有误"
    title_en = "Invalid account number"
    message_zh = "账号须为 8–32 位数字。"
    message_en = "An account number has 8 to 32 digits."


class InvalidBankCode(DomainError):
    code = "invalid_bank_code"
    status = 422
    title_zh = "行号有误"
    title_en = "Invalid bank code"
    message_zh = "行号（联行号）须为 12 位数字。"
    message_en = "A bank code (CNAPS) has 12 digits."


class VerificationFailed(DomainError):
    code = "account_verification_failed"
    status = 422
    title_zh = "账户验证未通过"
    title_en = "Account verification failed"
    message_zh = "账户验证未通过：{reason_zh}"
    message_en = "Account verification failed: {reason_en}"


class VerificationNotPending(Conflict):
    code = "account_verification_not_pending"
    message_zh = "该账户当前无待确认的验证。"
    message_en = "This account has no verification awaiting confirmation."


class PaymentStateConflict(Conflict):
    code = "payment_state_conflict"
    message_zh = "该笔支付当前状态（{status_zh}）不允许此操作。"
    message_en = "The payment's status ({status}) does not allow this."


class ReconRunNotFound(NotFound):
    code = "recon_run_not_found"
    message_zh = "未找到该日对账。"
    message_en = "Reconciliation run not found."


class ReconBreakNotFound(NotFound):
    code = "recon_break_not_found"
    message_zh = "未找到该对账差错。"
    message_en = "Reconciliation break not found."


class SameMakerAndChecker(Conflict):
    code = "recon_same_maker_checker"
    title_zh = "须由另一人复核"
    title_en = "A second person must confirm"
    message_zh = "手工匹配须由提出人以外的另一人复核。"
    message_en = "A manual match must be confirmed by someone other than the person proposing it."


class BreakNotProposed(Conflict):
    code = "recon_break_not_proposed"
    message_zh = "该差错尚无待复核的手工匹配。"
    message_en = "This break has no manual match awaiting confirmation."


class UnreconciledBreaks(Conflict):
    code = "unreconciled_breaks"
    title_zh = "对账未平，不能日终"
    title_en = "Unreconciled breaks: the day cannot close"
    message_zh = (
        "{day} 清算账户对账尚有 {count} 笔差错未解决（合计 {amount} 元，阈值 {threshold} 元）；"
        "请先处理差错，或由风险官填写理由后放行。"
    )
    message_en = (
        "{day}: {count} unresolved reconciliation breaks on the clearing account ({amount} yuan, "
        "threshold {threshold} yuan); resolve them, or a risk officer overrides with a reason."
    )


class OverrideReasonRequired(DomainError):
    code = "recon_override_reason_required"
    status = 422
    title_zh = "请填写放行理由"
    title_en = "A reason is required"
    message_zh = "放行须填写至少 10 个字的理由。"
    message_en = "An override needs a reason of at least 10 characters."


class MandateMissing(Conflict):
    code = "direct_debit_mandate_missing"
    title_zh = "未签署代扣授权"
    title_en = "No direct-debit mandate"
    message_zh = "从他行账户代扣须先签署代扣授权。"
    message_en = "Collecting from another bank's account needs a signed direct-debit mandate."


class PayeeCapExceeded(DomainError):
    code = "trusted_payee_cap_exceeded"
    status = 422
    title_zh = "超过可信任收款人限额"
    title_en = "Above the trusted payee's cap"
    message_zh = "付给该收款人的单笔金额不能超过 {cap} 元。"
    message_en = "A payment to this payee may not exceed {cap} yuan."


class GuardianRequired(Conflict):
    code = "transfer_guardian_required"
    title_zh = "须由转账监管人确认"
    title_en = "The transfer guardian must confirm"
    message_zh = "已开启“只向可信任收款人付款”：向其他收款人付款须先指定转账监管人。"
    message_en = "Payouts go to trusted payees only: name a transfer guardian to confirm others."


class TransferNotAwaiting(Conflict):
    code = "transfer_not_awaiting_guardian"
    message_zh = "该笔转账不在等待监管人确认。"
    message_en = "This transfer is not waiting for the guardian."


class TransferNotFound(NotFound):
    code = "transfer_not_found"
    message_zh = "未找到该笔转账。"
    message_en = "Transfer not found."


class LegalRepresentativeUnknown(Conflict):
    code = "legal_representative_unknown"
    title_zh = "未登记法定代表人"
    title_en = "No legal representative on record"
    message_zh = "该企业尚未登记法定代表人，无法验证转账监管人的设置。"
    message_en = "The enterprise has no legal representative on record to verify the guardian."


class AgentPaymentCapExceeded(DomainError):
    code = "agent_payment_cap_exceeded"
    status = 422
    title_zh = "超过经办人单笔限额"
    title_en = "Above the agent's per-payment limit"
    message_zh = "法定代表人为经办人设定的单笔付款限额为 {cap} 元。"
    message_en = "The legal representative limits the agent's payments to {cap} yuan each."


class AgentDailyCapExceeded(DomainError):
    code = "agent_daily_cap_exceeded"
    status = 422
    title_zh = "超过经办人当日限额"
    title_en = "Above the agent's daily limit"
    message_zh = "法定代表人为经办人设定的当日付款限额为 {cap} 元，今日已付 {used} 元。"
    message_en = (
        "The legal representative limits the agent's payouts to {cap} yuan a day; "
        "{used} yuan were paid today."
    )


class AgentPayeeNotAllowed(DomainError):
    code = "agent_payee_not_allowed"
    status = 422
    title_zh = "经办人只能付给可信任收款人"
    title_en = "The agent may pay trusted payees only"
    message_zh = "法定代表人限定经办人只能向可信任收款人（冷静期已过）付款。"
    message_en = (
        "The legal representative allows the agent to pay only trusted payees "
        "(past their cooling-off)."
    )


class InvalidLimit(DomainError):
    code = "agent_limit_invalid"
    status = 422
    title_zh = "限额有误"
    title_en = "Invalid limit"
    message_zh = "限额须为正数金额（元），留空表示不限。"
    message_en = "A limit is a positive amount in yuan; leave it empty for none."


class InvoiceUnknown(DomainError):
    code = "invoice_unknown"
    status = 422
    title_zh = "发票不存在"
    title_en = "Unknown invoice"
    message_zh = "税务发票查验未找到发票 {number}，受托支付须提供真实有效的发票。"
    message_en = (
        "The tax invoice check does not know invoice {number}; an entrusted payment needs a "
        "genuine invoice."
    )


class InvoiceAmountMismatch(DomainError):
    code = "invoice_amount_mismatch"
    status = 422
    title_zh = "金额超过发票金额"
    title_en = "Amount above the invoice"
    message_zh = "发票 {number} 的价税合计为 {invoice} 元，支付金额 {amount} 元超过发票金额。"
    message_en = "Invoice {number} totals {invoice} yuan; the payment of {amount} yuan exceeds it."


class InvoicePayeeMismatch(DomainError):
    code = "invoice_payee_mismatch"
    status = 422
    title_zh = "收款人与发票不符"
    title_en = "Payee does not match the invoice"
    message_zh = "发票 {number} 的销售方为“{seller}”、购买方为“{buyer}”，与本次收款人或借款人不符。"
    message_en = (
        "Invoice {number} was issued by “{seller}” to “{buyer}”: that is not this payee or "
        "this borrower."
    )


class RepresentativeCodeRequired(DomainError):
    code = "trusted_only_needs_representative"
    status = 403
    title_zh = "须法定代表人验证"
    title_en = "The legal representative must verify"
    message_zh = "关闭“只向可信任收款人付款”须法定代表人手机验证码。"
    message_en = "Turning off “trusted payees only” needs the legal representative's code."
