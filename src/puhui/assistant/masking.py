"""Personal data masked out of conversation text before it is stored or logged (pure).

Mobile numbers keep their first three and last four digits, resident IDs their region and last
four, bank card numbers their last four; a six-digit one-time code next to the word for code is
blanked whole (a leaked code is exactly what a fraud report is about).
"""

from __future__ import annotations

import re

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<!\d)\d{12,15}(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_CODE = re.compile(r"(验证码|校验码|动态码|code|otp)(\D{0,6}?)(\d{4,6})(?!\d)", re.IGNORECASE)


def mask(text: str) -> str:
    """The text with mobiles, resident IDs, card numbers and one-time codes masked."""
    text = _RESIDENT_ID.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _CARD.sub(lambda m: f"****{m.group(1)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _CODE.sub(lambda m: f"{m.group(1)}{m.group(2)}{'*' * len(m.group(3))}", text)
