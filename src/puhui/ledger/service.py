"""The money ledger: double-entry, append-only, integer fen, balanced by construction.

Callers describe a movement as legs (debit or credit of an account, in fen); `post` checks that
the legs balance, writes one entry with its postings, and updates the cached balances in the same
transaction (in a SAVEPOINT, so a refused posting — e.g. insufficient funds — leaves the caller's
transaction usable). Corrections are reversing entries; nothing is ever updated or deleted.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    and_,
    bindparam,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from puhui.core import pgbulk
from puhui.core.clock import Clock
from puhui.core.db import among
from puhui.core.ids import new_id
from puhui.ledger.chart import CHART, Side
from puhui.ledger.errors import (
    AlreadyReversed,
    EntryNotFound,
    InsufficientFunds,
    InvalidPosting,
    UnbalancedEntry,
    UnknownAccountCode,
)
from puhui.ledger.models import Account, Balance, Entry, Posting


@dataclass(frozen=True)
class AccountRef:
    code: str
    owner_key: str = ""
    owner_type: str = "bank"

    def __post_init__(self) -> None:
        if self.code not in CHART:
            raise UnknownAccountCode(code=self.code)

    def label(self) -> str:
        return f"{self.code}:{self.owner_key}" if self.owner_key else self.code


@dataclass(frozen=True)
class Leg:
    account: AccountRef
    debit_fen: int = 0
    credit_fen: int = 0

    @classmethod
    def debit(cls, account: AccountRef, fen: int) -> Leg:
        return cls(account, debit_fen=fen)

    @classmethod
    def credit(cls, account: AccountRef, fen: int) -> Leg:
        return cls(account, credit_fen=fen)


def bank(code: str) -> AccountRef:
    return AccountRef(code)


def owned(code: str, owner_type: str, owner_id: object) -> AccountRef:
    return AccountRef(code, str(owner_id), owner_type)


def _check(legs: Sequence[Leg]) -> list[Leg]:
    kept = []
    for leg in legs:
        if not isinstance(leg.debit_fen, int) or not isinstance(leg.credit_fen, int):
            raise InvalidPosting()
        if leg.debit_fen < 0 or leg.credit_fen < 0 or (leg.debit_fen and leg.credit_fen):
            raise InvalidPosting()
        if leg.debit_fen or leg.credit_fen:
            kept.append(leg)
    debits = sum(leg.debit_fen for leg in kept)
    credits = sum(leg.credit_fen for leg in kept)
    if debits != credits:
        raise UnbalancedEntry(debits=debits, credits=credits)
    return kept


_ACCOUNT_IDS = "ledger_account_ids"  # session.info key of the account-id cache below


@event.listens_for(Session, "after_soft_rollback")
def _forget_account_ids(session: Session, previous_transaction: Any) -> None:
    """An account created inside a rolled-back transaction or savepoint is gone: forget every
    cached id (cheap to look up again), or a later posting would name a missing account."""
    session.info.pop(_ACCOUNT_IDS, None)


def account_ids(
    session: Session, clock: Clock, refs: Iterable[AccountRef]
) -> dict[AccountRef, uuid.UUID]:
    """Ids of the accounts, creating the missing ones (race-free: insert on conflict do nothing)."""
    cache: dict[AccountRef, uuid.UUID] = session.info.setdefault(_ACCOUNT_IDS, {})
    wanted = [r for r in dict.fromkeys(refs) if r not in cache]
    if wanted:
        keys = {(r.code, r.owner_key) for r in wanted}
        found = _lookup(session, keys)
        missing = [r for r in wanted if (r.code, r.owner_key) not in found]
        if missing:
            now = clock.now()
            rows = [
                {
                    "id": new_id(),
                    "code": r.code,
                    "owner_key": r.owner_key,
                    "owner_type": r.owner_type,
                    "created_at": now,
                }
                for r in missing
            ]
            dialect = session.get_bind().dialect.name
            ins = pg_insert(Account) if dialect == "postgresql" else sqlite_insert(Account)
            session.execute(ins.on_conflict_do_nothing(index_elements=["code", "owner_key"]), rows)
            found = _lookup(session, keys)
            bal_ins = pg_insert(Balance) if dialect == "postgresql" else sqlite_insert(Balance)
            session.execute(
                bal_ins.on_conflict_do_nothing(index_elements=["account_id"]),
                [
                    {"account_id": found[(r.code, r.owner_key)], "debits_fen": 0, "credits_fen": 0}
                    for r in missing
                ],
            )
        for r in wanted:
            cache[r] = found[(r.code, r.owner_key)]
    return {r: cache[r] for r in refs}


def _lookup(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID]:
    found: dict[tuple[str, str], uuid.UUID] = {}
    by_code: dict[str, list[str]] = defaultdict(list)
    for code, owner in keys:
        by_code[code].append(owner)
    postgres = session.get_bind().dialect.name == "postgresql"
    size = 50_000 if postgres else 500
    for code, owners in by_code.items():
        for i in range(0, len(owners), size):
            chunk = owners[i : i + size]
            for acc_id, owner in session.execute(
                select(Account.id, Account.owner_key).where(
                    Account.code == code, among(session, Account.owner_key, chunk)
                )
            ):
                found[(code, owner)] = acc_id
    return found


def post(
    session: Session,
    clock: Clock,
    *,
    kind: str,
    business_date: date,
    legs: Sequence[Leg],
    memo: str = "",
    source_type: str | None = None,
    source_id: object = None,
    reverses: uuid.UUID | None = None,
) -> Entry:
    """Write one balanced entry; InsufficientFunds if a no-overdraft account would go negative."""
    kept = _check(legs)
    if not kept:
        raise InvalidPosting()
    ids = account_ids(session, clock, [leg.account for leg in kept])
    with session.begin_nested():
        entry = Entry(
            id=new_id(),
            kind=kind,
            business_date=business_date,
            posted_at=clock.now(),
            memo=memo,
            source_type=source_type,
            source_id=None if source_id is None else str(source_id),
            reverses_entry_id=reverses,
        )
        session.add(entry)
        session.flush()
        session.execute(
            insert(Posting),
            [
                {
                    "id": new_id(),
                    "entry_id": entry.id,
                    "account_id": ids[leg.account],
                    "debit_fen": leg.debit_fen,
                    "credit_fen": leg.credit_fen,
                }
                for leg in kept
            ],
        )
        _apply_balances(session, [(ids[leg.account], leg) for leg in kept])
    return entry


def _apply_balances(session: Session, moves: Sequence[tuple[uuid.UUID, Leg]]) -> None:
    per_account: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    refs: dict[uuid.UUID, AccountRef] = {}
    for acc_id, leg in moves:
        per_account[acc_id][0] += leg.debit_fen
        per_account[acc_id][1] += leg.credit_fen
        refs[acc_id] = leg.account
    for acc_id in sorted(per_account):  # one lock order for all writers: no deadlocks
        d, c = per_account[acc_id]
        new_d, new_c = session.execute(
            update(Balance)
            .where(Balance.account_id == acc_id)
            .values(debits_fen=Balance.debits_fen + d, credits_fen=Balance.credits_fen + c)
            .returning(Balance.debits_fen, Balance.credits_fen)
        ).one()
        spec = CHART[refs[acc_id].code]
        if spec.no_overdraft:
            normal = new_d - new_c if spec.normal_side == Side.DEBIT else new_c - new_d
            if normal < 0:
                raise InsufficientFunds(account=refs[acc_id].label())


def reverse(
    session: Session, clock: Clock, entry_id: uuid.UUID, *, business_date: date, memo: str
) -> Entry:
    """A new entry with every posting on the other side; an entry is reversed at most once."""
    original = session.get(Entry, entry_id)
    if original is None:
        raise EntryNotFound()
    if session.scalar(select(Entry.id).where(Entry.reverses_entry_id == entry_id)) is not None:
        raise AlreadyReversed()
    rows = session.execute(
        select(
            Posting.account_id,
            Posting.debit_fen,
            Posting.credit_fen,
            Account.code,
            Account.owner_key,
            Account.owner_type,
        )
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.entry_id == entry_id)
    ).all()
    legs = [
        Leg(AccountRef(code, owner, otype), debit_fen=c, credit_fen=d)
        for _, d, c, code, owner, otype in rows
    ]
    return post(
        session,
        clock,
        kind=f"reversal:{original.kind}",
        business_date=business_date,
        legs=legs,
        memo=memo,
        source_type="entry",
        source_id=entry_id,
        reverses=entry_id,
    )


def balance_fen(session: Session, ref: AccountRef) -> int:
    """The account's balance on its normal side (0 for an account never posted to)."""
    row = session.execute(
        select(Balance.debits_fen, Balance.credits_fen)
        .join(Account, Account.id == Balance.account_id)
        .where(Account.code == ref.code, Account.owner_key == ref.owner_key)
    ).first()
    if row is None:
        return 0
    d, c = row
    return int(d - c) if CHART[ref.code].normal_side == Side.DEBIT else int(c - d)


