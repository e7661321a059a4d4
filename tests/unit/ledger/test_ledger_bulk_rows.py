"""The pure steps of the ledger's bulk paths (`post_bulk`, `post_entry_columns`): the checks
and the figures they write, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import numpy as np
import pytest

from puhui.core.pgbulk import uuid_bytes
from puhui.ledger.errors import InvalidPosting, UnbalancedEntry, UnknownAccountCode
from puhui.ledger.service import (
    BulkEntry,
    ColumnLegs,
    _balance_moves,
    _bulk_rows,
    _lowered_accounts,
    _nonzero_column_legs,
)

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
A, B, C = (uuid.UUID(int=k) for k in (1, 2, 3))


def _entry(*legs: tuple[uuid.UUID, int, int]) -> BulkEntry:
    return BulkEntry("test", DAY, list(legs), memo="m", source_type="loan", source_id="x")


def test_bulk_rows_drop_zero_legs_and_sum_per_account() -> None:
    entries, postings, per_account = _bulk_rows(
        [_entry((A, 100, 0), (B, 0, 100), (C, 0, 0)), _entry((A, 0, 30), (B, 30, 0))], NOW
    )
    assert [e["kind"] for e in entries] == ["test", "test"]
    assert all(e["posted_at"] == NOW and e["business_date"] == DAY for e in entries)
    assert [(a, d, c) for _, _, a, d, c in postings] == [
        (A, 100, 0),
        (B, 0, 100),
        (A, 0, 30),
        (B, 30, 0),
    ]
    assert [p[1] for p in postings] == [entries[0]["id"]] * 2 + [entries[1]["id"]] * 2
    assert dict(per_account) == {A: [100, 30], B: [30, 100]}


@pytest.mark.parametrize(
    "legs",
    [
        [(A, 100, 0), (B, 0, 99)],
        [(A, 100, 0)],
    ],
)
def test_bulk_rows_refuse_an_unbalanced_entry(legs: list[tuple[uuid.UUID, int, int]]) -> None:
    with pytest.raises(UnbalancedEntry):
        _bulk_rows([_entry(*legs)], NOW)


@pytest.mark.parametrize(
    "legs",
    [
        [(A, 0, 0)],  # nothing left once the zero legs are dropped
        [(A, 100, 100)],  # both sides
        [(A, -5, 0), (B, 0, -5)],  # negative
        [(A, True, 0), (B, 0, True)],  # not an int
        [(A, 1.0, 0), (B, 0, 1.0)],  # a float
    ],
)
def test_bulk_rows_refuse_invalid_legs(legs: list[tuple[uuid.UUID, object, object]]) -> None:
    with pytest.raises(InvalidPosting):
        _bulk_rows([_entry(*legs)], NOW)  # type: ignore[arg-type]


def test_bulk_rows_of_no_entries() -> None:
    assert _bulk_rows([], NOW) == ([], [], {})


def _cols(
    code: str, ids: list[uuid.UUID], d: list[int], c: list[int], hot: bool = False
) -> ColumnLegs:
    return ColumnLegs(
        code, uuid_bytes(ids), np.array(d, dtype=np.int64), np.array(c, dtype=np.int64), hot
    )


def test_column_legs_drop_zero_legs_and_empty_groups() -> None:
    groups = _nonzero_column_legs(
        [
            _cols("interest_receivable", [A, B, C], [5, 0, 7], [0, 0, 0]),
            _cols("penalty_receivable", [A, B], [0, 0], [0, 0]),
            _cols("interest_income", [C], [0], [12], hot=True),
        ]
    )
    assert [g.code for g in groups] == ["interest_receivable", "interest_income"]
    assert groups[0].account_ids.tolist() == uuid_bytes([A, C]).tolist()
    assert groups[0].debit_fen.tolist() == [5, 7]
    assert groups[1].hot


@pytest.mark.parametrize(
    ("legs", "error"),
    [
        (_cols("no_such_code", [A], [1], [0]), UnknownAccountCode),
        (_cols("interest_receivable", [A, B], [1], [0]), InvalidPosting),  # lengths differ
        (_cols("interest_receivable", [A], [-1], [0]), InvalidPosting),
        (_cols("interest_receivable", [A], [1], [1]), InvalidPosting),
        (
            ColumnLegs("interest_receivable", uuid_bytes([A]), np.array([1.0]), np.array([0])),
            InvalidPosting,
        ),
    ],
)
def test_column_legs_refused(legs: ColumnLegs, error: type[Exception]) -> None:
    with pytest.raises(error):
        _nonzero_column_legs([legs])


def test_lowered_accounts_are_the_no_overdraft_ones_moved_against_their_normal_side() -> None:
    groups = [
        # debit-normal, no overdraft: a credit lowers it, a debit does not
        _cols("interest_receivable", [C, A, B], [0, 5, 0], [3, 0, 4]),
        _cols("interest_receivable", [C], [0], [1]),
        # credit-normal, no overdraft: a debit lowers it
        _cols("settlement", [A], [2], [0]),
        # no check at all on an income account
        _cols("interest_income", [B], [9], [0]),
    ]
    assert _lowered_accounts(groups) == [A, B, C]


def test_balance_moves_sum_per_account_hot_last() -> None:
    moves = _balance_moves(
        [
            _cols("interest_income", [A], [0], [10], hot=True),
            _cols("interest_receivable", [C, B, C], [4, 3, 2], [0, 0, 0]),
            _cols("penalty_receivable", [B], [1], [0]),
        ]
    )
    ids, d, c, hot = moves
    assert ids.tolist() == uuid_bytes([B, C, A]).tolist()
    assert d.tolist() == [4, 6, 0]
    assert c.tolist() == [0, 0, 10]
    assert hot.tolist() == [0, 0, 1]
