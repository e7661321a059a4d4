"""Loan purpose and entrusted payment (受托支付) rules (pure).

Every drawdown records what the money is for, from a list. Some purposes are forbidden for a
working-capital loan whatever the amount (《流动资金贷款管理办法》: not for fixed-asset or equity
investment, not for securities, futures or real-estate speculation); repaying other debts is
forbidden unless the product allows refinancing.

Entrusted payment: at or above a threshold (`PUHUI_PAYMENTS_ENTRUSTED_THRESHOLD_FEN`, by default
5,000,000 yuan a drawdown, the figure the rules used for years; and always for the products
listed in `PUHUI_PAYMENTS_ENTRUSTED_PRODUCTS`) the bank pays the borrower's counterparty
directly: the payee must be a verified account that is not the borrower's own (another holder
name), and the trade evidence — the invoice number — is recorded. An invoice number is the
20-digit number of a fully digital invoice (全电发票) or the 8-digit number of a paper VAT
invoice, optionally after its 10- or 12-digit invoice code (`code-number`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class LoanPurpose(StrEnum):
    WORKING_CAPITAL = "working_capital"  # 日常经营周转
    RAW_MATERIALS = "raw_materials"  # 采购原材料、商品
    PAY_SUPPLIER = "pay_supplier"  # 支付供应商货款
    PAYROLL = "payroll"  # 发放工资
    RENT_AND_UTILITIES = "rent_and_utilities"  # 支付租金、水电
    EQUIPMENT_SMALL = "equipment_small"  # 小型设备、工具
    SECURITIES = "securities"  # 投资股票、基金、期货 — forbidden
    REAL_ESTATE = "real_estate"  # 购房、房地产投资 — forbidden
    EQUITY_INVESTMENT = "equity_investment"  # 股权投资 — forbidden
    REPAY_OTHER_DEBT = "repay_other_debt"  # 偿还其他借款 — forbidden unless the product allows


PURPOSE_LABELS: dict[LoanPurpose, tuple[str, str]] = {
    LoanPurpose.WORKING_CAPITAL: ("日常经营周转", "Day-to-day working capital"),
    LoanPurpose.RAW_MATERIALS: ("采购原材料、商品", "Raw materials and goods"),
    LoanPurpose.PAY_SUPPLIER: ("支付供应商货款", "Paying a supplier"),
    LoanPurpose.PAYROLL: ("发放工资", "Payroll"),
    LoanPurpose.RENT_AND_UTILITIES: ("支付租金、水电", "Rent and utilities"),
    LoanPurpose.EQUIPMENT_SMALL: ("小型设备、工具", "Small equipment and tools"),
    LoanPurpose.SECURITIES: ("投资股票、基金、期货", "Securities, funds, futures"),
    LoanPurpose.REAL_ESTATE: ("购房、房地产投资", "Buying or investing in real estate"),
    LoanPurpose.EQUITY_INVESTMENT: ("股权投资", "Equity investment"),
    LoanPurpose.REPAY_OTHER_DEBT: ("偿还其他借款", "Repaying other debts"),
}

FORBIDDEN: dict[LoanPurpose, tuple[str, str]] = {
    LoanPurpose.SECURITIES: (
        "贷款资金不得用于股票、基金、期货等投资。",
        "Loan money may not be invested in shares, funds or futures.",
    ),
    LoanPurpose.REAL_ESTATE: (
        "贷款资金不得用于购房或房地产投资。",
        "Loan money may not buy or speculate in real estate.",
    ),
    LoanPurpose.EQUITY_INVESTMENT: (
        "流动资金贷款不得用于股权投资。",
        "A working-capital loan may not fund equity investments.",
    ),
    LoanPurpose.REPAY_OTHER_DEBT: (
        "本产品不允许用于偿还其他借款。",
        "This product may not be used to repay other debts.",
    ),
}

_INVOICE = re.compile(r"^(\d{20}|(\d{10}-|\d{12}-)?\d{8})$")


@dataclass(frozen=True)
class PurposeRefusal:
    purpose: LoanPurpose
    reason_zh: str
    reason_en: str


def refusal(purpose: LoanPurpose, *, refinancing_allowed: bool = False) -> PurposeRefusal | None:
    """Why `purpose` is refused (None: allowed)."""
    if purpose is LoanPurpose.REPAY_OTHER_DEBT and refinancing_allowed:
        return None
    reason = FORBIDDEN.get(purpose)
    return None if reason is None else PurposeRefusal(purpose, *reason)


def needs_entrusted_payment(
    amount_fen: int, threshold_fen: int, product_code: str, always_products: frozenset[str]
) -> bool:
    return amount_fen >= threshold_fen or product_code in always_products


def valid_invoice_number(value: str) -> bool:
    return bool(_INVOICE.match(value.strip()))


def same_holder(a: str, b: str) -> bool:
    """Whether two account names are one holder (blanks and full-width brackets ignored)."""

    def norm(s: str) -> str:
        return re.sub(r"\s+", "", s).replace("（", "(").replace("）", ")").lower()

    return norm(a) == norm(b)
