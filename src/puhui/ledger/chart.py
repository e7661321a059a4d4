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
        AccountCode(
            "fee_receivable",
            AccountType.ASSET,
            "应收手续费（贷款收费）",
            "Loan charges receivable",
            no_overdraft=True,
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
        # bad-loan accounting (lending/nonaccrual.py, provisions.py, writeoff.py)
        AccountCode(
            "interest_suspense",
            AccountType.LIABILITY,
            "应收利息暂挂（非应计）",
            "Interest in suspense (non-accrual)",
            no_overdraft=True,
        ),
        AccountCode(
            "penalty_suspense",
            AccountType.LIABILITY,
            "应收罚息暂挂（非应计）",
            "Penalty in suspense (non-accrual)",
            no_overdraft=True,
        ),
        AccountCode(
            "fee_suspense",
            AccountType.LIABILITY,
            "应收费用暂挂（非应计）",
            "Charges in suspense (non-accrual)",
            no_overdraft=True,
        ),
        AccountCode(
            "provision_expense",
            AccountType.EXPENSE,
            "信用减值损失（贷款）",
            "Loan-loss provision expense",
        ),
        AccountCode(
            "loan_loss_reserve", AccountType.LIABILITY, "贷款损失准备", "Loan-loss reserve"
        ),
        AccountCode(
            "written_off_claim",
            AccountType.ASSET,
            "已核销贷款（表外）",
            "Written-off claims (off-balance)",
            no_overdraft=True,
        ),
        AccountCode(
            "written_off_contra",
            AccountType.LIABILITY,
            "已核销贷款备查（表外对转）",
            "Written-off claims contra (off-balance)",
            no_overdraft=True,
        ),
        AccountCode(
            "recovery_income",
            AccountType.INCOME,
            "已核销贷款收回",
            "Recoveries of written-off loans",
        ),
        AccountCode(
            "payout_clearing",
            AccountType.LIABILITY,
            "待清算付款（在途）",
            "Payouts in clearing",
            no_overdraft=True,
        ),
        AccountCode(
            "returned_debit_claim",
            AccountType.ASSET,
            "代扣退票待追偿",
            "Returned direct debits to recover",
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
