"""The one `yuan_to_fen`: the amounts people type, and the values a probe sends (finding 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.core.errors import InvalidInput
from puhui.core.money import INT64_MAX, MoneyFormatError, yuan_to_fen
from puhui.web.i18n import error_text


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("10000", 1_000_000),
        ("10,000", 1_000_000),
        ("12，345.6", 1_234_560),
        ("¥100", 10_000),
        ("￥100.05", 10_005),
        ("  100  ", 10_000),
        ("１００００", 1_000_000),  # full-width digits
        ("１．５万", 1_500_000),
        ("10万", 10_000_000),
        ("1.5万", 1_500_000),
        ("1.5 万元", 1_500_000),
        ("100元", 10_000),
        ("0.01", 1),
        (Decimal("2.5"), 250),
        (7, 700),
    ],
)
def test_accepts_what_people_type(text: str | int | Decimal, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "1e30",
        "1E3",
        "sNaN",
        "",
        "  ",
        "abc",
        "1.001",
        "92233720368547759",  # beyond int64 once in fen
        "9" * 40,
        "10万万",
        "万",
        "1_000",
        "--1",
    ],
)
def test_refuses_non_amounts(text: str) -> None:
    with pytest.raises(MoneyFormatError):
        yuan_to_fen(text)


def test_refuses_decimals_that_are_not_finite_or_too_large() -> None:
    for value in (Decimal("NaN"), Decimal("Infinity"), Decimal("1e30")):
        with pytest.raises(MoneyFormatError):
            yuan_to_fen(value)
    with pytest.raises(MoneyFormatError):
        yuan_to_fen(INT64_MAX)


def test_a_field_gets_a_clear_bilingual_message() -> None:
    with pytest.raises(InvalidInput) as err:
        yuan_to_fen("1e30", field="amount_yuan")
    assert err.value.field == "amount_yuan"
    # the message names the field and shows the accepted formats (web.i18n's format hint)
    zh = error_text(err.value, "zh")
    assert zh.startswith("“金额（元）”填写有误，请检查后重新提交。") and "10万" in zh
    assert "amount" in error_text(err.value, "en").lower()
    with pytest.raises(InvalidInput):
        yuan_to_fen("0", field="amount_yuan", positive=True)


@given(st.integers(min_value=0, max_value=INT64_MAX // 100))
def test_round_trips_every_whole_fen_amount(fen: int) -> None:
    text = f"{fen // 100}.{fen % 100:02d}"
    assert yuan_to_fen(text) == fen
    assert yuan_to_fen(f"{fen // 100:,}.{fen % 100:02d}") == fen