def balances_by_owner(session: Session, code: str, owner_keys: Sequence[str]) -> dict[str, int]:
    side = CHART[code].normal_side
    out: dict[str, int] = {}
    for i in range(0, len(owner_keys), 500):
        chunk = list(owner_keys[i : i + 500])
        for owner, d, c in session.execute(
            select(Account.owner_key, Balance.debits_fen, Balance.credits_fen)
            .join(Balance, Balance.account_id == Account.id)
            .where(Account.code == code, Account.owner_key.in_(chunk))
        ):
            out[owner] = int(d - c) if side == Side.DEBIT else int(c - d)
    return out


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name_zh: str
    name_en: str
    debits_fen: int
    credits_fen: int

    @property
    def balance_fen(self) -> int:
        spec = CHART[self.code]
        diff = self.debits_fen - self.credits_fen
        return diff if spec.normal_side == Side.DEBIT else -diff


@dataclass(frozen=True)
class TrialBalance:
    as_of: date
    rows: list[TrialBalanceRow]

    @property
    def total_debits_fen(self) -> int:
        return sum(r.debits_fen for r in self.rows)

    @property
    def total_credits_fen(self) -> int:
        return sum(r.credits_fen for r in self.rows)

    @property
    def balanced(self) -> bool:
        return self.total_debits_fen == self.total_credits_fen


