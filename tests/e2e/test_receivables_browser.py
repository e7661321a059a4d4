"""Receivables in a real browser: a risk officer opens a certificate's provenance tree, expands
an operation's inclusion proof (loaded by htmx) and the proof shown verifies."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login
from tests.integration.receivables.receivables_world import FACE, make_world

from puhui.core.clock import SystemClock
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.receivables import merkle, service


def _chain(live_server: LiveServer) -> str:
    """A certificate issued, accepted, split and half financed, written straight into the
    server's database (next to the demo's own certificates), with a signed checkpoint."""
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    clock = SystemClock()
    cipher = FieldCipher.from_master(b"e" * 32)  # the live server's PUHUI_DATA_KEY
    with unit_of_work(make_session_factory(engine)) as session:
        world = make_world(session, clock, cipher)  # type: ignore[arg-type]
        cert = world.active(FACE)
        world.do(service.split, cert, [FACE // 2, FACE // 2])
        world.do(service.finance, f"{cert}-2", idempotency_key=f"e2e-{cert}")
        service.publish_checkpoint(session, clock, cipher)
    engine.dispose()
    return cert


def test_a_proof_expands_and_verifies(live_server: LiveServer, desktop) -> None:  # type: ignore[no-untyped-def]
    cert = _chain(live_server)
    page = desktop
    staff_login(page, live_server, "risk")
    page.get_by_role("link", name="应收款链").click()
    page.wait_for_url(f"{live_server.url}/console/receivables")
    expect(page.get_by_test_id("latest-checkpoint")).to_be_visible()
    shot(page, "console-receivables-list")
    page.get_by_role("link", name=cert, exact=True).click()
    page.wait_for_url(re.compile(rf"/console/receivables/certificates/{cert}$"))
    tree = page.get_by_test_id("provenance-tree")
    assert tree.locator(f'li[data-part="{cert}-3"][data-status="financed"]').count() == 1
    assert "= 面额 ✓" in page.get_by_test_id("sum-check").inner_text()

    details = page.locator("details.proof").first
    details.locator("summary").click()
    check = details.get_by_test_id("proof-check")
    check.wait_for()
    assert check.inner_text().startswith("✓")
    seq = int(details.get_by_test_id("leaf-index").inner_text())
    size = int(details.get_by_test_id("tree-size").inner_text())
    leaf = bytes.fromhex(details.get_by_test_id("leaf-hash").inner_text())
    root = bytes.fromhex(details.get_by_test_id("proof-root").inner_text())
    path = [
        bytes.fromhex(h)
        for h in details.get_by_test_id("audit-path").locator("code").all_inner_texts()
    ]
    assert merkle.verify_inclusion_hash(leaf, seq, size, path, root)
    shot(page, "console-receivables-proof")
