"""Time-sortable identifiers (UUID version 7, RFC 9562) generated in the application."""

from __future__ import annotations

import base64
import os
import threading
import time
import uuid
from datetime import date

_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id() -> uuid.UUID:
    """A UUIDv7: 48-bit Unix milliseconds, then a per-millisecond counter and random bits.

    Monotonic within one process even when several ids fall in the same millisecond.
    """
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:
                ms += 1
                _seq = 0
        else:
            _seq = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        seq = _seq
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand
    return uuid.UUID(int=value)


def reference_from_id(prefix: str, row_id: uuid.UUID, day: date) -> str:
    """`PREFIX-20261123-XXXXXXXXXXX`: a business reference from the row's id (its business
    date and 55 random bits in base32), with no shared counter: concurrent transactions never
    wait on each other for a number (a per-year counter row is locked until commit). Unique
    in practice; the column's unique constraint refuses a collision."""
    tail = base64.b32encode(row_id.bytes[9:16]).decode()[:11]
    return f"{prefix}-{day:%Y%m%d}-{tail}"
