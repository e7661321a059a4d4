"""The money ledger: double-entry, append-only, integer fen, balanced by construction.

Callers describe a movement as legs (debit or credit of an account, in fen); `post` checks that
the legs balance, writes one entry with its postings, and updates the cached balances in the same
transaction (in a SAVEPOINT, so a refused posting — e.g. insufficient funds — leaves the caller's
transaction usable). Corrections are reversing entries; nothing is ever updated or deleted.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from puhui.core.clock import Clock
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


def account_ids(
    session: Session, clock: Clock, refs: Iterable[AccountRef]
) -> dict[AccountRef, uuid.UUID]:
    """Ids of the accounts, creating the missing ones (race-free: insert on conflict do nothing)."""
    cache: dict[AccountRef, uuid.UUID] = session.info.setdefault("ledger_account_ids", {})
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
    for code, owners in by_code.items():
        for i in range(0, len(owners), 500):
            chunk = owners[i : i + 500]
            for acc_id, owner in session.execute(
                select(Account.id, Account.owner_key).where(
                    Account.code == code, Account.owner_key.in_(chunk)
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
