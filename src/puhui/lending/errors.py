"""Errors of the lending domain: stable codes, HTTP statuses, messages in zh-CN and English."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    message_zh = "未找到贷款产品 {product_code}。"
    message_en = "Loan product {product_code} not found."


class CreditLineNotFound(NotFound):
    code = "credit_line_not_found"
    message_zh = "未找到该授信额度。"
    message_en = "Credit line not found."


class LoanNotFound(NotFound):
    code = "loan_not_found"
    message_zh = "未找到该贷款。"
    message_en = "Loan not found."


class OfferOutOfBounds(DomainError):
    code = "offer_out_of_bounds"
    status = 422
    title_zh = "授信条件超出产品范围"
    title_en = "Offer outside the product's bounds"
    message_zh = "{what}超出产品 {product_code} 允许的范围（{low}–{high}）。"
    message_en = "{what_en} is outside the range of product {product_code} ({low}–{high})."


class MethodNotAllowed(DomainError):
    code = "repayment_method_not_allowed"
    status = 422
    title_zh = "还款方式不可用"
    title_en = "Repayment method not allowed"
    message_zh = "产品 {product_code} 不支持还款方式 {method}。"
    message_en = "Product {product_code} does not allow the repayment method {method}."


class DecisionAlreadyUsed(Conflict):
    code = "decision_already_used"
    message_zh = "该审批决定已生成过条件不同的授信额度。"
    message_en = "A credit line with other terms was already created from this decision."


class InvalidLineTransition(Conflict):
    code = "invalid_line_transition"
    message_zh = "授信额度当前状态为“{from_zh}”，不能变更为“{to_zh}”。"
    message_en = "A credit line in status {from_status} cannot become {to_status}."


class LineNotActive(Conflict):
    code = "credit_line_not_active"
    message_zh = "授信额度当前状态为“{status_zh}”，暂不能用款。"
    message_en = "The credit line is {status}; no drawdown is possible."


class LineFrozen(Conflict):
    code = "credit_line_frozen"
    message_zh = (
        "授信额度已被银行冻结，暂不能用款。原因：{reason}。"
        "已发放的借款照常还款；如有疑问请联系客户经理。"
    )
    message_en = (
        "The credit line is frozen by the bank; no drawdown is possible. Reason: {reason}. "
        "Loans already made run on as scheduled; your customer manager can explain."
    )


class LineOverdue(Conflict):
    code = "credit_line_overdue"
    message_zh = "借据 {loan} 已逾期 {dpd} 天，额度暂停用款；还清逾期款项后即可恢复用款。"
    message_en = (
        "Loan {loan} is {dpd} days past due, so no drawdown is possible on this line; "
        "drawdowns resume once the overdue amount is repaid."
    )


class LineExpired(Conflict):
    code = "credit_line_expired"
    message_zh = "授信额度已于 {expiry_date} 到期，不能用款。"
    message_en = "The credit line expired on {expiry_date}; no drawdown is possible."


class CreditLimitExceeded(Conflict):
    code = "credit_limit_exceeded"
    message_zh = "用款金额 {amount} 超过可用额度 {available}。"
    message_en = "The amount {amount} exceeds the available credit of {available}."


class LimitBelowUsed(Conflict):
    code = "limit_below_used"
    message_zh = "新额度 {limit} 低于已用额度 {used}，不能调减。"
    message_en = "The new limit {limit} is below the amount already used ({used})."


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 422
    title_zh = "金额无效"
    title_en = "Invalid amount"
    message_zh = "金额必须是大于 0 的整数（单位：分）。"
    message_en = "The amount must be a whole number of fen greater than 0."


class AmountOutOfBounds(DomainError):
    code = "amount_out_of_bounds"
    status = 422
    title_zh = "金额超出范围"
    title_en = "Amount out of range"
    message_zh = "单笔用款金额须在 {low} 至 {high} 之间。"
    message_en = "A drawdown must be between {low} and {high}."


class TermOutOfBounds(DomainError):
    code = "term_out_of_bounds"
    status = 422
    title_zh = "期限超出范围"
    title_en = "Term out of range"
    message_zh = "借款期限须在 {low} 至 {high} 个月之间。"
    message_en = "The term must be between {low} and {high} months."


class DrawdownFailed(Conflict):
    code = "drawdown_failed"
    message_zh = "放款失败，额度占用已释放，请稍后重试。"
    message_en = "The drawdown failed; the reserved credit was released. Please retry later."


class LoanNotActive(Conflict):
    code = "loan_not_active"
    message_zh = "贷款当前状态为“{status_zh}”，不能办理该业务。"
    message_en = "The loan is {status}; this is not possible."


class SettlementInsufficient(Conflict):
    code = "insufficient_funds"
    message_zh = "结算账户余额不足：本次需扣款 {needed}，可用余额 {available}。"
    message_en = "Insufficient settlement balance: {needed} is needed, {available} is available."


class NothingDue(Conflict):
    code = "nothing_due"
    message_zh = "该贷款当前没有到期应还款项；如需提前还款，请选择“提前还款”。"
    message_en = "Nothing is due on this loan now; choose a prepayment to repay early."


class PrepaymentNotAllowed(Conflict):
    code = "prepayment_not_allowed"
    message_zh = "该产品不允许提前还款。"
    message_en = "This product does not allow prepayment."


class PrepaymentTooSmall(Conflict):
    code = "prepayment_too_small"
    message_zh = "提前还款金额须大于到期应还款项与应计利息之和，至少 {minimum}。"
    message_en = "A prepayment must exceed what is due plus accrued interest: at least {minimum}."


class PrepaymentOptionInvalid(DomainError):
    code = "prepayment_option_invalid"
    status = 422
    title_zh = "提前还款方式无效"
    title_en = "Invalid prepayment option"
    message_zh = "{method_zh}贷款只能选择“期限不变，月供减少”。"
    message_en = "A {method} loan can only keep its term (keep_term)."


class ReliefNotAllowed(Conflict):
    code = "relief_not_allowed"
    message_zh = "不符合办理条件：{why_zh}"
    message_en = "Not eligible: {why_en}"


# --- bad-loan accounting (lending/writeoff.py) --------------------------------------------------


class WriteOffNotFound(NotFound):
    code = "write_off_not_found"
    message_zh = "核销申请不存在。"
    message_en = "No such write-off."


class WriteOffNotEligible(Conflict):
    code = "write_off_not_eligible"
    message_zh = "该贷款不能核销：{why_zh}"
    message_en = "This loan cannot be written off: {why_en}"


class WriteOffSameApprover(Conflict):
    code = "write_off_same_approver"
    message_zh = "核销须由提出人以外的另一人审批（双人复核）。"
    message_en = "A write-off must be approved by someone other than its proposer (maker-checker)."


class WriteOffWrongStatus(Conflict):
    code = "write_off_wrong_status"
    message_zh = "该核销申请已处理（{status_zh}），不能再次处理。"
    message_en = "This write-off has already been decided ({status})."


class RecoveryTooLarge(Conflict):
    code = "recovery_too_large"
    message_zh = "收回金额 {amount} 超过尚未收回的核销债权 {remaining}。"
    message_en = "The recovery {amount} exceeds the claim not yet recovered, {remaining}."


class PurposeForbidden(DomainError):
    code = "loan_purpose_forbidden"
    status = 422
    title_zh = "借款用途不允许"
    title_en = "Loan purpose not allowed"
    message_zh = "借款用途“{purpose_zh}”不允许：{reason_zh}"
    message_en = "The purpose “{purpose_en}” is not allowed: {reason_en}"


class EntrustedPaymentRequired(DomainError):
    code = "entrusted_payment_required"
    status = 422
    title_zh = "须受托支付"
    title_en = "Entrusted payment required"
    message_zh = (
        "单笔用款 {threshold} 元及以上须受托支付："
        "请选择交易对手（供应商）的已验证账户并填写发票号码。"
    )
    message_en = (
        "Drawdowns of {threshold} yuan or more are paid to the counterparty directly: choose the "
        "supplier's verified account and give the invoice number."
    )


class OwnAccountNotPayee(DomainError):
    code = "entrusted_payee_is_borrower"
    status = 422
    title_zh = "收款人不能是借款人本人"
    title_en = "The borrower cannot be the payee"
    message_zh = "受托支付须直接付给交易对手，借款人自己的账户不能作为收款账户。"
    message_en = (
        "Entrusted payment goes to the counterparty: the borrower's own account cannot be the "
        "payee."
    )


class InvalidInvoiceNumber(DomainError):
    code = "invalid_invoice_number"
    status = 422
    title_zh = "发票号码有误"
    title_en = "Invalid invoice number"
    message_zh = (
        "发票号码应为 20 位数电发票号码，或 8 位发票号码（可带 10/12 位发票代码，以“-”连接）。"
    )
    message_en = (
        "An invoice number has 20 digits (digital invoice), or 8 digits, optionally after a "
        "10- or 12-digit invoice code and a hyphen."
    )


# --- charges (lending/charges.py) ---


class ChargeNotFound(NotFound):
    code = "charge_not_found"

    def __init__(self) -> None:
        super().__init__(what="该收费", what_en="Charge")


class WaiverNotFound(NotFound):
    code = "charge_waiver_not_found"

    def __init__(self) -> None:
        super().__init__(what="该减免申请", what_en="Waiver")


class WaiverTooLarge(Conflict):
    code = "charge_waiver_too_large"
    message_zh = "减免金额超过该收费尚未收取且未在审批中的部分（{available} 元）。"
    message_en = "The waiver exceeds what is outstanding and not already proposed ({available})."


class WaiverSameOfficer(Conflict):
    code = "charge_waiver_same_officer"
    message_zh = "减免须由另一位员工复核（提出人与复核人不能相同）。"
    message_en = "A second staff member must approve the waiver (the maker cannot check it)."


class WaiverNotPending(Conflict):
    code = "charge_waiver_not_pending"
    message_zh = "该减免申请已处理（{status_zh}）。"
    message_en = "The waiver was already decided ({status})."
