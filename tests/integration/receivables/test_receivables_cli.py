"""`puhui receivables export / verify / checkpoint / check` against a real SQLite file."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.receivables.receivables_world import FACE, make_world
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.clock import FixedClock
from puhui.core.config import get_settings
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.receivables import service

KEY = b"r" * 32


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "rcv.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("PUHUI_DATABASE_URL", url)
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(KEY).decode())
    get_settings.cache_clear()
    upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    cipher = FieldCipher.from_master(KEY)
    with unit_of_work(make_session_factory(engine)) as s:
        world = make_world(s, clock, cipher)
        cert = world.active(FACE)
        world.do(service.split, cert, [FACE // 2, FACE // 2])
        world.do(service.transfer, f"{cert}-1", world.t2.id)
        world.do(service.accept_transfer, f"{cert}-1")
        world.do(service.finance, f"{cert}-2", idempotency_key="cli")
    engine.dispose()
    yield db
    get_settings.cache_clear()


def test_export_verify_and_tamper(cli_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "export"
    r = runner.invoke(app, ["receivables", "export", str(out)])
    assert r.exit_code == 0, r.output
    assert "exported 8 entries, 1 checkpoints" in r.output
    r = runner.invoke(app, ["receivables", "verify", str(out), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "验证通过" in r.output and "VERIFIED" in r.output
    r = runner.invoke(app, ["receivables", "check"])
    assert r.exit_code == 0 and "log consistent" in r.output
    lines = (out / "statements.jsonl").read_bytes().splitlines(keepends=True)
    (out / "statements.jsonl").write_bytes(b"".join(lines[:4] + lines[5:]))
    r = runner.invoke(app, ["receivables", "verify", str(out), "--workers", "1", "--lang", "en"])
    assert r.exit_code == 1
    assert "first problem: statements.jsonl line 5" in r.output


def test_checkpoint_and_check_detect_a_tampered_database(cli_db: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["receivables", "checkpoint"])
    assert r.exit_code == 0 and r.output.startswith("puhui.local/receivables/v1\n8\n")
    con = sqlite3.connect(cli_db)
    con.execute("DROP TRIGGER trg_receivables_entry_no_update")
    con.execute(
        "UPDATE receivables_entry SET entry = CAST(replace(entry, 'accept', 'acceqt') AS BLOB) "
        "WHERE seq = 2"
    )
    con.commit()
    con.close()
    r = runner.invoke(app, ["receivables", "check"])
    assert r.exit_code == 1 and "seq 2" in r.output
    r = runner.invoke(app, ["receivables", "configure", "--origin", "bank.example/rcv/v1"])
    assert r.exit_code == 1 and "log already has" in r.output


def test_append_only_log_tables(cli_db: Path) -> None:
    assert CliRunner().invoke(app, ["receivables", "checkpoint"]).exit_code == 0
    con = sqlite3.connect(cli_db)
    for sql in (
        "UPDATE receivables_entry SET op = 'x'",
        "DELETE FROM receivables_node",
        "DELETE FROM receivables_checkpoint",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(sql)
    con.close()


def test_the_recorded_day_job(cli_db: Path) -> None:
    """`puhui receivables eod`: runs once per date (today by default), signs a checkpoint of
    the whole log, refuses a date after today; `eod-status` lists the run."""
    runner = CliRunner()
    r = runner.invoke(app, ["receivables", "eod"])
    assert r.exit_code == 0, r.output
    assert "应收款链日终完成" in r.output and "checkpoint size 8" in r.output
    r = runner.invoke(app, ["receivables", "eod"])
    assert r.exit_code == 0 and "already completed" in r.output
    r = runner.invoke(app, ["receivables", "eod", "--date", "2099-01-01"])
    assert r.exit_code == 1 and "after today" in r.output
    r = runner.invoke(app, ["receivables", "eod", "--date", "01/02/2027"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["receivables", "eod-status"])
    assert r.exit_code == 0 and "checkpoint" in r.output and "completed" in r.output
    r = runner.invoke(app, ["receivables", "checkpoint"])
    assert r.output.startswith("puhui.local/receivables/v1\n8\n")  # nothing new to sign
