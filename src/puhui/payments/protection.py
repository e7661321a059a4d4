"""Whether "trusted payees only" is on by default (适老化), pure.

A sole proprietor (个体工商户: the unified social credit code's registration category "92")
whose legal representative has reached `min_age` (from the birth date in the resident ID), and
any enterprise using the large-type mode, starts with payouts to trusted payees only. Once the
legal representative has decided (verified by a code to their mobile), the default no longer
applies.
"""

from __future__ import annotations

from datetime import date

SOLE_PROPRIETOR_PREFIX = "92"  # GB 32100-2015: 9 = 工商, 2 = 个体工商户


def is_sole_proprietor(uscc: str) -> bool:
    return uscc.startswith(SOLE_PROPRIETOR_PREFIX)


def age_on(birth: date, day: date) -> int:
    """Full years from `birth` to `day` (a 29 February birthday counts on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def default_reason(
    *, uscc: str, birth: date | None, today: date, large_type: bool, min_age: int
) -> str | None:
    """ "age" or "large_type" when the default switches "trusted payees only" on, else None."""
    if (
        min_age > 0
        and birth is not None
        and is_sole_proprietor(uscc)
        and age_on(birth, today) >= min_age
    ):
        return "age"
    if large_type:
        return "large_type"
    return None
