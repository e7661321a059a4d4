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
