from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from puhui.core.clock import FixedClock, business_date
from puhui.core.crypto import FieldCipher, mask_mobile, mask_resident_id
from puhui.core.errors import InvalidInput
from puhui.core.i18n import pick_language
from puhui.core.ids import new_id
from puhui.core.money import MoneyFormatError, apply_rate_bp, format_fen, round_fen, yuan_to_fen


def test_round_half_up_to_fen() -> None:
    assert round_fen(Decimal("2.5")) == 3
    assert round_fen(Decimal("2.4999")) == 2
    assert round_fen(Decimal("-2.5")) == -3


def test_yuan_parsing() -> None:
    assert yuan_to_fen("1,234.56") == 123456
    assert yuan_to_fen("100") == 10000
    assert yuan_to_fen(Decimal("0.10")) == 10
    for bad in ("1.234", "abc", "NaN", ""):
        with pytest.raises(MoneyFormatError):
            yuan_to_fen(bad)


def test_yuan_typed_in_a_form() -> None:
    """What the mobile web's amount fields accept: full-width commas of a Chinese keyboard, and
    only positive amounts; a refusal names the form field (rendered by its label)."""
    assert yuan_to_fen("12，345.67") == 1234567
    assert yuan_to_fen(" ￥1,000 ", field="amount_yuan", positive=True) == 100000
    assert yuan_to_fen("0") == 0 and yuan_to_fen("-1") == -100
    for bad in ("0", "-5", "0.00", "1.234", "abc", "NaN", "Infinity", ""):
        with pytest.raises(InvalidInput) as refused:
            yuan_to_fen(bad, field="amount_yuan", positive=True)
        assert type(refused.value) is InvalidInput and refused.value.field == "amount_yuan"
    with pytest.raises(MoneyFormatError):
        yuan_to_fen("0", positive=True)


def test_format_and_rate() -> None:
    assert format_fen(123456789) == "¥1,234,567.89"
    assert format_fen(-5) == "-¥0.05"
    assert apply_rate_bp(10_000_00, 435) == 43500


def test_ids_are_time_sortable_and_unique() -> None:
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(i.version == 7 for i in ids[:10])


def test_ids_after_fork_do_not_repeat_the_parent() -> None:
    """The random bytes are buffered: a forked child must not hand out the parent's rest."""
    new_id()  # the buffer is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id's random bits to the parent
        os.write(write, new_id().bytes[8:])
        os._exit(0)
    os.close(write)
    child = os.read(read, 8)
    os.waitpid(pid, 0)
    assert len(child) == 8 and child != new_id().bytes[8:]


def test_business_date_is_shanghai() -> None:
    clock = FixedClock(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))  # 01:00 next day in Shanghai
    assert business_date(clock) == date(2026, 11, 24)
    clock.advance(timedelta(hours=-2))
    assert business_date(clock) == date(2026, 11, 23)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_language_choice() -> None:
    assert pick_language(None) == "zh"
    assert pick_language("en-US,en;q=0.9") == "en"
    assert pick_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language("fr,en;q=0.5") == "en"
    assert pick_language("de") == "zh"


def test_field_cipher_round_trip_and_binding() -> None:
    cipher = FieldCipher.from_master(b"x" * 32)
    blob = cipher.encrypt("13800138000", "mobile")
    assert b"13800138000" not in blob
    assert cipher.decrypt(blob, "mobile") == "13800138000"
    with pytest.raises(Exception):  # noqa: B017 - bound to its field as associated data
        cipher.decrypt(blob, "resident_id")
    assert cipher.encrypt("a", "f") != cipher.encrypt("a", "f")  # random nonce
    assert cipher.lookup_hash("a", "f") == cipher.lookup_hash("a", "f")
    assert cipher.lookup_hash("a", "f") != FieldCipher.from_master(b"y" * 32).lookup_hash("a", "f")


def test_masking() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"
    assert mask_mobile("13800138000") == "138****8000"
