"""Signed checkpoints (signed tree heads) in the C2SP tlog-checkpoint / signed-note text form.

A checkpoint says "the log ``origin`` had ``size`` leaves with root hash ``root`` at ``at``"::

    puhui.example/receivables/v1            <- origin (the log's name)
    1048576                                 <- tree size, decimal
    Xl0ZCl2hi3WaHJ6GsymqpcG3ygGXu9gVf2J6rJkR7QU=   <- root hash, standard base64
    time 2026-03-01T02:00:00Z               <- extension line: when it was signed (UTC)

The platform signs it with the log's Ed25519 key as a C2SP signed note: the text above, a blank
line, then one signature line per signer::

    — puhui.example/receivables/v1 <base64(key hash (4 bytes) || Ed25519 signature (64 bytes))>

The key hash is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key), and the
signature covers the text up to and including its last newline. The verifier key can be
written as a C2SP vkey: ``<name>+<key hash hex>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from puhui.core import signing
from puhui.core.signing import SigningKey, note_key_hash, sign_note, vkey
from puhui.receivables.errors import CheckpointInvalid
from puhui.receivables.statements import parse_at

__all__ = [
    "Checkpoint",
    "note_key_hash",
    "open_checkpoint",
    "open_note",
    "sign_checkpoint",
    "sign_note",
    "vkey",
]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    at: str

    def body(self) -> str:
        """The note text: origin, size, base64 root, time line, each ending in a newline."""
        if not self.origin or any(c.isspace() for c in self.origin):
            raise ValueError("a log origin is a non-empty string without whitespace")
        if self.size < 0 or len(self.root) != 32:
            raise ValueError("a checkpoint needs a size >= 0 and a 32-byte root")
        root64 = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root64}\ntime {self.at}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) != 5 or lines[-1] != "":
            raise CheckpointInvalid("the text must be 4 lines", "正文应为 4 行")
        origin, size_text, root64, time_line = lines[:4]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise CheckpointInvalid(f"bad tree size {size_text!r}", f"树大小无效 {size_text!r}")
        try:
            root = base64.b64decode(root64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CheckpointInvalid("bad root hash", "根哈希无效") from exc
        if len(root) != 32 or base64.b64encode(root).decode("ascii") != root64:
            raise CheckpointInvalid("bad root hash", "根哈希无效")
        if not time_line.startswith("time "):
            raise CheckpointInvalid("missing time line", "缺少时间行")
        at = time_line[5:]
        try:
            parse_at(at)
        except ValueError as exc:
            raise CheckpointInvalid(f"bad time {at!r}", f"时间无效 {at!r}") from exc
        return cls(origin=origin, size=int(size_text), root=root, at=at)


def open_note(note: str, *, name: str, public_key: bytes) -> str:
    """The text of a signed note that carries a valid signature by (name, public_key).

    Raises :class:`CheckpointInvalid` if the note is malformed or not signed by that key.
    Signature lines of other keys are ignored (cosigners, witnesses).
    """
    try:
        return signing.open_note(note, name=name, public_key=public_key)
    except signing.SignedNoteInvalid as exc:
        raise CheckpointInvalid(exc.reason, exc.reason_zh) from exc


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey, name: str | None = None) -> str:
    """The signed note of ``checkpoint``; the key name defaults to the origin."""
    return sign_note(checkpoint.body(), key, name or checkpoint.origin)


def open_checkpoint(
    note: str, *, origin: str, public_key: bytes, name: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint against the log key and return it.

    Raises :class:`CheckpointInvalid` if the note is malformed, carries no valid signature by
    the key, or is of another origin.
    """
    text = open_note(note, name=name or origin, public_key=public_key)
    checkpoint = Checkpoint.parse_body(text)
    if checkpoint.origin != origin:
        raise CheckpointInvalid(
            f"origin {checkpoint.origin!r} is not {origin!r}",
            f"日志来源 {checkpoint.origin!r} 不是 {origin!r}",
        )
    return checkpoint
