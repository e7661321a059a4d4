"""Ed25519 signing for every part of Puhui: keys, key ids, verification, C2SP signed notes.

Extracted from the receivables log so that the audit trail's checkpoints (`core.audit`) and the
receivables log's checkpoints (`receivables.checkpoint`) share one implementation. Pure: no
database, no I/O beyond loading the system libsodium.

* Public keys travel as the raw 32 bytes, written in standard base64 (hex is accepted on input).
* A key id (``kid``) is the lowercase hex SHA-256 of the raw public key.
* A signed note (C2SP signed-note) is a text ending in a newline, a blank line, then one line
  per signer: ``— <name> <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>``; the key
  hash is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key).

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

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
# Signed notes (C2SP)

_ALG_ED25519 = b"\x01"
_DASH = "\u2014 "


class SignedNoteInvalid(ValueError):
    """A signed note that is malformed or carries no valid signature by the expected key."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh


def note_key_hash(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key hash of an Ed25519 key."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + _ALG_ED25519 + public_key).digest()[:4]


def vkey(name: str, public_key: bytes) -> str:
    """C2SP signed-note verifier key string."""
    encoded = base64.b64encode(_ALG_ED25519 + public_key).decode("ascii")
    return f"{name}+{note_key_hash(name, public_key).hex()}+{encoded}"


def sign_note(text: str, key: SigningKey, name: str) -> str:
    """A C2SP signed note: ``text`` (ending in a newline), a blank line, the signature line."""
    if not text.endswith("\n") or "\n\n" in text:
        raise ValueError("note text must end with a newline and contain no blank line")
    blob = note_key_hash(name, key.public) + key.sign(text.encode("utf-8"))
    return f"{text}\n{_DASH}{name} {base64.b64encode(blob).decode('ascii')}\n"


def open_note(note: str, *, name: str, public_key: bytes) -> str:
    """The text of a signed note that carries a valid signature by (name, public_key).

    Raises :class:`SignedNoteInvalid` if the note is malformed or not signed by that key.
    Signature lines of other keys are ignored (cosigners, witnesses).
    """
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise SignedNoteInvalid("not a signed note", "不是签名注记")
    text, sig_block = note[: split + 1], note[split + 2 :]
    expected_hash = note_key_hash(name, public_key)
    verified = False
    for line in sig_block.split("\n")[:-1]:
        if not line.startswith(_DASH):
            raise SignedNoteInvalid("malformed signature line", "签名行格式错误")
        try:
            line_name, blob64 = line[len(_DASH) :].split(" ")
            blob = base64.b64decode(blob64, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise SignedNoteInvalid("malformed signature line", "签名行格式错误") from exc
        if line_name != name or blob[:4] != expected_hash:
            continue
        if len(blob) != 68 or not verify_signature(public_key, blob[4:], text.encode("utf-8")):
            raise SignedNoteInvalid(
                "the log key's signature does not verify", "平台日志密钥签名验证失败"
            )
        verified = True
    if not verified:
        raise SignedNoteInvalid("no signature by the log key", "没有平台日志密钥的签名")
    return text
