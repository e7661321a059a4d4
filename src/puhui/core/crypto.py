"""Personal data at rest: envelope encryption with key ids and rotation, a keyed lookup hash, masks.

The 32-byte master key comes from PUHUI_DATA_KEY (base64) or PUHUI_DATA_KEY_FILE; in development
a key file is created under var/ (never committed). It is the key-encryption key (KEK) material:
HKDF derives from it the KEK, the lookup-hash key and the *legacy* encryption key.

Envelope: data keys (random, 32 bytes) live in ``core_data_key``, each wrapped by the KEK
(AES-256-GCM, the key id as associated data). A ciphertext carries its key id and suite::

    v2: 0x02 || suite (1 byte: 0x01 AES-256-GCM, 0x02 SM4-GCM) || kid (8 bytes) || nonce (12)
        || ciphertext || tag (16)
    v1: 0x01 || nonce (12) || AES-256-GCM ciphertext || tag      (the format before key ids,
        under the legacy key derived from the master key; still decrypts)

The field name is bound as associated data in both. ``puhui keys rotate`` adds a data key and
makes it the one new values are sealed with (``PUHUI_CRYPTO_SUITE=sm``: SM4-GCM, 国密);
``puhui keys reencrypt`` re-seals every encrypted column (those whose ORM column carries
``info={"cipher_field": ...}``, see :data:`CIPHER_FIELD`) under the active key and retires the
keys no ciphertext uses any more: their wrapped material is erased.

The lookup hash (HMAC-SHA256) keeps its key across rotations: it is how rows are found by a
value (a mobile, a resident ID); changing it would need every value re-hashed from the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from puhui.core.config import Settings

_VERSION = b"\x01"
_V2 = b"\x02"
SUITES = {"aes": b"\x01", "sm": b"\x02"}
_SUITE_NAMES = {v: k for k, v in SUITES.items()}
LEGACY_KID = "legacy"
# ORM column info key naming the associated data of an encrypted column: a field name, or a
# template filled from the row's other columns (``"receivables.key:{kid}"``)
CIPHER_FIELD = "cipher_field"


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _sm4_gcm_seal(key: bytes, nonce: bytes, data: bytes, ad: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(ad)
    return enc.update(data) + enc.finalize() + enc.tag


def _sm4_gcm_open(key: bytes, nonce: bytes, sealed: bytes, ad: bytes) -> bytes:
    dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, sealed[-16:])).decryptor()
    dec.authenticate_additional_data(ad)
    return dec.update(sealed[:-16]) + dec.finalize()


def seal(suite: str, key: bytes, data: bytes, ad: bytes) -> tuple[bytes, bytes]:
    """(nonce, ciphertext || tag) of ``data`` under ``key`` with the suite's AEAD."""
    nonce = os.urandom(12)
    if suite == "sm":
        return nonce, _sm4_gcm_seal(key, nonce, data, ad)
    return nonce, AESGCM(key).encrypt(nonce, data, ad)


def unseal(suite: str, key: bytes, nonce: bytes, sealed: bytes, ad: bytes) -> bytes:
    if suite == "sm":
        return _sm4_gcm_open(key, nonce, sealed, ad)
    return AESGCM(key).decrypt(nonce, sealed, ad)


@dataclass(frozen=True)
class DataKey:
    kid: str  # 16 hex characters (8 bytes in a ciphertext)
    suite: str
    key: bytes