def trial_balance(session: Session, as_of: date) -> TrialBalance:
    """Sums of all postings of entries up to and including a business date, per account code."""
    rows = session.execute(
        select(Account.code, func.sum(Posting.debit_fen), func.sum(Posting.credit_fen))
        .join(Posting, Posting.account_id == Account.id)
        .join(Entry, Entry.id == Posting.entry_id)
        .where(Entry.business_date <= as_of)
        .group_by(Account.code)
        .order_by(Account.code)
    ).all()
    return TrialBalance(
        as_of,
        [
            TrialBalanceRow(
                code, CHART[code].name_zh, CHART[code].name_en, int(d or 0), int(c or 0)
            )
            for code, d, c in rows
        ],
    )


def verify_cached_balances(session: Session) -> list[str]:
    """Account labels whose cached balance differs from the sum of their postings."""
    sums = (
        select(
            Posting.account_id,
            func.sum(Posting.debit_fen).label("d"),
            func.sum(Posting.credit_fen).label("c"),
        )
        .group_by(Posting.account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Account.code,
            Account.owner_key,
            Balance.debits_fen,
            Balance.credits_fen,
            sums.c.d,
            sums.c.c,
        )
        .join(Balance, Balance.account_id == Account.id)
        .outerjoin(sums, sums.c.account_id == Account.id)
    ).all()
    return [
        f"{code}:{owner}"
        for code, owner, bd, bc, d, c in rows
        if (bd, bc) != (int(d or 0), int(c or 0))
    ]


