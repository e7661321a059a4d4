"""Money: integer fen in storage, Decimal for arithmetic, one rounding rule (ROUND_HALF_UP)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from puhui.core.errors import InvalidInput

FEN_PER_YUAN = 100
ONE_FEN = Decimal("1")


class MoneyFormatError(ValueError):
    """Raised for an amount that is not a valid yuan string."""


def round_fen(value: Decimal) -> int:
    """Round a Decimal amount of fen to a whole fen, half up (the project's one rounding rule)."""
    return int(value.quantize(ONE_FEN, rounding=ROUND_HALF_UP))


def yuan_to_fen(
    text: str | int | Decimal, *, field: str | None = None, positive: bool = False
) -> int:
    """Parse yuan ("1,234.56", "12，345", "¥100", Decimal) into fen; more than 2 decimals is an
    error, and so is an amount ≤ 0 when `positive`.

    Refused input raises :class:`MoneyFormatError`, or, when `field` is given (a form or payload
    field), :class:`~puhui.core.errors.InvalidInput` naming that field, which pages show by the
    field's label."""
    try:
        fen = _parse_fen(text)
        if positive and fen <= 0:
            raise MoneyFormatError(f"not a positive amount: {text!r}")
    except MoneyFormatError as exc:
        if field is None:
            raise
        raise InvalidInput(field=field) from exc
    return fen


def _parse_fen(text: str | int | Decimal) -> int:
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    raw = str(text)
    for mark in (",", "，", "¥", "￥"):  # thousands separators (also full-width), yuan signs
        raw = raw.replace(mark, "")
    try:
        value = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise MoneyFormatError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyFormatError(f"not an amount: {text!r}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyFormatError(f"more than two decimals: {text!r}")
    return int(fen)


def format_fen(fen: int, symbol: str = "¥") -> str:
    """Display fen as yuan with thousands separators: 123456789 -> '¥1,234,567.89'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def apply_rate_bp(amount_fen: int, rate_bp: int) -> int:
    """amount × rate (basis points), rounded half up to the fen."""
    return round_fen(Decimal(amount_fen) * Decimal(rate_bp) / Decimal(10000))
