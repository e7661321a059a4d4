"""The receivables export: a directory an auditor can verify with nothing else.

Layout (all UTF-8; see docs/receivables-export.md)::

    log.json           what the log is and how to check it
    keys.json          the parties' public keys
    statements.jsonl   one log leaf per line, in log order
    checkpoints.jsonl  the platform's signed checkpoints, by increasing tree size

``log.json``::

    {"format": "puhui-receivables-export", "version": 1,
     "origin": "puhui.example/receivables/v1",            # the log's name (checkpoint line 1)
     "hash": "sha256", "tree": "rfc9162",
     "log_key": {"alg": "ed25519", "public_key": "<base64 32 bytes>", "kid": "<sha256 hex>",
                 "vkey": "<C2SP signed-note verifier key>"},
     "rules": {"platform": "...", "financiers": ["..."], "min_part_fen": 10000,
               "max_split_parts": 100, "max_term_days": 366}}

``keys.json``::

    {"parties": {"<party id>": [{"kid": "<sha256 hex of the key>",
                                 "public_key": "<base64 32 bytes>",
                                 "valid_from": "<at>" | null, "valid_to": "<at>" | null}]}}

``statements.jsonl``: line ``n`` (1-based) is leaf ``n - 1``: the entry
``{"kid":..,"sig":..,"stmt":{..,"seq":n-1,..}}`` exactly as hashed (see
:mod:`puhui.receivables.statements`), followed by ``\\n``.

``checkpoints.jsonl``: ``{"note": "<signed note>"}`` per line (see
:mod:`puhui.receivables.checkpoint`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from puhui.receivables.checkpoint import vkey
from puhui.receivables.keys import KeyRing, decode_public_key, encode_key, key_id
from puhui.receivables.state import Rules

FORMAT = "puhui-receivables-export"
VERSION = 1
LOG_FILE = "log.json"
KEYS_FILE = "keys.json"
STATEMENTS_FILE = "statements.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"


@dataclass(frozen=True)
class LogInfo:
    origin: str
    log_public_key: bytes
    rules: Rules
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "origin": self.origin,
            "hash": "sha256",
            "tree": "rfc9162",
            "log_key": {
                "alg": "ed25519",
                "public_key": encode_key(self.log_public_key),
                "kid": key_id(self.log_public_key),
                "vkey": vkey(self.origin, self.log_public_key),
            },
            "rules": self.rules.to_json(),
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LogInfo:
        """Raise ValueError (or KeyError/TypeError) if ``log.json`` is not of this format."""
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"not a {FORMAT} version {VERSION} directory")
        if data.get("hash") != "sha256" or data.get("tree") != "rfc9162":
            raise ValueError("only sha256 RFC 9162 trees are supported")
        log_key = data["log_key"]
        if log_key.get("alg") != "ed25519":
            raise ValueError("the log key must be ed25519")
        public = decode_public_key(log_key["public_key"])
        if "kid" in log_key and log_key["kid"] != key_id(public):
            raise ValueError("log_key.kid does not match log_key.public_key")
        known = {"format", "version", "origin", "hash", "tree", "log_key", "rules"}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(str(data["origin"]), public, Rules.from_json(data["rules"]), extra)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    tmp.replace(path)


class ExportWriter:
    """Writes an export directory as the chain grows (a :class:`~.chain.EntrySink`).

    ``keys.json`` is written on close, so keys registered in ``keys`` meanwhile are included.
    """

    def __init__(self, directory: str | Path, info: LogInfo, keys: KeyRing) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.info = info
        self.keys = keys
        _write_json(self.directory / LOG_FILE, info.to_json())
        self._statements: IO[bytes] = open(self.directory / STATEMENTS_FILE, "wb")  # noqa: SIM115
        self._checkpoints: IO[bytes] = open(self.directory / CHECKPOINTS_FILE, "wb")  # noqa: SIM115

    def write_entry(self, entry: bytes) -> None:
        if b"\n" in entry:
            raise ValueError("an entry is a single line")
        self._statements.write(entry + b"\n")

    def write_checkpoint(self, note: str) -> None:
        line = json.dumps({"note": note}, ensure_ascii=False, separators=(",", ":"))
        self._checkpoints.write(line.encode("utf-8") + b"\n")

    def close(self) -> None:
        if not self._statements.closed:
            self._statements.close()
            self._checkpoints.close()
            _write_json(self.directory / KEYS_FILE, self.keys.to_json())

    def __enter__(self) -> ExportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def read_log_info(directory: str | Path) -> LogInfo:
    return LogInfo.from_json(json.loads((Path(directory) / LOG_FILE).read_text("utf-8")))


def read_keys(directory: str | Path) -> KeyRing:
    return KeyRing.from_json(json.loads((Path(directory) / KEYS_FILE).read_text("utf-8")))


def iter_checkpoint_notes(directory: str | Path) -> Iterator[tuple[int, str | None]]:
    """``(line number, note)`` per line of ``checkpoints.jsonl``; note None if unreadable."""
    path = Path(directory) / CHECKPOINTS_FILE
    if not path.exists():
        return
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                note = json.loads(raw)["note"]
            except (ValueError, KeyError, TypeError):
                yield number, None
                continue
            yield number, note if isinstance(note, str) else None


def iter_entries(directory: str | Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, entry)`` per line of ``statements.jsonl`` (newline stripped)."""
    with (Path(directory) / STATEMENTS_FILE).open("rb") as f:
        for number, raw in enumerate(f, 1):
            yield number, raw[:-1] if raw.endswith(b"\n") else raw
