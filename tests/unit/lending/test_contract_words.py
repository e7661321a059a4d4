"""Chinese capital numerals for amounts (大写金额) and the contract's other wording."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from puhui.lending.contracts.words import (
    amount_in_capitals,
    date_zh,
    format_yuan,
    mask_name,
    percent_from_bp,
    spread_wording,
)
from puhui.lending.overdue import penalty_rate_bp


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (10, "壹角"),
        (15, "壹角伍分"),
        (100, "壹元整"),
        (1_005, "壹拾元零伍分"),  # 10.05: 角 is 0 and 分 is not → 零 after 元
        (1_000, "壹拾元整"),  # a leading 拾 is written 壹拾
        (1_510, "壹拾伍元壹角"),
        (10_100, "壹佰零壹元整"),
        (100_100, "壹仟零壹元整"),
        (101_000, "壹仟零壹拾元整"),
        (168_032, "壹仟陆佰捌拾元叁角贰分"),  # PBOC example 1,680.32
        (1_640_902, "壹万陆仟肆佰零玖元零贰分"),  # PBOC example 16,409.02
        (32_504, "叁佰贰拾伍元零肆分"),  # PBOC example 325.04
        (1_000_500, "壹万零伍元整"),
        (10_001_000, "壹拾万零壹拾元整"),
        (100_000_000, "壹佰万元整"),  # 1,000,000
        # PBOC example 1,070,000.53: 零 after 元 is optional when 角 ≠ 0; we leave it out.
        (107_000_053, "壹佰零柒万元伍角叁分"),
        (1_000_000_000, "壹仟万元整"),  # 10,000,000: the 普惠 ceiling
        (1_001_000_000, "壹仟零壹万元整"),
        (10_000_000_000, "壹亿元整"),
        (10_001_000_010, "壹亿零壹万元壹角"),  # 100,010,000.10
        (10_000_001_000, "壹亿零壹拾元整"),
        (123_456_789_012, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
        (99_999_999_999_999, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_capitals(fen: int, words: str) -> None:
    assert amount_in_capitals(fen) == words


def test_amount_in_capitals_refuses_bad_amounts() -> None:
    with pytest.raises(ValueError):
        amount_in_capitals(-1)
    with pytest.raises(ValueError):
        amount_in_capitals(10**14)
    with pytest.raises(TypeError):
        amount_in_capitals(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        amount_in_capitals(True)


def test_amount_words_use_only_the_capital_digits() -> None:
    allowed = set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整")
    for fen in range(0, 2_000_000, 7_919):
        assert set(amount_in_capitals(fen)) <= allowed


def test_format_yuan() -> None:
    assert format_yuan(100_000_000) == "1,000,000.00"
    assert format_yuan(1) == "0.01"
    assert format_yuan(10_001_000_010) == "100,010,000.10"


def test_rates() -> None:
    assert percent_from_bp(345) == "3.45%"
    assert percent_from_bp(300) == "3.00%"
    assert percent_from_bp(5_000, 0) == "50%"
    assert penalty_rate_bp(345) == Decimal("517.5")
    assert percent_from_bp(penalty_rate_bp(345)) == "5.175%"
    assert penalty_rate_bp(400, 3_000) == Decimal("520")
    assert spread_wording(345, 300) == ("加 45 个基点", "plus 45 basis points")
    assert spread_wording(280, 300)[0] == "减 20 个基点"
    assert spread_wording(300, 300)[0] == "不加减点"


def test_dates_and_names() -> None:
    assert date_zh(date(2027, 1, 5)) == "2027年1月5日"
    assert mask_name("陈测试") == "陈**"
    assert mask_name("林明") == "林*"
