"""Ed25519 keys of the chain's parties and of the log, kept in ``receivables_key``.

* **Custodial keys** (default): the platform generates a party's key on its first statement and
  keeps the 32-byte seed sealed with the :class:`~puhui.core.crypto.FieldCipher` (AES-256-GCM,
  the field name ``receivables.key:<kid>`` bound as associated data), so a database dump alone
  cannot sign. It signs only when the party (its user, or staff serving it) asks for an
  operation, or under the party's standing agreement (auto-debit at maturity).
* **Own keys**: a party may register its own public key and sign statements itself (prepare →
  sign → submit). It may retire its custodial key at the same time; from then on the platform
  cannot sign for it.
* **The log key** signs checkpoints; custodial, created on first use.

A retired key keeps ``valid_to``: statements it signed while valid stay verifiable. Callers
hold the log head lock (the service does), so key creation never races.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import Conflict, InvalidInput
from puhui.receivables.keys import KeyRecord, KeyRing, SigningKey, decode_public_key, key_id
from puhui.receivables.models import KeyPurpose, PartyKey
from puhui.receivables.statements import format_at


class NoCustodialKey(Conflict):
    code = "receivables.no_custodial_key"
    title_zh = "平台未托管该方密钥"
    title_en = "No custodial key"
    message_zh = (
        "{party} 已使用自有密钥，平台不能代为签名；请先获取待签报文（prepare），签名后提交。"
    )
    message_en = (
        "{party} signs with its own key, so the platform cannot sign for it; prepare the "
        "statement, sign it and submit it."
    )


class KeyAlreadyRegistered(Conflict):
    code = "receivables.key_registered"
    title_zh = "密钥已登记"
    title_en = "Key already registered"
    message_zh = "公钥 {kid} 已经登记过。"
    message_en = "Public key {kid} is already registered."


def _field(kid: str) -> str:
    return f"receivables.key:{kid}"


def _now_at(clock: Clock) -> str:
    return format_at(clock.now())


def _valid(row: PartyKey, at: str) -> bool:
    return row.valid_from <= at and (row.valid_to is None or at < row.valid_to)


def _create(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    party: str,
    purpose: str,
    valid_from: str | None = None,
) -> SigningKey:
    key = SigningKey.generate(party)
    seed64 = base64.b64encode(key.seed()).decode("ascii")
    session.add(
        PartyKey(
            party=party,
            purpose=purpose,
            kid=key.kid,
            public_key=key.public,
            private_enc=cipher.encrypt(seed64, _field(key.kid)),
            custodial=True,
            valid_from=valid_from or _now_at(clock),
            valid_to=None,
            created_at=clock.now(),
            created_by=None,
        )
    )
    session.flush()
    audit.record(
        session,
        "receivables.key.create",
        "receivables_key",
        key.kid,
        after={"party": party, "purpose": purpose, "custodial": True},
    )
    return key


def _open(cipher: FieldCipher, row: PartyKey) -> SigningKey:
    assert row.private_enc is not None
    seed = base64.b64decode(cipher.decrypt(row.private_enc, _field(row.kid)))
    key = SigningKey.from_seed(row.party, seed)
    if key.kid != row.kid:  # a swapped ciphertext: refuse rather than sign with a wrong key
        raise RuntimeError(f"custodial key {row.kid} does not match its sealed seed")
    return key


def custodial_key(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    party: str,
    at: str,
    *,
    create: bool = True,
) -> SigningKey:
    """The party's custodial statement key valid at ``at``; created if the party has no key yet.

    Raises :class:`NoCustodialKey` if the party signs with its own keys only.
    """
    rows = list(
        session.scalars(
            select(PartyKey)
            .where(PartyKey.party == party, PartyKey.purpose == KeyPurpose.STATEMENT)
            .order_by(PartyKey.created_at.desc(), PartyKey.kid)
        )
    )
    for row in rows:
        if row.custodial and row.private_enc is not None and _valid(row, at):
            return _open(cipher, row)
    if rows or not create:
        raise NoCustodialKey(party=party)
    return _create(
        session, clock, cipher, party, KeyPurpose.STATEMENT, valid_from=min(at, _now_at(clock))
    )


def log_key(session: Session, clock: Clock, cipher: FieldCipher, origin: str) -> SigningKey:
    """The log's checkpoint key (created on first use)."""
    row = session.scalar(
        select(PartyKey)
        .where(PartyKey.party == origin, PartyKey.purpose == KeyPurpose.LOG)
        .order_by(PartyKey.created_at)
        .limit(1)
    )
    if row is None:
        return _create(session, clock, cipher, origin, KeyPurpose.LOG)
    return _open(cipher, row)


def log_public_key(session: Session, origin: str) -> bytes | None:
    row = session.scalar(
        select(PartyKey.public_key)
        .where(PartyKey.party == origin, PartyKey.purpose == KeyPurpose.LOG)
        .limit(1)
    )
    return None if row is None else bytes(row)


def register_public_key(
    session: Session,
    clock: Clock,
    party: str,
    public_key: str,
    *,
    retire_custodial: bool,
    user_id: uuid.UUID | None,
) -> PartyKey:
    """A party's own Ed25519 public key (base64 or hex), valid from now."""
    try:
        raw = decode_public_key(public_key.strip())
    except ValueError as exc:
        raise InvalidInput(field="public_key") from exc
    kid = key_id(raw)
    if session.scalar(select(PartyKey.id).where(PartyKey.kid == kid)) is not None:
        raise KeyAlreadyRegistered(field="public_key", kid=kid)
    now = _now_at(clock)
    retired: list[str] = []
    if retire_custodial:
        for row in session.scalars(
            select(PartyKey).where(
                PartyKey.party == party,
                PartyKey.purpose == KeyPurpose.STATEMENT,
                PartyKey.custodial.is_(True),
                PartyKey.valid_to.is_(None),
            )
        ):
            row.valid_to = now
            retired.append(row.kid)
    row = PartyKey(
        party=party,
        purpose=KeyPurpose.STATEMENT,
        kid=kid,
        public_key=raw,
        private_enc=None,
        custodial=False,
        valid_from=now,
        valid_to=None,
        created_at=clock.now(),
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "receivables.key.register",
        "receivables_key",
        kid,
        after={"party": party, "retired_custodial": retired},
    )
    return row


def keys_of(session: Session, party: str) -> list[PartyKey]:
    return list(
        session.scalars(
            select(PartyKey)
            .where(PartyKey.party == party, PartyKey.purpose == KeyPurpose.STATEMENT)
            .order_by(PartyKey.created_at, PartyKey.kid)
        )
    )


def record_of(session: Session, kid: str) -> KeyRecord | None:
    row = session.scalar(
        select(PartyKey).where(PartyKey.kid == kid, PartyKey.purpose == KeyPurpose.STATEMENT)
    )
    if row is None:
        return None
    return KeyRecord(row.party, bytes(row.public_key), row.valid_from, row.valid_to)


def key_ring(session: Session) -> KeyRing:
    """Every statement key (for keys.json of an export)."""
    ring = KeyRing()
    for row in session.scalars(
        select(PartyKey)
        .where(PartyKey.purpose == KeyPurpose.STATEMENT)
        .order_by(PartyKey.party, PartyKey.valid_from, PartyKey.kid)
    ):
        ring.add(KeyRecord(row.party, bytes(row.public_key), row.valid_from, row.valid_to))
    return ring


def key_view(row: PartyKey) -> dict[str, Any]:
    return {
        "party": row.party,
        "kid": row.kid,
        "public_key": base64.b64encode(bytes(row.public_key)).decode("ascii"),
        "custodial": row.custodial,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
    }
