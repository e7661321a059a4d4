"""The default of "trusted payees only" (适老化): an older sole proprietor, or large-type mode."""

from __future__ import annotations

from datetime import date

from puhui.payments.protection import age_on, default_reason, is_sole_proprietor

SOLE = "92330100MA2XXXXX1X"
COMPANY = "91330100MA2XXXXX1X"
TODAY = date(2026, 12, 7)


def test_age_counts_full_years() -> None:
    assert age_on(date(1966, 12, 7), TODAY) == 60
    assert age_on(date(1966, 12, 8), TODAY) == 59
    assert age_on(date(1964, 2, 29), date(2024, 2, 28)) == 59


def test_an_older_sole_proprietor_is_protected_by_default() -> None:
    assert is_sole_proprietor(SOLE) and not is_sole_proprietor(COMPANY)
    kwargs = {"today": TODAY, "large_type": False, "min_age": 60}
    assert default_reason(uscc=SOLE, birth=date(1960, 5, 1), **kwargs) == "age"  # type: ignore[arg-type]
    assert default_reason(uscc=SOLE, birth=date(1980, 5, 1), **kwargs) is None  # type: ignore[arg-type]
    assert default_reason(uscc=COMPANY, birth=date(1940, 5, 1), **kwargs) is None  # type: ignore[arg-type]
    assert default_reason(uscc=SOLE, birth=None, **kwargs) is None  # type: ignore[arg-type]


def test_large_type_mode_protects_anyone_and_age_zero_switches_the_age_rule_off() -> None:
    assert (
        default_reason(uscc=COMPANY, birth=None, today=TODAY, large_type=True, min_age=60)
        == "large_type"
    )
    assert (
        default_reason(uscc=SOLE, birth=date(1930, 1, 1), today=TODAY, large_type=False, min_age=0)
        is None
    )
