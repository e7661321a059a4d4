"""Operation statements: canonical JSON, signing, and the signed entry that becomes a log leaf.

Statement
    A JSON object ``{"v":1,"seq":n,"op":...,"actor":party,"at":"2026-03-01T02:00:00Z",
    "cert":..., ...op fields}``. ``seq`` is the 0-based position of its leaf in the log, ``at``
    the UTC time, second precision, always 20 characters. Amounts are integer fen
    (``*_fen``), rates integer basis points (``rate_bp``), dates ``YYYY-MM-DD`` in
    Asia/Shanghai. The operations and their fields are listed in :mod:`puhui.receivables.state`.

Canonical JSON (the RFC 8785 rules, restricted to what statements use)
    UTF-8; object keys sorted (keys are ASCII, so code-point order equals RFC 8785's UTF-16
    order); no whitespace; strings escaped as ECMAScript ``JSON.stringify`` does (``\\"``,
    ``\\\\``, ``\\b \\f \\n \\r \\t``, other control characters as ``\\u00xx``, everything
    else literal); integers only, within ±(2**53 − 1); no floats, NaN or Infinity. The same
    statement therefore always has the same bytes, and a parser cannot see a different
    statement than the signer did (duplicate keys, for one, are not canonical).

Signature
    Ed25519 over ``SIGNING_CONTEXT + canonical_statement`` (domain separation: a statement
    signature can never be replayed as another kind of signature).

Entry (one log leaf, one line of ``statements.jsonl`` without its newline)
    The canonical JSON ``{"kid":<64 hex>,"sig":<base64, 88 chars>,"stmt":<statement>}``. Because
    ``kid`` and ``sig`` have fixed lengths, the signed bytes sit at a fixed offset
    (:data:`STMT_OFFSET`) and a verifier can check the signature without parsing the JSON.
    The leaf hash is ``SHA-256(0x00 || entry)``, so the log commits to signature and key too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from puhui.receivables.errors import (
    BadSignature,
    MalformedStatement,
    NonCanonicalStatement,
)
from puhui.receivables.keys import KeyRing, SigningKey, verify_signature

STATEMENT_VERSION = 1
SIGNING_CONTEXT = b"puhui-receivables/statement/v1\n"
MAX_SAFE_INT = 2**53 - 1
SHANGHAI = timedelta(hours=8)  # Asia/Shanghai has had no daylight saving since 1991.

_KID_PREFIX = b'{"kid":"'
_SIG_PREFIX = b'","sig":"'
_STMT_PREFIX = b'","stmt":'
KID_LEN = 64
SIG_B64_LEN = 88
KID_OFFSET = len(_KID_PREFIX)
SIG_OFFSET = KID_OFFSET + KID_LEN + len(_SIG_PREFIX)
STMT_OFFSET = SIG_OFFSET + SIG_B64_LEN + len(_STMT_PREFIX)

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _reject_float(text: str) -> Any:
    raise NonCanonicalStatement(reason=f"float {text}")


def _reject_constant(text: str) -> Any:
    raise NonCanonicalStatement(reason=f"constant {text}")


_decode = json.JSONDecoder(parse_float=_reject_float, parse_constant=_reject_constant).decode


# ---------------------------------------------------------------------------------------------
# Canonical JSON


def _check_value(value: Any, path: str) -> None:
    if value is None or value is True or value is False:
        return
    t = type(value)
    if t is int:
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise MalformedStatement(path, "integer outside ±(2**53 - 1)", "整数超出 ±(2**53 - 1)")
    elif t is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedStatement(path, "not valid Unicode", "不是有效的 Unicode") from exc
    elif t is dict:
        _check_object(value, path)
    elif t is list:
        for i, v in enumerate(value):
            _check_value(v, f"{path}[{i}]")
    elif t is float:
        raise MalformedStatement(path, "floats are not allowed; use integer fen", "不允许浮点数")
    else:
        raise MalformedStatement(path, f"{t.__name__} is not a JSON value", "不是 JSON 值")


def _check_object(value: dict[Any, Any], path: str) -> None:
    for k, v in value.items():
        if type(k) is not str or not k.isascii():
            raise MalformedStatement(path, f"key {k!r} is not an ASCII string", "键必须是 ASCII")
        _check_value(v, f"{path}.{k}" if path else k)


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value`` (dict, list, str, int, bool, None only)."""
    _check_value(value, "")
    return _encode(value).encode("utf-8")


def parse_canonical(data: bytes) -> Any:
    """Parse canonical JSON; raise :class:`NonCanonicalStatement` unless ``data`` is canonical."""
    try:
        value = _decode(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NonCanonicalStatement(reason=str(exc)) from exc
    if _encode(value).encode("utf-8") != data:
        raise NonCanonicalStatement(reason="not in canonical form")
    return value


# ---------------------------------------------------------------------------------------------
# Time


def format_at(moment: datetime) -> str:
    """A UTC instant as ``YYYY-MM-DDTHH:MM:SSZ`` (aware datetimes only; seconds truncated)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_at(text: str) -> datetime:
    """Parse a statement ``at``; ValueError unless exactly ``YYYY-MM-DDTHH:MM:SSZ``."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z" or text[4] != "-":
        raise ValueError(f"not a UTC time YYYY-MM-DDTHH:MM:SSZ: {text!r}")
    return datetime.fromisoformat(text)


def business_date(at: str) -> date:
    """The Asia/Shanghai calendar date of a statement time."""
    return (parse_at(at) + SHANGHAI).date()


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"not a date YYYY-MM-DD: {text!r}")
    return date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# Statements


