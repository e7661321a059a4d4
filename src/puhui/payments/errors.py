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
