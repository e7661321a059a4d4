"""Ed25519 keys of the parties and of the log: generation, signing, verification, key ids.

* The Ed25519 primitives (keys, key ids, verification backends) live in :mod:`puhui.core.signing`
  (shared with the audit trail's checkpoints) and are re-exported here.
* A :class:`KeyRing` maps key ids to their party and validity window; a statement must be signed
  by a key of its ``actor`` that is valid at the statement's ``at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from puhui.core.signing import (
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    SigningKey,
    available_backends,
    backend_name,
    decode_public_key,
    encode_key,
    key_id,
    verifier_for,
    verify_signature,
)
from puhui.receivables.errors import KeyNotValid, KeyPartyMismatch, UnknownKey

__all__ = [
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "KeyRecord",
    "KeyRing",
    "SigningKey",
    "available_backends",
    "backend_name",
    "decode_public_key",
    "encode_key",
    "key_id",
    "verifier_for",
    "verify_signature",
]


# ---------------------------------------------------------------------------------------------
# Key ring


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A party's public key and the period it may sign in (``at`` strings; None = open)."""

    party: str
    public_key: bytes
    valid_from: str | None = None
    valid_to: str | None = None

    @property
    def kid(self) -> str:
        return key_id(self.public_key)

    def valid_at(self, at: str) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "public_key": encode_key(self.public_key),
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }


class KeyRing:
    """Public keys by key id."""

    def __init__(self, records: Iterable[KeyRecord] = ()) -> None:
        self._by_kid: dict[str, KeyRecord] = {}
        for record in records:
            self.add(record)

    def add(self, record: KeyRecord) -> None:
        kid = record.kid
        known = self._by_kid.get(kid)
        if known is not None and known.party != record.party:
            raise ValueError(f"key {kid} is already registered to {known.party}")
        self._by_kid[kid] = record

    def register(
        self, key: SigningKey, valid_from: str | None = None, valid_to: str | None = None
    ) -> KeyRecord:
        record = KeyRecord(key.party, key.public, valid_from, valid_to)
        self.add(record)
        return record

    def get(self, kid: str) -> KeyRecord | None:
        return self._by_kid.get(kid)

    def __iter__(self) -> Iterator[KeyRecord]:
        return iter(self._by_kid.values())

    def __len__(self) -> int:
        return len(self._by_kid)

    def check(self, kid: str, actor: str, at: str) -> KeyRecord:
        """The record of ``kid`` if it belongs to ``actor`` and is valid at ``at``; else raise."""
        record = self._by_kid.get(kid)
        if record is None:
            raise UnknownKey(kid=kid)
        if record.party != actor:
            raise KeyPartyMismatch(kid=kid, owner=record.party, actor=actor)
        if not record.valid_at(at):
            raise KeyNotValid(kid=kid, at=at)
        return record

    def to_json(self) -> dict[str, Any]:
        """``{"parties": {party: [key, ...]}}`` sorted by party, as in ``keys.json``."""
        parties: dict[str, list[dict[str, Any]]] = {}
        for record in sorted(self._by_kid.values(), key=lambda r: (r.party, r.valid_from or "")):
            parties.setdefault(record.party, []).append(record.to_json())
        return {"parties": parties}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyRing:
        """Read ``keys.json``; the listed ``kid`` must match the key (ValueError otherwise)."""
        ring = cls()
        parties = data.get("parties")
        if not isinstance(parties, Mapping):
            raise ValueError('keys.json needs a "parties" object')
        for party, keys in parties.items():
            if not isinstance(keys, list):
                raise ValueError(f"keys of {party} must be a list")
            for item in keys:
                raw = decode_public_key(str(item["public_key"]))
                record = KeyRecord(
                    party=str(party),
                    public_key=raw,
                    valid_from=item.get("valid_from"),
                    valid_to=item.get("valid_to"),
                )
                if "kid" in item and item["kid"] != record.kid:
                    raise ValueError(f"kid {item['kid']} of {party} does not match its key")
                ring.add(record)
        return ring
