"""The set-based end of day (日终批处理) for one business date.

Steps, in order (each a :class:`puhui.jobs.runner.Step` working in batches with a cursor):

1. ``auto_debit``   take what is due from the settlement accounts (enterprises with money only,
                    batched by enterprise; reuses ``repayments.auto_debit_due``);
2. ``expire_lines`` lines whose expiry date is the business date or earlier become expired;
                    offers never signed lapse the same way (pending lines closed, their
                    applications expired) and contracts past their signing deadline expire;
3. ``billing``      bill the instalments falling due (only loans with ``next_due_date ≤ D``,
                    about 1/30 of the book). On PostgreSQL set-based for the loans with nothing
                    deferred (three statements per batch: ``loans.bill_due`` and
                    ``loans.refresh`` in SQL, the true-ups in one ``post_bulk``); loans with
                    deferred interest, and SQLite, go through ``loans.bill_due`` one by one;
4. ``accrual``      over every active loan in batches of ``batch_size``: the batch's columns
                    into numpy int64 arrays, exact accrual of contract interest
                    (``batch.accrue_batch``) and of penalty and compound interest
                    (``batch.accrue_overdue_batch``) with their carries, days past due and the
                    five-category class (``accrue_columns``), written back with one bulk
                    UPDATE, and the batch's ledger movements posted as ONE entry (one debit per
                    loan receivable, one credit per income account). On PostgreSQL the batch is
                    read with one binary COPY (the loans locked, their receivable accounts
                    looked up in the same statement), written with a binary COPY into a
                    temporary table and one ``UPDATE … FROM``, and posted with
                    ``ledger_service.post_entry_columns`` (no Python object per loan); with
                    ``workers`` > 1 the parts of a batch run side by side on as many
                    connections (:class:`AccrualStep`). Elsewhere: a Core SELECT, an
                    executemany UPDATE and ``ledger_service.post_bulk``.

The rules are those of ``docs/lending.md`` (§ Overdue, penalty, dpd); the results equal the
loan-by-loan ``simulate_day``. Re-running a date changes nothing: accrual is bounded by
``interest_accrued_through`` / ``penalty_accrued_through``, billing by instalment status,
auto-debit by its idempotency keys, and the runner records completed runs and checkpoints.
"""

from __future__ import annotations

import logging
import threading
import typing
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    Engine,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from puhui.core import pgbulk
from puhui.core.clock import Clock, shanghai_midnight_utc
from puhui.core.db import make_session_factory
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.ledger.models import Account
from puhui.lending import loans
from puhui.lending.batch import IntArray, accrue_batch, accrue_overdue_batch
from puhui.lending.classification import DEFAULT_THRESHOLDS, ClassificationThresholds, LoanClass
from puhui.lending.contracts import service as contracts
from puhui.lending.credit_lines import expire_lines, expire_offers
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import Instalment, InstalmentStatus, Loan, LoanStatus
from puhui.lending.repayments import auto_debit_due

JOB_NAME = "eod"
DEFAULT_BATCH_SIZE = 20_000
EPOCH = date(2000, 1, 1)
_SQLITE_EPOCH_JD = 2451544.5  # julianday('2000-01-01')
STEP_NAMES = ("auto_debit", "expire_lines", "billing", "accrual")

_LOAN = typing.cast(Table, Loan.__table__)
_ACCOUNT = typing.cast(Table, Account.__table__)


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _days(session: Session, col: Any) -> ColumnElement[int]:
    """A date column as whole days since 2000-01-01, -1 for NULL (both dialects)."""
    if _postgres(session):
        expr: ColumnElement[int] = col - literal(EPOCH)
    else:
        expr = cast(func.julianday(col) - _SQLITE_EPOCH_JD, Integer)
    return func.coalesce(expr, -1)


def _as_date(days: int) -> date | None:
    return None if days < 0 else EPOCH + timedelta(days=days)


def _after(query: Select[Any], col: Any, cursor: str | None) -> Select[Any]:
    return query if cursor is None else query.where(col > uuid.UUID(cursor))


# --- step 1: auto-debit ---------------------------------------------------------------------


def _debit_candidates(day: date) -> ColumnElement[bool]:
    return and_(
        Loan.status == LoanStatus.ACTIVE.value,
        or_(
            Loan.next_due_date <= day,
            Loan.overdue_principal_fen > 0,
            Loan.overdue_interest_fen > 0,
            Loan.penalty_accrued_fen > 0,
            Loan.compound_accrued_fen > 0,
        ),
    )


