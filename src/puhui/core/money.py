"""Money: integer fen in storage, Decimal for arithmetic, one rounding rule (ROUND_HALF_UP)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from puhui.core.errors import InvalidInput

FEN_PER_YUAN = 100
ONE_FEN = Decimal("1")


INT64_MAX = 2**63 - 1  # the largest amount a BIGINT column holds, in fen


class MoneyFormatError(ValueError):
    """Raised for an amount that is not a valid yuan string."""


def round_fen(value: Decimal) -> int:
    """Round a Decimal amount of fen to a whole fen, half up (the project's one rounding rule)."""
    return int(value.quantize(ONE_FEN, rounding=ROUND_HALF_UP))


def yuan_to_fen(
    text: str | int | Decimal, *, field: str | None = None, positive: bool = False
) -> int:
    """Parse yuan as people type it into fen: "1,234.56", "12，345", "¥100", "￥100", "100元",
    full-width digits ("１００００"), "10万" / "1.5万", surrounding spaces; also an int or a
    Decimal. More than 2 decimals (of the yuan), exponents, NaN/Infinity and amounts beyond a
    64-bit fen count are errors, and so is an amount ≤ 0 when `positive`.

    Refused input raises :class:`MoneyFormatError`, or, when `field` is given (a form or payload
    field), :class:`~puhui.core.errors.InvalidInput` naming that field, which pages show by the
    field's label in either language ("“金额（元）”填写有误…")."""
    try:
        fen = _parse_fen(text)
        if positive and fen <= 0:
            raise MoneyFormatError(f"not a positive amount: {text!r}")
    except MoneyFormatError as exc:
        if field is None:
            raise
        raise InvalidInput(field=field) from exc
    return fen


_AMOUNT_RE = re.compile(r"(-?)(\d+)(?:\.(\d+))?\s*(万)?")


def _parse_fen(text: str | int | Decimal) -> int:
    if isinstance(text, bool):
        raise MoneyFormatError(f"not an amount: {text!r}")
    if isinstance(text, int):
        return _bounded(Decimal(text) * FEN_PER_YUAN, text)
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise MoneyFormatError(f"not an amount: {text!r}")
        return _bounded(text * FEN_PER_YUAN, text)
    # full-width digits, point, comma and yuan sign to their ASCII forms (NFKC)
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    raw = raw.removeprefix("¥").removesuffix("元").strip().replace(",", "")
    match = _AMOUNT_RE.fullmatch(raw)
    if match is None or len(raw) > 40:
        raise MoneyFormatError(f"not an amount: {text!r}")
    sign, whole, decimals, wan = match.groups()
    value = Decimal(f"{sign}{whole}.{decimals or '0'}")
    if wan:
        value *= 10_000
    return _bounded(value * FEN_PER_YUAN, text)


def _bounded(fen: Decimal, text: object) -> int:
    if fen != fen.to_integral_value():
        raise MoneyFormatError(f"more than two decimals: {text!r}")
    if abs(fen) > INT64_MAX:
        raise MoneyFormatError(f"beyond what can be stored: {text!r}")
    return int(fen)


def format_fen(fen: int, symbol: str = "¥") -> str:
    """Display fen as yuan with thousands separators: 123456789 -> '¥1,234,567.89'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def apply_rate_bp(amount_fen: int, rate_bp: int) -> int:
    """amount × rate (basis points), rounded half up to the fen."""
    return round_fen(Decimal(amount_fen) * Decimal(rate_bp) / Decimal(10000))
