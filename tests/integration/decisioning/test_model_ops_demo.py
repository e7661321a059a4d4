"""Issue 22, items 6-7 on the demo's own book: monitoring runs over the month's decisions, and
retraining from the book produces a registered model that a second risk officer approves into
its shadow period and that is promoted only after it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core import auth
from puhui.core.clock import FixedClock, business_date
from puhui.core.config import get_settings
from puhui.core.db import unit_of_work
from puhui.core.models import User
from puhui.core.runtime import build_runtime
from puhui.decisioning import model_ops, retraining
from puhui.decisioning.model_ops_errors import (
    MakerCannotCheck,
    NotEnoughOutcomes,
    ShadowPeriodNotOver,
)
from puhui.decisioning.model_ops_models import CandidateStatus
from puhui.decisioning.scoring import shadow_candidate, store_for
from puhui.scorecards.registry import FileModelRegistry
from puhui.scorecards.scorecard import TrainingParams

FAST = TrainingParams(cv_folds=3, c_grid=(0.1,))
# The demo applies for the sandbox world's first N firms; among the first 60 none defaults
# within 12 months, among the first 200 seven do: the fewest that can train a scorecard.
DEMO_ENTERPRISES = 200
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    var = tmp_path_factory.mktemp("models-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PUHUI_VAR_DIR", str(var))
        mp.setenv("PUHUI_DATABASE_URL", f"sqlite:///{var / 'demo.db'}")
        mp.setenv("PUHUI_DATA_KEY", base64.b64encode(b"m" * 32).decode())
        mp.setenv("PUHUI_COOKIE_SECURE", "false")
        mp.setenv("PUHUI_ENVIRONMENT", "demo")
        get_settings.cache_clear()
        result = CliRunner().invoke(
            app, ["demo", "--no-serve", "--enterprises", str(DEMO_ENTERPRISES)]
        )
        assert result.exit_code == 0, result.output
        yield var
    get_settings.cache_clear()


def _staff(session: object, username: str) -> auth.Principal:
    return auth.principal_of(session.scalar(select(User).where(User.username == username)))  # type: ignore[attr-defined]


def test_retraining_on_the_demo_book_registers_an_approvable_model(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUHUI_VAR_DIR", str(demo))
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{demo / 'demo.db'}")
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"m" * 32).decode())
    monkeypatch.setenv("PUHUI_ENVIRONMENT", "demo")
    get_settings.cache_clear()
    rt = build_runtime()
    registry = demo / "models"
    today = business_date(rt.clock)
    with unit_of_work(rt.session_factory) as session:
        maker, checker = _staff(session, "risk"), _staff(session, "risk2")
        book = retraining.book_rows(session)
        assert len(book) >= DEMO_ENTERPRISES - 10  # every automated decision of the demo
        # the book's own loans are a month old: no window is complete, nothing is counted good
        with pytest.raises(NotEnoughOutcomes):
            retraining.retrain(session, rt.clock, maker, registry, book, as_of=today,
                               params=FAST)  # fmt: skip
        rows = retraining.book_rows(
            session, sandbox_outcome=retraining.sandbox_outcomes(session, "demo")
        )
        done = retraining.retrain(
            session, rt.clock, maker, registry, rows, as_of=today, outcomes="sandbox",
            version="r1", min_rows=150, min_bads=5, params=FAST,
        )  # fmt: skip
        candidate_id = done.candidate.id
        assert done.candidate.status == CandidateStatus.SUBMITTED
        assert (registry / "sme-pd" / "r1" / "report.html").exists()
        assert FileModelRegistry(registry).load("sme-pd", "r1").version == "r1"
        with pytest.raises(MakerCannotCheck):
            model_ops.approve_candidate(session, rt.clock, maker, registry, candidate_id)
        approved = model_ops.approve_candidate(session, rt.clock, checker, registry, candidate_id)
        assert approved.status == CandidateStatus.SHADOW and approved.shadow_until is not None
        shadow = shadow_candidate(store_for(registry))
        assert shadow is not None and shadow.version == "r1"  # scored beside, deciding nothing
        assert FileModelRegistry(registry).champion("sme-pd") is None
        with pytest.raises(ShadowPeriodNotOver):
            model_ops.promote_candidate(session, rt.clock, checker, registry, candidate_id)
        later = FixedClock(rt.clock.now() + timedelta(days=31))
        promoted = model_ops.promote_candidate(session, later, checker, registry, candidate_id)
        assert promoted.status == CandidateStatus.PROMOTED
        champion = FileModelRegistry(registry).champion("sme-pd")
        assert champion is not None and champion.version == "r1"


def test_monitoring_runs_over_the_demo_month(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUHUI_VAR_DIR", str(demo))
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{demo / 'demo.db'}")
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"m" * 32).decode())
    get_settings.cache_clear()
    rt = build_runtime()
    month = f"{business_date(rt.clock):%Y-%m}"
    with unit_of_work(rt.session_factory) as session:
        runs = model_ops.run_monitoring(session, rt.clock, demo / "models", month)
        assert runs and runs[0].model_id == "sme-pd" and runs[0].decisions > 0
        again = model_ops.run_monitoring(session, rt.clock, demo / "models", month)
        assert [r.id for r in again] == [r.id for r in runs]  # a re-run replaces, not adds
        assert len(model_ops.list_alerts(session)) == sum(r.alert_count for r in again)