@dataclass
class AutoDebitStep:
    clock: Clock
    day: date
    batch_size: int
    name: str = "auto_debit"

    def total(self, session: Session) -> int:
        q = select(func.count(func.distinct(Loan.enterprise_id))).where(_debit_candidates(self.day))
        return int(session.scalar(q) or 0)

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        q = select(Loan.enterprise_id).where(_debit_candidates(self.day)).distinct()
        q = _after(q, Loan.enterprise_id, cursor).order_by(Loan.enterprise_id)
        enterprises = list(session.scalars(q.limit(self.batch_size)))
        if not enterprises:
            return Batch(None)
        balances = ledger_service.balances_by_owner(
            session, "settlement", [str(e) for e in enterprises]
        )
        funded = [e for e in enterprises if balances.get(str(e), 0) > 0]
        debits = 0
        debited_fen = 0
        for i in range(0, len(funded), 500):
            chunk = funded[i : i + 500]
            loan_ids = list(
                session.scalars(
                    select(Loan.id).where(
                        _debit_candidates(self.day), Loan.enterprise_id.in_(chunk)
                    )
                )
            )
            if loan_ids:
                done = auto_debit_due(session, self.clock, self.day, loan_ids=loan_ids)
                debits += len(done)
                debited_fen += sum(r.amount_applied_fen for r in done)
        session.flush()
        more = len(enterprises) == self.batch_size
        return Batch(
            str(enterprises[-1]) if more else None,
            items=len(enterprises),
            totals={"auto_debits": debits, "auto_debit_fen": debited_fen},
        )


# --- step 2: expire lines -------------------------------------------------------------------


@dataclass
class ExpireLinesStep:
    clock: Clock
    day: date
    name: str = "expire_lines"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        totals = expire_day(session, self.clock, self.day)
        session.flush()
        return Batch(None, items=sum(totals.values()), totals=totals)


def expire_day(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """What lapses at the end of `day`: lines past their expiry date, offers never signed, and
    contracts past their signing deadline (up to the end of `day`, never beyond now)."""
    end_of_day = shanghai_midnight_utc(day + timedelta(days=1))
    return {
        "lines_expired": expire_lines(session, clock, day),
        "offers_expired": expire_offers(session, clock, day),
        "contracts_expired": len(contracts.expire_overdue(session, clock, as_of=end_of_day)),
    }


# --- step 3: billing ------------------------------------------------------------------------


@dataclass
class BillingStep:
    clock: Clock
    day: date
    batch_size: int
    name: str = "billing"

    def _due(self) -> ColumnElement[bool]:
        return and_(Loan.status == LoanStatus.ACTIVE.value, Loan.next_due_date <= self.day)

    def total(self, session: Session) -> int:
        return int(session.scalar(select(func.count()).where(self._due())) or 0)

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        session.flush()
        if _postgres(session):
            with _batch_settings(session):
                return self._run_batch_pg(session, cursor)
        q = _after(select(Loan.id).where(self._due()), Loan.id, cursor).order_by(Loan.id)
        ids = list(session.scalars(q.limit(self.batch_size)))
        if not ids:
            return Batch(None)
        billed = self._bill_per_loan(session, ids)
        more = len(ids) == self.batch_size
        return Batch(
            str(ids[-1]) if more else None,
            items=len(ids),
            totals={"instalments_billed": billed},
        )

    def _bill_per_loan(self, session: Session, ids: list[uuid.UUID]) -> int:
        """``loans.bill_due`` loan by loan, the batch's loans and instalments loaded in 2
        queries per 500."""
        billed = 0
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            lock = select(Loan).where(Loan.id.in_(chunk)).order_by(Loan.id)
            if _postgres(session):
                lock = lock.with_for_update()
            batch_loans = list(session.scalars(lock.execution_options(populate_existing=True)))
            rows: dict[uuid.UUID, list[Instalment]] = {loan.id: [] for loan in batch_loans}
            for row in session.scalars(
                select(Instalment)
                .where(
                    Instalment.loan_id.in_(chunk),
                    Instalment.status != InstalmentStatus.SUPERSEDED.value,
                )
                .order_by(Instalment.loan_id, Instalment.seq)
            ):
                rows[row.loan_id].append(row)
            for loan in batch_loans:
                billed += loans.bill_due(session, self.clock, loan, rows[loan.id], self.day)
        session.flush()
        return billed

    def _run_batch_pg(self, session: Session, cursor: str | None) -> Batch:
        """Set-based billing for the loans with nothing deferred (the common case), in three
        statements: lock the batch and sum what falls due per loan; bill the instalments; refresh
        the loans' schedule aggregates (``loans.refresh``) and restart their accrual. The
        true-ups go in one ``post_bulk`` (one entry per loan, as ``bill_due`` posts them). Loans
        with deferred interest go through ``bill_due`` one by one."""
        after = "" if cursor is None else " AND id > CAST(:cursor AS uuid)"
        rows = session.execute(
            text(
                "SELECT b.id, b.reference, b.interest_accrued_fen, b.interest_deferred_fen, "
                "d.n, d.interest, d.last_due FROM ("
                "SELECT id, reference, interest_accrued_fen, interest_deferred_fen "
                "FROM lending_loan WHERE status = :active AND next_due_date <= :day"
                f"{after} ORDER BY id LIMIT :limit FOR UPDATE) AS b "
                "CROSS JOIN LATERAL (SELECT count(*) AS n, "
                "CAST(COALESCE(sum(i.interest_fen), 0) AS bigint) AS interest, "
                "max(i.due_date) AS last_due "
                "FROM lending_instalment i WHERE i.loan_id = b.id AND i.status = :scheduled "
                "AND i.due_date <= :day) AS d ORDER BY b.id"
            ),
            {
                "active": LoanStatus.ACTIVE.value,
                "scheduled": InstalmentStatus.SCHEDULED.value,
                "day": self.day,
                "limit": self.batch_size,
                "cursor": cursor,
            },
        ).all()
        if not rows:
            return Batch(None)
        fast = [r for r in rows if r.n and not r.interest_deferred_fen]
        slow = [r.id for r in rows if r.n and r.interest_deferred_fen]
        billed = sum(int(r.n) for r in fast)
        if fast:
            ids = ledger_service.pg_array(r.id for r in fast)
            params = {
                "ids": ids,
                "day": self.day,
                "now": self.clock.now(),
                "scheduled": InstalmentStatus.SCHEDULED.value,
                "billed": InstalmentStatus.BILLED.value,
                "paid": InstalmentStatus.PAID.value,
                "superseded": InstalmentStatus.SUPERSEDED.value,
                "last_due": ledger_service.pg_array(r.last_due for r in fast),
            }
            session.execute(
                text(
                    "UPDATE lending_instalment AS i SET billed_date = :day, status = CASE "
                    "WHEN i.principal_paid_fen = i.principal_fen "
                    "AND i.interest_paid_fen = i.interest_fen THEN :paid ELSE :billed END, "
                    "paid_date = CASE WHEN i.principal_paid_fen = i.principal_fen "
                    "AND i.interest_paid_fen = i.interest_fen THEN :day ELSE i.paid_date END "
                    "WHERE i.loan_id = ANY(CAST(:ids AS uuid[])) AND i.status = :scheduled "
                    "AND i.due_date <= :day"
                ),
                params,
            )
            session.execute(text(_REFRESH_SQL), params)
            self._post_true_ups(
                session,
                [(r.id, r.reference, int(r.interest) - int(r.interest_accrued_fen)) for r in fast],
            )
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Loan | Instalment):
                session.expire(obj)
        if slow:
            billed += self._bill_per_loan(session, slow)
        more = len(rows) == self.batch_size
        return Batch(
            str(rows[-1].id) if more else None,
            items=len(rows),
            totals={"instalments_billed": billed},
        )

    def _post_true_ups(self, session: Session, true_ups: list[tuple[uuid.UUID, str, int]]) -> None:
        moves = [(loan_id, ref, fen) for loan_id, ref, fen in true_ups if fen]
        if not moves:
            return
        legs = {m[0]: loans.interest_true_up_legs(m[0], m[2]) for m in moves}
        known = ledger_service.account_ids(
            session, self.clock, [leg.account for ls in legs.values() for leg in ls]
        )
        ledger_service.post_bulk(
            session,
            self.clock,
            [
                ledger_service.BulkEntry(
                    kind="interest_billing",
                    business_date=self.day,
                    legs=[
                        (known[leg.account], leg.debit_fen, leg.credit_fen) for leg in legs[loan_id]
                    ],
                    memo=f"到期利息确认 {ref}",
                    source_type="loan",
                    source_id=str(loan_id),
                )
                for loan_id, ref, _ in moves
            ],
        )


