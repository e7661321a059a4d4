"""Recordings at rest: AES-GCM segments that authenticate their order, count and owner."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from puhui.interviews import vault

KEY = vault.derive_key(b"m" * 32, b"puhui/interviews/recording/v1")


def _write(tmp_path: Path, data: bytes, name: str = "a.rec") -> Path:
    path = tmp_path / name
    digest = vault.write_sealed(KEY, name, data, path)
    assert digest == hashlib.sha256(data).hexdigest()
    return path


@pytest.mark.parametrize("size", [1, vault.SEGMENT - 1, vault.SEGMENT, 2 * vault.SEGMENT + 5])
def test_round_trip_and_nothing_in_clear(tmp_path: Path, size: int) -> None:
    data = os.urandom(16) + b"WEBM-PLAINTEXT-MARKER" * (size // 21 + 1)
    data = data[:size]
    path = _write(tmp_path, data)
    assert b"".join(vault.open_sealed(KEY, "a.rec", path)) == data
    if size > 40:
        assert b"WEBM-PLAINTEXT-MARKER" not in path.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600


def test_tampering_truncation_and_renaming_are_detected(tmp_path: Path) -> None:
    data = os.urandom(2 * vault.SEGMENT + 100)
    path = _write(tmp_path, data)
    blob = path.read_bytes()
    flipped = bytearray(blob)
    flipped[200] ^= 1
    cases = {
        "flipped": bytes(flipped),
        "cut_segment": blob[: 12 + 2 * (4 + vault.SEGMENT + 16)],  # the last segment dropped
        "cut_bytes": blob[:-7],
        "empty_body": blob[:12],
    }
    for name, content in cases.items():
        bad = tmp_path / f"{name}.rec"
        bad.write_bytes(content)
        with pytest.raises(vault.RecordingCorrupt):
            b"".join(vault.open_sealed(KEY, "a.rec", bad))
    with pytest.raises(vault.RecordingCorrupt):  # the same file under another recording's name
        b"".join(vault.open_sealed(KEY, "b.rec", path))
    other_key = vault.derive_key(b"n" * 32, b"puhui/interviews/recording/v1")
    with pytest.raises(vault.RecordingCorrupt):
        b"".join(vault.open_sealed(other_key, "a.rec", path))
