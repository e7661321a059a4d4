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
# Random bytes from the OS taken 4 KiB at a time: os.urandom per id was two system calls, each
# letting go of the GIL and waiting to get it back behind the other threads of a busy worker.
_POOL_SIZE = 4096
_pool = b""
_pool_at = 0


def _random_bytes(n: int) -> bytes:
    """`n` bytes from the OS's random source (buffered; call with `_lock` held)."""
    global _pool, _pool_at
    if _pool_at + n > len(_pool):
        _pool, _pool_at = os.urandom(_POOL_SIZE), 0
    out = _pool[_pool_at : _pool_at + n]
    _pool_at += n
    return out


def _after_fork() -> None:
    """In a forked child: not the parent's remaining bytes, and a lock no parent thread holds."""
    global _pool, _pool_at, _lock
    _pool, _pool_at, _lock = b"", 0, threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


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
            _seq = int.from_bytes(_random_bytes(2), "big") & 0x3FF
        _last_ms = ms
        seq = _seq
        rand = int.from_bytes(_random_bytes(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand
    return uuid.UUID(int=value)


def reference_from_id(prefix: str, row_id: uuid.UUID, day: date) -> str:
    """`PREFIX-20261123-XXXXXXXXXXX`: a business reference from the row's id (its business
    date and 55 random bits in base32), with no shared counter: concurrent transactions never
    wait on each other for a number (a per-year counter row is locked until commit). Unique
    in practice; the column's unique constraint refuses a collision."""
    tail = base64.b32encode(row_id.bytes[9:16]).decode()[:11]
    return f"{prefix}-{day:%Y%m%d}-{tail}"
