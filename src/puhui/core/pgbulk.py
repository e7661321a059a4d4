"""PostgreSQL bulk helpers of the set-based jobs: uuids as numpy ``V16`` arrays, the binary
``COPY … FROM STDIN`` payload built from numpy columns, and planner settings switched off for the
statements of a block. Used by the ledger's columnar posting and the end of day; no domain code.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import text
from sqlalchemy.orm import Session

from puhui.core.ids import new_id

UUID_BYTES = np.dtype("V16")
"""A uuid as its 16 raw bytes (big-endian, the order PostgreSQL compares and sends them in)."""

_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_PGCOPY_TRAILER = b"\xff\xff"


def uuid_bytes(values: Iterable[uuid.UUID]) -> npt.NDArray[np.void]:
    """Uuids as a ``V16`` array of their raw bytes."""
    data = b"".join(v.bytes for v in values)
    return np.frombuffer(data, dtype=UUID_BYTES).copy()


def as_uuids(values: npt.NDArray[np.void]) -> list[uuid.UUID]:
    return [uuid.UUID(bytes=bytes(v)) for v in values]


def new_ids(n: int) -> npt.NDArray[np.void]:
    """`n` UUIDv7s in increasing order, made at once: one :func:`new_id` (its millisecond and
    per-millisecond counter, so ids made afterwards still sort after them) and consecutive
    values of its random low bits."""
    base = new_id().int & ~(1 << 61)  # leave room below the variant bits for the count
    hi = np.full(n, base >> 64, dtype=">u8")
    lo = (base & ((1 << 64) - 1)) + np.arange(n, dtype=np.uint64)
    out = np.empty(n, dtype=[("hi", ">u8"), ("lo", ">u8")])
    out["hi"] = hi
    out["lo"] = lo
    return out.view(UUID_BYTES)


def pgcopy_binary(columns: Sequence[tuple[str, npt.NDArray[Any]]]) -> bytes:
    """The payload of ``COPY … FROM STDIN (FORMAT binary)`` for fixed-width, non-null columns:
    ``("uuid", V16 array)``, ``("int8", int array)``, ``("int4", int array)``. One numpy record
    per row (field count, then length and big-endian value per field), no Python loop."""
    n = len(columns[0][1]) if columns else 0
    fields: list[tuple[str, Any]] = [("n", ">i2")]
    for k, (kind, _values) in enumerate(columns):
        fields.append((f"l{k}", ">i4"))
        fields.append((f"v{k}", {"uuid": UUID_BYTES, "int8": ">i8", "int4": ">i4"}[kind]))
    rows = np.empty(n, dtype=fields)
    rows["n"] = len(columns)
    for k, (kind, values) in enumerate(columns):
        rows[f"l{k}"] = {"uuid": 16, "int8": 8, "int4": 4}[kind]
        rows[f"v{k}"] = values
    return _PGCOPY_HEADER + rows.tobytes() + _PGCOPY_TRAILER


def copy_in_binary(session: Session, sql: str, data: bytes) -> None:
    """Run ``COPY … FROM STDIN (FORMAT binary)`` with `data` on the session's connection."""
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(sql) as copy:
        copy.write(data)


@contextmanager
def planner_off(session: Session, *names: str) -> Iterator[None]:
    """Switch the named boolean planner settings off for the statements inside (this
    transaction only, restored afterwards). E.g. hash and merge joins: a temporary table of some
    thousand ids joined to a table of millions must be joined by index look-ups, not hashed
    against a scan of the whole table, which the planner picks for want of statistics; ``jit``:
    statements costed high that run in milliseconds."""
    was = session.execute(
        text("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
    ).one()
    session.execute(text("SELECT " + ", ".join(f"set_config('{n}', 'off', true)" for n in names)))
    yield  # (on an error the transaction or its savepoint rolls back, and the settings with it)
    session.execute(
        text("SELECT " + ", ".join(f"set_config('{n}', :v{k}, true)" for k, n in enumerate(names))),
        {f"v{k}": v for k, v in enumerate(was)},
    )
