from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from puhui.datahub.validators import (
    USCC_ALPHABET,
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    mobile_batch,
    resident_id_batch,
    uscc_batch,
)

KNOWN_USCC = ("91350100M000100Y43", "91110000600037341L", "91310000717866389C")
KNOWN_RESIDENT_IDS = ("11010519491231002X", "440524188001010014")


def test_known_codes_are_valid() -> None:
    assert all(is_valid_uscc(code) for code in KNOWN_USCC)
    assert all(is_valid_resident_id(rid) for rid in KNOWN_RESIDENT_IDS)


def test_bad_codes_are_rejected() -> None:
    assert not is_valid_uscc("91350100M000100Y44")  # wrong check character
    assert not is_valid_uscc("91350100M000100Y4")  # too short
    assert not is_valid_uscc("91350100M0001O0Y43")  # O is not in the alphabet
    assert not is_valid_resident_id("110105194912310021")  # wrong check digit
    assert not is_valid_resident_id("11010519490231002X")  # no 31 February
    assert not is_valid_mobile("12812345678")
    assert is_valid_mobile("13812345678")


def test_batches_are_valid() -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    codes = uscc_batch(rng, np.full(2_000, 310115))
    assert all(is_valid_uscc(c) for c in codes.tolist())
    births = np.datetime64("1960-01-01") + rng.integers(0, 20_000, 2_000).astype("timedelta64[D]")
    male = rng.random(2_000) < 0.5
    ids = resident_id_batch(rng, np.full(2_000, 440305), births, male)
    assert all(is_valid_resident_id(r) for r in ids.tolist())
    # The 17th digit is odd for men and even for women.
    assert all((int(r[16]) % 2 == 1) == m for r, m in zip(ids.tolist(), male.tolist(), strict=True))
    assert all(is_valid_mobile(m) for m in mobile_batch(rng, 2_000).tolist())


@given(st.integers(0, 2**32 - 1), st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_breaks_the_uscc(seed: int, pos: int, ch: str) -> None:
    rng = np.random.Generator(np.random.PCG64(seed))
    code = str(uscc_batch(rng, np.array([110105]))[0])
    mutated = code[:pos] + ch + code[pos + 1 :]
    if mutated != code:
        assert not is_valid_uscc(mutated)
