"""The penalty rate the contract states is the rate the end of day charges.

The contract text is rendered from a product's terms (`contracts.pdf.render_text`), its 罚息利率
read back from the words, and a year of overdue principal run through the end of day's accrual
rule (`eod_rules.accrue_columns`, one day at a time, with its carry): the penalty charged over
the 360 days of an ACT/360 year is the overdue principal × the stated rate, rounded once. For the
default markup (+50 %) and a product-specific one (+30 %), with and without grace days.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

from puhui.lending.contracts.pdf import DEFAULT_PENALTY_MARKUP_BP, ContractTerms, render_text
from puhui.lending.eod_rules import INPUT_COLUMNS, UPDATED_DATES, UPDATED_INTS, accrue_columns
from puhui.lending.eod_rules import day_number as dn
from puhui.lending.overdue import accrue_overdue
from puhui.lending.products import DEFAULT_PRODUCTS, WEIYEDAI, ProductSpec

WEIYEDAI_SPEC = next(p for p in DEFAULT_PRODUCTS if p.code == WEIYEDAI)
PRODUCTS = [
    WEIYEDAI_SPEC,  # the default markup, 3 grace days
    replace(WEIYEDAI_SPEC, code="custom", penalty_markup_bp=3_000, grace_days=0),
]
OVERDUE_FEN = 123_456_789
DUE = date(2026, 3, 10)


def _terms(product: ProductSpec, rate_bp: int) -> ContractTerms:
    return ContractTerms(
        reference="LC-2026-000001",
        bank_name="普惠示范商业银行股份有限公司",
        enterprise_name="测试企业有限公司",
        enterprise_uscc="91330100MA27XXXX0X",
        enterprise_region="杭州",
        legal_rep_name="陈测试",
        product_code=product.code,
        product_name=product.name_zh,
        limit_fen=100_000_000,
        rate_bp=rate_bp,
        lpr_bp=300,
        term_months=12,
        expiry_date=date(2027, 3, 1),
        repayment_method=product.default_method.value,
        penalty_markup_bp=product.penalty_markup_bp,
        compound_interest=product.compound_interest,
        day_count=product.day_count.value,
        created_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
        grace_days=product.grace_days,
    )


def _stated_penalty_percent(text: str) -> Decimal:
    """The 罚息利率 of the rendered contract, as a percentage ("年利率 6.525%" → 6.525)."""
    found = set(re.findall(r"年利率 ([0-9.]+)%", text.split("罚息利率", 1)[1].split("\n", 1)[0]))
    assert len(found) == 1, found
    return Decimal(found.pop())


def _charged_over_a_year(product: ProductSpec, rate_bp: int) -> int:
    """Penalty the end of day's rule charges on OVERDUE_FEN over 360 days past the grace days."""
    first = DUE + timedelta(days=product.grace_days)  # the first day a penalty is charged
    col = {c: np.zeros(1, dtype=np.int64) for c in INPUT_COLUMNS}
    col |= {
        "principal_outstanding_fen": np.array([OVERDUE_FEN]),
        "overdue_principal_fen": np.array([OVERDUE_FEN]),
        "rate_bp": np.array([rate_bp]),
        "grace_days": np.array([product.grace_days]),
        "penalty_markup_bp": np.array([product.penalty_markup_bp]),
        "year_days": np.array([product.day_count.year_days]),
        "interest_accrued_through": np.array([dn(DUE)]),
        "next_due_date": np.array([-1]),
        "oldest_unpaid_due_date": np.array([dn(DUE)]),
        "penalty_accrued_through": np.array([dn(DUE) - 1]),
        "last_overdue_date": np.array([-1]),
    }
    total = 0
    day = DUE
    while day < first + timedelta(days=product.day_count.year_days):
        acc = accrue_columns(col, day)
        total += int(acc.penalty[0])
        col |= {c: acc.columns[c] for c in (*UPDATED_INTS, *UPDATED_DATES)}
        day += timedelta(days=1)
    return total


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda p: f"markup{p.penalty_markup_bp}")
@pytest.mark.parametrize("rate_bp", [435, 1_234, 1_800])
def test_the_contract_states_the_penalty_rate_the_end_of_day_charges(
    product: ProductSpec, rate_bp: int
) -> None:
    stated = _stated_penalty_percent(render_text(_terms(product, rate_bp)))
    year_of_penalty = (OVERDUE_FEN * stated / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert _charged_over_a_year(product, rate_bp) == int(year_of_penalty)
    # and the loan-by-loan accrual (simulate_day_per_loan) charges the same
    one_go = accrue_overdue(OVERDUE_FEN, 0, rate_bp, markup_bp=product.penalty_markup_bp, days=360)
    assert one_go.penalty_fen == int(year_of_penalty)


def test_the_default_markup_is_the_products_default() -> None:
    assert WEIYEDAI_SPEC.penalty_markup_bp == DEFAULT_PENALTY_MARKUP_BP == 5_000
