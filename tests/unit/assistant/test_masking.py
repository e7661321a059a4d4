from puhui.assistant.masking import mask


def test_mobiles_ids_cards_and_codes_are_masked() -> None:
    said = "我手机13812345678，身份证11010119900307123X，卡号6222021234567890123，验证码是 482913"
    out = mask(said)
    assert "13812345678" not in out and "138****5678" in out
    assert "11010119900307123X" not in out and "110101********123X" in out
    assert "6222021234567890123" not in out and "****0123" in out
    assert "482913" not in out and "验证码是 ******" in out


def test_plain_amounts_and_dates_stay() -> None:
    assert mask("想借200000元，2026年12月还") == "想借200000元，2026年12月还"
