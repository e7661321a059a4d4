"""`puhui contracts verify FILE` against a real SQLite file: the signed PDF (exit 0), a copy with
one byte flipped (exit 1), an unsigned contract's PDF (exit 1), a missing file (exit 2)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.lending.contracts.conftest import (
    StandInLines,
    add_legal_rep,
    code_in,
    make_resident_id,
    make_uscc,
    new_enterprise,
)
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core import audit, auth, outbox
from puhui.core.clock import FixedClock
from puhui.core.config import get_settings
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime, build_runtime
from puhui.lending.contracts import service as contracts

KEY = b"v" * 32


@pytest.fixture
def cli_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    db = tmp_path / "contracts.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("PUHUI_DATABASE_URL", url)
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(KEY).decode())
    get_settings.cache_clear()
    upgrade(url)
    engine = make_engine(url)
    rt = build_runtime(
        get_settings(),
        clock=FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
        engine=engine,
        session_factory=make_session_factory(engine),
    )
    assert rt.cipher == FieldCipher.from_master(KEY)
    yield rt
    engine.dispose()
    get_settings.cache_clear()


def _sign_one(rt: Runtime, lines: StandInLines) -> tuple[uuid.UUID, uuid.UUID]:
    """Create two contracts; sign the first. Returns (signed id, unsigned id)."""
    with unit_of_work(rt.session_factory) as s:
        audit.set_clock(s, rt.clock)
        ent = new_enterprise(s, rt, "杭州测试机械有限公司", make_uscc(7))
        add_legal_rep(s, rt, ent, make_resident_id(7), "13800138000")
        ent2 = new_enterprise(s, rt, "温州第二电器有限公司", make_uscc(8))
        add_legal_rep(s, rt, ent2, make_resident_id(8), "13900139000")
        user = auth.create_user(
            s,
            rt.clock,
            username="owner",
            password="Owner-pass-123",
            role=Role.BORROWER,
            enterprise_ids=[ent],
        )
        principal = auth.principal_of(user)
        line = lines.add(ent)
        line2 = lines.add(ent2)
    with unit_of_work(rt.session_factory) as s:
        audit.set_clock(s, rt.clock)
        contract, _ = contracts.create_contract(s, rt.clock, None, line.id)
        other, _ = contracts.create_contract(s, rt.clock, None, line2.id)
        sent = contracts.send_for_signature(s, rt.clock, rt.cipher, principal, contract.id)
    report = outbox.dispatch_pending(
        rt.session_factory,
        outbox.sandbox_registry(rt.cipher, rt.clock),
        cipher=rt.cipher,
        clock=rt.clock,
    )
    assert report.sent == 1
    with unit_of_work(rt.session_factory) as s:
        audit.set_clock(s, rt.clock)
        row = s.get(OutboxMessage, sent.message_id)
        assert row is not None and row.status == "sent"
        code = code_in(outbox.read_body(rt.cipher, row))
        contracts.sign(s, rt.clock, rt.cipher, principal, contract.id, code, ip="192.0.2.7")
    return contract.id, other.id


def test_verify_cli(cli_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    lines = StandInLines()
    monkeypatch.setattr(contracts, "_credit_lines", lambda: lines)
    monkeypatch.setattr(contracts, "_product", lambda session, code: None)
    signed_id, unsigned_id = _sign_one(cli_runtime, lines)
    with cli_runtime.session_factory() as s:
        signed = contracts.get_contract(s, signed_id)
        unsigned = contracts.get_contract(s, unsigned_id)
        good = tmp_path / "signed.pdf"
        good.write_bytes(signed.document)
        draft = tmp_path / "draft.pdf"
        draft.write_bytes(unsigned.document)
        reference, draft_reference = signed.reference, unsigned.reference
    assert lines.lines[next(iter(lines.lines))].status == "active"

    runner = CliRunner()
    ok = runner.invoke(app, ["contracts", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "MATCH" in ok.output and reference in ok.output
    assert "陈**" in ok.output and "138****8000" in ok.output
    assert "2026-11-23 10:00:00" in ok.output  # signed at, Asia/Shanghai
    assert "陈测试" not in ok.output and "13800138000" not in ok.output

    flipped = bytearray(good.read_bytes())
    flipped[len(flipped) // 3] ^= 0x01
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(flipped))
    no = runner.invoke(app, ["contracts", "verify", str(bad)])
    assert no.exit_code == 1 and "NO MATCH" in no.output

    unsigned_out = runner.invoke(app, ["contracts", "verify", str(draft)])
    assert unsigned_out.exit_code == 1 and draft_reference in unsigned_out.output

    missing = runner.invoke(app, ["contracts", "verify", str(tmp_path / "absent.pdf")])
    assert missing.exit_code == 2