class DataKeyRing:
    """The unwrapped data keys of this process and which one seals new values.

    ``loader`` returns the wrapped rows ``(kid, suite, wrapped, status)`` (from
    ``core_data_key``); the ring reloads them every ``ttl`` seconds and on an unknown key id,
    so a key added by another process is picked up.
    """

    def __init__(
        self,
        kek: bytes,
        loader: Callable[[], list[tuple[str, str, bytes | None, str]]] | None = None,
        ttl: float = 60.0,
    ) -> None:
        self._kek = kek
        self._loader = loader
        self._ttl = ttl
        self._keys: dict[str, DataKey] = {}
        self._active: str | None = None
        self._loaded_at = -1e18
        self._lock = threading.Lock()

    def wrap(self, kid: str, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._kek).encrypt(nonce, key, b"puhui/dek/" + kid.encode())

    def unwrap(self, kid: str, wrapped: bytes) -> bytes:
        return AESGCM(self._kek).decrypt(wrapped[:12], wrapped[12:], b"puhui/dek/" + kid.encode())

    def install(self, rows: list[tuple[str, str, bytes | None, str]]) -> None:
        """Merge these wrapped rows into the ring (status "active" seals new values; a row
        without material is retired and leaves the ring). Keys the rows do not mention stay:
        one added in this process's own, not yet committed, transaction."""
        with self._lock:
            keys = dict(self._keys)
            active = self._active
            for kid, suite, wrapped, status in rows:
                if wrapped is None:
                    keys.pop(kid, None)
                    continue
                if kid not in keys:
                    keys[kid] = DataKey(kid, suite, self.unwrap(kid, wrapped))
                if status == "active":
                    active = kid
            self._keys, self._active = keys, active if active in keys else None
            self._loaded_at = time.monotonic()

    def _refresh(self, force: bool = False) -> None:
        if self._loader is None:
            return
        if force or time.monotonic() - self._loaded_at > self._ttl:
            self.install(self._loader())

    def active(self) -> DataKey | None:
        self._refresh()
        return self._keys.get(self._active) if self._active else None

    def get(self, kid: str) -> DataKey:
        key = self._keys.get(kid)
        if key is None:
            self._refresh(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise ValueError(f"unknown or retired data key {kid}")
        return key


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts short personal fields; the field name is bound as associated data."""

    enc_key: bytes  # the legacy (v1) key, derived from the master key
    mac_key: bytes
    ring: DataKeyRing | None = field(default=None, compare=False)

    @classmethod
    def from_master(cls, master: bytes, ring: DataKeyRing | None = None) -> FieldCipher:
        if len(master) != 32:
            raise ValueError("the data key must be 32 bytes")
        return cls(
            _derive(master, b"puhui/pii/aes-gcm/v1"), _derive(master, b"puhui/pii/hmac/v1"), ring
        )

    def encrypt(self, plaintext: str, field: str) -> bytes:
        active = self.ring.active() if self.ring is not None else None
        if active is None:
            nonce = os.urandom(12)
            sealed = AESGCM(self.enc_key).encrypt(nonce, plaintext.encode("utf-8"), field.encode())
            return _VERSION + nonce + sealed
        nonce, sealed = seal(active.suite, active.key, plaintext.encode("utf-8"), field.encode())
        return _V2 + SUITES[active.suite] + bytes.fromhex(active.kid) + nonce + sealed

    def decrypt(self, blob: bytes, field: str) -> str:
        if blob[:1] == _VERSION:
            nonce, sealed = blob[1:13], blob[13:]
            return AESGCM(self.enc_key).decrypt(nonce, sealed, field.encode()).decode("utf-8")
        if blob[:1] != _V2 or len(blob) < 22 + 16 or self.ring is None:
            raise ValueError("unknown ciphertext version")
        suite = _SUITE_NAMES.get(blob[1:2])
        key = self.ring.get(blob[2:10].hex())
        if suite is None or suite != key.suite:
            raise ValueError("unknown cipher suite")
        return unseal(suite, key.key, blob[10:22], blob[22:], field.encode()).decode("utf-8")

    def key_id_of(self, blob: bytes) -> str:
        """The key id a ciphertext was sealed with (``"legacy"`` for the v1 format)."""
        return blob[2:10].hex() if blob[:1] == _V2 else LEGACY_KID

    def active_key_id(self) -> str:
        active = self.ring.active() if self.ring is not None else None
        return active.kid if active is not None else LEGACY_KID

    def reencrypt(self, blob: bytes, field: str) -> bytes:
        """``blob`` sealed again under the active key (the same field as associated data)."""
        return self.encrypt(self.decrypt(blob, field), field)

    def lookup_hash(self, value: str, field: str) -> str:
        """Deterministic keyed hash (HMAC-SHA256) to find a row by an encrypted value."""
        msg = field.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self.mac_key, msg, hashlib.sha256).hexdigest()


def kek_from_master(master: bytes) -> bytes:
    return _derive(master, b"puhui/kek/v1")


def new_data_key(ring: DataKeyRing, suite: str) -> tuple[str, bytes]:
    """A fresh data key: its id and its wrapped material (to store in ``core_data_key``)."""
    if suite not in SUITES:
        raise ValueError(f"unknown crypto suite {suite!r}")
    kid = secrets.token_bytes(8).hex()
    return kid, ring.wrap(kid, secrets.token_bytes(32))


def cipher_field(template: str, row: Mapping[str, Any]) -> str:
    """The associated data of one encrypted value: ``template`` filled from its row."""
    return template.format(**row) if "{" in template else template


def load_master_key(settings: Settings) -> bytes:
    if settings.data_key:
        return base64.b64decode(settings.data_key)
    path = settings.data_key_file
    if path is None:
        if settings.environment == "production":
            raise RuntimeError("PUHUI_DATA_KEY or PUHUI_DATA_KEY_FILE must be set in production")
        path = settings.resolved_var_dir() / "data.key"
        if not path.exists():
            path.write_bytes(base64.b64encode(secrets.token_bytes(32)))
            path.chmod(0o600)
    return base64.b64decode(Path(path).read_bytes().strip())


def mask_resident_id(value: str) -> str:
    """110101199003071234 -> 110101********1234 (keeps region and last four)."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """13812345678 -> 138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
