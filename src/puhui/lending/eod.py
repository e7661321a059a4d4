"""The set-based end of day (日终批处理) for one business date.

Steps, in order (each a :class:`puhui.jobs.runner.Step` working in batches with a cursor):

1. ``auto_debit``   take what is due from the settlement accounts (enterprises with money only,
                    batched by enterprise; reuses ``repayments.auto_debit_due``);
2. ``expire_lines`` lines whose expiry date is the business date or earlier become expired;
3. ``billing``      bill the instalments falling due (only loans with ``next_due_date ≤ D``,
                    about 1/30 of the book; reuses ``loans.bill_due``);
4. ``accrual``      the set-based part, over every active loan in batches of ``batch_size``:
                    one SELECT per batch into numpy int64 arrays, exact accrual of contract
                    interest (``batch.accrue_batch``) and of penalty and compound interest
                    (``batch.accrue_overdue_batch``) with their carries, days past due and the
                    five-category class, written back with one bulk UPDATE, and the batch's
                    ledger movements posted with ``ledger_service.post_bulk`` as ONE entry
                    (one debit per loan receivable, one credit per income account).

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

from puhui.core.clock import Clock
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.ledger.models import Account
from puhui.lending import loans
from puhui.lending.batch import IntArray, accrue_batch, accrue_overdue_batch
from puhui.lending.classification import DEFAULT_THRESHOLDS, ClassificationThresholds, LoanClass
from puhui.lending.credit_lines import expire_lines
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
        n = expire_lines(session, self.clock, self.day)
        session.flush()
        return Batch(None, items=n, totals={"lines_expired": n})


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
        q = _after(select(Loan.id).where(self._due()), Loan.id, cursor).order_by(Loan.id)
        ids = list(session.scalars(q.limit(self.batch_size)))
        if not ids:
            return Batch(None)
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
        more = len(ids) == self.batch_size
        return Batch(
            str(ids[-1]) if more else None,
            items=len(ids),
            totals={"instalments_billed": billed},
        )


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
    return np.select(
        [
            dpd > thresholds.loss_after_dpd,
            dpd > thresholds.doubtful_after_dpd,
            dpd > thresholds.substandard_after_dpd,
            dpd > thresholds.special_mention_after_dpd,
        ],
        [
            LoanClass.LOSS.value,
            LoanClass.DOUBTFUL.value,
            LoanClass.SUBSTANDARD.value,
            LoanClass.SPECIAL_MENTION.value,
        ],
        LoanClass.NORMAL.value,
    ).astype(object)


@dataclass
class AccrualStep:
    clock: Clock
    day: date
    batch_size: int
    thresholds: ClassificationThresholds = field(default=DEFAULT_THRESHOLDS)
    name: str = "accrual"

    def total(self, session: Session) -> int:
        q = select(func.count()).where(Loan.status == LoanStatus.ACTIVE.value)
        return int(session.scalar(q) or 0)

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        session.flush()  # pending ORM changes first: this step reads and writes with Core
        postgres = _postgres(session)
        cols: list[Any] = [_LOAN.c.id]
        cols += [_LOAN.c[c] for c in _INT_COLUMNS]
        cols.append(case((_LOAN.c.day_count == DayCountBasis.ACT_365.value, 365), else_=360))
        cols.append(case((_LOAN.c.compound_interest, 1), else_=0))
        cols += [_days(session, _LOAN.c[c]) for c in _DATE_COLUMNS]
        width = len(cols) - 1
        q = select(*cols).where(_LOAN.c.status == LoanStatus.ACTIVE.value)
        q = _after(q, _LOAN.c.id, cursor).order_by(_LOAN.c.id).limit(self.batch_size)
        if postgres:
            q = q.with_for_update()
        rows = session.execute(q).all()
        if not rows:
            return Batch(None)
        ids = [r[0] for r in rows]
        known: dict[ledger_service.AccountRef, uuid.UUID] = {}
        if postgres:  # the receivables' ids in one indexed query per code
            keys = ledger_service.pg_array(ids)
            for code, make in (
                ("interest_receivable", loans.interest_account),
                ("penalty_receivable", loans.penalty_account),
            ):
                found = session.execute(
                    text(
                        "SELECT owner_key, id FROM ledger_account WHERE code = :code "
                        "AND owner_key = ANY(CAST(:keys AS varchar[]))"
                    ),
                    {"code": code, "keys": keys},
                )
                for owner, acc_id in found:
                    known[make(uuid.UUID(owner))] = acc_id
        m = np.array([r[1 : 1 + width] for r in rows], dtype=np.int64)
        (
            principal,
            overdue_p,
            overdue_i,
            accrued,
            carry,
            rate,
            grace,
            markup,
            pen_acc,
            pen_carry,
            comp_acc,
            comp_carry,
            year_days,
            compound,
            iat,
            ndd,
            oldest,
            pat,
            lod,
        ) = (m[:, k].copy() for k in range(m.shape[1]))
        d = (self.day - EPOCH).days
        n = len(ids)

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
        accrued += interest

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
        pen_acc += penalty
        comp_acc += comp
        pat = np.where(due_today, d, pat)

        dpd = np.where(oldest >= 0, np.maximum(0, d - oldest), 0)
        classes = classify_batch(dpd, self.thresholds)
        lod = np.where(dpd > 0, d, lod)

        self._write(
            session,
            ids,
            {
                "interest_accrued_fen": accrued,
                "interest_carry": carry,
                "penalty_accrued_fen": pen_acc,
                "penalty_carry": pen_carry,
                "compound_accrued_fen": comp_acc,
                "compound_carry": comp_carry,
                "dpd": dpd,
            },
            {
                "interest_accrued_through": iat,
                "penalty_accrued_through": pat,
                "last_overdue_date": lod,
            },
            classes,
        )
        self._post(session, ids, interest, penalty + comp, known)
        more = n == self.batch_size
        return Batch(
            str(ids[-1]) if more else None,
            items=n,
            totals={
                "interest_fen": int(interest.sum()),
                "penalty_fen": int(penalty.sum()),
                "compound_fen": int(comp.sum()),
            },
        )

    def _write(
        self,
        session: Session,
        ids: list[uuid.UUID],
        ints: dict[str, IntArray],
        dates: dict[str, IntArray],
        classes: np.ndarray[Any, np.dtype[np.object_]],
    ) -> None:
        now = self.clock.now()
        if _postgres(session):
            names = list(ints) + list(dates)
            sets = [f"{c} = v.{c}" for c in ints]
            sets += [
                f"{c} = CASE WHEN v.{c} < 0 THEN NULL ELSE DATE '{EPOCH.isoformat()}' + v.{c} END"
                for c in dates
            ]
            sets += ["classification = v.classification", "updated_at = :now"]
            unnest = ", ".join(
                ["CAST(:id AS uuid[])"]
                + [f"CAST(:{c} AS {'int4' if c in dates else 'int8'}[])" for c in names]
                + ["CAST(:classification AS varchar[])"]
            )
            sql = (
                f"UPDATE lending_loan AS l SET {', '.join(sets)} "
                f"FROM unnest({unnest}) AS v(id, {', '.join(names)}, classification) "
                "WHERE l.id = v.id"
            )
            pg_array = ledger_service.pg_array
            params: dict[str, Any] = {"id": pg_array(ids), "now": now}
            params.update({c: pg_array(a.tolist()) for c, a in ints.items()})
            params.update({c: pg_array(a.tolist()) for c, a in dates.items()})
            params["classification"] = pg_array(classes.tolist())
            session.execute(text(sql), params)
        else:
            values: dict[str, Any] = {c: bindparam(f"b_{c}") for c in list(ints) + list(dates)}
            values["classification"] = bindparam("b_classification")
            values["updated_at"] = bindparam("b_now")
            stmt = update(_LOAN).where(_LOAN.c.id == bindparam("b_id")).values(**values)
            int_lists = {c: a.tolist() for c, a in ints.items()}
            date_lists = {c: a.tolist() for c, a in dates.items()}
            class_list = classes.tolist()
            params_list = []
            for i, loan_id in enumerate(ids):
                p: dict[str, Any] = {"b_id": loan_id, "b_now": now}
                p.update({f"b_{c}": v[i] for c, v in int_lists.items()})
                p.update({f"b_{c}": _as_date(v[i]) for c, v in date_lists.items()})
                p["b_classification"] = class_list[i]
                params_list.append(p)
            session.connection().execute(stmt, params_list)
        # ORM objects loaded earlier in this session no longer match the rows
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Loan):
                session.expire(obj)

    def _post(
        self,
        session: Session,
        ids: list[uuid.UUID],
        interest: IntArray,
        penalty: IntArray,
        known: dict[ledger_service.AccountRef, uuid.UUID],
    ) -> None:
        i_idx = np.flatnonzero(interest).tolist()
        p_idx = np.flatnonzero(penalty).tolist()
        if not i_idx and not p_idx:
            return
        i_refs = [loans.interest_account(ids[k]) for k in i_idx]
        p_refs = [loans.penalty_account(ids[k]) for k in p_idx]
        wanted = [r for r in [*i_refs, *p_refs] if r not in known]
        acc = dict(known)
        acc.update(
            ledger_service.account_ids(
                session, self.clock, [*wanted, loans.INTEREST_INCOME, loans.PENALTY_INCOME]
            )
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
) -> list[AutoDebitStep | ExpireLinesStep | BillingStep | AccrualStep]:
    """The end-of-day steps for business date `day`, for :func:`puhui.jobs.runner.run_job`."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [
        AutoDebitStep(clock, day, batch_size),
        ExpireLinesStep(clock, day),
        BillingStep(clock, day, batch_size),
        AccrualStep(clock, day, batch_size, thresholds),
    ]
