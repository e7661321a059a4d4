"""Database kernel: declarative Base with a naming convention, column types, engines, unit of work.

Services receive a Session and never commit. The request (UnitOfWorkRoute), the job runner or the
CLI command owns one unit of work and ends it with an explicit `Outcome`: commit once when the
work was done (the endpoint or the block returned), roll back when it failed or was refused (it
raised) — see `end_unit_of_work` and `unit_of_work`. Nothing else commits a request's work.
A record that must outlive a refusal (a failed login, a wrong one-time code, a voided drawdown)
is written by a side unit of work of its own: `record_despite_failure`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar, TypeVar, cast

import orjson
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Engine,
    Insert,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    insert,
    inspect,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    configure_mappers,
    make_transient_to_detached,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator, Uuid

from puhui.core.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: BigInteger(),
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        str: String(),
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


_M = TypeVar("_M", bound=Base)


@cache
def table_insert(model: type[Base]) -> Insert:
    """A Core INSERT into the model's table, built once: for rows written complete and not
    needed as session objects afterwards (no unit-of-work bookkeeping; on a hot path that cost
    more than the statement). Run through the session, it autoflushes pending objects first
    like any statement."""
    return insert(cast(Table, model.__table__))


@cache
def _column_names(model: type[Base]) -> frozenset[str]:
    return frozenset(model.__table__.columns.keys())


def add_persistent(session: Session, model: type[_M], rows: Sequence[dict[str, Any]]) -> list[_M]:
    """INSERT complete rows (every column given) with one Core statement and put the matching
    objects in the session as persistent, loaded and unmodified, as a flush would have left
    them — without the unit of work's bookkeeping (on a hot path the flush of a few objects
    cost more than their INSERT)."""
    columns = _column_names(model)
    for row in rows:
        if row.keys() != columns:
            raise ValueError(
                f"{model.__name__}: give every column ({sorted(columns ^ row.keys())})"
            )
    if not rows:
        return []
    session.execute(table_insert(model), list(rows))
    # Built as the ORM builds a loaded row (values straight into the instance's dict, no
    # attribute events: the constructor's were most of the cost), then given its identity.
    mapper = inspect(model)
    if not mapper.configured:
        configure_mappers()  # as a constructor would
    manager = mapper.class_manager
    objects: list[_M] = []
    for row in rows:
        obj = cast(_M, manager.new_instance())
        obj.__dict__.update(row)
        make_transient_to_detached(obj)
        objects.append(obj)
    session.add_all(objects)
    return objects


def _sqlite_setup(engine: Engine) -> None:
    """Foreign keys on, WAL, and pysqlite's transaction handling fixed so SAVEPOINTs work."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    queue = _WriterQueue()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.info.get("immediate") or WRITE_EXPECTED.get()
        if immediate:
            queue.enter(conn.connection.dbapi_connection)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        queue.leave(dbapi_connection)

    commit, rollback = engine.dialect.do_commit, engine.dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            queue.leave(connection.dbapi_connection)

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            queue.leave(connection.dbapi_connection)

    # the engine's own dialect instance: its transaction ends let the next writer in
    engine.dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]


class _WriterQueue:
    """The writers of one process wait for SQLite's write lock in a queue of their own.

    SQLite has one writer; a second BEGIN IMMEDIATE waits in its busy handler, which sleeps
    1, 2, 5, 10, ... 100 ms between tries, and a writer that keeps missing the moment the lock
    is free can wait for seconds while others come and go. Measured on the assistant's chat
    endpoint (SQLite, one process): two in flight p99 129 ms against a p50 of 21 ms; four in
    flight, single replies of 1.4 s. Queued on a lock in the process instead, the next writer
    starts the moment the one before commits or rolls back.

    The queue is held by a connection, not a thread: a request begins its transaction on one
    thread of the pool and commits on another. A writer that waits longer than the busy timeout
    goes on to SQLite, which decides as it did before (so does a second writer from another
    process, and one on the event loop's own thread, which must never block)."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._timeout_s = timeout_s
        self._holder: int | None = None  # id() of the DBAPI connection holding the queue

    def enter(self, dbapi_connection: Any) -> None:
        if _on_event_loop():
            return
        if self._lock.acquire(timeout=self._timeout_s):
            self._holder = id(dbapi_connection)

    def leave(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == id(dbapi_connection):
            self._holder = None
            self._lock.release()


def _on_event_loop() -> bool:
    """True on a thread that runs an asyncio event loop (which must never block)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# A unit of work expected to write (a POST, PUT, PATCH or DELETE; set by the request's route)
# begins IMMEDIATE on SQLite: it takes the write lock first, waiting for it under the busy
# timeout. Begun deferred, it would read, then ask for the write lock while another request
# holds it — and SQLite refuses that upgrade at once, whatever the busy timeout (measured: 29
# of 30 concurrent drawdowns answered "database is locked" within milliseconds).
WRITE_EXPECTED: ContextVar[bool] = ContextVar("puhui_write_expected", default=False)