# ``loans.refresh`` in SQL for the loans just billed (``:ids``), and the accrual restarting at
# the last due date billed (``:last_due``): interest accrued and its carry go to 0.
_REFRESH_SQL = """
UPDATE lending_loan AS l SET
  interest_accrued_fen = 0,
  interest_carry = 0,
  interest_accrued_through = GREATEST(l.interest_accrued_through, v.last_due),
  principal_outstanding_fen = a.principal,
  overdue_principal_fen = a.overdue_principal,
  overdue_interest_fen = a.overdue_interest,
  oldest_unpaid_due_date = a.oldest,
  next_due_date = a.next_due,
  maturity_date = COALESCE(a.maturity, l.maturity_date),
  dpd = COALESCE(GREATEST(0, CAST(:day AS date) - a.oldest), 0),
  updated_at = :now
FROM unnest(CAST(:ids AS uuid[]), CAST(:last_due AS date[])) AS v(id, last_due)
CROSS JOIN LATERAL (
  SELECT
    COALESCE(sum(i.principal_fen - i.principal_paid_fen), 0) AS principal,
    COALESCE(sum(i.principal_fen - i.principal_paid_fen)
             FILTER (WHERE i.status = :billed), 0) AS overdue_principal,
    COALESCE(sum(i.interest_fen - i.interest_paid_fen)
             FILTER (WHERE i.status = :billed), 0) AS overdue_interest,
    min(i.due_date) FILTER (WHERE i.status = :billed) AS oldest,
    min(i.due_date) FILTER (WHERE i.status = :scheduled) AS next_due,
    max(i.due_date) AS maturity
  FROM lending_instalment AS i
  WHERE i.loan_id = v.id AND i.status <> :superseded
) AS a
WHERE l.id = v.id
"""


# --- step 4: accrual, penalty, dpd, classification (set-based) ------------------------------

_INT_COLUMNS = (
    "principal_outstanding_fen",
    "overdue_principal_fen",
    "overdue_interest_fen",
    "interest_accrued_fen",
    "interest_carry",
    "rate_bp",
    "grace_days",
    "penalty_markup_bp",
    "penalty_accrued_fen",
    "penalty_carry",
    "compound_accrued_fen",
    "compound_carry",
)
_DATE_COLUMNS = (
    "interest_accrued_through",
    "next_due_date",
    "oldest_unpaid_due_date",
    "penalty_accrued_through",
    "last_overdue_date",
)


