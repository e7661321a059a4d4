from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.clock import FixedClock
from puhui.core.config import get_settings
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.ledger import service as ledger
from puhui.ledger.service import Leg, bank, owned


def test_trial_balance_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    monkeypatch.setenv("PUHUI_DATABASE_URL", url)
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"t" * 32).decode())
    get_settings.cache_clear()
    upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 23, tzinfo=UTC))
    with unit_of_work(make_session_factory(engine)) as s:
        acct = owned("settlement", "enterprise", "e1")
        ledger.post(
            s,
            clock,
            kind="deposit",
            business_date=date(2026, 11, 23),
            legs=[Leg.debit(bank("bank_clearing"), 123_456), Leg.credit(acct, 123_456)],
        )
    engine.dispose()
    runner = CliRunner()
    r = runner.invoke(app, ["ledger", "trial-balance", "--date", "2026-11-23"])
    assert r.exit_code == 0, r.output
    assert "¥1,234.56" in r.output and "balanced" in r.output
    r = runner.invoke(app, ["ledger", "trial-balance", "--date", "2026-11-22"])
    assert r.exit_code == 0 and "¥1,234.56" not in r.output
    bad = runner.invoke(app, ["ledger", "trial-balance", "--date", "23/11/2026"])
    assert bad.exit_code == 2
    get_settings.cache_clear()
