"""One canonical JSON for decisioning and datahub (core.canonical); the receivables log's own,
stricter rule gives the same bytes on the values it accepts."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from puhui.core.canonical import canonical_json
from puhui.receivables import statements

VALUES: list[Any] = [
    {"b": 1, "a": [True, None, "é😀\u2028"], "c": {"z": "", "y": -(2**53 - 1)}},
    {"s": '\u0001\n\t\b\f\r\\/"', "n": 0},
    [],
    "普惠",
]


def test_sorted_keys_no_spaces_utf8() -> None:
    assert canonical_json({"b": 1, "a": "普惠", "c": [1.5, None]}) == (
        '{"a":"普惠","b":1,"c":[1.5,null]}'.encode()
    )
    # stored hashes depend on these bytes (policy documents, snapshot payload_hash)
    assert (
        hashlib.sha256(canonical_json({"x": [1, 2]})).hexdigest()
        == hashlib.sha256(b'{"x":[1,2]}').hexdigest()
    )


@pytest.mark.parametrize("value", VALUES)
def test_same_bytes_as_the_receivables_rule_where_both_apply(value: Any) -> None:
    assert canonical_json(value) == statements.canonical_json(value)


def test_decisioning_and_datahub_use_it() -> None:
    from puhui.datahub import service as datahub_service
    from puhui.decisioning import policy

    assert policy.canonical_json is canonical_json
    assert datahub_service.canonical_json is canonical_json
