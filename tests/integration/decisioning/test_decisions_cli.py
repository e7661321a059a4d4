"""`puhui decisions ...` against a real SQLite file: policy submit / approve (maker-checker),
diff, and replay of stored decisions under another version."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from decisioning_world import REQUEST_FEN, clean_index, firm
from test_policies import edited_policy
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core import audit
from puhui.core.auth import principal_of
from puhui.core.config import get_settings
from puhui.core.db import unit_of_work
from puhui.core.models import User
from puhui.core.runtime import build_runtime
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.decisioning import service
from puhui.decisioning.schemas import ApplicationCreate
from puhui.decisioning.scoring import store_for

PASSWORD = "Good-pass-123"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PUHUI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"c" * 32).decode())
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _decide(tmp: Path, n: int) -> None:
    rt = build_runtime()
    env = service.DecisionEnv(
        Connectors(default=SandboxConnector.default()), rt.cipher, store_for(tmp / "models")
    )
    for k in range(n):
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            user = session.query(User).filter_by(username="cm").one()
            service.apply(
                session,
                rt.clock,
                env,
                principal_of(user),
                ApplicationCreate.model_validate(
                    {
                        "uscc": firm(clean_index(k)).uscc,
                        "product_code": "weiyedai",
                        "requested_amount_fen": REQUEST_FEN,
                        "consent": {"agree": True},
                    }
                ),
                idempotency_key=str(uuid.uuid4()),
            )
    rt.engine.dispose()


def test_submit_approve_diff_and_replay(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name, role in (("r1", "risk_officer"), ("r2", "risk_officer"), ("cm", "customer_manager")):
        r = runner.invoke(app, ["users", "create", name, "--role", role, "--password", PASSWORD])
        assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["decisions", "policy", "seed"]).exit_code == 0
    _decide(cli_env, 3)

    same = runner.invoke(app, ["decisions", "replay", "--policy-version", "1"])
    assert same.exit_code == 0, same.output
    summary = json.loads(same.output.strip().splitlines()[-1])
    assert summary["decisions"] == 3 and summary["changed"] == 0

    doc = cli_env / "v2.json"
    doc.write_text(json.dumps(edited_policy(), ensure_ascii=False))
    ok = runner.invoke(app, ["decisions", "policy", "validate", str(doc)])
    assert ok.exit_code == 0, ok.output
    sub = runner.invoke(
        app,
        ["decisions", "policy", "submit", str(doc), "--username", "r1", "--note", "LPR 310"],
    )
    assert sub.exit_code == 0, sub.output
    assert "parameters lpr_bp: 300 -> 310" in sub.output
    self_ok = runner.invoke(
        app, ["decisions", "policy", "approve", "2", "--username", "r1", "--note", "ok"]
    )
    assert self_ok.exit_code == 1 and "复核" in self_ok.output
    approved = runner.invoke(
        app, ["decisions", "policy", "approve", "2", "--username", "r2", "--note", "ok"]
    )
    assert approved.exit_code == 0, approved.output
    listing = runner.invoke(app, ["decisions", "policy", "list"])
    assert "superseded" in listing.output and "active" in listing.output
    diff = runner.invoke(app, ["decisions", "policy", "diff", "1", "2"])
    assert diff.exit_code == 0 and "ko_young" in diff.output

    changed = runner.invoke(app, ["decisions", "replay", "--policy-version", "2"])
    assert changed.exit_code == 0, changed.output
    summary = json.loads(changed.output.strip().splitlines()[-1])
    assert summary["decisions"] == 3 and summary["changed"] == 3
    assert summary["transitions"] == {"approve->approve": 3}
    assert "changed outcomes" in changed.output
    still = runner.invoke(
        app, ["decisions", "replay", "--policy-version", "1", "--made-under", "1"]
    )
    assert json.loads(still.output.strip().splitlines()[-1])["changed"] == 0
