"""Ed25519 keys of the parties and of the log: generation, signing, verification, key ids.

* Public keys travel as the raw 32 bytes, written in standard base64 (hex is accepted on input).
* A key id (``kid``) is the lowercase hex SHA-256 of the raw public key.
* A :class:`KeyRing` maps key ids to their party and validity window; a statement must be signed
  by a key of its ``actor`` that is valid at the statement's ``at``.

Signing uses the ``cryptography`` library. Verification uses ``cryptography`` too, unless the
system libsodium is present, which verifies about twice as fast (``ctypes``, no extra package);
``PUHUI_ED25519_BACKEND=cryptography`` or ``=libsodium`` forces one. Every signature made by a
standard Ed25519 signer verifies under both; libsodium additionally rejects a few degenerate
(small-order) points that no honest signer produces.
"""

from __future__ import annotations

import base64
import binascii
import ctypes
import ctypes.util
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from puhui.receivables.errors import KeyNotValid, KeyPartyMismatch, UnknownKey

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


def key_id(public_key: bytes) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return hashlib.sha256(public_key).hexdigest()


def encode_key(raw: bytes) -> str:
    """Standard base64 of a raw key."""
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> bytes:
    """A raw 32-byte public key from base64 (44 characters) or hex (64 characters)."""
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"not a base64 or hex public key: {text!r}") from exc
    if len(raw) != PUBLIC_KEY_SIZE:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


@dataclass(frozen=True)
class SigningKey:
    """A party's (or the log's) Ed25519 private key with its public half and key id."""

    party: str
    private: Ed25519PrivateKey
    public: bytes
    kid: str

    @classmethod
    def generate(cls, party: str) -> SigningKey:
        return cls.from_private(party, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, party: str, seed: bytes) -> SigningKey:
        """Deterministic key from a 32-byte seed (tests, demos; never for production keys)."""
        return cls.from_private(party, Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_private(cls, party: str, private: Ed25519PrivateKey) -> SigningKey:
        public = private.public_key().public_bytes_raw()
        return cls(party=party, private=private, public=public, kid=key_id(public))

    def seed(self) -> bytes:
        return self.private.private_bytes_raw()

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


# ---------------------------------------------------------------------------------------------
# Verification backends


def _verify_cryptography(public_key: bytes) -> Callable[[bytes, bytes], bool]:
    key = Ed25519PublicKey.from_public_bytes(public_key)

    def verify(signature: bytes, message: bytes) -> bool:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return verify


_sodium: Any = None


def _load_sodium() -> Any:
    global _sodium
    if _sodium is None:
        _sodium = False
        name = ctypes.util.find_library("sodium")
        if name:
            try:
                lib = ctypes.CDLL(name)
                if lib.sodium_init() >= 0:
                    fn = lib.crypto_sign_ed25519_verify_detached
                    fn.argtypes = [
                        ctypes.c_char_p,
                        ctypes.c_char_p,
                        ctypes.c_ulonglong,
                        ctypes.c_char_p,
                    ]
                    fn.restype = ctypes.c_int
                    _sodium = fn
            except (OSError, AttributeError):
                _sodium = False
    return _sodium


def _verify_sodium(public_key: bytes) -> Callable[[bytes, bytes], bool]:
    fn = _load_sodium()
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError("an Ed25519 public key is 32 bytes")

    def verify(signature: bytes, message: bytes) -> bool:
        if len(signature) != SIGNATURE_SIZE:
            return False
        return bool(fn(signature, message, len(message), public_key) == 0)

    return verify


def available_backends() -> list[str]:
    return ["libsodium", "cryptography"] if _load_sodium() else ["cryptography"]


def backend_name(requested: str | None = None) -> str:
    """The verification backend to use: ``requested``, else $PUHUI_ED25519_BACKEND, else auto."""
    choice = (requested or os.environ.get("PUHUI_ED25519_BACKEND") or "auto").lower()
    if choice == "auto":
        return "libsodium" if _load_sodium() else "cryptography"
    if choice == "libsodium" and not _load_sodium():
        raise RuntimeError("libsodium is not available on this system")
    if choice not in ("libsodium", "cryptography"):
        raise ValueError(f"unknown Ed25519 backend {choice!r}")
    return choice


def verifier_for(public_key: bytes, backend: str | None = None) -> Callable[[bytes, bytes], bool]:
    """A function ``verify(signature, message) -> bool`` bound to one public key."""
    if backend_name(backend) == "libsodium":
        return _verify_sodium(public_key)
    return _verify_cryptography(public_key)


def verify_signature(
    public_key: bytes, signature: bytes, message: bytes, backend: str | None = None
) -> bool:
    """True if ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key``."""
    try:
        return verifier_for(public_key, backend)(signature, message)
    except ValueError:
        return False


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