def _create_private(path: str) -> None:
    """Create a new SQLite file readable by its owner only (0600; SQLite gives its -wal and
    -shm files the database file's permissions). An existing file is left as it is."""
    import os
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _json_dumps(value: Any) -> str:
    """JSON columns are written with orjson (several times faster than the standard library on
    a decision's feature and rule-hit documents); integer keys become strings as json.dumps
    makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(url: str, **kwargs: Any) -> Engine:
    kwargs.setdefault("json_serializer", _json_dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            _create_private(url.removeprefix("sqlite:///").split("?", 1)[0])
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    # A multi-row INSERT is one statement with many VALUES rather than one execution per row
    # (psycopg's pipelined executemany): measured on the decision path, PostgreSQL's CPU per
    # decision fell by 15 % (0.5 ms) for 0.3 ms more in Python — the database is the shared part.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def among(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL one array parameter (`= ANY(%s)`): an `IN` list of
    thousands of placeholders is a new query text each time, which psycopg parses again
    (profiled on the IoT ingest: the largest part of a batch; the ledger's account lookup)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(
            ColumnElement[bool],
            column == any_(bindparam(None, list(values), type_=ARRAY(column.type))),
        )
    return cast(ColumnElement[bool], column.in_(values))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


class Outcome(StrEnum):
    """How a unit of work ends, said by its owner — never guessed from an HTTP status."""

    COMMIT = "commit"  # the work is done: keep it
    ROLL_BACK = "roll_back"  # the work failed or was refused: keep none of it


# --- records that survive a refusal -------------------------------------------------------
#
# A refused request keeps nothing, except a few records that exist precisely because of the
# refusal: a failed login (throttling counts them), a wrong one-time code (five lock the code),
# a voided drawdown, a contract that expired when someone tried to sign it. The service
# registers such a record with `record_despite_failure`; whoever ends the unit of work writes it
# in a transaction of its own once the request's transaction has ended, committed or rolled
# back, so it is kept whatever the request's outcome and the request's half-done work is not.
#
# After, not beside: a second connection writing while the request's transaction is open fails
# on SQLite as soon as the request has written (one writer: "database is locked" after the
# busy timeout, measured 2.0 s with a 2 s timeout; the app waits 10 s), and on PostgreSQL it
# waits for ever on a row the request locked (the line of a drawdown, the contract being
# signed): the request waits for its side write, which waits for the request (measured: the
# side UPDATE stopped by a 2 s lock_timeout). Written after the request's transaction on the
# same session, the record needs no second connection; in the tests (one connection, commits
# as savepoints) it is a savepoint after the request's, which the test sees.

_SIDE_RECORDS = "side_records"

logger = logging.getLogger(__name__)


def record_despite_failure(session: Session, write: Callable[[Session], object]) -> None:
    """Keep a record whatever becomes of this unit of work: `write(session)` adds it in a
    transaction of its own, run by `end_unit_of_work` (or `roll_back`) after the unit of work's
    own transaction ended. The record is not in the unit of work itself: nothing the request
    does later sees it, and a rolled-back request does not take it along."""
    session.info.setdefault(_SIDE_RECORDS, []).append(write)


def _write_side_records(session: Session) -> None:
    """The side unit of work: the registered records, in one transaction, committed. A failure
    is logged, not raised: the request's own outcome (its response or its error) stands."""
    writes: list[Callable[[Session], object]] = session.info.pop(_SIDE_RECORDS, [])
    if not writes:
        return
    try:
        for write in writes:
            write(session)
        session.commit()
    except Exception:
        session.rollback()
        logger.exception("records kept despite a failure could not be written")


def roll_back(session: Session) -> None:
    """Undo the unit of work, then write its records that survive a failure (see
    `record_despite_failure`). The session stays usable: the next statement begins a new
    transaction (a refused page is rendered in it)."""
    session.rollback()
    _write_side_records(session)


def end_unit_of_work(session: Session, outcome: Outcome) -> None:
    """End a unit of work as its owner decided: commit it (a failing commit rolls back and
    raises) or roll it back; then write the records kept despite a failure; close the session.

    The owner decides from what happened, not from what a response says: a request commits when
    its endpoint returned and rolls back when it raised or refused (`puhui.core.web`); a CLI
    command or job commits when its block ended normally (`unit_of_work`)."""
    try:
        if outcome is Outcome.ROLL_BACK:
            roll_back(session)
            return
        try:
            session.commit()
        except BaseException:
            roll_back(session)
            raise
        _write_side_records(session)
    finally:
        session.close()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit once at the end, or roll back on any exception."""
    session = factory()
    try:
        yield session
    except BaseException:
        end_unit_of_work(session, Outcome.ROLL_BACK)
        raise
    end_unit_of_work(session, Outcome.COMMIT)
