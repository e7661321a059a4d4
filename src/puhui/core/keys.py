"""Data keys of the envelope encryption: rotation, re-encryption of every encrypted column,
retirement of the keys no ciphertext uses any more (see `core/crypto.py` for the format).

An encrypted column declares itself by its ORM column's ``info={"cipher_field": ...}`` (the
associated data, or a template filled from the row: ``"receivables.key:{kid}"``);
:func:`encrypted_columns` finds them all in ``Base.metadata`` (complete once
``puhui.metadata`` is imported), so the re-encryption job needs no list of domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, Table, bindparam, select, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import (
    CIPHER_FIELD,
    LEGACY_KID,
    DataKeyRing,
    FieldCipher,
    cipher_field,
    new_data_key,
)
from puhui.core.db import Base
from puhui.core.ids import new_id
from puhui.core.models import DataKeyRecord

_ROWS = select(
    DataKeyRecord.kid, DataKeyRecord.suite, DataKeyRecord.wrapped, DataKeyRecord.status
).order_by(DataKeyRecord.created_at)


def ring_loader(engine: Engine) -> Callable[[], list[tuple[str, str, bytes | None, str]]]:
    """The ring's loader: the wrapped data keys, read on a connection of its own."""

    def load() -> list[tuple[str, str, bytes | None, str]]:
        try:
            with engine.connect() as conn:
                return [(r[0], r[1], r[2], r[3]) for r in conn.execute(_ROWS)]
        except (OperationalError, ProgrammingError):  # no table yet (before the migrations)
            return []

    return load


def _ring(cipher: FieldCipher) -> DataKeyRing:
    if cipher.ring is None:
        raise RuntimeError("this cipher has no data key ring (built without a database)")
    return cipher.ring


def rotate(session: Session, clock: Clock, cipher: FieldCipher, suite: str) -> str:
    """Add a data key of ``suite`` and make it the active one; the former active key stays
    usable for decryption ("previous") until :func:`reencrypt` retires it. Returns its id."""
    ring = _ring(cipher)
    kid, wrapped = new_data_key(ring, suite)
    now = clock.now()
    for row in session.scalars(select(DataKeyRecord).where(DataKeyRecord.status == "active")):
        row.status = "previous"
    session.add(
        DataKeyRecord(
            id=new_id(), kid=kid, suite=suite, wrapped=wrapped, status="active", created_at=now
        )
    )
    session.flush()
    ring.install(
        [(r[0], r[1], r[2], r[3]) for r in session.execute(_ROWS)]
    )  # this transaction's view
    audit.record(session, "keys.rotate", "data_key", kid, after={"suite": suite})
    return kid


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: Column[Any]
    template: str

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    found: list[EncryptedColumn] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            template = column.info.get(CIPHER_FIELD)
            if isinstance(template, str):
                found.append(EncryptedColumn(table, column, template))
    return found


@dataclass(frozen=True)
class ReencryptReport:
    active_kid: str
    reencrypted: dict[str, int]
    scanned: dict[str, int]
    retired: list[str]


def _reencrypt_column(
    session: Session, cipher: FieldCipher, col: EncryptedColumn, active: str, batch: int
) -> tuple[int, int]:
    pk = list(col.table.primary_key.columns)
    names = [c.name for c in col.table.columns if "{" + c.name + "}" in col.template]
    stmt = select(*pk, col.column, *(col.table.c[n] for n in names)).where(col.column.is_not(None))
    changes: list[dict[str, Any]] = []
    scanned = done = 0
    for row in session.execute(stmt).mappings().all():
        scanned += 1
        blob = bytes(row[col.column.name])
        if cipher.key_id_of(blob) == active:
            continue
        field = cipher_field(col.template, {n: row[n] for n in names})
        change = {f"pk_{c.name}": row[c.name] for c in pk}
        change["blob"] = cipher.reencrypt(blob, field)
        changes.append(change)
    upd = update(col.table).values({col.column.name: bindparam("blob")})
    for c in pk:
        upd = upd.where(c == bindparam(f"pk_{c.name}"))
    for start in range(0, len(changes), batch):
        part = changes[start : start + batch]
        session.execute(upd, part)
        done += len(part)
    return scanned, done


def _kids_in_use(session: Session, cipher: FieldCipher) -> set[str]:
    used: set[str] = set()
    for col in encrypted_columns():
        stmt = select(col.column).where(col.column.is_not(None))
        used.update(cipher.key_id_of(bytes(blob)) for blob in session.scalars(stmt))
    return used


def reencrypt(
    session: Session, clock: Clock, cipher: FieldCipher, batch: int = 500
) -> ReencryptReport:
    """Seal every encrypted value under the active key, then retire (erase) the data keys that
    no ciphertext uses any more. Values in the legacy format move to the active key too."""
    active = cipher.active_key_id()
    if active == LEGACY_KID:
        raise RuntimeError("no active data key: run `puhui keys rotate` first")
    scanned: dict[str, int] = {}
    changed: dict[str, int] = {}
    for col in encrypted_columns():
        scanned[col.name], changed[col.name] = _reencrypt_column(
            session, cipher, col, active, batch
        )
    session.flush()
    in_use = _kids_in_use(session, cipher)
    retired: list[str] = []
    now = clock.now()
    stale = select(DataKeyRecord).where(DataKeyRecord.status == "previous")
    for row in session.scalars(stale):
        if row.kid in in_use:
            continue
        row.status, row.wrapped, row.retired_at = "retired", None, now
        retired.append(row.kid)
    session.flush()
    _ring(cipher).install([(kid, "", None, "retired") for kid in retired])
    audit.record(
        session,
        "keys.reencrypt",
        "data_key",
        active,
        after={"reencrypted": changed, "retired": retired},
    )
    return ReencryptReport(active, changed, scanned, retired)


def key_list(session: Session) -> list[DataKeyRecord]:
    return list(session.scalars(select(DataKeyRecord).order_by(DataKeyRecord.created_at)))
