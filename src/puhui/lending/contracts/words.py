"""How a contract writes amounts, rates and dates (pure functions, no database, no I/O).

`amount_in_capitals` follows the People's Bank of China rules for 中文大写金额 (支付结算办法,
附一 "正确填写票据和结算凭证的基本规定"):

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 within a group of four, 万 and 亿 between groups;
- a 拾 at the head is written 壹拾 (10 → 壹拾元整);
- one 零 stands for one or several zeros between non-zero digits (1,001 → 壹仟零壹元整,
  100,010,000 → 壹亿零壹万元整); trailing zeros of the yuan part are silent;
- 整 follows 元 when there are no 角 and no 分; nothing follows 角 or 分;
- 角 = 0 with 分 ≠ 0 writes 零 after 元 (10.05 → 壹拾元零伍分); less than one yuan starts
  with the 角 or 分 (0.01 → 壹分); zero is 零元整.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿")
MAX_FEN = 10**12 * 100 - 1  # below 1 万亿 yuan


def _group_words(value: int) -> str:
    """Words of a group of four digits (1..9999), zeros inside written as one 零."""
    digits = [(value // 10**i) % 10 for i in range(3, -1, -1)]  # thousands .. units
    out: list[str] = []
    pending_zero = False
    for pos, digit in enumerate(digits):
        unit = _IN_GROUP[3 - pos]
        if digit == 0:
            if out:
                pending_zero = True
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(DIGITS[digit] + unit)
    return "".join(out)


def _yuan_words(yuan: int) -> str:
    groups: list[int] = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    out: list[str] = []
    need_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            if out:
                need_zero = True
            continue
        if out and (need_zero or group < 1000):
            out.append("零")
        need_zero = False
        out.append(_group_words(group) + _GROUPS[index])
    return "".join(out)


def amount_in_capitals(fen: int) -> str:
    """Fen in Chinese capital numerals: 100_000_000 → 壹佰万元整, 1_005 → 壹拾元零伍分."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("amount_in_capitals takes an integer amount of fen")
    if fen < 0:
        raise ValueError("a contract amount is never negative")
    if fen > MAX_FEN:
        raise ValueError("amount too large for capital numerals")
    if fen == 0:
        return "零元整"
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    out = ""
    if yuan:
        out = _yuan_words(yuan) + "元"
    if jiao == 0 and fen_digit == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen_digit:
        out += DIGITS[fen_digit] + "分"
    return out


def format_yuan(fen: int) -> str:
    """Fen as yuan with thousands separators and two decimals: 100000000 → '1,000,000.00'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


def percent_from_bp(bp: int | Decimal, min_decimals: int = 2) -> str:
    """Basis points as a percentage: 345 → '3.45%', 517.5 → '5.175%', (5000, 0) → '50%'."""
    value = Decimal(bp) / Decimal(100)
    text = format(value.normalize(), "f")
    whole, _, decimals = text.partition(".")
    decimals = decimals.ljust(min_decimals, "0")
    return f"{whole}.{decimals}%" if decimals else f"{whole}%"


def spread_wording(rate_bp: int, lpr_bp: int) -> tuple[str, str]:
    """The LPR pricing clause in Chinese and English, e.g. 'LPR 加 45 个基点'."""
    spread = rate_bp - lpr_bp
    if spread > 0:
        zh = f"加 {spread} 个基点"
        en = f"plus {spread} basis points"
    elif spread < 0:
        zh = f"减 {-spread} 个基点"
        en = f"minus {-spread} basis points"
    else:
        zh = "不加减点"
        en = "with no spread"
    return zh, en


def date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def mask_name(name: str) -> str:
    """A person's name masked for display: 陈测试 → 陈**, 林明 → 林*."""
    name = name.strip()
    if len(name) <= 1:
        return name or "*"
    return name[0] + "*" * (len(name) - 1)
