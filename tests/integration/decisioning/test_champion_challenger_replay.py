"""Champion/challenger end to end on a real SQLite file: a policy version with the challenger
as shadow records both models on every decision; replay under a version where the challenger
decides re-decides with the challenger's stored scores, and under the first version changes
nothing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from test_decisions_cli import PASSWORD, _decide, cli_env  # noqa: F401  (a fixture)
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.runtime import build_runtime
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.models import Decision
from puhui.decisioning.scoring import CHALLENGER_MODEL_ID
from puhui.decisioning.world_training import WORLD_MONOTONE, train_world_challenger
from puhui.scorecards.gbm import GbmParams
from puhui.scorecards.registry import FileModelRegistry

AT = datetime(2026, 12, 6, tzinfo=UTC)


def _register_challenger(root: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "decisioning"))
    from test_champion_challenger import _world_like

    params = GbmParams(max_rounds=20, cv_folds=2, monotone=WORLD_MONOTONE)
    artifact = train_world_challenger(_world_like(), seed=1, created_at=AT, version="t1",
                                      params=params)  # fmt: skip
    reg = FileModelRegistry(root)
    reg.save(artifact)
    reg.promote(CHALLENGER_MODEL_ID, "t1", at=AT)


def _approve(runner: CliRunner, tmp: Path, name: str, models: dict[str, Any], n: int) -> None:
    doc = copy.deepcopy(seed_document())
    doc["models"] = models
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    sub = runner.invoke(
        app, ["decisions", "policy", "submit", str(path), "--username", "r1", "--note", name]
    )
    assert sub.exit_code == 0, sub.output
    ok = runner.invoke(
        app, ["decisions", "policy", "approve", str(n), "--username", "r2", "--note", "ok"]
    )
    assert ok.exit_code == 0, ok.output


def test_shadow_recorded_and_replay_with_either_model(cli_env: Path) -> None:  # noqa: F811
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name, role in (("r1", "risk_officer"), ("r2", "risk_officer"), ("cm", "customer_manager")):
        r = runner.invoke(app, ["users", "create", name, "--role", role, "--password", PASSWORD])
        assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["decisions", "policy", "seed"]).exit_code == 0
    _register_challenger(cli_env / "models")
    _approve(runner, cli_env, "shadow", {"decides": "scorecard", "shadow": "challenger"}, 2)
    _decide(cli_env, 3)

    rt = build_runtime()
    with rt.session_factory() as session:
        decisions = list(session.scalars(select(Decision)))
    rt.engine.dispose()
    assert len(decisions) == 3
    for d in decisions:
        scores = d.inputs["scores"]
        assert set(scores) == {"scorecard", "challenger"}
        assert scores["challenger"]["model_id"] == CHALLENGER_MODEL_ID
        assert d.inputs["score"] == scores["scorecard"] and d.model_id == "sme-pd"
        assert d.score_points == scores["scorecard"]["points"]

    same = runner.invoke(app, ["decisions", "replay", "--policy-version", "2"])
    assert json.loads(same.output.strip().splitlines()[-1])["changed"] == 0, same.output
    _approve(runner, cli_env, "led", {"decides": "challenger", "shadow": "scorecard"}, 3)
    led = runner.invoke(app, ["decisions", "replay", "--policy-version", "3", "--json"])
    assert led.exit_code == 0, led.output
    report = json.loads(led.output.strip().splitlines()[-1])
    assert report["decisions"] == 3
    challenger_pds = [d.inputs["scores"]["challenger"]["pd"] for d in decisions]
    scorecard_pds = [d.inputs["scores"]["scorecard"]["pd"] for d in decisions]
    print(f"\nscorecard PDs {scorecard_pds}, challenger PDs {challenger_pds}: {report}")
    # the challenger (trained on noise: PD ~0.27) declines the firms the scorecard approved
    assert report["changed"] == 3 and report["transitions"] == {"approve->decline": 3}
    assert all(c["new"]["codes"] == ["SCORE_TOO_LOW"] for c in report["changes"])
