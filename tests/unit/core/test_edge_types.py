"""The shared edge types (core/types.py): strict, bounded money and integers, safe text,
plausible dates (findings 6, 7 and 9 of the outside probe)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

from puhui.core.types import (
    INT64_MAX,
    MAX_FEN,
    BirthDate,
    Fen,
    Int64,
    PlausibleDate,
    PositiveFen,
    SafeMultiline,
    SafeText,
    is_plausible_birth_date,
)


class Body(BaseModel):
    amount_fen: PositiveFen = 1
    capital_fen: Fen = 0
    count: Int64 = 0
    name: SafeText = "x"
    note: SafeMultiline = "x"
    day: PlausibleDate = date(2026, 1, 1)
    born: BirthDate = date(1980, 1, 1)


@pytest.mark.parametrize("value", ['"100000"', "true", "100.0", "1e3", "null", "[1]"])
def test_money_is_a_json_integer_and_nothing_else(value: str) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate_json(f'{{"amount_fen": {value}}}')
    with pytest.raises(ValidationError):
        Body.model_validate({"amount_fen": value.strip('"')})


@pytest.mark.parametrize("value", [2**63, 2**64, -(2**63) - 1, 10**30, MAX_FEN + 1])
def test_integers_beyond_their_bounds_are_refused(value: int) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate_json(json.dumps({"amount_fen": value}))
    with pytest.raises(ValidationError):
        Body.model_validate_json(json.dumps({"capital_fen": value}))
    if abs(value) > INT64_MAX:
        with pytest.raises(ValidationError):
            Body.model_validate_json(json.dumps({"count": value}))


def test_bounds_and_signs() -> None:
    assert Body.model_validate_json('{"amount_fen": 100000, "count": -5}').amount_fen == 100000
    assert Body.model_validate_json(json.dumps({"capital_fen": MAX_FEN})).capital_fen == MAX_FEN
    with pytest.raises(ValidationError):
        Body.model_validate_json('{"amount_fen": 0}')
    with pytest.raises(ValidationError):
        Body.model_validate_json('{"capital_fen": -1}')


@pytest.mark.parametrize(
    "name",
    [
        "张三\x00",
        "abc\u202edef",
        "abc\u2066x",
        "line\nbreak",
        "carriage\rreturn",
        "tab\there",
        "bell\x07",
        "\u200b\u200b",
        "\u200d",
        "  ",
        "\ufeff",
        "del\x7f",
        "c1\x85",
    ],
)
def test_single_line_text_refuses_control_bidi_and_invisible_values(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        Body(name=name)
    assert err.value.errors()[0]["type"] == "text_invalid"


def test_ordinary_names_pass() -> None:
    for name in ("杭州示例精密机械有限公司", "O'Brien & Sons Ltd.", "李 四", "Zoë", "(株)テスト"):
        assert Body(name=name).name == name


def test_multiline_text_allows_line_breaks_only() -> None:
    assert Body(note="第一行\n第二行\r\n\t第三行").note
    with pytest.raises(ValidationError):
        Body(note="x\u202ey")
    with pytest.raises(ValidationError):
        Body(note="x\x00y")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_implausible_dates_are_refused(day: str) -> None:
    with pytest.raises(ValidationError) as err:
        Body.model_validate_json(f'{{"day": "{day}"}}')
    assert err.value.errors()[0]["type"] == "date_implausible"


def test_birth_dates_from_1900_to_sixteen_years_ago() -> None:
    today = date(2026, 12, 6)
    assert is_plausible_birth_date(date(1900, 1, 1), today)
    assert is_plausible_birth_date(date(2010, 12, 6), today)
    assert not is_plausible_birth_date(date(2010, 12, 7), today)
    assert not is_plausible_birth_date(date(1899, 12, 31), today)
    assert not is_plausible_birth_date(date(1800, 1, 1), today)
    assert not is_plausible_birth_date(date(2099, 1, 1), today)
    with pytest.raises(ValidationError):
        Body.model_validate_json('{"born": "2099-01-01"}')
