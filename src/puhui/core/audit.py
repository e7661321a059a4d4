"""The audit trail: who changed what, when, from where; append-only, keyed and anchored.

`record()` queues an event on the session; just before the unit of work commits, the queued
events are chained — HMAC-SHA256 (HMAC-SM3 with `PUHUI_CRYPTO_SUITE=sm`) keyed by a key kept
outside the database, over the previous row's hash and this row's canonical content — and
inserted in the same transaction. On PostgreSQL an advisory lock serializes the chaining step.
Every `audit_checkpoint_every` rows (and on `puhui audit checkpoint`) the head is signed
(Ed25519, a C2SP signed note: size, head hash, time, legacy rows), stored in
`core_audit_checkpoint` and exported after commit to a file outside the database.

`verify()` walks the chain and names the first row whose content, link or sequence is broken,
then checks every checkpoint (the table's and the exported file's): a valid signature, and the
chain still holding that many rows with that head — so editing a row, deleting any row,
removing the newest rows (up to the last checkpoint) and recomputing the chain without the key
are all detected.

Rows written before the keyed chain (`chain_alg = "sha256"`, plain SHA-256) keep verifying as
they are: they cannot be re-keyed (the table refuses UPDATE, and re-keying would launder any
earlier tampering). The first keyed row links to the last plain one and a checkpoint is signed
then, recording how many plain rows precede it; a plain row after that count is refused.

Personal data never enters a row in clear: mobile numbers and resident IDs found in `before`,
`after` or `actor_name` are replaced by a masked form and a keyed hash (`pii_token`), so an
investigator holding the audit key can still find the rows about one person.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from puhui.core import signing
from puhui.core.clock import Clock, SystemClock
from puhui.core.codes import is_valid_resident_id
from puhui.core.config import Settings, get_settings
from puhui.core.db import table_insert
from puhui.core.ids import new_id
from puhui.core.models import AuditCheckpoint, AuditEvent

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 0x70756875  # "puhu"
ORIGIN = "puhui/audit/v1"
LEGACY_ALG = "sha256"


# ---------------------------------------------------------------------------------------------
# Keys (outside the database)


@dataclass(frozen=True)
class AuditKeys:
    """The chain's HMAC key, the checkpoint signer and where the latest checkpoint is exported."""

    mac_key: bytes
    signer: signing.SigningKey
    anchor_file: Path | None
    alg: str = "hmac-sha256"
    checkpoint_every: int = 100

    @property
    def public_key(self) -> bytes:
        return self.signer.public


def _key_file(path: Path, size: int) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(size)))
    raw = base64.b64decode(path.read_bytes().strip())
    if len(raw) != size:
        raise RuntimeError(f"{path}: expected a {size}-byte key (base64)")
    return raw


def load_keys(settings: Settings) -> AuditKeys:
    """The audit keys from the settings; development/demo/test create key files in var_dir."""
    production = settings.environment == "production"
    if production and not (settings.audit_key or settings.audit_key_file):
        raise RuntimeError("PUHUI_AUDIT_KEY or PUHUI_AUDIT_KEY_FILE must be set in production")
    if production and settings.audit_signing_key_file is None:
        raise RuntimeError("PUHUI_AUDIT_SIGNING_KEY_FILE must be set in production")
    if settings.audit_key:
        mac = base64.b64decode(settings.audit_key)
    else:
        mac = _key_file(
            settings.audit_key_file or settings.resolved_var_dir() / "audit-hmac.key", 32
        )
    seed = _key_file(
        settings.audit_signing_key_file or settings.resolved_var_dir() / "audit-signing.key", 32
    )
    anchor = settings.audit_anchor_file or settings.resolved_var_dir() / "audit-checkpoint.txt"
    return AuditKeys(
        mac_key=mac,
        signer=signing.SigningKey.from_seed("audit", seed),
        anchor_file=anchor,
        alg="hmac-sm3" if settings.crypto_suite == "sm" else "hmac-sha256",
        checkpoint_every=settings.audit_checkpoint_every,
    )


_configured: AuditKeys | None = None


def configure(keys: AuditKeys) -> None:
    """Set the process's audit keys (`build_runtime` does it once)."""
    global _configured
    _configured = keys


def current_keys() -> AuditKeys:
    global _configured
    if _configured is None:
        _configured = load_keys(get_settings())
    return _configured


# ---------------------------------------------------------------------------------------------
# Actors and recording