@dataclass(frozen=True)
class PostingView:
    entry_id: uuid.UUID
    kind: str
    business_date: date
    memo: str
    code: str
    owner_key: str
    debit_fen: int
    credit_fen: int


def postings_for_source(session: Session, source_ids: Sequence[str]) -> list[PostingView]:
    """Every posting of the entries caused by these sources (a drawdown, a loan...), for display."""
    rows = session.execute(
        select(
            Entry.id,
            Entry.kind,
            Entry.business_date,
            Entry.memo,
            Account.code,
            Account.owner_key,
            Posting.debit_fen,
            Posting.credit_fen,
        )
        .join(Posting, Posting.entry_id == Entry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(Entry.source_id.in_(list(source_ids)))
        .order_by(Entry.posted_at, Entry.id)
    ).all()
    return [PostingView(*r) for r in rows]


def postings_for_owner(session: Session, owner_key: str, limit: int = 500) -> list[PostingView]:
    rows = session.execute(
        select(
            Entry.id,
            Entry.kind,
            Entry.business_date,
            Entry.memo,
            Account.code,
            Account.owner_key,
            Posting.debit_fen,
            Posting.credit_fen,
        )
        .join(Posting, Posting.entry_id == Entry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.owner_key == owner_key)
        .order_by(Entry.posted_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    return [PostingView(*r) for r in rows]


def account_movements(
    session: Session, ref: AccountRef, day: date, source_type: str
) -> list[tuple[str, str, int]]:
    """(source id, entry kind, debit − credit) of every posting on `ref` booked on business date
    `day` by entries of `source_type` (the payments reconciliation reads its clearing account)."""
    rows = session.execute(
        select(Entry.source_id, Entry.kind, Posting.debit_fen - Posting.credit_fen)
        .join(Posting, Posting.entry_id == Entry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(
            Account.code == ref.code,
            Account.owner_key == ref.owner_key,
            Entry.business_date == day,
            Entry.source_type == source_type,
        )
    ).all()
    return [(str(source_id), str(kind), int(net)) for source_id, kind, net in rows]


# --- bulk posting (batch jobs) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkEntry:
    """One entry of a bulk posting; legs are ``(account_id, debit_fen, credit_fen)`` triples on
    accounts already resolved with :func:`account_ids` (a batch job resolves them once)."""

    kind: str
    business_date: date
    legs: Sequence[tuple[uuid.UUID, int, int]]
    memo: str = ""
    source_type: str | None = None
    source_id: str | None = None


def post_bulk(session: Session, clock: Clock, entries: Sequence[BulkEntry]) -> list[uuid.UUID]:
    """Write many balanced entries at once: the set-based twin of :func:`post` for batch jobs.

    Same invariants as `post` (every entry balances, legs are positive integer fen on one side,
    append-only, no-overdraft accounts never go below zero — checked after the balance update,
    InsufficientFunds rolls the whole call back in its SAVEPOINT), but postings are inserted
    with COPY (PostgreSQL) or one executemany (SQLite), and cached balances are updated with one
    set-based UPDATE per call instead of one UPDATE per account. Returns the entry ids.
    """
    entry_rows, posting_rows, per_account = _bulk_rows(entries, clock.now())
    if not entry_rows:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    with session.begin_nested():
        session.execute(insert(Entry), entry_rows)
        _insert_postings(session, posting_rows, postgres=postgres)
        touched = sorted(per_account)
        _add_to_balances(session, touched, per_account, postgres=postgres)
        _check_no_overdraft(session, touched, postgres=postgres)
    return [row["id"] for row in entry_rows]  # type: ignore[misc]


PostingRow = tuple[uuid.UUID, uuid.UUID, uuid.UUID, int, int]
"""``(posting_id, entry_id, account_id, debit_fen, credit_fen)``."""


def _bulk_rows(
    entries: Sequence[BulkEntry], now: datetime
) -> tuple[list[dict[str, object]], list[PostingRow], dict[uuid.UUID, list[int]]]:
    """The rows :func:`post_bulk` writes, checked: entry rows, posting rows (zero legs dropped)
    and the ``[debits, credits]`` each account moves by. No database; ids are made here.

    InvalidPosting for a leg that is not integer fen on one side or an entry without a non-zero
    leg, UnbalancedEntry for an entry whose legs do not balance. One loop over every leg, kept
    in one function: it is the bulk path's per-leg cost.
    """
    entry_rows: list[dict[str, object]] = []
    posting_rows: list[PostingRow] = []
    per_account: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        debits = credits = 0
        entry_id = new_id()
        kept = 0
        for acc_id, d, c in e.legs:
            if type(d) is not int or type(c) is not int or d < 0 or c < 0 or (d and c):
                raise InvalidPosting()
            if not (d or c):
                continue
            debits += d
            credits += c
            kept += 1
            posting_rows.append((new_id(), entry_id, acc_id, d, c))
            acc = per_account[acc_id]
            acc[0] += d
            acc[1] += c
        if debits != credits:
            raise UnbalancedEntry(debits=debits, credits=credits)
        if not kept:
            raise InvalidPosting()
        entry_rows.append(
            {
                "id": entry_id,
                "kind": e.kind,
                "business_date": e.business_date,
                "posted_at": now,
                "memo": e.memo,
                "source_type": e.source_type,
                "source_id": e.source_id,
                "reverses_entry_id": None,
            }
        )
    return entry_rows, posting_rows, per_account


def _insert_postings(session: Session, rows: Sequence[PostingRow], *, postgres: bool) -> None:
    if postgres:
        _copy_postings(session, rows)
        return
    session.execute(
        insert(Posting),
        [
            {"id": p, "entry_id": e, "account_id": a, "debit_fen": d, "credit_fen": c}
            for p, e, a, d, c in rows
        ],
    )


def _add_to_balances(
    session: Session,
    touched: Sequence[uuid.UUID],
    per_account: dict[uuid.UUID, list[int]],
    *,
    postgres: bool,
) -> None:
    """Add each touched account's ``[debits, credits]`` to its cached balance, in one
    statement (``UPDATE … FROM unnest(…)`` on PostgreSQL, executemany elsewhere)."""
    if postgres:
        session.execute(
            text(
                "UPDATE ledger_balance AS b SET debits_fen = b.debits_fen + v.d, "
                "credits_fen = b.credits_fen + v.c "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:d AS bigint[]), CAST(:c AS bigint[])) "
                "AS v(id, d, c) WHERE b.account_id = v.id"
            ),
            {
                "ids": pg_array(touched),
                "d": pg_array([per_account[a][0] for a in touched]),
                "c": pg_array([per_account[a][1] for a in touched]),
            },
        )
        return
    bal = Balance.__table__.c
    session.connection().execute(
        update(Balance.__table__)  # type: ignore[arg-type]
        .where(bal.account_id == bindparam("acc"))
        .values(
            debits_fen=bal.debits_fen + bindparam("d"),
            credits_fen=bal.credits_fen + bindparam("c"),
        ),
        [{"acc": a, "d": per_account[a][0], "c": per_account[a][1]} for a in touched],
    )


def pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of ints, uuids or plain words (no quoting needed), for a
    ``CAST(:param AS type[])``: much faster to build and send than a bound Python list."""
    return "{" + ",".join(map(str, values)) + "}"


def _copy_postings(session: Session, rows: Sequence[PostingRow]) -> None:
    raw: Any = session.connection().connection.driver_connection
    data = "".join(f"{p}\t{e}\t{a}\t{d}\t{c}\n" for p, e, a, d, c in rows)
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY ledger_posting (id, entry_id, account_id, debit_fen, credit_fen) FROM STDIN"
        ) as copy,
    ):
        copy.write(data.encode())


def _check_no_overdraft(session: Session, touched: Sequence[uuid.UUID], *, postgres: bool) -> None:
    """InsufficientFunds if a touched no-overdraft account is below zero on its normal side
    (the database filters: only an offending row comes back)."""
    debit_codes = [
        c for c, spec in CHART.items() if spec.no_overdraft and spec.normal_side == Side.DEBIT
    ]
    credit_codes = [
        c for c, spec in CHART.items() if spec.no_overdraft and spec.normal_side != Side.DEBIT
    ]
    if postgres:  # driven by the ids: the planner must not scan the whole balance table
        bad = " OR ".join(
            [f"(a.code = '{c}' AND b.debits_fen < b.credits_fen)" for c in debit_codes]
            + [f"(a.code = '{c}' AND b.credits_fen < b.debits_fen)" for c in credit_codes]
        )
        pg_row = session.execute(
            text(
                "SELECT a.code, a.owner_key FROM unnest(CAST(:ids AS uuid[])) AS t(id) "
                "JOIN ledger_balance b ON b.account_id = t.id "
                f"JOIN ledger_account a ON a.id = b.account_id WHERE {bad or 'false'} LIMIT 1"
            ),
            {"ids": pg_array(touched)},
        ).first()
        if pg_row is not None:
            raise InsufficientFunds(account=AccountRef(pg_row[0], pg_row[1]).label())
        return
    negative = or_(
        and_(Account.code.in_(debit_codes), Balance.debits_fen < Balance.credits_fen),
        and_(Account.code.in_(credit_codes), Balance.credits_fen < Balance.debits_fen),
    )
    query = (
        select(Account.code, Account.owner_key)
        .join(Balance, Balance.account_id == Account.id)
        .where(negative)
    )
    for i in range(0, len(touched), 500):
        chunk = list(touched[i : i + 500])
        row = session.execute(query.where(Balance.account_id.in_(chunk)).limit(1)).first()
        if row is not None:
            raise InsufficientFunds(account=AccountRef(row[0], row[1]).label())


# --- columnar posting (end-of-day accrual) ------------------------------------------------------


def _sorted_unique(
    ids: npt.NDArray[np.void], debit: npt.NDArray[np.int64], credit: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.void], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Per account sums, accounts in PostgreSQL's uuid order (the lock order of all writers)."""
    halves = ids.view([("hi", ">u8"), ("lo", ">u8")])
    order = np.lexsort((halves["lo"], halves["hi"]))
    s_ids, s_d, s_c = ids[order], debit[order], credit[order]
    s_h = halves[order]
    first = np.ones(len(s_ids), dtype=np.bool_)
    first[1:] = (s_h["hi"][1:] != s_h["hi"][:-1]) | (s_h["lo"][1:] != s_h["lo"][:-1])
    starts = np.flatnonzero(first)
    return s_ids[starts], np.add.reduceat(s_d, starts), np.add.reduceat(s_c, starts)


@dataclass(frozen=True, slots=True)
class ColumnLegs:
    """Legs on accounts of one chart `code` as columns: ``account_ids`` (``V16``, the raw bytes
    of ids resolved for that code, e.g. with :func:`account_ids`), ``debit_fen`` and
    ``credit_fen`` (integer arrays of the same length). ``hot``: accounts that many transactions
    post to at once (the bank's income accounts), whose cached balances are updated last."""

    code: str
    account_ids: npt.NDArray[np.void]
    debit_fen: npt.NDArray[np.int64]
    credit_fen: npt.NDArray[np.int64]
    hot: bool = False


def post_entry_columns(
    session: Session,
    clock: Clock,
    *,
    kind: str,
    business_date: date,
    legs: Sequence[ColumnLegs],
    memo: str = "",
    source_type: str | None = None,
    source_id: str | None = None,
    before_hot: Callable[[], None] | None = None,
) -> uuid.UUID | None:
    """ONE balanced entry with many legs given as columns, grouped by account code: the end of
    day's accrual posts one leg per loan this way.

    Same rules as :func:`post_bulk` (legs are integer fen, positive, on one side; zero legs are
    dropped; the entry balances; append-only; all in a SAVEPOINT; InsufficientFunds rolls the call
    back). On PostgreSQL the postings go in by binary COPY with ids made by
    :func:`puhui.core.pgbulk.new_ids`, and the cached balances are updated from a temporary table,
    with no Python object per leg: first those of the ordinary accounts, then — after
    ``before_hot()`` returns, if given — those of the ``hot`` ones, so that their row locks are held
    for the shortest time (a caller running two such entries side by side in two transactions waits
    in ``before_hot`` for the other to commit: they never wait for each other). Elsewhere this is
    :func:`post_bulk`. The no-overdraft check looks at the accounts whose normal side the entry
    lowers (credits to a debit-normal account, debits to a credit-normal one): an account it only
    raises cannot go below zero by it. Returns the entry id, or None when every leg is 0.
    """
    groups = _nonzero_column_legs(legs)
    if not groups:
        if before_hot is not None:
            before_hot()
        return None
    debits = sum(int(g.debit_fen.sum()) for g in groups)
    credits = sum(int(g.credit_fen.sum()) for g in groups)
    if debits != credits:
        raise UnbalancedEntry(debits=debits, credits=credits)
    if session.get_bind().dialect.name != "postgresql":
        if before_hot is not None:
            before_hot()
        entry = BulkEntry(kind, business_date, _column_rows(groups), memo, source_type, source_id)
        return post_bulk(session, clock, [entry])[0]
    lowered = _lowered_accounts(groups)
    entry_id = new_id()
    with session.begin_nested():
        session.execute(
            insert(Entry),
            [
                {
                    "id": entry_id,
                    "kind": kind,
                    "business_date": business_date,
                    "posted_at": clock.now(),
                    "memo": memo,
                    "source_type": source_type,
                    "source_id": source_id,
                    "reverses_entry_id": None,
                }
            ],
        )
        _copy_column_postings(session, entry_id, groups)
        _move_balances_hot_last(session, _balance_moves(groups), before_hot)
        if lowered:
            _check_no_overdraft(session, lowered, postgres=True)
    return entry_id


def _nonzero_column_legs(legs: Sequence[ColumnLegs]) -> list[ColumnLegs]:
    """The groups checked (a known code; integer columns of one length; each leg positive on
    one side) with their zero legs dropped, and groups left empty dropped. Pure."""
    groups: list[ColumnLegs] = []
    for g in legs:
        if g.code not in CHART:
            raise UnknownAccountCode(code=g.code)
        debit = np.asarray(g.debit_fen)
        credit = np.asarray(g.credit_fen)
        if debit.dtype.kind not in "iu" or credit.dtype.kind not in "iu":
            raise InvalidPosting()
        debit = debit.astype(np.int64, copy=False)
        credit = credit.astype(np.int64, copy=False)
        if not (len(g.account_ids) == len(debit) == len(credit)):
            raise InvalidPosting()
        if ((debit < 0) | (credit < 0) | ((debit != 0) & (credit != 0))).any():
            raise InvalidPosting()
        keep = (debit != 0) | (credit != 0)
        if keep.any():
            groups.append(ColumnLegs(g.code, g.account_ids[keep], debit[keep], credit[keep], g.hot))
    return groups


def _column_rows(groups: Sequence[ColumnLegs]) -> list[tuple[uuid.UUID, int, int]]:
    """The legs as :class:`BulkEntry` triples (the portable path)."""
    return [
        (acc, d, c)
        for g in groups
        for acc, d, c in zip(
            pgbulk.as_uuids(g.account_ids),
            g.debit_fen.tolist(),
            g.credit_fen.tolist(),
            strict=True,
        )
    ]


def _lowered_accounts(groups: Sequence[ColumnLegs]) -> list[uuid.UUID]:
    """The no-overdraft accounts whose normal side the legs lower (the ones to check), sorted
    and unique. Pure."""
    lowered: list[uuid.UUID] = []
    for g in groups:
        spec = CHART[g.code]
        if spec.no_overdraft:
            down = g.credit_fen > 0 if spec.normal_side == Side.DEBIT else g.debit_fen > 0
            lowered += pgbulk.as_uuids(g.account_ids[down])
    return sorted(set(lowered))


def _copy_column_postings(
    session: Session, entry_id: uuid.UUID, groups: Sequence[ColumnLegs]
) -> None:
    """One posting per leg of the entry, by binary COPY, ids made in one go."""
    ids = np.concatenate([g.account_ids for g in groups])
    n = len(ids)
    entry_col = np.full(n, np.frombuffer(entry_id.bytes, dtype=pgbulk.UUID_BYTES)[0])
    pgbulk.copy_in_binary(
        session,
        "COPY ledger_posting (id, entry_id, account_id, debit_fen, credit_fen) "
        "FROM STDIN (FORMAT binary)",
        pgbulk.pgcopy_binary(
            [
                ("uuid", pgbulk.new_ids(n)),
                ("uuid", entry_col),
                ("uuid", ids),
                ("int8", np.concatenate([g.debit_fen for g in groups])),
                ("int8", np.concatenate([g.credit_fen for g in groups])),
            ]
        ),
    )


BalanceMoves = tuple[
    npt.NDArray[np.void], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]
"""Columns ``(account_id, debits, credits, hot)``: one row per account."""


def _balance_moves(groups: Sequence[ColumnLegs]) -> BalanceMoves:
    """What each account's cached balance moves by: per account sums, the ordinary accounts
    first, then the hot ones, each part in PostgreSQL's uuid order (the lock order). Pure."""
    parts = []
    for hot in (0, 1):
        mine = [g for g in groups if int(g.hot) == hot]
        if mine:
            touched, d, c = _sorted_unique(
                np.concatenate([g.account_ids for g in mine]),
                np.concatenate([g.debit_fen for g in mine]),
                np.concatenate([g.credit_fen for g in mine]),
            )
            parts.append((touched, d, c, np.full(len(touched), hot, dtype=np.int64)))
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
    )


def _move_balances_hot_last(
    session: Session, moves: BalanceMoves, before_hot: Callable[[], None] | None
) -> None:
    """Update the cached balances from a temporary table: the ordinary accounts, then
    ``before_hot()``, then the hot ones (their row locks held for the shortest time)."""
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_tmp_balance_move "
            "(account_id uuid, d bigint, c bigint, hot int4) ON COMMIT DROP"
        )
    )
    session.execute(text("TRUNCATE ledger_tmp_balance_move"))
    ids, d, c, hot = moves
    pgbulk.copy_in_binary(
        session,
        "COPY ledger_tmp_balance_move (account_id, d, c, hot) FROM STDIN (FORMAT binary)",
        pgbulk.pgcopy_binary([("uuid", ids), ("int8", d), ("int8", c), ("int4", hot)]),
    )
    update_balances = text(
        "UPDATE ledger_balance AS b SET debits_fen = b.debits_fen + v.d, "
        "credits_fen = b.credits_fen + v.c "
        "FROM ledger_tmp_balance_move AS v WHERE b.account_id = v.account_id AND v.hot = :hot"
    )
    with pgbulk.planner_off(session, "enable_hashjoin", "enable_mergejoin"):
        session.execute(update_balances, {"hot": 0})
        if before_hot is not None:
            before_hot()
        session.execute(update_balances, {"hot": 1})
