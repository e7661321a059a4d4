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
                    five-category class (``eod_rules.accrue_columns``), written back with one
                    bulk UPDATE, and the batch's ledger movements posted as ONE entry (one debit
                    per loan receivable, one credit per income account). On PostgreSQL through
                    :mod:`puhui.lending.eod_pg` (binary COPY in and out, a temporary table,
                    ``ledger_service.post_entry_columns``; with ``workers`` > 1 the parts of a
                    batch run side by side on as many connections, only through
                    :class:`puhui.lending.eod_pg.HelperSessions`). Elsewhere: a Core SELECT, an
                    executemany UPDATE and ``ledger_service.post_bulk``. Non-accrual loans
                    (``non_accrual_since``, rule 6 of ``eod_rules``) are credited to their own
                    suspense accounts instead of income, and the few loans entering or leaving
                    non-accrual get their transfer entries (``nonaccrual.post_transitions``);
5. ``provisions``   the loan-loss reserve per five-category class brought to rate × principal
                    with one aggregate and one entry (``provisions.post_provisions``), and at a
                    month end the class snapshot (one ``INSERT … SELECT``).

Three modules: this one holds the job steps (what runs in which order, batches and cursors, the
portable path); :mod:`puhui.lending.eod_rules` the rules on columns (pure, unit-tested);
:mod:`puhui.lending.eod_pg` the PostgreSQL adapter.

