"""Personal data at rest: AES-256-GCM encryption, a keyed hash for lookups, and masking.

The 32-byte data key comes from PUHUI_DATA_KEY (base64) or PUHUI_DATA_KEY_FILE; in development
a key file is created under var/ (never committed). Two sub-keys are derived with HKDF: one for
encryption, one for the lookup hash, so the hash cannot be used to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from puhui.core.config import Settings

_VERSION = b"\x01"


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts short personal fields; the field name is bound as associated data."""

    enc_key: bytes
    mac_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> FieldCipher:
        if len(master) != 32:
            raise ValueError("the data key must be 32 bytes")
        return cls(_derive(master, b"puhui/pii/aes-gcm/v1"), _derive(master, b"puhui/pii/hmac/v1"))

    def encrypt(self, plaintext: str, field: str) -> bytes:
        nonce = os.urandom(12)
        sealed = AESGCM(self.enc_key).encrypt(nonce, plaintext.encode("utf-8"), field.encode())
        return _VERSION + nonce + sealed

    def decrypt(self, blob: bytes, field: str) -> str:
        if not blob or blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, sealed = blob[1:13], blob[13:]
        return AESGCM(self.enc_key).decrypt(nonce, sealed, field.encode()).decode("utf-8")

    def lookup_hash(self, value: str, field: str) -> str:
        """Deterministic keyed hash (HMAC-SHA256) to find a row by an encrypted value."""
        msg = field.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self.mac_key, msg, hashlib.sha256).hexdigest()


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
