"""Recordings at rest: AES-256-GCM in 1 MiB segments, so playback decrypts as it streams.

File layout: magic `PHR1`, an 8-byte random nonce prefix, then segments; each segment is
`len (4 bytes) || ciphertext+tag`, sealed with nonce = prefix || segment index (4 bytes) and
associated data = the recording's name || index || a last-segment flag. Reordering, dropping,
truncating or moving a segment to another recording fails authentication. The key is derived
(HKDF) from the data key under its own label, so it never equals a field key.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PHR1"
SEGMENT = 1 << 20
KEY_ID = "rec-v1"


class RecordingCorrupt(ValueError):
    """A recording file failed authentication (edited, truncated or under another name)."""


def derive_key(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


def _aad(name: str, index: int, last: bool) -> bytes:
    return name.encode() + struct.pack(">I?", index, last)


def seal(key: bytes, name: str, data: bytes) -> Iterator[bytes]:
    """The encrypted file of `data`, in pieces."""
    prefix = os.urandom(8)
    yield MAGIC + prefix
    aes = AESGCM(key)
    count = max(1, -(-len(data) // SEGMENT))
    for index in range(count):
        chunk = data[index * SEGMENT : (index + 1) * SEGMENT]
        nonce = prefix + struct.pack(">I", index)
        sealed = aes.encrypt(nonce, chunk, _aad(name, index, index == count - 1))
        yield struct.pack(">I", len(sealed)) + sealed


def open_sealed(key: bytes, name: str, path: Path) -> Iterator[bytes]:
    """The plaintext of an encrypted file, segment by segment; `RecordingCorrupt` on tampering."""
    aes = AESGCM(key)
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) != 12 or head[:4] != MAGIC:
            raise RecordingCorrupt(name)
        prefix, index = head[4:], 0
        size = fh.read(4)
        while size:
            if len(size) != 4:
                raise RecordingCorrupt(name)
            sealed = fh.read(struct.unpack(">I", size)[0])
            size = fh.read(4)
            nonce = prefix + struct.pack(">I", index)
            try:
                yield aes.decrypt(nonce, sealed, _aad(name, index, not size))
            except Exception as exc:  # cryptography's InvalidTag, a short read
                raise RecordingCorrupt(name) from exc
            index += 1
        if index == 0:
            raise RecordingCorrupt(name)


def write_sealed(key: bytes, name: str, data: bytes, path: Path) -> str:
    """Encrypt `data` to `path` (0600, written beside then renamed); its SHA-256 (plaintext)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for piece in seal(key, name, data):
            fh.write(piece)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()
