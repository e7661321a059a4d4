"""`puhui keys rotate|list`, `puhui retention run`, `puhui audit checkpoint|verify` against a real
SQLite file: a rotation re-encrypts and retires, the retention run is audited, and removing the
newest audit rows after a checkpoint makes `audit verify` exit 1."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.config import get_settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "sec.db"
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"s" * 32).decode())
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_keys_retention_and_audit_commands(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name in ("alice", "bob"):
        made = runner.invoke(
            app, ["users", "create", name, "--role", "auditor", "--password", "Good-pass-123"]
        )
        assert made.exit_code == 0, made.output
    first = runner.invoke(app, ["keys", "rotate"])
    assert first.exit_code == 0 and "new active data key" in first.output, first.output
    second = runner.invoke(app, ["keys", "rotate", "--suite", "sm"])
    assert second.exit_code == 0 and "retired:" in second.output, second.output
    listed = runner.invoke(app, ["keys", "list"])
    assert "retired" in listed.output and "active" in listed.output and "sm" in listed.output

    run = runner.invoke(app, ["retention", "run"])
    assert run.exit_code == 0 and "snapshots" in run.output, run.output
    signed = runner.invoke(app, ["audit", "checkpoint"])
    assert signed.exit_code == 0 and "signed" in signed.output, signed.output
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output, ok.output
    assert (cli_env.parent / "audit-checkpoint.txt").exists()

    con = sqlite3.connect(cli_env)
    con.execute("DROP TRIGGER trg_core_audit_event_no_delete")
    con.execute("DELETE FROM core_audit_event WHERE seq > 2")
    con.commit()
    con.close()
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "truncated" in bad.output, bad.output
