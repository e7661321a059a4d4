"""The keyed, anchored audit chain: `verify` detects an edited row, a deleted row (any one),
removed newest rows and a chain recomputed without the key — on SQLite and PostgreSQL.

On the code before the keyed chain (plain SHA-256, no checkpoint) the truncation and re-hash
tests pass `verify`: they are the tests of finding 4."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from puhui.core import audit, signing
from puhui.core.models import AuditCheckpoint, AuditEvent
from puhui.core.runtime import Runtime


def _events(session: Session, n: int, who: str = "tester") -> list[AuditEvent]:
    audit.set_actor(session, audit.Actor(None, who, "admin", "10.0.0.8"))
    for i in range(n):
        audit.record(session, "thing.create", "thing", f"T{i}", after={"n": i})
        session.commit()
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _unguard(session: Session, engine: Engine) -> None:
    """What a rogue DBA would do first: drop the append-only triggers."""
    for table in ("core_audit_event", "core_audit_checkpoint"):
        if engine.dialect.name == "sqlite":
            session.execute(text(f"DROP TRIGGER trg_{table}_no_update"))
            session.execute(text(f"DROP TRIGGER trg_{table}_no_delete"))
        else:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER trg_{table}_append_only"))


def _id(engine: Engine, row: AuditEvent) -> object:
    return row.id if engine.dialect.name == "postgresql" else row.id.hex


def _rehash(session: Session, engine: Engine, rows: list[AuditEvent], start: int, alg: str) -> None:
    """Recompute the chain from row ``start`` on as an attacker can: plain SHA-256, no key."""
    prev = rows[start - 2].row_hash if start > 1 else audit.GENESIS
    for row in rows[start - 1 :]:
        row.chain_alg = alg
        content = audit.canonical_content(row)
        new = hashlib.sha256(prev.encode() + b"\n" + content).hexdigest()
        session.execute(
            text(
                "UPDATE core_audit_event SET prev_hash=:p, row_hash=:h, chain_alg=:a, "
                "actor_name=:n WHERE id=:i"
            ),
            {"p": prev, "h": new, "a": alg, "n": row.actor_name, "i": _id(engine, row)},
        )
        prev = new
    session.expire_all()


def test_an_intact_chain_is_keyed_checkpointed_and_exported(
    session: Session, runtime: Runtime
) -> None:
    rows = _events(session, 3)
    assert {r.chain_alg for r in rows} == {"hmac-sha256"}
    plain = hashlib.sha256(rows[0].prev_hash.encode() + b"\n" + audit.canonical_content(rows[0]))
    assert rows[0].row_hash != plain.hexdigest()  # keyed: not computable without the key
    result = audit.verify(session)
    assert result.ok and result.rows_checked == 3 and result.checkpoints_checked >= 2
    anchor = runtime.settings.var_dir / "audit-checkpoint.txt"
    assert anchor.exists() and audit.ORIGIN in anchor.read_text()


def test_edit_is_detected(session: Session, engine: Engine) -> None:
    rows = _events(session, 3)
    _unguard(session, engine)
    session.execute(
        text("UPDATE core_audit_event SET actor_name='mallory' WHERE id=:i"),
        {"i": _id(engine, rows[1])},
    )
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and result.bad_seq == 2 and "content changed" in (result.reason or "")
    session.rollback()


@pytest.mark.parametrize("which", [1, 2])
def test_deleting_any_inner_row_is_detected(session: Session, engine: Engine, which: int) -> None:
    rows = _events(session, 3)
    _unguard(session, engine)
    session.execute(text("DELETE FROM core_audit_event WHERE seq=:s"), {"s": which})
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and "deleted" in (result.reason or "")
    assert result.bad_seq == which + 1 and result.bad_id == str(rows[which].id)
    session.rollback()


@pytest.mark.parametrize("also_checkpoints", [False, True])
def test_truncating_the_newest_rows_is_detected(
    session: Session, runtime: Runtime, engine: Engine, also_checkpoints: bool
) -> None:
    _events(session, 4)
    assert audit.checkpoint(session) is not None
    session.commit()
    _unguard(session, engine)
    session.execute(text("DELETE FROM core_audit_event WHERE seq > 2"))
    if also_checkpoints:  # the exported file outside the database still holds the head
        session.execute(text("DELETE FROM core_audit_checkpoint"))
    session.expire_all()
    result = audit.verify(session)
    assert not result.ok and "truncated" in (result.reason or ""), result
    assert "signs 4 rows" in (result.reason or "")
    session.rollback()


@pytest.mark.parametrize("label", ["hmac-sha256", "sha256"])
def test_a_chain_recomputed_without_the_key_is_detected(
    session: Session, engine: Engine, label: str
) -> None:
    rows = _events(session, 4)
    _unguard(session, engine)
    rows[1].actor_name = "mallory"
    _rehash(session, engine, rows, 2, label)
    result = audit.verify(session)
    assert not result.ok, result
    if label == "hmac-sha256":
        assert result.bad_seq == 2 and "content changed" in (result.reason or "")
    else:  # relabelled as the plain legacy chain: refused after the keyed chain began
        assert "unkeyed" in (result.reason or "")
    session.rollback()


def test_a_fully_relabelled_chain_without_table_checkpoints_is_caught_by_the_exported_one(
    session: Session, engine: Engine
) -> None:
    rows = _events(session, 3)
    _unguard(session, engine)
    session.execute(text("DELETE FROM core_audit_checkpoint"))
    rows[0].actor_name = "mallory"
    _rehash(session, engine, rows, 1, "sha256")
    result = audit.verify(session)
    assert not result.ok and "unkeyed" in (result.reason or ""), result
    session.rollback()


def test_a_checkpoint_signed_by_another_key_is_refused(
    session: Session, runtime: Runtime, engine: Engine
) -> None:
    _events(session, 2)
    forger = signing.SigningKey.generate("mallory")
    head = audit.SignedHead(1, "ab" * 32, "2026-11-23T02:00:00Z", 0)
    anchor = runtime.settings.var_dir / "audit-checkpoint.txt"
    anchor.write_text(signing.sign_note(head.body(), forger, audit.ORIGIN))
    result = audit.verify(session)
    assert not result.ok and "checkpoint file" in (result.reason or "")


def test_legacy_rows_keep_verifying_up_to_the_cut_over(
    session: Session, runtime: Runtime, engine: Engine
) -> None:
    """Rows written by the plain SHA-256 chain before the migration: left as they are."""
    prev = audit.GENESIS
    for seq in (1, 2):
        row = AuditEvent(
            id=audit.new_id(),
            seq=seq,
            occurred_at=runtime.clock.now(),
            actor_id=None,
            actor_name="system",
            actor_role=None,
            source_ip=None,
            action="legacy.thing",
            entity_type="thing",
            entity_id=str(seq),
            before=None,
            after={"seq": seq},
            prev_hash=prev,
            chain_alg="sha256",
        )
        row.row_hash = prev = audit._chain(prev, audit.canonical_content(row))
        session.add(row)
    session.flush()
    rows = _events(session, 2)
    assert [r.chain_alg for r in rows] == ["sha256", "sha256", "hmac-sha256", "hmac-sha256"]
    assert audit.verify(session).ok
    first = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size)).first()
    assert first is not None and first.legacy_rows == 2 and first.size == 3


def test_the_sm3_suite_chains_with_hmac_sm3(session: Session, runtime: Runtime) -> None:
    keys = dataclasses.replace(audit.current_keys(), alg="hmac-sm3")
    audit.configure(keys)
    try:
        rows = _events(session, 2)
        assert {r.chain_alg for r in rows} == {"hmac-sm3"}
        assert audit.verify(session).ok
    finally:
        audit.configure(audit.load_keys(runtime.settings))


def test_audit_rows_hold_no_mobile_or_resident_id_in_clear(session: Session) -> None:
    audit.set_actor(session, audit.Actor(None, "m13912345678", "borrower", None))
    audit.record(
        session,
        "person.create",
        "person",
        "P1",
        after={"mobile": "13912345678", "note": "身份证 11010519491231002X 已核验"},
    )
    session.commit()
    row = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert row is not None
    text_row = f"{row.actor_name} {row.after}"
    assert "13912345678" not in row.actor_name and "13912345678" not in str(row.after["mobile"])
    assert "11010519491231002X" not in text_row
    token = audit.pii_token("13912345678")
    assert row.after["mobile"] == f"139****5678#{token}" and token in row.actor_name
    assert audit.verify(session).ok


def test_production_refuses_to_start_without_audit_keys(tmp_path: Path) -> None:
    from puhui.core.config import Settings

    settings = Settings(environment="production", var_dir=tmp_path, data_key="x")
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        audit.load_keys(settings)
    settings = Settings(
        environment="production",
        var_dir=tmp_path,
        audit_key=base64.b64encode(b"k" * 32).decode(),
    )
    with pytest.raises(RuntimeError, match="SIGNING_KEY"):
        audit.load_keys(settings)
