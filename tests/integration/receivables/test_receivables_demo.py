"""`puhui demo` builds a supply chain through the real services: certificates of two core
enterprises, split, transferred to tier-2, financed, one cleared at maturity, one overdue, a
borrower login that sees its own; the log verifies (database check and the independent verifier
on an export) and the latest signed checkpoint covers all of it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core import auth
from puhui.core.config import get_settings
from puhui.core.models import User
from puhui.core.runtime import build_runtime
from puhui.demo.receivables import CORES, PLAN, core_uscc
from puhui.receivables import service, verifier
from puhui.receivables.checkpoint import open_checkpoint
from puhui.receivables.keys_service import log_public_key
from puhui.receivables.models import Financing, PartRow
from puhui.receivables.service import SIGNAL_CORE_OVERDUE


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    var = tmp_path_factory.mktemp("demo-var")
    with pytest.MonkeyPatch.context() as mp:
        # `puhui demo` sets these itself: monkeypatch puts the previous values back afterwards
        mp.setenv("PUHUI_VAR_DIR", str(var))
        mp.setenv("PUHUI_DATABASE_URL", f"sqlite:///{var / 'demo.db'}")
        mp.setenv("PUHUI_DATA_KEY", base64.b64encode(b"d" * 32).decode())
        mp.setenv("PUHUI_COOKIE_SECURE", "false")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["demo", "--no-serve", "--enterprises", "16"])
        assert result.exit_code == 0, result.output
        yield var / "demo.db", result.output
    get_settings.cache_clear()


def test_the_demo_has_a_verifiable_supply_chain(
    demo_db: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path, output = demo_db
    assert "demo: receivables" not in output  # no step was refused
    assert "demo: supply products" not in output
    assert f"{len(PLAN)} certificates" in output and "/m/receivables" in output
    monkeypatch.setenv("PUHUI_DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(b"d" * 32).decode())
    get_settings.cache_clear()
    rt = build_runtime()
    try:
        with rt.session_factory() as session:
            staff = auth.principal_of(session.scalar(select(User).where(User.username == "risk")))
            certs = service.list_certificates(session, staff, limit=100)
            assert len(certs) == len(PLAN)
            issuers = {c.issuer for c in certs}
            assert issuers == {core_uscc(core) for core in CORES}
            statuses = [c.status for c in certs]
            for status in ("active", "pending", "cleared", "overdue"):
                assert status in statuses, statuses

            parts = session.scalars(select(PartRow)).all()
            assert any(p.status == "financed" and p.holder == "BANK" for p in parts)
            assert session.scalars(select(Financing)).first() is not None
            tier2 = {p.holder for p in parts if p.status == "held"} - {c.supplier for c in certs}
            assert tier2, "some parts went on to tier-2 suppliers"
            assert any(len(c.parts) > 2 for c in certs), "some certificates were split"
            signals = service.list_signals(session)
            assert [s.kind for s in signals] == [SIGNAL_CORE_OVERDUE]

            borrower = auth.principal_of(
                session.scalar(select(User).where(User.username == "borrower"))
            )
            assert service.list_certificates(session, borrower), "/m/receivables is not empty"
            mine = {k: service.list_supply(session, borrower, k) for k in ("order", "receipt")}
            assert [o.status for o in mine["order"]] == ["financed"]  # /m/supply: 订单通
            assert [r.status for r in mine["receipt"]] == ["pledged"]  # 仓单通
            assert service.list_supply(session, borrower, "draw"), "分销通: the dealer drew"

            check = service.check_log(session)
            assert check.ok, check.problems
            head = service.log_head(session)
            latest = service.latest_checkpoint(session)
            assert latest is not None and latest.size == head.size and latest.root == head.root
            public = log_public_key(session, head.origin)
            assert public is not None
            signed = open_checkpoint(latest.note, origin=head.origin, public_key=public)
            assert signed.size == head.size

            export = service.export_log(session, tmp_path / "export")
        report = verifier.verify(export.directory, workers=1)
        assert report.ok, [p.message_en for p in report.problems]
        assert report.leaves == head.size and report.checkpoints >= 2
        assert report.summary["supply"]["receipts_pledged"] == 1
    finally:
        rt.engine.dispose()
        get_settings.cache_clear()
