"""Check digits of Chinese identifiers. Pure functions, no I/O.

- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters over the alphabet
  0-9 A-H J-N P-R T U W-Y; the 18th is a check character, mod 31 with fixed weights.
  The embedded organization code (characters 9-17, GB 11714-1997) carries its own check
  character: weights 3,7,9,10,5,8,4,2 mod 11, 10 written X and 11 written 0.
- Resident identity number (公民身份号码), GB 11643-1999: 17 digits, then a check character
  (0-9 or X) by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import re
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check_char(first8: str) -> str:
    """The GB 11714-1997 check character of an organization code body."""
    total = sum(int(ch, 36) * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def is_valid_uscc(code: str) -> bool:
    """18 characters of the alphabet, a correct check character, a valid organization code."""
    if not isinstance(code, str) or len(code) != 18 or any(ch not in USCC_VALUE for ch in code):
        return False
    if not code[2:8].isdigit() or uscc_check_char(code[:17]) != code[17]:
        return False
    return org_code_check_char(code[8:16]) == code[16]


def resident_id_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def resident_id_birth_date(code: str) -> date | None:
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def is_valid_resident_id(code: str) -> bool:
    if (
        not isinstance(code, str)
        or len(code) != 18
        or not code[:17].isdigit()
        or code[17] not in "0123456789X"
    ):
        return False
    if resident_id_birth_date(code) is None:
        return False
    return resident_id_check_char(code[:17]) == code[17]


def is_valid_mobile(number: str) -> bool:
    return isinstance(number, str) and bool(MOBILE_RE.match(number))


def normalize_uscc(code: str) -> str:
    return code.strip().upper()


def normalize_resident_id(code: str) -> str:
    return code.strip().upper()


def normalize_mobile(number: str) -> str:
    digits = number.strip().replace(" ", "").replace("-", "")
    return digits[3:] if digits.startswith("+86") else digits
