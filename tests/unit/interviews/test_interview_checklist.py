"""The interview checklist: bilingual items, answers checked, what is missing, the summary."""

from __future__ import annotations

import pytest

from puhui.interviews import checklist
from puhui.interviews.texts import RECORDING_CONSENT


def test_items_are_bilingual_unique_and_include_the_brief_s_three() -> None:
    codes = [i.code for i in checklist.ITEMS]
    assert len(codes) == len(set(codes))
    assert {"identity_confirmed", "business_operating", "loan_purpose"} <= set(codes)
    for item in checklist.ITEMS:
        assert item.text("zh") != item.text("en")
        assert any("\u4e00" <= c <= "\u9fff" for c in item.zh)


def test_answers_are_cleaned_and_unanswered_items_left_out() -> None:
    got = checklist.clean_answers(
        {
            "identity_confirmed": {"answer": "yes", "note": "  人证一致 "},
            "loan_purpose": {"answer": "", "note": "x"},
            "voluntary": {"answer": "unclear"},
        }
    )
    assert got == {
        "identity_confirmed": {"answer": "yes", "note": "人证一致"},
        "voluntary": {"answer": "unclear", "note": ""},
    }
    assert checklist.missing(got) == [
        c for c in checklist.CODES if c not in ("identity_confirmed", "voluntary")
    ]
    assert checklist.summary(got) == {"yes": 1, "no": 0, "unclear": 1}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"nonsense": {"answer": "yes"}}, "nonsense"),
        ({"loan_purpose": {"answer": "maybe"}}, "loan_purpose"),
        ({"loan_purpose": "yes"}, "loan_purpose"),
        ({"loan_purpose": {"answer": "no", "note": "x" * 201}}, "loan_purpose_note"),
        ({"loan_purpose": {"answer": "no", "note": "a\x00b"}}, "loan_purpose_note"),
    ],
)
def test_unknown_items_answers_and_bad_notes_are_refused(raw: dict, field: str) -> None:
    with pytest.raises(checklist.ChecklistInvalid) as caught:
        checklist.clean_answers(raw)
    assert caught.value.field == field


def test_all_answered_means_nothing_missing() -> None:
    full = checklist.clean_answers({c: {"answer": "yes"} for c in checklist.CODES})
    assert checklist.missing(full) == []


def test_the_consent_text_is_versioned_and_hashed_in_both_languages() -> None:
    assert RECORDING_CONSENT.version.startswith("interview-recording-")
    assert len(RECORDING_CONSENT.sha256) == 64
    assert "录音录像" in RECORDING_CONSENT.text("zh") and "recorded" in RECORDING_CONSENT.text("en")
