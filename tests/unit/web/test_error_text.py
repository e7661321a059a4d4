"""A refusal as a page shows it: a plain invalid value of a known form field by its label."""

from __future__ import annotations

from puhui.core.errors import InvalidInput, NotFound
from puhui.web.i18n import FIELD_LABELS, error_text


class _SpecificInput(InvalidInput):
    message_zh = "金额超过上限。"
    message_en = "The amount is above the cap."


def test_a_known_field_is_named_by_its_label_in_both_languages() -> None:
    exc = InvalidInput(field="amount_yuan")
    # ... followed by what a valid value looks like (issue 21: "abc" and "10万" got one message)
    assert error_text(exc, "zh") == (
        "“金额（元）”填写有误，请检查后重新提交。"
        "可填写如 100000、100,000.00 或 10万（元，最多两位小数）。"
    )
    assert error_text(exc, "en").startswith(
        "Please check the amount (yuan): the value is not valid. Write it like 100000"
    )
    assert (
        error_text(InvalidInput(field="reason"), "zh")
        == "“理由（至少 2 个字）”填写有误，请检查后重新提交。"
    )
    assert all(zh and en for zh, en in FIELD_LABELS.values())


def test_anything_else_keeps_its_own_message() -> None:
    unknown = InvalidInput(field="something_new")
    assert error_text(unknown, "zh") == unknown.message("zh")
    specific = _SpecificInput(field="amount_yuan")  # a subclass says more than the label
    assert error_text(specific, "zh") == "金额超过上限。"
    missing = NotFound(field="amount_yuan")
    assert error_text(missing, "en") == missing.message("en")
