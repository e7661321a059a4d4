"""Money: integer fen in storage, Decimal for arithmetic, one rounding rule (ROUND_HALF_UP)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
ONE_FEN = Decimal("1")


class MoneyFormatError(ValueError):
    """Raised for an amount that is not a valid yuan string."""


def round_fen(value: Decimal) -> int:
    """Round a Decimal amount of fen to a whole fen, half up (the project's one rounding rule)."""
    return int(value.quantize(ONE_FEN, rounding=ROUND_HALF_UP))


def yuan_to_fen(text: str | int | Decimal) -> int:
    """Parse yuan ("1,234.56", "100", Decimal) into fen; more than 2 decimals is an error."""
    if isinstance(text, int):
        return text * FEN_PER_YUAN
    raw = str(text).replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyFormatError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyFormatError(f"not an amount: {text!r}")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyFormatError(f"more than two decimals: {text!r}")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_fen(fen: int, symbol: str = "¥") -> str:
    """Display fen as yuan with thousands separators: 123456789 -> '¥1,234,567.89'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def apply_rate_bp(amount_fen: int, rate_bp: int) -> int:
    """amount × rate (basis points), rounded half up to the fen."""
    return round_fen(Decimal(amount_fen) * Decimal(rate_bp) / Decimal(10000))
