from __future__ import annotations

import pytest

from puhui.core.codes import (
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    normalize_mobile,
    resident_id_check_char,
    uscc_check_char,
)

# Published unified social credit codes of well-known enterprises.
REAL_USCC = [
    "914403001922038216",  # 华为技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91100000100003962T",  # 中国工商银行股份有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司 (published registry code)
    "91110000802100433B",  # 中国石油化工股份有限公司
]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_uscc_validate(code: str) -> None:
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", REAL_USCC)
def test_any_single_change_is_caught(code: str) -> None:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for pos in range(18):
        for ch in alphabet:
            if ch != code[pos]:
                assert not is_valid_uscc(code[:pos] + ch + code[pos + 1 :])


def test_uscc_rejects_bad_shapes() -> None:
    assert not is_valid_uscc("91330100799655058")
    assert not is_valid_uscc("91330100799655058I")  # I is not in the alphabet
    assert not is_valid_uscc("91330100799655058b")
    assert uscc_check_char("91330100799655058") == "B"


def test_resident_id_standard_examples() -> None:
    # The examples printed in GB 11643-1999.
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_resident_id("440524188001010014")
    assert resident_id_check_char("11010519491231002") == "X"
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("11010519491331002X")  # month 13
    assert not is_valid_resident_id("1101051949123100")


def test_mobile() -> None:
    assert is_valid_mobile("13800138000")
    assert not is_valid_mobile("12800138000")
    assert not is_valid_mobile("1380013800")
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
