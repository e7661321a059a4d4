"""The columnar posting path (`post_entry_columns`, the end of day's accrual): same balances and
checks as `post_bulk`, on SQLite (through `post_bulk`) and PostgreSQL (binary COPY)."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import pgbulk
from puhui.core.clock import FixedClock
from puhui.core.ids import new_id
from puhui.ledger import service as ledger
from puhui.ledger.errors import (
    InsufficientFunds,
    InvalidPosting,
    UnbalancedEntry,
    UnknownAccountCode,
)
from puhui.ledger.models import Entry, Posting
from puhui.ledger.service import ColumnLegs, Leg, bank, owned

D1 = date(2026, 11, 23)


def _ids(session: Session, clock: FixedClock, code: str, owners: list[str]) -> np.ndarray:
    refs = [owned(code, "loan", o) for o in owners]
    found = ledger.account_ids(session, clock, refs)
    return pgbulk.uuid_bytes(found[r] for r in refs)


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.int64)


def _income(session: Session, clock: FixedClock) -> np.ndarray:
    acc = ledger.account_ids(session, clock, [bank("interest_income")])
    return pgbulk.uuid_bytes([acc[bank("interest_income")]])


def test_columns_post_one_entry_like_post_bulk(session: Session, clock: FixedClock) -> None:
    owners = [str(new_id()) for _ in range(7)]
    receivables = _ids(session, clock, "interest_receivable", owners)
    amounts = np.array([5, 0, 17, 1, 0, 250, 3], dtype=np.int64)
    calls: list[str] = []
    entry_id = ledger.post_entry_columns(
        session,
        clock,
        kind="accrual",
        business_date=D1,
        legs=[
            ColumnLegs("interest_receivable", receivables, amounts, _zeros(7)),
            ColumnLegs(
                "interest_income",
                _income(session, clock),
                _zeros(1),
                np.array([amounts.sum()]),
                hot=True,
            ),
        ],
        memo="计提",
        source_type="eod",
        source_id="test",
        before_hot=lambda: calls.append("hot"),
    )
    assert entry_id is not None and calls == ["hot"]
    entry = session.get(Entry, entry_id)
    assert entry is not None and (entry.kind, entry.source_id) == ("accrual", "test")
    postings = session.scalar(
        select(func.count()).select_from(Posting).where(Posting.entry_id == entry_id)
    )
    assert postings == 6  # zero legs are dropped
    for owner, fen in zip(owners, amounts.tolist(), strict=True):
        assert ledger.balance_fen(session, owned("interest_receivable", "loan", owner)) == fen
    assert ledger.balance_fen(session, bank("interest_income")) == int(amounts.sum())
    assert ledger.verify_cached_balances(session) == []
    ids = session.scalars(select(Posting.id).where(Posting.entry_id == entry_id)).all()
    assert all(uuid.UUID(str(i)).version == 7 for i in ids)


def test_columns_refuse_what_post_refuses(session: Session, clock: FixedClock) -> None:
    rec = _ids(session, clock, "interest_receivable", [str(new_id())])
    inc = _income(session, clock)

    def post(legs: list[ColumnLegs]) -> uuid.UUID | None:
        return ledger.post_entry_columns(session, clock, kind="x", business_date=D1, legs=legs)

    with pytest.raises(UnbalancedEntry):
        post(
            [
                ColumnLegs("interest_receivable", rec, np.array([10]), _zeros(1)),
                ColumnLegs("interest_income", inc, _zeros(1), np.array([9])),
            ]
        )
    with pytest.raises(InvalidPosting):  # negative
        post(
            [
                ColumnLegs("interest_receivable", rec, np.array([-10]), _zeros(1)),
                ColumnLegs("interest_income", inc, _zeros(1), np.array([-10])),
            ]
        )
    with pytest.raises(InvalidPosting):  # both sides on one leg
        post([ColumnLegs("interest_receivable", rec, np.array([10]), np.array([10]))])
    with pytest.raises(InvalidPosting):  # not integers
        post(
            [
                ColumnLegs("interest_receivable", rec, np.array([1.5]), _zeros(1)),
                ColumnLegs("interest_income", inc, _zeros(1), np.array([1.5])),
            ]
        )
    with pytest.raises(InvalidPosting):  # columns of different lengths
        post([ColumnLegs("interest_receivable", rec, np.array([1, 2]), _zeros(2))])
    with pytest.raises(UnknownAccountCode):
        post([ColumnLegs("no_such_code", rec, np.array([1]), _zeros(1))])
    assert post([ColumnLegs("interest_receivable", rec, _zeros(1), _zeros(1))]) is None
    assert ledger.verify_cached_balances(session) == []


def test_columns_check_overdraft_on_the_accounts_they_lower(
    session: Session, clock: FixedClock
) -> None:
    owner = str(new_id())
    rec = _ids(session, clock, "interest_receivable", [owner])
    inc = _income(session, clock)
    ledger.post_entry_columns(
        session,
        clock,
        kind="accrual",
        business_date=D1,
        legs=[
            ColumnLegs("interest_receivable", rec, np.array([100]), _zeros(1)),
            ColumnLegs("interest_income", inc, _zeros(1), np.array([100]), hot=True),
        ],
    )
    with pytest.raises(InsufficientFunds):  # the receivable (no overdraft) would go to -1
        ledger.post_entry_columns(
            session,
            clock,
            kind="reversal",
            business_date=D1,
            legs=[
                ColumnLegs("interest_income", inc, np.array([101]), _zeros(1), hot=True),
                ColumnLegs("interest_receivable", rec, _zeros(1), np.array([101])),
            ],
        )
    # refused in its savepoint: nothing of it stays, and the session goes on
    assert ledger.balance_fen(session, owned("interest_receivable", "loan", owner)) == 100
    ledger.post(
        session,
        clock,
        kind="reversal",
        business_date=D1,
        legs=[
            Leg.debit(bank("interest_income"), 100),
            Leg.credit(owned("interest_receivable", "loan", owner), 100),
        ],
    )
    assert ledger.verify_cached_balances(session) == []


def test_new_ids_are_increasing_uuid7() -> None:
    ids = pgbulk.as_uuids(pgbulk.new_ids(1000))
    assert ids == sorted(ids) and len(set(ids)) == 1000
    assert {i.version for i in ids} == {7} and {i.variant for i in ids} == {uuid.RFC_4122}
    assert new_id() > ids[-1]  # ids made afterwards sort after them
