"""Reading a business licence (营业执照) from OCR text: pure, no I/O (tests on text samples).

OCR of a licence gives lines such as ``统一社会信用代码 91330100MA2XXXXX0K`` (label and value on
one line, spaces dropped or kept) or the label on one line and the value on the next; the name
and the legal representative likewise (``名称``, ``法定代表人`` — on some layouts ``负责人`` or
``经营者`` for branches and individual businesses). `parse_licence(lines)` finds:

* the USCC: an 18-character run that passes the GB 32100 check character, after fixing the
  letters OCR confuses with digits (O→0, I→1, Z→2, S→5) where the standard allows no letter;
* the name and the legal representative: the text after their label, or the next line.
Fields it cannot find are None; the caller decides what is required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from puhui.core.codes import is_valid_uscc

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CANDIDATE = re.compile(r"[0-9A-Z]{18}")
_NAME_LABELS = ("名称", "企业名称", "Name")
_REP_LABELS = ("法定代表人", "负责人", "经营者", "执行事务合伙人")
_STOP_LABELS = ("类型", "住所", "注册资本", "成立日期", "营业期限", "经营范围", "登记机关")
_PUNCT = " \t:：·,，;；|"


@dataclass(frozen=True)
class LicenceFields:
    uscc: str | None
    name: str | None
    legal_representative: str | None


def _fix_confusions(candidate: str) -> str:
    """Map letters the USCC alphabet excludes to the digits OCR mistakes them for."""
    table = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"})
    return candidate.translate(table)


def find_uscc(text: str) -> str | None:
    compact = re.sub(r"[\s:：]", "", text.upper())
    for i in range(len(compact) - 17):
        window = _fix_confusions(compact[i : i + 18])
        if all(c in _USCC_CHARS for c in window) and is_valid_uscc(window):
            return window
    return None


def _value_after(lines: list[str], labels: tuple[str, ...]) -> str | None:
    for i, line in enumerate(lines):
        compact = line.strip()
        for label in labels:
            if compact.startswith(label):
                rest = compact[len(label) :].strip(_PUNCT)
                if rest and not rest.startswith(_STOP_LABELS):
                    return _clip(rest)
                if i + 1 < len(lines):
                    following = lines[i + 1].strip().strip(_PUNCT)
                    if following and not following.startswith(_STOP_LABELS + _REP_LABELS):
                        return _clip(following)
    return None


def _clip(value: str) -> str:
    """The value up to the next label OCR ran into it (``陈示例类型有限责任公司``)."""
    cut = len(value)
    for label in _STOP_LABELS + _REP_LABELS:
        at = value.find(label)
        if 0 < at < cut:
            cut = at
    return value[:cut].strip(_PUNCT)


def parse_licence(lines: list[str]) -> LicenceFields:
    """The USCC, the name and the legal representative read from a licence's OCR lines."""
    text = "\n".join(lines)
    return LicenceFields(
        uscc=find_uscc(text),
        name=_value_after(lines, _NAME_LABELS),
        legal_representative=_value_after(lines, _REP_LABELS),
    )
