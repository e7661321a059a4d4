"""Loan purposes and entrusted payment rules (pure)."""

from __future__ import annotations

import pytest

from puhui.lending import purposes
from puhui.lending.purposes import LoanPurpose


@pytest.mark.parametrize(
    "purpose", [LoanPurpose.SECURITIES, LoanPurpose.REAL_ESTATE, LoanPurpose.EQUITY_INVESTMENT]
)
def test_speculation_is_always_refused_with_its_reason(purpose: LoanPurpose) -> None:
    refused = purposes.refusal(purpose, refinancing_allowed=True)
    assert refused is not None and "不得" in refused.reason_zh and refused.reason_en


def test_repaying_other_debts_depends_on_the_product() -> None:
    assert purposes.refusal(LoanPurpose.REPAY_OTHER_DEBT) is not None
    assert purposes.refusal(LoanPurpose.REPAY_OTHER_DEBT, refinancing_allowed=True) is None
    assert purposes.refusal(LoanPurpose.PAY_SUPPLIER) is None


def test_every_purpose_has_both_labels() -> None:
    assert set(purposes.PURPOSE_LABELS) == set(LoanPurpose)


def test_entrusted_payment_from_the_threshold_or_for_listed_products() -> None:
    assert purposes.needs_entrusted_payment(100, 100, "P", frozenset())
    assert not purposes.needs_entrusted_payment(99, 100, "P", frozenset())
    assert purposes.needs_entrusted_payment(1, 100, "P", frozenset({"P"}))


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("26332000000012345678", True),
        ("12345678", True),
        ("3300171130-12345678", True),
        ("033001700211-12345678", True),
        ("1234567", False),
        ("ABCDEFGH", False),
        ("3300171130_12345678", False),
    ],
)
def test_invoice_numbers(number: str, ok: bool) -> None:
    assert purposes.valid_invoice_number(number) is ok


def test_same_holder_ignores_blanks_and_bracket_width() -> None:
    assert purposes.same_holder("杭州某某（集团）有限公司", "杭州某某(集团) 有限公司")
    assert not purposes.same_holder("杭州甲有限公司", "杭州乙有限公司")
