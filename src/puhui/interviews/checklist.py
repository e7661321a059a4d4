"""The interview checklist (面谈核查清单), versioned, answered by the officer (pure).

Every item is answered yes / no / unclear, with an optional note; an interview completes only
with every item answered. A new or reworded item is a new `CHECKLIST_VERSION`: stored answers
keep the version they were given under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHECKLIST_VERSION = "2026-12-v1"
ANSWERS: dict[str, tuple[str, str]] = {
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "unclear": ("存疑", "Unclear"),
}
NOTE_MAX = 200


@dataclass(frozen=True)
class Item:
    code: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


ITEMS: tuple[Item, ...] = (
    Item(
        "identity_confirmed", "申请人身份已核实（人证一致）", "Identity confirmed (face matches ID)"
    ),
    Item("legal_rep_in_person", "法定代表人本人出镜", "The legal representative appears in person"),
    Item("business_operating", "经营场所真实、正常经营", "The business premises exist and operate"),
    Item("loan_purpose", "借款用途明确且合规", "The purpose of the loan is clear and permitted"),
    Item("revenue_consistent", "口述经营收入与申报一致", "Stated revenue matches the application"),
    Item("voluntary", "自愿借款并知悉还款责任", "Borrows voluntarily, knows the duty to repay"),
)
CODES = tuple(i.code for i in ITEMS)


class ChecklistInvalid(ValueError):
    """An unknown item, an unknown answer or a note too long; `field` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def clean_answers(raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The answers given (`{code: {"answer": "yes", "note": "…"}}`), checked and trimmed; items
    left unanswered are left out. Unknown items or answers raise `ChecklistInvalid`."""
    out: dict[str, dict[str, str]] = {}
    for code, given in raw.items():
        if code not in CODES or not isinstance(given, dict):
            raise ChecklistInvalid(code)
        answer = str(given.get("answer") or "")
        note = str(given.get("note") or "").strip()
        if not answer:
            continue
        if answer not in ANSWERS:
            raise ChecklistInvalid(code)
        if len(note) > NOTE_MAX or any(ord(c) < 32 for c in note):
            raise ChecklistInvalid(f"{code}_note")
        out[code] = {"answer": answer, "note": note}
    return out


def missing(answers: dict[str, dict[str, str]]) -> list[str]:
    """Items not answered yet, in checklist order."""
    return [c for c in CODES if c not in answers]


def summary(answers: dict[str, dict[str, str]]) -> dict[str, int]:
    """How many items were answered yes / no / unclear (for the review's evidence)."""
    counts = dict.fromkeys(ANSWERS, 0)
    for given in answers.values():
        counts[given["answer"]] += 1
    return counts