def classify_batch(
    dpd: IntArray, thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Vectorized ``classification.classify`` (no ``at_least``)."""
    return np.array(CLASS_ORDER, dtype=object)[class_index(dpd, thresholds)]


@dataclass
class Accrued:
    """What one batch's accrual computes: the new loan columns and the day's postings."""

    columns: dict[str, IntArray]  # new values of the integer and (as day numbers) date columns
    classes: IntArray  # index into CLASS_ORDER
    interest: IntArray  # contract interest posted today, fen
    penalty: IntArray  # penalty posted today, fen
    compound: IntArray  # compound interest posted today, fen

    def totals(self) -> dict[str, int]:
        """The run totals of this batch (recorded on the job step)."""
        return {
            "interest_fen": int(self.interest.sum()),
            "penalty_fen": int(self.penalty.sum()),
            "compound_fen": int(self.compound.sum()),
        }


CLASS_ORDER = (
    LoanClass.NORMAL.value,
    LoanClass.SPECIAL_MENTION.value,
    LoanClass.SUBSTANDARD.value,
    LoanClass.DOUBTFUL.value,
    LoanClass.LOSS.value,
)
_UPDATED_INTS = (
    "interest_accrued_fen",
    "interest_carry",
    "penalty_accrued_fen",
    "penalty_carry",
    "compound_accrued_fen",
    "compound_carry",
    "dpd",
)
_UPDATED_DATES = ("interest_accrued_through", "penalty_accrued_through", "last_overdue_date")


def class_index(
    dpd: IntArray, thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS
) -> IntArray:
    """:func:`classify_batch` as an index into :data:`CLASS_ORDER`."""
    return np.select(
        [
            dpd > thresholds.loss_after_dpd,
            dpd > thresholds.doubtful_after_dpd,
            dpd > thresholds.substandard_after_dpd,
            dpd > thresholds.special_mention_after_dpd,
        ],
        [4, 3, 2, 1],
        0,
    ).astype(np.int64)


def accrue_columns(
    col: dict[str, IntArray], day: date, thresholds: ClassificationThresholds
) -> Accrued:
    """Steps 3–5 of the end of day on a batch of loans given as int64 columns (``_INT_COLUMNS``,
    ``year_days``, ``compound`` 0/1, and ``_DATE_COLUMNS`` as days since 2000-01-01, -1 for
    none). Pure numpy, exact: the arithmetic of :mod:`puhui.lending.batch`."""
    principal = col["principal_outstanding_fen"]
    overdue_p = col["overdue_principal_fen"]
    overdue_i = col["overdue_interest_fen"]
    rate = col["rate_bp"]
    grace = col["grace_days"]
    markup = col["penalty_markup_bp"]
    year_days = col["year_days"]
    compound = col["compound"]
    carry = col["interest_carry"].copy()
    pen_carry = col["penalty_carry"].copy()
    comp_carry = col["compound_carry"].copy()
    iat = col["interest_accrued_through"].copy()
    ndd = col["next_due_date"]
    oldest = col["oldest_unpaid_due_date"]
    pat = col["penalty_accrued_through"]
    lod = col["last_overdue_date"]
    d = (day - EPOCH).days
    n = len(principal)

    # contract interest on the normal principal, [interest_accrued_through, min(D+1, next due))
    end = np.minimum(d + 1, ndd)
    days = np.where(ndd >= 0, end - iat, 0)
    interest = np.zeros(n, dtype=np.int64)
    for basis in DayCountBasis:
        sel = (days > 0) & (year_days == basis.year_days)
        if sel.any():
            posted, new_carry = accrue_batch(
                (principal - overdue_p)[sel],
                rate[sel],
                carry[sel],
                multiplier_bp=10_000 * days[sel],
                basis=basis,
            )
            interest[sel] = posted
            carry[sel] = new_carry
            iat[sel] = end[sel]

    # penalty on overdue principal, compound on overdue interest, after the grace days
    due_today = (oldest >= 0) & (oldest <= d) & (pat < d)
    charge = due_today & (d - oldest + 1 > grace)
    penalty = np.zeros(n, dtype=np.int64)
    comp = np.zeros(n, dtype=np.int64)
    for basis in DayCountBasis:
        sel = charge & (year_days == basis.year_days)
        if sel.any():
            over = accrue_overdue_batch(
                overdue_p[sel],
                overdue_i[sel],
                rate[sel],
                pen_carry[sel],
                comp_carry[sel],
                markup_bp=markup[sel],
                compound=compound[sel].astype(np.bool_),
                basis=basis,
            )
            penalty[sel] = over.penalty_fen
            comp[sel] = over.compound_fen
            pen_carry[sel] = over.penalty_carry
            comp_carry[sel] = over.compound_carry

    dpd = np.where(oldest >= 0, np.maximum(0, d - oldest), 0)
    return Accrued(
        columns={
            "interest_accrued_fen": col["interest_accrued_fen"] + interest,
            "interest_carry": carry,
            "penalty_accrued_fen": col["penalty_accrued_fen"] + penalty,
            "penalty_carry": pen_carry,
            "compound_accrued_fen": col["compound_accrued_fen"] + comp,
            "compound_carry": comp_carry,
            "dpd": dpd,
            "interest_accrued_through": iat,
            "penalty_accrued_through": np.where(due_today, d, pat),
            "last_overdue_date": np.where(dpd > 0, d, lod),
        },
        classes=class_index(dpd, thresholds),
        interest=interest,
        penalty=penalty,
        compound=comp,
    )


# The PostgreSQL read of a batch: one binary COPY of fixed-width int8 / uuid fields, the batch
# locked in id order in the inner query, each loan's receivable accounts by index lookups.
_READ_INTS = (*_INT_COLUMNS, "year_days", "compound", *_DATE_COLUMNS)
_NIL = "00000000-0000-0000-0000-000000000000"


def _read_sql(cursor: str | None, limit: int) -> str:
    inner = ", ".join(f"{c}::int8" for c in _INT_COLUMNS)
    inner += (
        f", CASE WHEN day_count = '{DayCountBasis.ACT_365.value}' THEN 365 ELSE 360 END::int8"
        ", CASE WHEN compound_interest THEN 1 ELSE 0 END::int8, "
    )
    inner += ", ".join(
        f"COALESCE({c} - DATE '{EPOCH.isoformat()}', -1)::int8 AS {c}" for c in _DATE_COLUMNS
    )
    after = "" if cursor is None else f" AND id > '{uuid.UUID(cursor)}'"
    receivable = (
        "COALESCE((SELECT a.id FROM ledger_account a WHERE a.code = '{code}' "
        f"AND a.owner_key = b.id::text), '{_NIL}')"
    )
    # only an overdue loan can be charged a penalty: the others need no look-up
    penalty = receivable.format(code="penalty_receivable")
    return (
        "COPY (SELECT b.*, "
        + receivable.format(code="interest_receivable")
        + f", CASE WHEN b.oldest_unpaid_due_date >= 0 THEN {penalty} ELSE '{_NIL}' END"
        + f" FROM (SELECT id, {inner} FROM lending_loan "
        f"WHERE status = '{LoanStatus.ACTIVE.value}'{after} ORDER BY id LIMIT {int(limit)} "
        "FOR NO KEY UPDATE) AS b) TO STDOUT (FORMAT binary)"
    )


def _read_dtype() -> np.dtype[Any]:
    uid = pgbulk.UUID_BYTES
    fields: list[tuple[str, Any]] = [("n", ">i2"), ("l_id", ">i4"), ("id", uid)]
    for c in _READ_INTS:
        fields += [(f"l_{c}", ">i4"), (c, ">i8")]
    for c in ("iacc", "pacc"):
        fields += [(f"l_{c}", ">i4"), (c, uid)]
    return np.dtype(fields)


_READ_DTYPE = _read_dtype()
_READ_WIDTHS = {f"l_{c}": 8 for c in _READ_INTS} | {"l_id": 16, "l_iacc": 16, "l_pacc": 16}


def _parse_copy(buf: bytes) -> np.ndarray[Any, np.dtype[Any]]:
    """The rows of a binary COPY whose fields are all fixed-width and not null."""
    header = len(b"PGCOPY\n\xff\r\n\x00") + 8
    if not buf.startswith(b"PGCOPY\n\xff\r\n\x00") or buf[header - 4 : header] != b"\0\0\0\0":
        raise RuntimeError("unexpected COPY header")
    body = len(buf) - header - 2
    if buf[-2:] != b"\xff\xff" or body % _READ_DTYPE.itemsize:
        raise RuntimeError("unexpected COPY layout")
    rows = np.frombuffer(buf, dtype=_READ_DTYPE, count=body // _READ_DTYPE.itemsize, offset=header)
    if len(rows) and (
        (rows["n"] != 3 + len(_READ_INTS)).any()
        or any((rows[f] != w).any() for f, w in _READ_WIDTHS.items())
    ):
        raise RuntimeError("unexpected COPY field widths (a NULL?)")
    return rows


def _sorted_by_id(rows: np.ndarray[Any, np.dtype[Any]]) -> np.ndarray[Any, np.dtype[Any]]:
    """The rows in id order (PostgreSQL's uuid order: the bytes), as the inner query gave them
    (checked, not assumed)."""
    halves = rows["id"].copy().view([("hi", ">u8"), ("lo", ">u8")])
    hi, lo = halves["hi"], halves["lo"]
    if ((hi[1:] > hi[:-1]) | ((hi[1:] == hi[:-1]) & (lo[1:] > lo[:-1]))).all():
        return rows
    return rows[np.lexsort((lo, hi))]


_BATCH_SETTINGS = ("jit", "enable_hashjoin", "enable_mergejoin")


def _batch_settings(session: Session) -> AbstractContextManager[None]:
    """PostgreSQL planner settings for a batch: no JIT (the batch's statements are costed high
    but run in milliseconds: compiling them took longer than running them), and joins by index
    look-ups (a locked batch or a temporary table of some thousand rows joined to millions)."""
    return pgbulk.planner_off(session, *_BATCH_SETTINGS)


_CREATE_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS eod_tmp_accrual (id uuid, "
    + ", ".join(f"{c} int8" for c in (*_UPDATED_INTS, *_UPDATED_DATES, "classification"))
    + ") ON COMMIT DROP"
)


def _update_sql() -> str:
    epoch = f"DATE '{EPOCH.isoformat()}'"
    sets = [f"{c} = v.{c}" for c in _UPDATED_INTS]
    sets.append(f"interest_accrued_through = {epoch} + v.interest_accrued_through::int4")
    sets += [
        f"{c} = CASE WHEN v.{c} < 0 THEN NULL ELSE {epoch} + v.{c}::int4 END"
        for c in ("penalty_accrued_through", "last_overdue_date")
    ]
    classes = ", ".join(f"'{c}'" for c in CLASS_ORDER)
    sets.append(f"classification = (ARRAY[{classes}])[v.classification + 1]")
    sets.append("updated_at = :now")
    # joined on the id alone: the planner (without statistics on the temporary table, hash and
    # merge joins off) then has one sensible plan, the batch's rows looked up by primary key; a
    # range on l.id as well once made it scan the temporary table for every loan of the range
    return (
        f"UPDATE lending_loan AS l SET {', '.join(sets)} FROM eod_tmp_accrual AS v "
        "WHERE l.id = v.id"
    )


_UPDATE_SQL = _update_sql()


@dataclass
class _Part:
    """What one part of a batch did (PostgreSQL path)."""

    n: int
    last: uuid.UUID | None
    totals: dict[str, int]


def _part_sizes(batch_size: int, parts: int) -> list[int]:
    """Sizes of a batch's parts: each part starts once the one before it has read its loans
    (about a quarter of a part's time), so each is 3/4 of the one before it and all end at about
    the same time. Sums to `batch_size`, every part at least 1."""
    weights = [0.75**i for i in range(parts)]
    sizes = [max(1, int(batch_size * w / sum(weights))) for w in weights]
    sizes[0] += batch_size - sum(sizes)
    return sizes


HELPER_LOCK_TIMEOUT = "10s"
"""How long a helper connection waits for a row lock before it gives its part back (the part is
then done by the next batch): a helper must never wait for a lock behind the batch it helps."""

_log = logging.getLogger(__name__)


@dataclass
class AccrualStep:
    """Step 4. ``workers`` > 1 (PostgreSQL under the job runner only: sessions bound to an
    engine) splits each batch into that many parts run side by side, part 0 in the runner's
    transaction, the others each in its own transaction on its own connection, committed before
    the runner's. This is safe with the checkpoint because accrual is idempotent: a part
    committed ahead of a batch that then fails is done again by the resumed run as a no-op
    (interest up to ``interest_accrued_through``, penalty up to ``penalty_accrued_through``)."""

    clock: Clock
    day: date
    batch_size: int
    thresholds: ClassificationThresholds = field(default=DEFAULT_THRESHOLDS)
    workers: int = 1
    name: str = "accrual"

    def total(self, session: Session) -> int:
        q = select(func.count()).where(Loan.status == LoanStatus.ACTIVE.value)
        return int(session.scalar(q) or 0)

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        session.flush()  # pending ORM changes first: this step reads and writes with Core
        if not _postgres(session):
            batch = self._run_batch_portable(session, cursor)
        elif self.workers > 1 and isinstance(session.get_bind(), Engine):
            batch = self._run_batch_parallel(session, cursor)
        else:
            with _batch_settings(session):
                part = self._accrue_part_pg(session, cursor, self.batch_size)
            more = part.n == self.batch_size
            batch = Batch(str(part.last) if more else None, items=part.n, totals=part.totals)
        # ORM objects loaded earlier in this session no longer match the rows
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Loan):
                session.expire(obj)
        return batch

    def _run_batch_parallel(self, session: Session, cursor: str | None) -> Batch:
        """The batch in ``workers`` consecutive parts by id: part i+1 starts on its own
        connection as soon as part i has read (and locked) its loans, and commits before part i
        updates the income balances (the only rows two parts share); part 0 is the runner's.
        A helper that fails gives its part back: the batch then ends after the last part done
        without a gap."""
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        k = self.workers
        if not self._income_accounts_exist(session):
            # the first accrual ever: the bank's income accounts are opened (empty) and committed
            # on their own first, so that parts side by side never both try to open them
            with make_session_factory(engine)() as own, own.begin():
                ledger_service.account_ids(
                    own, self.clock, [loans.INTEREST_INCOME, loans.PENALTY_INCOME]
                )
        limits = _part_sizes(self.batch_size, k)
        results: list[_Part | BaseException | None] = [None] * k
        threads: dict[int, threading.Thread] = {}

        def start_next(i: int, n: int, last: uuid.UUID) -> None:
            if i + 1 < k and n == limits[i]:
                t = threading.Thread(
                    target=helper, args=(i + 1, str(last)), name=f"eod-accrual-{i + 1}"
                )
                threads[i + 1] = t
                t.start()

        def wait_after(i: int) -> None:
            t = threads.get(i + 1)
            if t is not None:
                t.join()

        def helper(i: int, after: str) -> None:
            try:
                with make_session_factory(engine)() as own, own.begin():
                    own.execute(
                        text("SELECT set_config('lock_timeout', :t, true)"),
                        {"t": HELPER_LOCK_TIMEOUT},
                    )
                    with _batch_settings(own):
                        results[i] = self._accrue_part_pg(
                            own,
                            after,
                            limits[i],
                            on_read=lambda n, last: start_next(i, n, last),
                            before_hot=lambda: wait_after(i),
                        )
            except Exception as exc:  # the part is given back, see above
                results[i] = exc
                _log.warning("end of day accrual: part %d after %s given back: %r", i, after, exc)
            finally:
                wait_after(i)

        try:
            with _batch_settings(session):
                results[0] = self._accrue_part_pg(
                    session,
                    cursor,
                    limits[0],
                    on_read=lambda n, last: start_next(0, n, last),
                    before_hot=lambda: wait_after(0),
                )
        finally:
            wait_after(0)
        items = 0
        totals: dict[str, int] = {}
        last: uuid.UUID | None = None
        more = False
        for i in range(k):
            part = results[i]
            if not isinstance(part, _Part):  # not started (no more loans) or given back
                more = i > 0 and part is not None
                break
            items += part.n
            last = part.last or last
            for key, v in part.totals.items():
                totals[key] = totals.get(key, 0) + v
            more = part.n == limits[i]
            if not more:
                break
        return Batch(str(last) if more and last else None, items=items, totals=totals)

    @staticmethod
    def _income_accounts_exist(session: Session) -> bool:
        codes = [loans.INTEREST_INCOME.code, loans.PENALTY_INCOME.code]
        found = session.scalar(
            select(func.count())
            .select_from(_ACCOUNT)
            .where(_ACCOUNT.c.code.in_(codes), _ACCOUNT.c.owner_key == "")
        )
        return found == len(codes)

    # PostgreSQL: binary COPY out, numpy, binary COPY into a temporary table, one UPDATE … FROM,
    # and the ledger entry by columns (no Python object per loan)
    def _accrue_part_pg(
        self,
        session: Session,
        cursor: str | None,
        limit: int,
        *,
        on_read: Callable[[int, uuid.UUID], None] | None = None,
        before_hot: Callable[[], None] | None = None,
    ) -> _Part:
        raw: Any = session.connection().connection.driver_connection
        buf = bytearray()
        with raw.cursor() as cur, cur.copy(_read_sql(cursor, limit)) as copy:
            for chunk in copy:
                buf += chunk
        rows = _sorted_by_id(_parse_copy(bytes(buf)))
        n = len(rows)
        if not n:
            return _Part(0, None, {})
        ids = rows["id"].copy()
        first = uuid.UUID(bytes=bytes(ids[0]))
        last = uuid.UUID(bytes=bytes(ids[-1]))
        if on_read is not None:
            on_read(n, last)
        acc = accrue_columns(
            {c: rows[c].astype(np.int64) for c in _READ_INTS}, self.day, self.thresholds
        )
        session.execute(text(_CREATE_TMP))
        session.execute(text("TRUNCATE eod_tmp_accrual"))
        columns: list[tuple[str, Any]] = [("uuid", ids)]
        columns += [("int8", acc.columns[c]) for c in (*_UPDATED_INTS, *_UPDATED_DATES)]
        columns.append(("int8", acc.classes))
        pgbulk.copy_in_binary(
            session,
            "COPY eod_tmp_accrual FROM STDIN (FORMAT binary)",
            pgbulk.pgcopy_binary(columns),
        )
        session.execute(text(_UPDATE_SQL), {"now": self.clock.now()})
        charged = acc.penalty + acc.compound
        self._post_columns(
            session,
            ids,
            first,
            [
                ("interest_receivable", rows["iacc"].copy(), acc.interest),
                ("penalty_receivable", rows["pacc"].copy(), charged),
            ],
            before_hot,
        )
        return _Part(n, last, acc.totals())

    def _post_columns(
        self,
        session: Session,
        ids: npt.NDArray[np.void],
        first: uuid.UUID,
        receivables: list[tuple[str, npt.NDArray[np.void], IntArray]],
        before_hot: Callable[[], None] | None,
    ) -> None:
        nil = np.frombuffer(bytes(16), dtype=pgbulk.UUID_BYTES)[0]
        legs: list[ledger_service.ColumnLegs] = []
        income: list[tuple[ledger_service.AccountRef, int]] = []
        refs: list[ledger_service.AccountRef] = []
        for code, accounts, amounts in receivables:
            moved = np.flatnonzero(amounts)
            if not len(moved):
                continue
            accounts = accounts[moved]
            missing = np.flatnonzero(accounts == nil)
            if len(missing):  # a loan's first interest or penalty: open its receivable
                owners = pgbulk.as_uuids(ids[moved[missing]])
                made = ledger_service.account_ids(
                    session, self.clock, [ledger_service.owned(code, "loan", o) for o in owners]
                )
                accounts[missing] = pgbulk.uuid_bytes(made.values())
            total = amounts[moved]
            legs.append(
                ledger_service.ColumnLegs(code, accounts, total, np.zeros(len(total), np.int64))
            )
            ref = loans.INTEREST_INCOME if code == "interest_receivable" else loans.PENALTY_INCOME
            income.append((ref, int(total.sum())))
            refs.append(ref)
        if not legs:
            if before_hot is not None:
                before_hot()
            return
        known = ledger_service.account_ids(session, self.clock, refs)
        for ref, fen in income:
            one = pgbulk.uuid_bytes([known[ref]])
            legs.append(
                ledger_service.ColumnLegs(
                    ref.code, one, np.zeros(1, np.int64), np.array([fen], np.int64), hot=True
                )
            )
        ledger_service.post_entry_columns(
            session,
            self.clock,
            kind="accrual",
            business_date=self.day,
            legs=legs,
            memo=f"利息及罚息复利计提 {self.day.isoformat()}（批量）",
            source_type="eod",
            source_id=f"{self.day.isoformat()}:{str(first)[:8]}",
            before_hot=before_hot,
        )

    # SQLite (and any other database): Core SELECT, executemany UPDATE, post_bulk
    def _run_batch_portable(self, session: Session, cursor: str | None) -> Batch:
        cols: list[Any] = [_LOAN.c.id]
        cols += [_LOAN.c[c] for c in _INT_COLUMNS]
        cols.append(case((_LOAN.c.day_count == DayCountBasis.ACT_365.value, 365), else_=360))
        cols.append(case((_LOAN.c.compound_interest, 1), else_=0))
        cols += [_days(session, _LOAN.c[c]) for c in _DATE_COLUMNS]
        q = select(*cols).where(_LOAN.c.status == LoanStatus.ACTIVE.value)
        q = _after(q, _LOAN.c.id, cursor).order_by(_LOAN.c.id).limit(self.batch_size)
        rows = session.execute(q).all()
        if not rows:
            return Batch(None)
        ids = [r[0] for r in rows]
        m = np.array([r[1:] for r in rows], dtype=np.int64)
        acc = accrue_columns(
            {c: m[:, k].copy() for k, c in enumerate(_READ_INTS)}, self.day, self.thresholds
        )
        now = self.clock.now()
        values: dict[str, Any] = {c: bindparam(f"b_{c}") for c in (*_UPDATED_INTS, *_UPDATED_DATES)}
        values["classification"] = bindparam("b_classification")
        values["updated_at"] = bindparam("b_now")
        stmt = update(_LOAN).where(_LOAN.c.id == bindparam("b_id")).values(**values)
        int_lists = {c: acc.columns[c].tolist() for c in _UPDATED_INTS}
        date_lists = {c: acc.columns[c].tolist() for c in _UPDATED_DATES}
        class_list = [CLASS_ORDER[k] for k in acc.classes.tolist()]
        params_list = []
        for i, loan_id in enumerate(ids):
            p: dict[str, Any] = {"b_id": loan_id, "b_now": now}
            p.update({f"b_{c}": v[i] for c, v in int_lists.items()})
            p.update({f"b_{c}": _as_date(v[i]) for c, v in date_lists.items()})
            p["b_classification"] = class_list[i]
            params_list.append(p)
        session.connection().execute(stmt, params_list)
        self._post(session, ids, acc.interest, acc.penalty + acc.compound)
        more = len(ids) == self.batch_size
        return Batch(
            str(ids[-1]) if more else None,
            items=len(ids),
            totals=acc.totals(),
        )

    def _post(
        self,
        session: Session,
        ids: list[uuid.UUID],
        interest: IntArray,
        penalty: IntArray,
    ) -> None:
        i_idx = np.flatnonzero(interest).tolist()
        p_idx = np.flatnonzero(penalty).tolist()
        if not i_idx and not p_idx:
            return
        i_refs = [loans.interest_account(ids[k]) for k in i_idx]
        p_refs = [loans.penalty_account(ids[k]) for k in p_idx]
        acc = ledger_service.account_ids(
            session, self.clock, [*i_refs, *p_refs, loans.INTEREST_INCOME, loans.PENALTY_INCOME]
        )
        legs: list[tuple[uuid.UUID, int, int]] = []
        i_vals = interest[i_idx].tolist()
        p_vals = penalty[p_idx].tolist()
        legs += [(acc[r], v, 0) for r, v in zip(i_refs, i_vals, strict=True)]
        legs += [(acc[r], v, 0) for r, v in zip(p_refs, p_vals, strict=True)]
        if i_vals:
            legs.append((acc[loans.INTEREST_INCOME], 0, int(sum(i_vals))))
        if p_vals:
            legs.append((acc[loans.PENALTY_INCOME], 0, int(sum(p_vals))))
        ledger_service.post_bulk(
            session,
            self.clock,
            [
                ledger_service.BulkEntry(
                    kind="accrual",
                    business_date=self.day,
                    legs=legs,
                    memo=f"利息及罚息复利计提 {self.day.isoformat()}（批量）",
                    source_type="eod",
                    source_id=f"{self.day.isoformat()}:{str(ids[0])[:8]}",
                )
            ],
        )


# --- the job --------------------------------------------------------------------------------


def eod_steps(
    clock: Clock,
    day: date,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS,
    workers: int = 1,
) -> list[AutoDebitStep | ExpireLinesStep | BillingStep | AccrualStep]:
    """The end-of-day steps for business date `day`, for :func:`puhui.jobs.runner.run_job`.

    ``workers`` > 1 runs each accrual batch in that many parts on as many connections
    (PostgreSQL, under the job runner only: never inside a caller's transaction, see
    :class:`AccrualStep`)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if workers < 1 or workers > batch_size:
        raise ValueError("workers must be between 1 and the batch size")
    return [
        AutoDebitStep(clock, day, batch_size),
        ExpireLinesStep(clock, day),
        BillingStep(clock, day, batch_size),
        AccrualStep(clock, day, batch_size, thresholds, workers),
    ]