_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def pii_token(value: str, keys: AuditKeys | None = None) -> str:
    """The keyed hash (16 hex) an audit row stores instead of a mobile number or resident ID."""
    mac = (keys or current_keys()).mac_key
    return hmac.new(mac, b"pii\x00" + value.encode(), hashlib.sha256).hexdigest()[:16]


def _mask_mobile(m: re.Match[str]) -> str:
    v = m.group(0)
    return f"{v[:3]}****{v[-4:]}#{pii_token(v)}"


def _mask_resident_id(m: re.Match[str]) -> str:
    v = m.group(0)
    if not is_valid_resident_id(v.upper()):
        return v
    return f"{v[:6]}********{v[-4:]}#{pii_token(v.upper())}"


def scrub(value: str) -> str:
    """Mobile numbers and resident IDs in ``value`` masked, each with its keyed hash."""
    if len(value) < 11 or _UUID.match(value):
        return value
    return _MOBILE.sub(_mask_mobile, _RESIDENT_ID.sub(_mask_resident_id, value))


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    name: str
    role: str | None = None
    ip: str | None = None

    def __post_init__(self) -> None:
        # a borrower's username is "m" + mobile: every copy of an actor's name (audit rows,
        # pull logs, status histories) holds the masked form and its keyed hash instead
        clean = scrub(self.name)
        if clean != self.name:
            object.__setattr__(self, "name", clean)


SYSTEM = Actor(user_id=None, name="system", role=None, ip=None)


@dataclass
class _Pending:
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor: Actor
    occurred_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def set_actor(session: Session, actor: Actor) -> None:
    session.info["audit_actor"] = actor


def set_clock(session: Session, clock: Clock) -> None:
    session.info["clock"] = clock


def session_clock(session: Session) -> Clock:
    clock = session.info.get("clock")
    return clock if clock is not None else SystemClock()


