"""Every rule of the operations, through the service on SQLite and PostgreSQL: a refused
operation raises a specific error and changes nothing (log, state, ledger)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import (
    FACE,
    LIMIT,
    World,
    at_day,
    balanced,
    borrower,
    deposit,
    log_size,
    make_enterprise,
    make_world,
    settlement,
    staff,
)

from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import DomainError, IdempotencyConflict
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.ledger import service as ledger_service
from puhui.receivables import errors as rerr
from puhui.receivables import service
from puhui.receivables.models import CertificateRow, Financing, InvoiceRow, PartRow
from puhui.receivables.schemas import LimitGrant


def refused(world: World, exc: type[Exception], fn: Callable[[], Any]) -> Exception:
    """Run ``fn``; it must raise ``exc`` and leave the log exactly as it was."""
    s = world.session
    before = log_size(s)
    with pytest.raises(exc) as info:
        fn()
    assert log_size(s) == before
    return info.value


def test_limit_needs_a_known_grade_and_is_signed_by_the_platform(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock, "无额度核心企业")
    with pytest.raises(DomainError) as info:
        service.grant_limit(
            session,
            clock,
            runtime.cipher,
            staff(Role.RISK_OFFICER),
            LimitGrant(enterprise_id=ent.id, limit_fen=1, grade="ZZZ", reason="测试"),
        )
    assert info.value.code == "invalid_input" and info.value.field == "grade"
    out = service.grant_limit(
        session,
        clock,
        runtime.cipher,
        staff(Role.RISK_OFFICER),
        LimitGrant(enterprise_id=ent.id, limit_fen=5_000, grade="A", reason="人工审批"),
    )
    assert out.limit_fen == 5_000 and out.available_fen == 5_000 and out.source == "manual"
    op = service.get_operation(session, None, out.seq)
    assert op.op == "limit" and op.actor == "PLATFORM"
    assert op.statement["limit_fen"] == 5_000 and op.statement["party"] == ent.uscc


def test_a_limit_backed_by_an_application_needs_the_approval_taken_first(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    """Only the flow (puhui.flows.supply_chain) takes an approval from decisioning; the domain
    alone refuses an application reference without the reference decisioning gave back."""
    ent = make_enterprise(session, clock, "待审批核心企业")
    data = LimitGrant(
        enterprise_id=ent.id,
        limit_fen=5_000,
        grade="A",
        reason="依审批结果",
        application_reference="APP-20261123-0001",
    )
    before = log_size(session)
    with pytest.raises(ValueError, match=r"flows\.supply_chain"):
        service.grant_limit(session, clock, runtime.cipher, staff(Role.RISK_OFFICER), data)
    assert log_size(session) == before
    out = service.grant_limit(
        session,
        clock,
        runtime.cipher,
        staff(Role.RISK_OFFICER),
        data,
        decision_ref="APP-20261123-0001",
    )
    assert out.source == "decision" and out.decision_ref == "APP-20261123-0001"


def test_issue_needs_a_limit_and_stays_within_it(world: World) -> None:
    s, clock, cipher = world.session, world.clock, world.cipher
    other = make_world(s, clock, cipher, limit=0, core_cash=0)
    world.core, saved = other.core, world.core
    refused(world, rerr.LimitExceeded, lambda: world.issue(1))
    world.core = saved
    stranger = make_enterprise(s, clock, "无额度企业")
    world.core = stranger
    refused(world, rerr.LimitMissing, lambda: world.issue(1))
    world.core = saved
    world.issue(LIMIT - 1)
    err = refused(world, rerr.LimitExceeded, lambda: world.issue(2))
    assert err.params["outstanding_fen"] == LIMIT - 1  # type: ignore[attr-defined]
    assert "超出额度" in err.message("zh")  # type: ignore[attr-defined]


def test_invoice_backs_certificates_only_up_to_its_amount_once(world: World) -> None:
    world.issue(600_000, invoice="INV-A", invoice_amount=1_000_000)
    world.issue(400_000, invoice="INV-A", invoice_amount=1_000_000)
    refused(
        world,
        rerr.InvoiceExhausted,
        lambda: world.issue(100, invoice="INV-A", invoice_amount=1_000_000),
    )
    refused(  # the same invoice number with another amount
        world,
        rerr.InvoiceMismatch,
        lambda: world.issue(100, invoice="INV-A", invoice_amount=2_000_000),
    )
    row = world.session.get(InvoiceRow, "INV-A")
    assert row is not None and row.used_fen == row.amount_fen == 1_000_000


def test_a_rejected_certificate_frees_its_invoice_and_limit(world: World) -> None:
    cert = world.issue(LIMIT, invoice="INV-R", invoice_amount=LIMIT).certificate
    assert cert is not None
    out = world.do(service.reject, cert.id)
    assert out.certificate is not None and out.certificate.status == "void"
    world.issue(LIMIT, invoice="INV-R", invoice_amount=LIMIT)  # both freed again


def test_split_must_sum_to_the_part_and_reach_the_minimum(world: World) -> None:
    cert = world.active(FACE)
    err = refused(
        world, rerr.SplitInvalid, lambda: world.do(service.split, cert, [10_000_000, 10_000_000])
    )
    assert "不等于" in err.message("zh")  # type: ignore[attr-defined]
    refused(
        world,
        rerr.PartBelowMinimum,
        lambda: world.do(service.split, cert, [FACE - 9_999, 9_999]),
    )
    world.do(service.split, cert, [FACE - 10_000, 10_000])  # exactly the minimum
    refused(world, rerr.DoubleSpend, lambda: world.do(service.split, cert, [FACE // 2] * 2))


def test_split_of_a_pending_certificate_is_refused(world: World) -> None:
    cert = world.issue().certificate
    assert cert is not None
    refused(
        world, rerr.PartStatusInvalid, lambda: world.do(service.split, cert.id, [FACE // 2] * 2)
    )


def test_transfer_rules(world: World) -> None:
    s = world.session
    cert = world.active()
    refused(world, rerr.SelfTransfer, lambda: world.do(service.transfer, cert, world.t1.id))
    world.do(service.transfer, cert, world.t2.id)
    # an offered part cannot be offered again, split or financed
    refused(world, rerr.PartStatusInvalid, lambda: world.do(service.transfer, cert, world.t2b.id))
    refused(
        world,
        rerr.PartStatusInvalid,
        lambda: world.do(service.finance, cert, idempotency_key="f1"),
    )
    # the receiver rejects: back to the holder; the holder may offer again and cancel
    world.do(service.reject_transfer, cert)
    assert s.get(PartRow, cert).status == "held"  # type: ignore[union-attr]
    world.do(service.transfer, cert, world.t2b.id)
    world.do(service.cancel_transfer, cert)
    assert s.get(PartRow, cert).pending_to is None  # type: ignore[union-attr]
    world.do(service.transfer, cert, world.t2.id)
    world.do(service.accept_transfer, cert)
    refused(world, rerr.DoubleSpend, lambda: world.do(service.accept_transfer, cert))
    refused(world, rerr.DoubleSpend, lambda: world.do(service.transfer, cert, world.t2b.id))


def test_operations_by_the_wrong_party_are_refused(world: World) -> None:
    s, clock, cipher = world.session, world.clock, world.cipher
    cert = world.issue().certificate
    assert cert is not None
    core_user, t1_user, t2_user = borrower(world.core), borrower(world.t1), borrower(world.t2)
    # the issuer may not accept its own certificate
    err = refused(
        world, rerr.ActorNotAllowed, lambda: service.accept(s, clock, cipher, core_user, cert.id)
    )
    assert err.status == 403  # type: ignore[attr-defined]
    # an outsider does not even see it
    refused(world, rerr.NotFound, lambda: service.accept(s, clock, cipher, t2_user, cert.id))
    service.accept(s, clock, cipher, t1_user, cert.id)
    service.transfer(s, clock, cipher, t1_user, cert.id, world.t2.id)
    # the offering holder cannot accept its own offer; the receiver can
    refused(
        world,
        rerr.ActorNotAllowed,
        lambda: service.accept_transfer(s, clock, cipher, t1_user, cert.id),
    )
    refused(
        world,
        rerr.NotFound,
        lambda: service.accept_transfer(s, clock, cipher, borrower(world.t2b), cert.id),
    )
    service.accept_transfer(s, clock, cipher, t2_user, cert.id)
    # only the issuer pays, and only the holder finances
    refused(
        world,
        rerr.ActorNotAllowed,
        lambda: service.finance(s, clock, cipher, core_user, f"{cert.id}-1", idempotency_key="k"),
    )


def test_finance_once_at_the_grade_rate(world: World) -> None:
    s = world.session
    cert = world.active()
    first = world.do(service.finance, cert, idempotency_key="fin-1")
    again = world.do(service.finance, cert, idempotency_key="fin-1")
    assert again.replayed and again.operations == first.operations
    refused(
        world, rerr.DoubleSpend, lambda: world.do(service.finance, cert, idempotency_key="fin-2")
    )
    with pytest.raises(DomainError) as info:
        world.do(service.finance, cert, idempotency_key=None)
    assert info.value.code == "idempotency_key_missing"
    fin_part = first.operations[1].statement["new_part"]
    assert s.get(PartRow, fin_part).holder == "BANK"  # type: ignore[union-attr]
    assert first.operations[1].statement["rate_bp"] == 320
    assert balanced(s, world.clock)


def test_same_idempotency_key_for_another_payload_is_a_conflict(world: World) -> None:
    cert = world.active()
    world.do(service.split, cert, [FACE // 2, FACE // 2])
    world.do(service.finance, f"{cert}-1", idempotency_key="dup")
    # another part: another scope, so the key is free there; a changed payload in the same scope:
    with pytest.raises(IdempotencyConflict):
        from puhui.core import idempotency

        idempotency.begin(world.session, f"receivables:finance:{cert}-1", "dup", {"part": "x"})


def test_grade_not_financeable(session: Session, clock: FixedClock, runtime: Runtime) -> None:
    world = make_world(session, clock, runtime.cipher, grade="BB")
    cert = world.active()
    err = refused(
        world,
        service.FinancingUnavailable,
        lambda: world.do(service.finance, cert, idempotency_key="x"),
    )
    assert err.status == 409  # type: ignore[attr-defined]


def test_pay_only_at_maturity_with_enough_money(world: World) -> None:
    s, clock = world.session, world.clock
    cert_id = world.active(FACE, days=30)
    poor = make_world(s, clock, world.cipher, core_cash=0)
    poor_cert = poor.active(1_000_000, days=30)
    refused(world, rerr.NotYetMatured, lambda: world.do(service.pay, cert_id, idempotency_key="p0"))
    row = s.get(CertificateRow, cert_id)
    assert row is not None
    at_day(clock, row.maturity_date)
    # a transfer is no longer possible once matured
    refused(
        world, rerr.CertificateMatured, lambda: world.do(service.transfer, cert_id, world.t2.id)
    )
    # not enough money: refused, nothing moved
    err = refused(
        poor,
        service.InsufficientSettlement,
        lambda: poor.do(service.pay, poor_cert, idempotency_key="p-poor"),
    )
    assert err.params["due_fen"] == 1_000_000  # type: ignore[attr-defined]
    assert settlement(s, poor.core) == 0
    out = world.do(service.pay, cert_id, idempotency_key="p1")
    assert out.certificate is not None and out.certificate.status == "cleared"
    refused(
        world,
        rerr.CertificateStatusInvalid,
        lambda: world.do(service.pay, cert_id, idempotency_key="p2"),
    )
    assert balanced(s, clock)


def test_overdue_penalty_and_signal(world: World) -> None:
    s, clock = world.session, world.clock
    poor = make_world(s, clock, world.cipher, core_cash=0)
    cert_id = poor.active(10_000_000, days=30)
    poor.do(service.split, cert_id, [4_000_000, 6_000_000])
    poor.do(service.finance, f"{cert_id}-2", idempotency_key="fin-od")
    row = s.get(CertificateRow, cert_id)
    assert row is not None and row.penalty_daily_bp == 5
    maturity = row.maturity_date
    at_day(clock, maturity)
    run = service.run_maturity(s, clock, world.cipher)  # due today, unpaid: not yet overdue
    assert cert_id in run.skipped and cert_id not in run.overdue
    at_day(clock, maturity + timedelta(days=3))
    run = service.run_maturity(s, clock, world.cipher)
    assert cert_id in run.overdue
    # 10 000 000 × 5 bp × 3 days = 15 000 fen
    assert run.penalties_fen[cert_id] == 15_000
    again = service.run_maturity(s, clock, world.cipher)  # re-running the date changes nothing
    assert cert_id not in again.overdue and again.penalties_fen[cert_id] == 15_000
    signals = [x for x in service.list_signals(s) if x.cert == cert_id]
    assert len(signals) == 1 and signals[0].kind == "core_enterprise_overdue"
    assert signals[0].enterprise_id == poor.core.id and signals[0].amount_fen == 10_000_000
    assert signals[0].detail["days_overdue"] == 3
    # the core enterprise finds the money and pays face + penalty; holders share the penalty
    deposit(s, clock, poor.core, 10_015_000)
    t1_before = settlement(s, poor.t1)
    out = poor.do(service.pay, cert_id, idempotency_key="pay-od")
    assert out.certificate is not None and out.certificate.status == "cleared"
    assert out.certificate.penalty_fen == 15_000
    assert settlement(s, poor.core) == 0
    assert settlement(s, poor.t1) - t1_before == 4_000_000 + 6_000  # 40 % of the penalty
    assert balanced(s, clock)


def test_auto_debit_at_maturity(world: World) -> None:
    s, clock = world.session, world.clock
    cert_id = world.active(FACE, days=10)
    row = s.get(CertificateRow, cert_id)
    assert row is not None
    at_day(clock, row.maturity_date)
    before = settlement(s, world.core)
    run = service.run_maturity(s, clock, world.cipher)
    assert cert_id in run.paid
    assert before - settlement(s, world.core) == FACE
    s.expire_all()
    assert s.get(CertificateRow, cert_id).status == "cleared"  # type: ignore[union-attr]
    assert service.check_log(s).ok


def test_discount_income_is_amortized_straight_line(world: World) -> None:
    s, clock = world.session, world.clock
    cert_id = world.active(36_000_000, days=100)
    out = world.do(service.finance, cert_id, idempotency_key="am")
    part = out.operations[1].statement["new_part"]
    discount = 36_000_000 - out.operations[1].statement["price_fen"]  # 320 bp × 100/360: 320 000
    assert discount == 320_000
    row = s.get(CertificateRow, cert_id)
    assert row is not None
    today = business_date(clock)
    unearned = ledger_service.owned("discount_unearned", "receivables_part", part)
    assert service.amortize_discounts(s, clock, today + timedelta(days=25)) >= 80_000
    assert s.get(Financing, part).recognized_fen == 80_000  # type: ignore[union-attr]
    assert ledger_service.balance_fen(s, unearned) == 240_000
    service.amortize_discounts(s, clock, today + timedelta(days=25))  # re-run: nothing more
    assert ledger_service.balance_fen(s, unearned) == 240_000
    at_day(clock, row.maturity_date)
    income = ledger_service.bank("discount_income")
    before = ledger_service.balance_fen(s, income)
    world.do(service.pay, cert_id, idempotency_key="am-pay")
    assert ledger_service.balance_fen(s, income) - before == 240_000
    assert ledger_service.balance_fen(s, unearned) == 0
    assert balanced(s, clock)


def test_cancel_before_acceptance_only(world: World) -> None:
    cert = world.issue().certificate
    assert cert is not None
    out = world.do(service.cancel, cert.id)
    assert out.certificate is not None and out.certificate.status == "void"
    refused(world, rerr.CertificateStatusInvalid, lambda: world.do(service.accept, cert.id))


def test_unknown_ids_are_not_found(world: World) -> None:
    refused(world, rerr.NotFound, lambda: world.do(service.accept, "EC-NOPE"))
    refused(world, rerr.NotFound, lambda: world.do(service.split, "EC-NOPE", [1, 2]))
