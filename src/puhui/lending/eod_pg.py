"""The end of day's PostgreSQL adapter: binary COPY, numpy columns, temporary tables, and the
helper connections of ``--workers``.

:mod:`puhui.lending.eod` (the job steps) calls this module on PostgreSQL only; the rules
themselves are in :mod:`puhui.lending.eod_rules` (pure). What lives here:

* billing, set-based (:func:`lock_due_batch`, :func:`bill_set_based`): three statements per
  batch for the loans with nothing deferred;
* accrual (:func:`accrue_part`): one batch (or part of one) read with one binary
  ``COPY (SELECT … FOR NO KEY UPDATE) TO STDOUT`` parsed straight into numpy int64 columns, the
  rules applied (:func:`puhui.lending.eod_rules.accrue_columns`), the new columns written with a
  binary COPY into a temporary table and one ``UPDATE … FROM``, the ledger entry posted from
  columns (``ledger_service.post_entry_columns``, no Python object per loan);
* :class:`HelperSessions`: the one place where end-of-day threads open and commit sessions of
  their own (``--workers`` > 1).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Row, text
from sqlalchemy.orm import Session

from puhui.core import pgbulk
from puhui.core.clock import Clock
from puhui.core.db import make_session_factory
from puhui.ledger import service as ledger_service
from puhui.lending import loans, nonaccrual
from puhui.lending.batch import IntArray
from puhui.lending.classification import ClassificationThresholds
from puhui.lending.eod_rules import (
    CLASS_ORDER,
    DATE_COLUMNS,
    EPOCH,
    INPUT_COLUMNS,
    INT_COLUMNS,
    UPDATED_DATES,
    UPDATED_INTS,
    accrue_columns,
)
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import InstalmentStatus, LoanStatus

_log = logging.getLogger(__name__)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


_BATCH_SETTINGS = ("jit", "enable_hashjoin", "enable_mergejoin")


def batch_settings(session: Session) -> AbstractContextManager[None]:
    """PostgreSQL planner settings for a batch: no JIT (the batch's statements are costed high
    but run in milliseconds: compiling them took longer than running them), and joins by index
    look-ups (a locked batch or a temporary table of some thousand rows joined to millions)."""
    return pgbulk.planner_off(session, *_BATCH_SETTINGS)


# --- billing ------------------------------------------------------------------------------------

_LOCK_DUE_SQL = (
    "SELECT b.id, b.reference, b.interest_accrued_fen, b.interest_deferred_fen, "
    "b.non_accrual_since, d.n, d.interest, d.last_due FROM ("
    "SELECT id, reference, interest_accrued_fen, interest_deferred_fen, non_accrual_since "
    "FROM lending_loan WHERE status = :active AND next_due_date <= :day"
    "{after} ORDER BY id LIMIT :limit FOR UPDATE) AS b "
    "CROSS JOIN LATERAL (SELECT count(*) AS n, "
    "CAST(COALESCE(sum(i.interest_fen), 0) AS bigint) AS interest, "
    "max(i.due_date) AS last_due "
    "FROM lending_instalment i WHERE i.loan_id = b.id AND i.status = :scheduled "
    "AND i.due_date <= :day) AS d ORDER BY b.id"
)


def lock_due_batch(
    session: Session, day: date, cursor: str | None, limit: int
) -> Sequence[Row[Any]]:
    """The next `limit` active loans due by `day` after `cursor`, locked, each with what falls
    due: ``n`` instalments, their ``interest`` and the ``last_due`` date (and the loan's
    ``reference``, ``interest_accrued_fen``, ``interest_deferred_fen``)."""
    after = "" if cursor is None else " AND id > CAST(:cursor AS uuid)"
    return session.execute(
        text(_LOCK_DUE_SQL.format(after=after)),
        {
            "active": LoanStatus.ACTIVE.value,
            "scheduled": InstalmentStatus.SCHEDULED.value,
            "day": day,
            "limit": limit,
            "cursor": cursor,
        },
    ).all()


_BILL_SQL = (
    "UPDATE lending_instalment AS i SET billed_date = :day, status = CASE "
    "WHEN i.principal_paid_fen = i.principal_fen "
    "AND i.interest_paid_fen = i.interest_fen THEN :paid ELSE :billed END, "
    "paid_date = CASE WHEN i.principal_paid_fen = i.principal_fen "
    "AND i.interest_paid_fen = i.interest_fen THEN :day ELSE i.paid_date END "
    "WHERE i.loan_id = ANY(CAST(:ids AS uuid[])) AND i.status = :scheduled "
    "AND i.due_date <= :day"
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


def bill_set_based(session: Session, clock: Clock, day: date, rows: Sequence[Row[Any]]) -> None:
    """Bill the instalments falling due of the locked loans `rows` (from :func:`lock_due_batch`,
    nothing deferred) and refresh the loans' schedule aggregates, in two statements."""
    params = {
        "ids": ledger_service.pg_array(r.id for r in rows),
        "day": day,
        "now": clock.now(),
        "scheduled": InstalmentStatus.SCHEDULED.value,
        "billed": InstalmentStatus.BILLED.value,
        "paid": InstalmentStatus.PAID.value,
        "superseded": InstalmentStatus.SUPERSEDED.value,
        "last_due": ledger_service.pg_array(r.last_due for r in rows),
    }
    session.execute(text(_BILL_SQL), params)
    session.execute(text(_REFRESH_SQL), params)


