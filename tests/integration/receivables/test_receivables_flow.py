"""The whole life of a certificate in the database: limit, issue, accept, split, multi-tier
transfer, discount with the bank, maturity payment and clearing — with the ledger after each
money step, the log's integrity and the pure invariants."""

from __future__ import annotations

from sqlalchemy import select
from tests.integration.receivables.receivables_world import (
    FACE,
    World,
    at_day,
    balanced,
    log_size,
    party_code,
    settlement,
)

from puhui.ledger import service as ledger_service
from puhui.receivables import service
from puhui.receivables.models import CertificateRow, Financing, PartRow
from puhui.receivables.state import discount_price


def test_full_life_of_a_certificate(world: World) -> None:
    s, clock = world.session, world.clock
    start = log_size(s)
    issued = world.issue(FACE, days=90)
    cert = issued.certificate
    assert cert is not None and cert.status == "pending" and cert.face_fen == FACE
    assert issued.operations[0].op == "issue" and issued.operations[0].seq == start
    assert cert.id == f"EC{start:010d}"
    world.do(service.accept, cert.id)
    out = world.do(service.split, cert.id, [20_000_000, 30_000_000])
    parts = {p.id: p for p in out.certificate.parts}  # type: ignore[union-attr]
    a, b = f"{cert.id}-1", f"{cert.id}-2"
    assert parts[a].amount_fen == 20_000_000 and parts[b].amount_fen == 30_000_000
    assert parts[cert.id].status == "closed"

    # multi-tier: part a goes to tier 2, then on to another tier-2 supplier
    world.do(service.transfer, a, world.t2.id)
    out = world.do(service.accept_transfer, a)
    a2 = f"{cert.id}-3"
    assert {p.id: p.holder for p in out.certificate.parts}[a2] == party_code(s, world.t2)  # type: ignore[union-attr]
    world.do(service.transfer, a2, world.t2b.id)
    out = world.do(service.accept_transfer, a2)
    a3 = f"{cert.id}-4"

    # part b is discounted with the bank the same day
    t1_before = settlement(s, world.t1)
    out = world.do(service.finance, b, idempotency_key="fin-b")
    days = 90
    price = discount_price(30_000_000, 320, days)  # grade AA: 3.20 % a year
    assert price == 30_000_000 - 240_000
    assert [o.op for o in out.operations] == ["transfer", "finance"]
    assert out.operations[1].statement["price_fen"] == price
    assert settlement(s, world.t1) - t1_before == price
    assert balanced(s, clock)
    financed = f"{cert.id}-5"
    fin = s.get(Financing, financed)
    assert fin is not None and fin.discount_fen == 240_000 and fin.price_fen == price
    assert (
        ledger_service.balance_fen(
            s, ledger_service.owned("receivable_financed", "receivables_part", financed)
        )
        == 30_000_000
    )
    assert (
        ledger_service.balance_fen(
            s, ledger_service.owned("discount_unearned", "receivables_part", financed)
        )
        == 240_000
    )

    # maturity: the core enterprise pays the total, every live part is cleared
    at_day(clock, cert.maturity_date)
    core_before = settlement(s, world.core)
    t2b_before = settlement(s, world.t2b)
    income_before = ledger_service.balance_fen(s, ledger_service.bank("discount_income"))
    out = world.do(service.pay, cert.id, idempotency_key="pay-1")
    assert [o.op for o in out.operations] == ["pay", "clear", "clear"]
    clears = {o.statement["part"]: o.statement["amount_fen"] for o in out.operations[1:]}
    assert clears == {a3: 20_000_000, financed: 30_000_000}
    assert out.certificate is not None and out.certificate.status == "cleared"
    assert out.certificate.cleared_fen == FACE
    assert core_before - settlement(s, world.core) == FACE
    assert settlement(s, world.t2b) - t2b_before == 20_000_000
    assert (
        ledger_service.balance_fen(
            s, ledger_service.owned("receivable_financed", "receivables_part", financed)
        )
        == 0
    )
    assert (
        ledger_service.balance_fen(
            s, ledger_service.owned("core_payable", "receivables_certificate", cert.id)
        )
        == 0
    )
    assert (
        ledger_service.balance_fen(s, ledger_service.bank("discount_income")) - income_before
        == 240_000
    )
    assert balanced(s, clock)
    assert ledger_service.verify_cached_balances(s) == []

    # the stored state and the log agree
    row = s.get(CertificateRow, cert.id)
    assert row is not None and row.status == "cleared"
    live = s.scalars(select(PartRow).where(PartRow.cert == cert.id, PartRow.status != "closed"))
    assert sum(p.amount_fen for p in live) == FACE
    check = service.check_log(s)
    assert check.ok, check.problems
    assert log_size(s) == start + 12
    assert s.get(PartRow, a3).holder == party_code(s, world.t2b)  # type: ignore[union-attr]