def current_actor(session: Session) -> Actor:
    actor = session.info.get("audit_actor")
    return actor if isinstance(actor, Actor) else SYSTEM


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int):
        return value
    return scrub(str(value))


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Queue one audit event for this unit of work (written at commit, in the same transaction).

    Mobile numbers and resident IDs in ``before``/``after`` are stored masked with a keyed hash.
    """
    pending: list[_Pending] = session.info.setdefault("audit_pending", [])
    pending.append(
        _Pending(
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=_jsonable(before) if before is not None else None,
            after=_jsonable(after) if after is not None else None,
            actor=current_actor(session),
            occurred_at=session_clock(session).now(),
        )
    )


# ---------------------------------------------------------------------------------------------
# The chain


_CONTENT = (
    "id",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "source_ip",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)


def _canonical(values: Mapping[str, Any]) -> bytes:
    content = {name: values[name] for name in _CONTENT}
    content["id"] = str(values["id"])
    content["occurred_at"] = values["occurred_at"].isoformat()
    content["actor_id"] = str(values["actor_id"]) if values["actor_id"] else None
    alg = values.get("chain_alg") or LEGACY_ALG
    if alg != LEGACY_ALG:  # keyed rows bind their algorithm; plain rows keep their old content
        content["chain_alg"] = alg
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_content(row: AuditEvent) -> bytes:
    values = {name: getattr(row, name) for name in _CONTENT}
    values["chain_alg"] = row.chain_alg
    return _canonical(values)


def _chain(prev_hash: str, content: bytes, alg: str = LEGACY_ALG, key: bytes = b"") -> str:
    message = prev_hash.encode() + b"\n" + content
    if alg == LEGACY_ALG:
        return hashlib.sha256(message).hexdigest()
    if alg == "hmac-sha256":
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if alg == "hmac-sm3":
        mac = crypto_hmac.HMAC(key, hashes.SM3())
        mac.update(message)
        return mac.finalize().hex()
    raise ValueError(f"unknown audit chain algorithm {alg!r}")


def chain_hash(prev_hash: str, row: AuditEvent, keys: AuditKeys | None = None) -> str:
    alg = row.chain_alg or LEGACY_ALG
    key = b"" if alg == LEGACY_ALG else (keys or current_keys()).mac_key
    return _chain(prev_hash, canonical_content(row), alg, key)


# Built once: every commit with audit events runs them.
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LAST = (
    select(AuditEvent.seq, AuditEvent.row_hash, AuditEvent.chain_alg)
    .order_by(AuditEvent.seq.desc())
    .limit(1)
)


def _flush_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop("audit_pending", [])
    if not pending:
        return
    keys = current_keys()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(_LOCK, {"k": _ADVISORY_LOCK_ID})
    last = session.execute(_LAST).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    first_keyed = last is None or last[2] == LEGACY_ALG
    legacy = seq if first_keyed else None
    start = seq
    rows: list[dict[str, Any]] = []
    for item in pending:
        seq += 1
        values: dict[str, Any] = {
            "id": new_id(),
            "seq": seq,
            "occurred_at": item.occurred_at,
            "actor_id": item.actor.user_id,
            "actor_name": scrub(item.actor.name),
            "actor_role": item.actor.role,
            "source_ip": item.actor.ip,
            "action": item.action,
            "entity_type": item.entity_type,
            "entity_id": item.entity_id,
            "before": item.before,
            "after": item.after,
            "prev_hash": prev,
            "chain_alg": keys.alg,
        }
        prev = values["row_hash"] = _chain(prev, _canonical(values), keys.alg, keys.mac_key)
        rows.append(values)
    session.execute(table_insert(AuditEvent), rows)  # the commit then flushes pending objects
    every = keys.checkpoint_every
    if first_keyed or seq // every > start // every:
        at = session_clock(session).now()
        _write_checkpoint(session, keys, seq, prev, at, legacy)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _flush_pending(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    note = session.info.pop("audit_anchor", None)
    if note is not None:
        export_anchor(note)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("audit_pending", None)
    session.info.pop("audit_anchor", None)


# ---------------------------------------------------------------------------------------------
# Signed checkpoints


@dataclass(frozen=True)
class SignedHead:
    """What a checkpoint signs: the chain had ``size`` rows ending in ``head`` at ``at``."""

    size: int
    head: str
    at: str
    legacy: int

    def body(self) -> str:
        head64 = base64.b64encode(bytes.fromhex(self.head)).decode("ascii")
        return f"{ORIGIN}\n{self.size}\n{head64}\ntime {self.at}\nlegacy {self.legacy}\n"

    @classmethod
    def parse(cls, text: str) -> SignedHead:
        lines = text.split("\n")
        if len(lines) != 6 or lines[0] != ORIGIN or lines[5] != "":
            raise ValueError("not an audit checkpoint")
        size, head64, time_line, legacy_line = lines[1:5]
        if not size.isdigit() or not time_line.startswith("time "):
            raise ValueError("not an audit checkpoint")
        if not legacy_line.startswith("legacy ") or not legacy_line[7:].isdigit():
            raise ValueError("not an audit checkpoint")
        head = base64.b64decode(head64, validate=True)
        if len(head) != 32:
            raise ValueError("not an audit checkpoint")
        return cls(int(size), head.hex(), time_line[5:], int(legacy_line[7:]))


def _utc_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_LAST_CHECKPOINT = (
    select(AuditCheckpoint.size, AuditCheckpoint.legacy_rows)
    .order_by(AuditCheckpoint.size.desc())
    .limit(1)
)


def _write_checkpoint(
    session: Session, keys: AuditKeys, size: int, head: str, at: datetime, legacy: int | None
) -> str | None:
    last = session.execute(_LAST_CHECKPOINT).first()
    if last is not None and last[0] >= size:
        return None
    if legacy is None:
        legacy = last[1] if last is not None else 0
    signed = SignedHead(size, head, _utc_text(at), legacy)
    note = signing.sign_note(signed.body(), keys.signer, ORIGIN)
    session.execute(
        table_insert(AuditCheckpoint),
        [
            {
                "id": new_id(),
                "size": size,
                "head_hash": head,
                "legacy_rows": legacy,
                "signed_at": at,
                "key_id": keys.signer.kid,
                "note": note,
            }
        ],
    )
    session.info["audit_anchor"] = note
    return note


def checkpoint(session: Session, keys: AuditKeys | None = None) -> SignedHead | None:
    """Sign the chain's current head now (the caller commits; the file is written after commit).

    None when the chain is empty or its head is already signed.
    """
    keys = keys or current_keys()
    _flush_pending(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"k": _ADVISORY_LOCK_ID})
    last = session.execute(_LAST).first()
    if last is None:
        return None
    at = session_clock(session).now()
    note = _write_checkpoint(session, keys, last[0], last[1], at, None)
    if note is None:
        return None
    return SignedHead.parse(signing.open_note(note, name=ORIGIN, public_key=keys.public_key))


def export_anchor(note: str, keys: AuditKeys | None = None) -> None:
    """Write the signed checkpoint to the anchor file, unless the file holds a later one."""
    path = (keys or current_keys()).anchor_file
    if path is None:
        return
    new = SignedHead.parse(note[: note.rfind("\n\n") + 1])
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            if SignedHead.parse(text[: text.rfind("\n\n") + 1]).size >= new.size:
                return
        except (ValueError, OSError):
            pass  # unreadable: replace it; verify() reports a bad file it cannot read
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(note, encoding="utf-8")
    tmp.chmod(0o644)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows_checked: int
    bad_id: str | None = None
    bad_seq: int | None = None
    reason: str | None = None
    checkpoints_checked: int = 0
    latest_checkpoint: int | None = None


def iter_rows(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def _open(note: str, keys: AuditKeys, where: str) -> SignedHead:
    try:
        text = signing.open_note(note, name=ORIGIN, public_key=keys.public_key)
        return SignedHead.parse(text)
    except ValueError as exc:  # SignedNoteInvalid is a ValueError
        raise _Broken(f"checkpoint {where}: {exc}") from exc


class _Broken(Exception):
    pass


def _checkpoints(session: Session, keys: AuditKeys) -> list[tuple[str, SignedHead]]:
    found: list[tuple[str, SignedHead]] = []
    for size, note in session.execute(select(AuditCheckpoint.size, AuditCheckpoint.note)):
        signed = _open(note, keys, f"in the table (size {size})")
        if signed.size != size:
            raise _Broken(f"checkpoint in the table (size {size}) signs size {signed.size}")
        found.append((f"table checkpoint of {signed.at}", signed))
    path = keys.anchor_file
    if path is not None and path.exists():
        signed = _open(path.read_text(encoding="utf-8"), keys, f"file {path}")
        found.append((f"exported checkpoint {path.name} of {signed.at}", signed))
    return found


def verify(session: Session, keys: AuditKeys | None = None) -> VerifyResult:
    """Walk the chain; report the first row that was edited, or follows a deleted row, then hold
    the chain against every signed checkpoint (removed newest rows, a chain recomputed)."""
    keys = keys or current_keys()
    try:
        checkpoints = _checkpoints(session, keys)
    except _Broken as exc:
        return VerifyResult(False, 0, reason=str(exc))
    legacy_limit = min((c.legacy for _, c in checkpoints), default=None)
    wanted = {c.size for _, c in checkpoints}
    heads: dict[int, str] = {0: GENESIS}
    prev, expected_seq, count, keyed = GENESIS, 1, 0, False
    for row in iter_rows(session):
        count += 1
        bad = _check_row(row, prev, expected_seq, keys, keyed, legacy_limit)
        if bad is not None:
            return VerifyResult(False, count, str(row.id), row.seq, bad)
        keyed = keyed or row.chain_alg != LEGACY_ALG
        if row.seq in wanted:
            heads[row.seq] = row.row_hash
        prev = row.row_hash
        expected_seq += 1
    for label, signed in sorted(checkpoints, key=lambda c: c[1].size):
        if signed.size > count:
            return VerifyResult(
                False,
                count,
                reason=f"truncated: the {label} signs {signed.size} rows, "
                f"the chain holds {count} (the newest rows were removed)",
            )
        if heads[signed.size] != signed.head:
            return VerifyResult(
                False,
                count,
                bad_seq=signed.size,
                reason=f"the chain at row {signed.size} differs from the {label} "
                "(rows rewritten and the chain recomputed)",
            )
    if keyed and not checkpoints:
        return VerifyResult(False, count, reason="no signed checkpoint: checkpoints removed")
    latest = max((c.size for _, c in checkpoints), default=None)
    return VerifyResult(True, count, checkpoints_checked=len(checkpoints), latest_checkpoint=latest)


def _check_row(
    row: AuditEvent,
    prev: str,
    expected_seq: int,
    keys: AuditKeys,
    keyed: bool,
    legacy_limit: int | None,
) -> str | None:
    if row.seq != expected_seq:
        return f"sequence gap: expected {expected_seq}, found {row.seq} (a row was deleted)"
    if row.prev_hash != prev:
        return "link broken: prev_hash does not match"
    if row.chain_alg == LEGACY_ALG and (
        keyed or (legacy_limit is not None and row.seq > legacy_limit)
    ):
        return "an unkeyed (plain SHA-256) row after the keyed chain began (chain recomputed)"
    try:
        expected = chain_hash(prev, row, keys)
    except ValueError:
        return f"unknown chain algorithm {row.chain_alg!r}"
    if not hmac.compare_digest(expected, row.row_hash):
        return "content changed: row hash does not match"
    return None
