"""The licence parser on OCR text samples (pure)."""

from __future__ import annotations

from puhui.identity.licence import find_uscc, parse_licence

USCC = "913301007996000140"  # valid check character (GB 32100)


def test_label_and_value_run_together_as_rapidocr_returns_them() -> None:
    lines = [
        "营业执照",
        f"统一社会信用代码{USCC}",
        "名称杭州示例科技有限公司",
        "法定代表人陈示例",
        "类型有限责任公司",
    ]
    fields = parse_licence(lines)
    assert fields.uscc == USCC
    assert fields.name == "杭州示例科技有限公司"
    assert fields.legal_representative == "陈示例"


def test_label_and_value_on_separate_lines_with_colons() -> None:
    lines = ["统一社会信用代码：", USCC, "名称：", "杭州示例科技有限公司", "法定代表人：", "陈示例"]
    fields = parse_licence(lines)
    assert (fields.uscc, fields.name, fields.legal_representative) == (
        USCC,
        "杭州示例科技有限公司",
        "陈示例",
    )


def test_ocr_confusions_are_repaired_only_where_the_check_character_agrees() -> None:
    assert find_uscc("代码 9133O1OO7996OOO14O") == USCC  # letter O for digit 0
    assert find_uscc("代码 913301007996000141") is None  # wrong check character


def test_a_value_run_into_the_next_label_is_cut() -> None:
    fields = parse_licence(["法定代表人陈示例类型有限责任公司"])
    assert fields.legal_representative == "陈示例"


def test_branches_name_a_person_in_charge() -> None:
    assert parse_licence(["负责人 王五"]).legal_representative == "王五"


def test_nothing_found_is_none() -> None:
    fields = parse_licence(["一张风景照"])
    assert fields == type(fields)(None, None, None)
