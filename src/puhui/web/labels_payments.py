"""The payments domain's words (merged into `web.labels.CATALOGUE`): statuses of payments,
accounts, verification, reconciliation, ISO 20022 message types and the ledger entry kinds
payments and the payout reversal post."""

from __future__ import annotations

from puhui.lending.purposes import PURPOSE_LABELS

Pair = tuple[str, str]

PAYMENT_LABELS: dict[str, dict[str, Pair]] = {
    "payment_status": {
        "created": ("待发送", "Created"),
        "submitted": ("已发送", "Submitted"),
        "accepted": ("银行已受理", "Accepted by the bank"),
        "settled": ("已到账", "Settled"),
        "rejected": ("被拒绝", "Rejected"),
        "returned": ("已退回", "Returned"),
    },
    "payment_kind": {
        "payout": ("付款", "Payout"),
        "direct_debit": ("代扣（直接借记）", "Direct debit"),
    },
    "payment_source": {
        "drawdown": ("放款", "Disbursement"),
        "transfer": ("转账", "Transfer"),
        "verification": ("打款验证", "Account verification"),
        "repayment": ("还款扣款", "Repayment collection"),
        "receivables_finance": ("应收款贴现回款", "Receivables discount proceeds"),
        "receivables_clear": ("应收款到期清分", "Receivables clearing at maturity"),
        "order_finance": ("订单融资放款", "Order financing proceeds"),
        "dealer_entrusted": ("经销商融资受托支付", "Dealer financing paid to the core enterprise"),
    },
    "account_status": {
        "pending": ("待验证", "Awaiting verification"),
        "verified": ("已验证", "Verified"),
        "failed": ("验证未通过", "Verification failed"),
    },
    "verification_method": {
        "in_house": ("本行账户", "Account at this bank"),
        "name_check": ("户名核验", "Account-name check"),
        "micro_credit": ("小额打款验证", "Micro-credit check"),
    },
    "direction": {
        "outbound": ("发出", "Sent"),
        "inbound": ("收到", "Received"),
    },
    "message_type": {
        "pain.001.001.10": ("付款指令 pain.001", "Credit transfer pain.001"),
        "pain.002.001.11": ("状态报告 pain.002", "Status report pain.002"),
        "pain.008.001.09": ("直接借记 pain.008", "Direct debit pain.008"),
        "camt.054.001.08": ("借贷记通知 camt.054", "Debit/credit notification camt.054"),
        "camt.053.001.08": ("日终对账单 camt.053", "End-of-day statement camt.053"),
    },
    "recon_status": {
        "clean": ("无差错", "Clean"),
        "open": ("有待处理差错", "Breaks open"),
        "resolved": ("差错已处理", "Breaks resolved"),
        "overridden": ("风险官放行", "Overridden by a risk officer"),
    },
    "break_status": {
        "open": ("待处理", "Open"),
        "proposed": ("待复核", "Awaiting confirmation"),
        "resolved": ("已处理", "Resolved"),
    },
    "break_kind": {
        "only_on_statement": ("银行有、账务无", "On the statement only"),
        "only_in_ledger": ("账务有、银行无", "In the ledger only"),
        "amount_mismatch": ("金额不符", "Amount mismatch"),
    },
    "trusted_only_by": {
        "enterprise": ("由企业开启", "Switched on by the enterprise"),
        "representative": ("由法定代表人设定", "Set by the legal representative"),
        "age": (
            "默认开启：个体工商户经营者已达设定年龄",
            "On by default: a sole proprietor over the set age",
        ),
        "large_type": ("默认开启：使用大字模式", "On by default: large-type mode"),
    },
    "transfer_status": {
        "awaiting_guardian": ("等待监管人确认", "Waiting for the guardian"),
        "sent": ("已发出", "Sent"),
        "cancelled": ("已取消", "Cancelled"),
    },
    "payment_reason": {
        "AC04": ("AC04 账户已销户", "AC04 closed account"),
        "AM04": ("AM04 余额不足", "AM04 insufficient funds"),
        "MD06": ("MD06 付款人要求退回", "MD06 refund requested by the debtor"),
        "resubmitted": (
            "超时后重新发送（同一端到端标识）",
            "Resubmitted after a timeout (same id)",
        ),
        "timeout": ("未收到银行回执（超时）", "No answer from the bank (timeout)"),
        "rejected": ("被拒绝", "Rejected"),
        "returned": ("已退回", "Returned"),
    },
    "rail": {
        "sandbox": ("沙箱清算", "Sandbox clearing"),
        "iso20022_http": ("ISO 20022 银行接口", "ISO 20022 bank gateway"),
    },
}

PAYMENT_LABELS["loan_purpose"] = {p.value: pair for p, pair in PURPOSE_LABELS.items()}

ENTRY_KINDS: dict[str, Pair] = {
    "payout_hold": ("付款冻结（在途）", "Payout held in clearing"),
    "payment_settled": ("付款到账", "Payment settled"),
    "payment_rejected": ("付款被拒退回", "Payment rejected, released"),
    "payment_returned": ("付款退回", "Payment returned"),
    "drawdown_reversal": ("放款退回冲销", "Drawdown reversed"),
    "transfer_out": ("转出（行内）", "Transfer out (in-house)"),
}
