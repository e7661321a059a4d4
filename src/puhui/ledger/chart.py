"""The chart of accounts. Pure data: each account code with its type and normal side."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


@dataclass(frozen=True)
class AccountCode:
    code: str
    type: AccountType
    name_zh: str
    name_en: str
    no_overdraft: bool = False  # the balance on its normal side may never go below zero

    @property
    def normal_side(self) -> Side:
        return Side.DEBIT if self.type in (AccountType.ASSET, AccountType.EXPENSE) else Side.CREDIT


CHART: dict[str, AccountCode] = {
    a.code: a
    for a in (
        AccountCode(
            "settlement",
            AccountType.LIABILITY,
            "客户结算账户",
            "Borrower settlement account",
            no_overdraft=True,
        ),
        AccountCode(
            "loan_principal", AccountType.ASSET, "贷款本金", "Loan principal", no_overdraft=True
        ),
        AccountCode(
            "interest_receivable",
            AccountType.ASSET,
            "应收利息",
            "Interest receivable",
            no_overdraft=True,
        ),
        AccountCode(
            "penalty_receivable",
            AccountType.ASSET,
            "应收罚息",
            "Penalty receivable",
            no_overdraft=True,
        ),
        AccountCode("interest_income", AccountType.INCOME, "利息收入", "Interest income"),
        AccountCode("penalty_income", AccountType.INCOME, "罚息收入", "Penalty income"),
        AccountCode(
            "fee_income", AccountType.INCOME, "手续费及佣金收入", "Fee and commission income"
        ),
        AccountCode("bank_clearing", AccountType.ASSET, "银行清算账户", "Bank clearing"),
        AccountCode("suspense", AccountType.LIABILITY, "暂收暂付", "Suspense"),
        AccountCode(
            "receivable_financed",
            AccountType.ASSET,
            "应收账款融资",
            "Receivables financed",
            no_overdraft=True,
        ),
        AccountCode("discount_income", AccountType.INCOME, "贴现利息收入", "Discount income"),
        AccountCode(
            "discount_unearned",
            AccountType.LIABILITY,
            "贴现利息调整（未实现）",
            "Unearned discount income",
            no_overdraft=True,
        ),
        AccountCode(
            "payout_clearing",
            AccountType.LIABILITY,
            "待清算付款（在途）",
            "Payouts in clearing",
            no_overdraft=True,
        ),
        AccountCode(
            "verification_expense",
            AccountType.EXPENSE,
            "账户验证费用（打款验证）",
            "Account verification credits",
        ),
        AccountCode(
            "core_payable",
            AccountType.LIABILITY,
            "核心企业应付待清分",
            "Core enterprise payments awaiting clearing",
        ),
    )
}