def statement(
    op: str, *, seq: int, actor: str, at: str | datetime, **fields: Any
) -> dict[str, Any]:
    """Build a statement dict (its business rules are checked by the state machine)."""
    stmt: dict[str, Any] = {
        "v": STATEMENT_VERSION,
        "seq": seq,
        "op": op,
        "actor": actor,
        "at": format_at(at) if isinstance(at, datetime) else at,
    }
    for name, value in fields.items():
        if name in stmt:
            raise ValueError(f"field {name} is reserved")
        stmt[name] = value
    return stmt


def signing_message(statement_bytes: bytes) -> bytes:
    return SIGNING_CONTEXT + statement_bytes


@dataclass(frozen=True, slots=True)
class SignedStatement:
    """A canonical statement, its Ed25519 signature and the signer's key id."""

    statement_bytes: bytes
    signature: bytes
    kid: str

    @property
    def statement(self) -> dict[str, Any]:
        value = parse_canonical(self.statement_bytes)
        if not isinstance(value, dict):
            raise MalformedStatement(None, "a statement is a JSON object", "报文必须是 JSON 对象")
        return value

    def entry(self) -> bytes:
        """The log leaf: canonical ``{"kid":..,"sig":..,"stmt":..}``."""
        sig = base64.b64encode(self.signature)
        return b"".join(
            (
                _KID_PREFIX,
                self.kid.encode("ascii"),
                _SIG_PREFIX,
                sig,
                _STMT_PREFIX,
                self.statement_bytes,
                b"}",
            )
        )

    @classmethod
    def from_entry(cls, entry: bytes) -> SignedStatement:
        """Decode a log leaf; raise :class:`MalformedStatement` / :class:`NonCanonicalStatement`."""
        parts = split_entry(entry)
        if parts is None:
            raise MalformedStatement(
                None,
                'an entry is {"kid":<64 hex>,"sig":<88 base64>,"stmt":{...}}',
                '条目格式应为 {"kid":<64 位十六进制>,"sig":<88 位 base64>,"stmt":{...}}',
            )
        kid, signature, stmt_bytes = parts
        return cls(stmt_bytes, signature, kid)

    def verify(self, keys: KeyRing, backend: str | None = None) -> dict[str, Any]:
        """Check form, key (belongs to the actor, valid at ``at``) and signature.

        Returns the parsed statement; raises a :class:`~puhui.receivables.errors.ReceivablesError`.
        """
        stmt = self.statement
        actor, at = stmt.get("actor"), stmt.get("at")
        if not isinstance(actor, str):
            raise MalformedStatement("actor", "missing or not a string", "缺失或不是字符串")
        if not isinstance(at, str):
            raise MalformedStatement("at", "missing or not a string", "缺失或不是字符串")
        record = keys.check(self.kid, actor, at)
        message = signing_message(self.statement_bytes)
        if not verify_signature(record.public_key, self.signature, message, backend):
            raise BadSignature()
        return stmt


def sign_statement(stmt: Mapping[str, Any], key: SigningKey) -> SignedStatement:
    """Canonicalize and sign ``stmt`` with ``key`` (whose party should be the actor)."""
    data = canonical_json(dict(stmt))
    return SignedStatement(data, key.sign(signing_message(data)), key.kid)


def split_entry(entry: bytes) -> tuple[str, bytes, bytes] | None:
    """``(kid, signature, statement_bytes)`` of an entry, or None if its frame is wrong.

    Checks the fixed frame, lowercase hex kid and canonical base64 signature; does not parse
    the statement (see :func:`parse_canonical`).
    """
    if (
        len(entry) < STMT_OFFSET + 3
        or not entry.startswith(_KID_PREFIX)
        or entry[KID_OFFSET + KID_LEN : SIG_OFFSET] != _SIG_PREFIX
        or entry[SIG_OFFSET + SIG_B64_LEN : STMT_OFFSET] != _STMT_PREFIX
        or entry[-1:] != b"}"
        or entry[STMT_OFFSET : STMT_OFFSET + 1] != b"{"
    ):
        return None
    kid_bytes = entry[KID_OFFSET : KID_OFFSET + KID_LEN]
    try:
        kid = kid_bytes.decode("ascii")
        if bytes.fromhex(kid).hex() != kid:
            return None
        sig_b64 = entry[SIG_OFFSET : SIG_OFFSET + SIG_B64_LEN]
        signature = base64.b64decode(sig_b64, validate=True)
    except (UnicodeDecodeError, ValueError, binascii.Error):
        return None
    if len(signature) != 64 or base64.b64encode(signature) != sig_b64:
        return None
    return kid, signature, entry[STMT_OFFSET:-1]
