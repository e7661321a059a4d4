"""Types for the values that cross the API's edge, shared by every domain's schemas.py.

- Money (`Fen`, `PositiveFen`) is a JSON integer and nothing else: no "100000", no `true` (a
  1-fen repayment), no 100.0 — pydantic's lax mode would coerce each of them — and at most
  `MAX_FEN` (10 trillion yuan, far above any amount the bank books and far below where a sum
  of many could overflow a 64-bit column).
- Every other integer of a body (`Int64`) is strict and fits a BIGINT; an integer in a query
  or path (`QueryInt64`, a string on the wire) fits it too. Beyond, the database driver would
  raise and the client would see a 500.
- Text (`SafeText` single-line, `SafeMultiline`) refuses NUL and other control characters,
  bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, which make a name read
  differently from what is stored) and values made only of spaces or zero-width characters.
- Dates (`PlausibleDate`) lie between 1900 and 2100; a birth date (`BirthDate`, also the one
  inside a resident ID) between 1900 and sixteen years ago (the age of a resident ID holder
  who can sign for an enterprise).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError

from puhui.core.clock import SystemClock, business_date

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_FEN = 10**15  # 10 万亿元 (10 trillion yuan) in fen

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
ADULT_YEARS = 16


# Strict integers. `Int64` for a field without bounds of its own; a field with its own
# (`Field(ge=1, le=360)`) takes `StrictInt`, since pydantic would let the annotated int64
# bounds win over the field's.
Int64 = Annotated[int, Strict(), Field(ge=INT64_MIN, le=INT64_MAX)]
StrictInt = Annotated[int, Strict()]
QueryInt64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]  # query and path (lax: text)
Fen = Annotated[int, Strict(), Field(ge=0, le=MAX_FEN)]
PositiveFen = Annotated[int, Strict(), Field(gt=0, le=MAX_FEN)]

_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
_LINE_BREAKS = frozenset("\n\r\t")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored as text (None: it can). Pure; used by the validators."""
    for ch in value:
        if ch in _BIDI_CONTROLS:
            return f"bidirectional control U+{ord(ch):04X}"
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Zl", "Zp", "Co", "Cn") and not (
            multiline and ch in _LINE_BREAKS
        ):
            return f"control character U+{ord(ch):04X}"
    if value and all(ch.isspace() or ch in _INVISIBLE for ch in value):
        return "only spaces or invisible characters"
    return None


def _safe_line(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise PydanticCustomError("text_invalid", "text not allowed: {why}", {"why": problem})
    return value


def _safe_multiline(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem:
        raise PydanticCustomError("text_invalid", "text not allowed: {why}", {"why": problem})
    return value


SafeText = Annotated[str, AfterValidator(_safe_line)]
SafeMultiline = Annotated[str, AfterValidator(_safe_multiline)]


def _plausible(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError(
            "date_implausible",
            "date outside {earliest}..{latest}",
            {"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )
    return value


PlausibleDate = Annotated[date, AfterValidator(_plausible)]


def today_in_shanghai() -> date:
    """Today's date for edge validation (an age limit), not for business dates: those come from
    the injected Clock."""
    return business_date(SystemClock())


def is_plausible_birth_date(born: date, today: date) -> bool:
    """Born in 1900 or later, and at least sixteen years old on `today`."""
    try:
        latest = today.replace(year=today.year - ADULT_YEARS)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year - ADULT_YEARS, day=28)
    return EARLIEST_DATE <= born <= latest


def _birth(value: date) -> date:
    if not is_plausible_birth_date(value, today_in_shanghai()):
        raise PydanticCustomError("birth_date_implausible", "implausible birth date")
    return value


BirthDate = Annotated[date, AfterValidator(_birth)]