The rules are those of ``docs/lending.md`` (§ Overdue, penalty, dpd); the results equal the
loan-by-loan ``simulate_day``. Re-running a date changes nothing: accrual is bounded by
``interest_accrued_through`` / ``penalty_accrued_through``, billing by instalment status,
auto-debit by its idempotency keys, and the runner records completed runs and checkpoints.
"""

from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
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
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from puhui.core.clock import Clock, shanghai_midnight_utc
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.lending import charges, eod_pg, loans, nonaccrual
from puhui.lending.batch import IntArray
from puhui.lending.classification import DEFAULT_THRESHOLDS, ClassificationThresholds
from puhui.lending.contracts import service as contracts
from puhui.lending.credit_lines import expire_lines, expire_offers
from puhui.lending.eod_pg import Part, batch_settings, is_postgres
from puhui.lending.eod_rules import (
    CLASS_ORDER,
    DATE_COLUMNS,
    EPOCH,
    INPUT_COLUMNS,
    INT_COLUMNS,
    UPDATED_DATES,
    UPDATED_INTS,
    accrue_columns,
    as_date,
    part_sizes,
)
from puhui.lending.guarantees_calls import guarantees_day
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import Instalment, InstalmentStatus, Loan, LoanStatus
from puhui.lending.payouts import ReconciliationGateStep
from puhui.lending.provision_rules import DEFAULT_RATES, ProvisionRates
from puhui.lending.provisions import ProvisionStep
from puhui.lending.repayments import auto_debit_due
from puhui.lending.servicing import eod as servicing_eod

JOB_NAME = "eod"
DEFAULT_BATCH_SIZE = 20_000
_SQLITE_EPOCH_JD = 2451544.5  # julianday('2000-01-01')
STEP_NAMES = ("auto_debit", "expire_lines", "billing", "accrual", "provisions")

_LOAN = typing.cast(Table, Loan.__table__)


def _days(session: Session, col: Any) -> ColumnElement[int]:
    """A date column as whole days since 2000-01-01, -1 for NULL (both dialects)."""
    if is_postgres(session):
        expr: ColumnElement[int] = col - literal(EPOCH)
    else:
        expr = cast(func.julianday(col) - _SQLITE_EPOCH_JD, Integer)
    return func.coalesce(expr, -1)


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(bytes=bytes(value))


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
            Loan.id.in_(charges.loans_with_charges_due(day)),
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
        if is_postgres(session):
            with batch_settings(session):
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
            if is_postgres(session):
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
        """Set-based billing for the loans with nothing deferred (the common case): lock the
        batch and sum what falls due per loan, bill the instalments, refresh the loans' schedule
        aggregates (``loans.refresh``) and restart their accrual (:mod:`eod_pg`). The true-ups
        (interest falling due − interest accrued) go in one ``post_bulk`` (one entry per loan,
        as ``bill_due`` posts them). Loans with deferred interest go through ``bill_due`` one by
        one."""
        rows = eod_pg.lock_due_batch(session, self.day, cursor, self.batch_size)
        if not rows:
            return Batch(None)
        fast = [r for r in rows if r.n and not r.interest_deferred_fen]
        slow = [r.id for r in rows if r.n and r.interest_deferred_fen]
        billed = sum(int(r.n) for r in fast)
        if fast:
            eod_pg.bill_set_based(session, self.clock, self.day, fast)
            self._post_true_ups(
                session,
                [
                    (
                        r.id,
                        r.reference,
                        int(r.interest) - int(r.interest_accrued_fen),
                        r.non_accrual_since is not None,
                    )
                    for r in fast
                ],
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

    def _post_true_ups(
        self, session: Session, true_ups: list[tuple[uuid.UUID, str, int, bool]]
    ) -> None:
        """One entry per loan: (loan id, reference, true-up, non-accrual: into suspense)."""
        moves = [(loan_id, ref, fen, na) for loan_id, ref, fen, na in true_ups if fen]
        if not moves:
            return
        legs = {
            m[0]: loans.interest_true_up_legs(
                m[0], m[2], suspense_fen=nonaccrual.suspense_fen(session, m[0]) if m[3] else None
            )
            for m in moves
        }
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
                for loan_id, ref, _, _ in moves
            ],
        )


# --- step 4: accrual, penalty, dpd, classification (set-based) ------------------------------


@dataclass
class AccrualStep:
    """Step 4. ``workers`` > 1 (PostgreSQL under the job runner only: sessions bound to an
    engine) splits each batch into that many parts run side by side, part 0 in the runner's
    transaction, the others each in its own transaction on its own connection, committed before
    the runner's (:class:`puhui.lending.eod_pg.HelperSessions` says why that is safe)."""

    clock: Clock
    day: date
    batch_size: int
    thresholds: ClassificationThresholds = field(default=DEFAULT_THRESHOLDS)
    workers: int = 1
    reverse_accrued: bool = True  # nonaccrual policy: accrued-unpaid interest reversed at entry
    name: str = "accrual"
    _income_accounts_open: bool = field(default=False, init=False, repr=False)

    def total(self, session: Session) -> int:
        q = select(func.count()).where(Loan.status == LoanStatus.ACTIVE.value)
        return int(session.scalar(q) or 0)

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        session.flush()  # pending ORM changes first: this step reads and writes with Core
        if not is_postgres(session):
            batch = self._run_batch_portable(session, cursor)
        elif self.workers > 1 and isinstance(session.get_bind(), Engine):
            batch = self._run_batch_parallel(session, cursor)
        else:
            with batch_settings(session):
                part = self._accrue_part_pg(session, cursor, self.batch_size)
            more = part.n == self.batch_size
            batch = Batch(str(part.last) if more else None, items=part.n, totals=part.totals)
        # ORM objects loaded earlier in this session no longer match the rows
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Loan):
                session.expire(obj)
        return batch

    def _accrue_part_pg(
        self, session: Session, cursor: str | None, limit: int, **hooks: Any
    ) -> Part:
        return eod_pg.accrue_part(
            session,
            self.clock,
            self.day,
            self.thresholds,
            cursor,
            limit,
            reverse_accrued=self.reverse_accrued,
            **hooks,
        )

    def _run_batch_parallel(self, session: Session, cursor: str | None) -> Batch:
        """The batch in ``workers`` consecutive parts by id (:func:`eod_rules.part_sizes`), run
        by :class:`eod_pg.HelperSessions`; the batch ends after the last part done without a
        gap (a helper that failed gave its part back)."""
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        helpers = eod_pg.HelperSessions(engine, self.clock)
        if not self._income_accounts_open:
            helpers.open_income_accounts()
            self._income_accounts_open = True
        limits = part_sizes(self.batch_size, self.workers)
        results = helpers.run_parts(session, self._accrue_part_pg, cursor, limits)
        items = 0
        totals: dict[str, int] = {}
        last: uuid.UUID | None = None
        more = False
        for i, part in enumerate(results):
            if not isinstance(part, Part):  # not started (no more loans) or given back
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

    # SQLite (and any other database): Core SELECT, executemany UPDATE, post_bulk
    def _run_batch_portable(self, session: Session, cursor: str | None) -> Batch:
        cols: list[Any] = [_LOAN.c.id]  # then the INPUT_COLUMNS of eod_rules, in their order
        cols += [_LOAN.c[c] for c in INT_COLUMNS]
        cols.append(case((_LOAN.c.day_count == DayCountBasis.ACT_365.value, 365), else_=360))
        cols.append(case((_LOAN.c.compound_interest, 1), else_=0))
        cols += [_days(session, _LOAN.c[c]) for c in DATE_COLUMNS]
        q = select(*cols).where(_LOAN.c.status == LoanStatus.ACTIVE.value)
        q = _after(q, _LOAN.c.id, cursor).order_by(_LOAN.c.id).limit(self.batch_size)
        rows = session.execute(q).all()
        if not rows:
            return Batch(None)
        ids = [r[0] for r in rows]
        m = np.array([r[1:] for r in rows], dtype=np.int64)
        acc = accrue_columns(
            {c: m[:, k].copy() for k, c in enumerate(INPUT_COLUMNS)}, self.day, self.thresholds
        )
        now = self.clock.now()
        values: dict[str, Any] = {c: bindparam(f"b_{c}") for c in (*UPDATED_INTS, *UPDATED_DATES)}
        values["classification"] = bindparam("b_classification")
        values["updated_at"] = bindparam("b_now")
        stmt = update(_LOAN).where(_LOAN.c.id == bindparam("b_id")).values(**values)
        int_lists = {c: acc.columns[c].tolist() for c in UPDATED_INTS}
        date_lists = {c: acc.columns[c].tolist() for c in UPDATED_DATES}
        class_list = [CLASS_ORDER[k] for k in acc.classes.tolist()]
        params_list = []
        for i, loan_id in enumerate(ids):
            p: dict[str, Any] = {"b_id": loan_id, "b_now": now}
            p.update({f"b_{c}": v[i] for c, v in int_lists.items()})
            p.update({f"b_{c}": as_date(v[i]) for c, v in date_lists.items()})
            p["b_classification"] = class_list[i]
            params_list.append(p)
        session.connection().execute(stmt, params_list)
        self._post(session, ids, acc.interest, acc.penalty + acc.compound, acc.non_accrual)
        totals = acc.totals() | self._transitions(session, ids, acc)
        more = len(ids) == self.batch_size
        return Batch(str(ids[-1]) if more else None, items=len(ids), totals=totals)

    def _transitions(self, session: Session, ids: Any, acc: Any) -> dict[str, int]:
        """Step 4's last part: the postings of the loans entering or leaving non-accrual
        (:func:`puhui.lending.nonaccrual.post_transitions`; few loans a day)."""
        entering = [_as_uuid(ids[k]) for k in np.flatnonzero(acc.entering).tolist()]
        cured = [_as_uuid(ids[k]) for k in np.flatnonzero(acc.cured).tolist()]
        if not entering and not cured:
            return {}
        moved = nonaccrual.post_transitions(
            session,
            self.clock,
            self.day,
            entering,
            cured,
            reverse_accrued=self.reverse_accrued,
        )
        return moved | {"non_accrual_entered": len(entering), "non_accrual_cured": len(cured)}

    def _post(
        self,
        session: Session,
        ids: list[uuid.UUID],
        interest: IntArray,
        penalty: IntArray,
        suspended: Any,
    ) -> None:
        """Dr each loan's receivables; Cr the bank's incomes, or for a non-accrual loan
        (`suspended`) its own suspense accounts."""
        i_idx = np.flatnonzero(interest).tolist()
        p_idx = np.flatnonzero(penalty).tolist()
        if not i_idx and not p_idx:
            return
        i_refs = [loans.interest_account(ids[k]) for k in i_idx]
        p_refs = [loans.penalty_account(ids[k]) for k in p_idx]
        susp = suspended.tolist()
        i_credit = [
            nonaccrual.interest_suspense(ids[k]) if susp[k] else loans.INTEREST_INCOME
            for k in i_idx
        ]
        p_credit = [
            nonaccrual.penalty_suspense(ids[k]) if susp[k] else loans.PENALTY_INCOME for k in p_idx
        ]
        acc = ledger_service.account_ids(
            session, self.clock, [*i_refs, *p_refs, *i_credit, *p_credit]
        )
        legs: list[tuple[uuid.UUID, int, int]] = []
        i_vals = interest[i_idx].tolist()
        p_vals = penalty[p_idx].tolist()
        legs += [(acc[r], v, 0) for r, v in zip(i_refs, i_vals, strict=True)]
        legs += [(acc[r], v, 0) for r, v in zip(p_refs, p_vals, strict=True)]
        credits: dict[uuid.UUID, int] = {}
        for ref, v in [*zip(i_credit, i_vals, strict=True), *zip(p_credit, p_vals, strict=True)]:
            credits[acc[ref]] = credits.get(acc[ref], 0) + v
        legs += [(a, 0, v) for a, v in credits.items()]
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


