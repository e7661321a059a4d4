"""The CLI against a real SQLite file: db upgrade, users create, audit verify (intact, tampered)."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.config import get_settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"c" * 32).decode())
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_upgrade_create_users_and_verify_then_tamper(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name in ("alice", "bob", "carol"):
        r = runner.invoke(
            app, ["users", "create", name, "--role", "auditor", "--password", "Good-pass-123"]
        )
        assert r.exit_code == 0, r.output
    weak = runner.invoke(app, ["users", "create", "dave", "--role", "auditor", "--password", "x"])
    assert weak.exit_code == 1 and "密码" in weak.output
    bad_role = runner.invoke(
        app, ["users", "create", "erin", "--role", "boss", "--password", "Good-pass-123"]
    )
    assert bad_role.exit_code == 2
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output and "3 rows" in ok.output

    con = sqlite3.connect(cli_env)
    con.execute("DROP TRIGGER trg_core_audit_event_no_update")
    row_id = con.execute("SELECT id FROM core_audit_event WHERE seq = 2").fetchone()[0]
    con.execute('UPDATE core_audit_event SET after = \'{"role":"admin"}\' WHERE seq = 2')
    con.commit()
    con.close()
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    import uuid

    assert str(uuid.UUID(hex=row_id)) in bad.output and "seq=2" in bad.output