# --- accrual: reading a batch -------------------------------------------------------------------

# One binary COPY of fixed-width int8 / uuid fields, the batch locked in id order in the inner
# query, each loan's receivable accounts by index look-ups. Those look-ups read the ledger's
# table (ledger_account: code, owner_key, id; read only) in the same statement, on purpose: the
# alternative, ledger_service.account_ids for the batch's 20 000 owner keys, is one more round
# trip and an array of keys per batch. The one place the end of day reads a ledger table; if the
# ledger ever renames these columns, this statement changes with it.
_NIL = "00000000-0000-0000-0000-000000000000"


def _read_sql(cursor: str | None, limit: int) -> str:
    inner = ", ".join(f"{c}::int8" for c in INT_COLUMNS)
    inner += (
        f", CASE WHEN day_count = '{DayCountBasis.ACT_365.value}' THEN 365 ELSE 360 END::int8"
        ", CASE WHEN compound_interest THEN 1 ELSE 0 END::int8, "
    )
    inner += ", ".join(
        f"COALESCE({c} - DATE '{EPOCH.isoformat()}', -1)::int8 AS {c}" for c in DATE_COLUMNS
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
    for c in INPUT_COLUMNS:
        fields += [(f"l_{c}", ">i4"), (c, ">i8")]
    for c in ("iacc", "pacc"):
        fields += [(f"l_{c}", ">i4"), (c, uid)]
    return np.dtype(fields)


_READ_DTYPE = _read_dtype()
_READ_WIDTHS = {f"l_{c}": 8 for c in INPUT_COLUMNS} | {"l_id": 16, "l_iacc": 16, "l_pacc": 16}


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
        (rows["n"] != 3 + len(INPUT_COLUMNS)).any()
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


def _read_batch(session: Session, cursor: str | None, limit: int) -> np.ndarray[Any, np.dtype[Any]]:
    """The next `limit` active loans after `cursor`, locked, as numpy records: ``id``, the
    :data:`~puhui.lending.eod_rules.INPUT_COLUMNS`, and the ids of the loan's interest
    (``iacc``) and penalty (``pacc``) receivable accounts (16 zero bytes when none yet)."""
    raw: Any = session.connection().connection.driver_connection
    buf = bytearray()
    with raw.cursor() as cur, cur.copy(_read_sql(cursor, limit)) as copy:
        for chunk in copy:
            buf += chunk
    return _sorted_by_id(_parse_copy(bytes(buf)))


# --- accrual: writing a batch back --------------------------------------------------------------

_CREATE_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS eod_tmp_accrual (id uuid, "
    + ", ".join(f"{c} int8" for c in (*UPDATED_INTS, *UPDATED_DATES, "classification"))
    + ") ON COMMIT DROP"
)


def _update_sql() -> str:
    epoch = f"DATE '{EPOCH.isoformat()}'"
    sets = [f"{c} = v.{c}" for c in UPDATED_INTS]
    sets.append(f"interest_accrued_through = {epoch} + v.interest_accrued_through::int4")
    sets += [
        f"{c} = CASE WHEN v.{c} < 0 THEN NULL ELSE {epoch} + v.{c}::int4 END"
        for c in ("penalty_accrued_through", "last_overdue_date", "non_accrual_since")
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


def _write_back(
    session: Session,
    ids: npt.NDArray[np.void],
    columns: dict[str, IntArray],
    classes: IntArray,
    now: Any,
) -> None:
    """The batch's new loan columns: binary COPY into a temporary table, one UPDATE … FROM."""
    session.execute(text(_CREATE_TMP))
    session.execute(text("TRUNCATE eod_tmp_accrual"))
    payload: list[tuple[str, Any]] = [("uuid", ids)]
    payload += [("int8", columns[c]) for c in (*UPDATED_INTS, *UPDATED_DATES)]
    payload.append(("int8", classes))
    pgbulk.copy_in_binary(
        session, "COPY eod_tmp_accrual FROM STDIN (FORMAT binary)", pgbulk.pgcopy_binary(payload)
    )
    session.execute(text(_UPDATE_SQL), {"now": now})


# --- accrual: one part ----------------------------------------------------------------------------


@dataclass
class Part:
    """What one part of a batch did."""

    n: int
    last: uuid.UUID | None
    totals: dict[str, int]


def accrue_part(
    session: Session,
    clock: Clock,
    day: date,
    thresholds: ClassificationThresholds,
    cursor: str | None,
    limit: int,
    *,
    on_read: Callable[[int, uuid.UUID], None] | None = None,
    before_hot: Callable[[], None] | None = None,
    reverse_accrued: bool = True,
) -> Part:
    """Accrue the next `limit` active loans after `cursor`: read (and lock) by COPY, the rules
    on columns, write back, post one ledger entry. ``on_read(n, last id)`` runs once the loans
    are read and locked (the next part may start); ``before_hot()`` just before the shared
    income balances are updated (the next part must have committed: see
    :class:`HelperSessions`)."""
    rows = _read_batch(session, cursor, limit)
    n = len(rows)
    if not n:
        return Part(0, None, {})
    ids = rows["id"].copy()
    first = uuid.UUID(bytes=bytes(ids[0]))
    last = uuid.UUID(bytes=bytes(ids[-1]))
    if on_read is not None:
        on_read(n, last)
    acc = accrue_columns({c: rows[c].astype(np.int64) for c in INPUT_COLUMNS}, day, thresholds)
    _write_back(session, ids, acc.columns, acc.classes, clock.now())
    _post_columns(
        session,
        clock,
        day,
        ids,
        first,
        [
            ("interest_receivable", rows["iacc"].copy(), acc.interest),
            ("penalty_receivable", rows["pacc"].copy(), acc.penalty + acc.compound),
        ],
        before_hot,
        acc.non_accrual,
    )
    totals = acc.totals()
    if acc.entering.any() or acc.cured.any():  # few loans a day: per-loan entries
        entering = pgbulk.as_uuids(ids[acc.entering])
        cured = pgbulk.as_uuids(ids[acc.cured])
        totals |= nonaccrual.post_transitions(
            session, clock, day, entering, cured, reverse_accrued=reverse_accrued
        )
        totals |= {"non_accrual_entered": len(entering), "non_accrual_cured": len(cured)}
    return Part(n, last, totals)


_SUSPENSE = {"interest_receivable": "interest_suspense", "penalty_receivable": "penalty_suspense"}


def _post_columns(
    session: Session,
    clock: Clock,
    day: date,
    ids: npt.NDArray[np.void],
    first: uuid.UUID,
    receivables: list[tuple[str, npt.NDArray[np.void], IntArray]],
    before_hot: Callable[[], None] | None,
    suspended: npt.NDArray[np.bool_] | None = None,
) -> None:
    """ONE ``accrual`` entry for the part: Dr each loan's receivable (opened on its first
    interest or penalty), Cr the bank's income accounts (totals, updated last: ``hot``) or, for
    a non-accrual loan (`suspended`), its own suspense account."""
    nil = np.frombuffer(bytes(16), dtype=pgbulk.UUID_BYTES)[0]
    legs: list[ledger_service.ColumnLegs] = []
    income: list[tuple[ledger_service.AccountRef, int]] = []
    for code, accounts, amounts in receivables:
        moved = np.flatnonzero(amounts)
        if not len(moved):
            continue
        accounts = accounts[moved]
        missing = np.flatnonzero(accounts == nil)
        if len(missing):  # a loan's first interest or penalty: open its receivable
            owners = pgbulk.as_uuids(ids[moved[missing]])
            made = ledger_service.account_ids(
                session, clock, [ledger_service.owned(code, "loan", o) for o in owners]
            )
            accounts[missing] = pgbulk.uuid_bytes(made.values())
        total = amounts[moved]
        legs.append(
            ledger_service.ColumnLegs(code, accounts, total, np.zeros(len(total), np.int64))
        )
        ref = loans.INTEREST_INCOME if code == "interest_receivable" else loans.PENALTY_INCOME
        if suspended is not None and suspended[moved].any():
            held = suspended[moved]
            owners = pgbulk.as_uuids(ids[moved[held]])
            sus = _SUSPENSE[code]
            made = ledger_service.account_ids(
                session, clock, [ledger_service.owned(sus, "loan", o) for o in owners]
            )
            legs.append(
                ledger_service.ColumnLegs(
                    sus,
                    pgbulk.uuid_bytes(made.values()),
                    np.zeros(int(held.sum()), np.int64),
                    total[held],
                )
            )
            total = total[~held]
        income.append((ref, int(total.sum())))
    if not legs:
        if before_hot is not None:
            before_hot()
        return
    known = ledger_service.account_ids(session, clock, [ref for ref, _ in income])
    for ref, fen in income:
        one = pgbulk.uuid_bytes([known[ref]])
        legs.append(
            ledger_service.ColumnLegs(
                ref.code, one, np.zeros(1, np.int64), np.array([fen], np.int64), hot=True
            )
        )
    ledger_service.post_entry_columns(
        session,
        clock,
        kind="accrual",
        business_date=day,
        legs=legs,
        memo=f"利息及罚息复利计提 {day.isoformat()}（批量）",
        source_type="eod",
        source_id=f"{day.isoformat()}:{str(first)[:8]}",
        before_hot=before_hot,
    )


# --- helper threads and their own sessions ------------------------------------------------------

HELPER_LOCK_TIMEOUT = "10s"
"""How long a helper connection waits for a row lock before it gives its part back (the part is
then done by the next batch): a helper must never wait for a lock behind the batch it helps."""

PartWork = Callable[..., Part]
"""``work(session, cursor, limit, *, on_read, before_hot) -> Part``: one part of a batch."""


class HelperSessions:
    """The one place where end-of-day threads own sessions (and commit them) outside the job
    runner's unit of work. Nothing else in the end of day opens or commits a session.

    **Why.** With ``puhui eod run --workers N`` (PostgreSQL, under the job runner) an accrual
    batch is cut into N consecutive parts by loan id, run side by side so that the database
    works on N cores. A session (a connection, a transaction) cannot be shared between threads,
    so each helper thread opens its own session on the runner's engine. Part 0 stays in the
    runner's session and commits with the runner's checkpoint.

    **What they commit.** A helper commits exactly one part of one accrual batch: the new
    accrual columns of its loans (interest, penalty and compound accrued with their carries,
    ``*_accrued_through``, dpd, class) and that part's ``accrual`` ledger entry (receivables
    debited, income credited). It commits before part 0 updates the bank's income balances (the
    only rows two parts share: ``before_hot`` waits for the next part), so the parts never wait
    for each other's locks. A helper waits at most :data:`HELPER_LOCK_TIMEOUT` for a row lock
    and, if it fails, gives its part back: the batch then ends after the last part done without
    a gap, and the next batch starts there. Separately, :meth:`open_income_accounts` commits
    the bank's two (empty) income accounts on their own before the first parallel batch of a
    run (a no-op once they exist), so that parts side by side never both try to open them.

    **Crash recovery.** Accrual is idempotent: each loan's interest is bounded by
    ``interest_accrued_through`` and its penalty by ``penalty_accrued_through``. If the process
    dies after a helper committed but before the runner's checkpoint, the resumed run reads the
    batch again from the last checkpoint; the loans the helper did are already accrued through
    the business date and accrue nothing (the ledger is right). Known limit: that batch's totals
    in ``jobs_run_step`` (interest, penalty) then under-count the helper's part; the books do
    not (docs/lending.md § The end-of-day job).
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._factory = make_session_factory(engine)

    def open_income_accounts(self) -> None:
        """Open the bank's interest and penalty income accounts (empty) if they are not open
        yet, and commit them (a look-up and an empty commit when they are)."""
        with self._factory() as own, own.begin():
            ledger_service.account_ids(
                own, self.clock, [loans.INTEREST_INCOME, loans.PENALTY_INCOME]
            )

    def run_parts(
        self, runner_session: Session, work: PartWork, cursor: str | None, limits: list[int]
    ) -> list[Part | BaseException | None]:
        """The parts of one batch (sizes `limits`), part 0 in `runner_session` (not committed
        here), part i+1 on a helper thread as soon as part i has read a full part. Each result
        is a :class:`Part`, the exception a helper gave its part back with, or None (not
        started: no more loans)."""
        k = len(limits)
        results: list[Part | BaseException | None] = [None] * k
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

        def run(i: int, session: Session, after: str | None) -> Part:
            with batch_settings(session):
                return work(
                    session,
                    after,
                    limits[i],
                    on_read=lambda n, last: start_next(i, n, last),
                    before_hot=lambda: wait_after(i),
                )

        def helper(i: int, after: str) -> None:
            try:
                with self._factory() as own, own.begin():
                    own.execute(
                        text("SELECT set_config('lock_timeout', :t, true)"),
                        {"t": HELPER_LOCK_TIMEOUT},
                    )
                    results[i] = run(i, own, after)
            except Exception as exc:  # the part is given back, see the class docstring
                results[i] = exc
                _log.warning("end of day accrual: part %d after %s given back: %r", i, after, exc)
            finally:
                wait_after(i)

        try:
            results[0] = run(0, runner_session, cursor)
        finally:
            wait_after(0)
        return results