def policy_from_settings(settings: Any) -> dict[str, Any]:
    """The bad-loan policy of ``core.config.Settings`` as :func:`eod_steps` keywords."""
    return {
        "thresholds": ClassificationThresholds(non_accrual_from_dpd=settings.non_accrual_from_dpd),
        "reverse_accrued": settings.non_accrual_reverse,
        "rates": ProvisionRates.parse(settings.provision_rates_bp),
    }


def eod_steps(
    clock: Clock,
    day: date,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS,
    workers: int = 1,
    reverse_accrued: bool = True,
    rates: ProvisionRates = DEFAULT_RATES,
) -> list[Any]:
    """The end-of-day steps for business date `day`, for :func:`puhui.jobs.runner.run_job`.

    ``reverse_accrued``: the non-accrual policy (lending/nonaccrual.py); ``rates``: the
    provision rates per class (lending/provision_rules.py).

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
        AccrualStep(clock, day, batch_size, thresholds, workers, reverse_accrued),
        # maturity notices, limit increase, repricing, the restructured class floor
        *servicing_eod.servicing_steps(clock, day),
        # loans written off or 90 days past due call their guarantees (after the day's dpd)
        servicing_eod.ServicingStep(
            "guarantee_calls", lambda s: guarantees_day(s, clock, day), "guarantees_called"
        ),
        ProvisionStep(clock, day, rates),  # after every step that can move a class
        # last: the day's work is done, but the run completes (the day closes) only when the
        # day's payments are reconciled (payments.reconciliation.require_closable)
        ReconciliationGateStep(clock, day),
    ]
