"""Entrusted payment (受托支付) and loan purpose on a real drawdown: a forbidden purpose is
refused with its reason; above the threshold the borrower's own account cannot be the payee and
the supplier is paid directly, its invoice recorded."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import assert_books, make_enterprise, make_line
from tests.integration.payments.payments_factories import verified_account

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.consents.sources import SourceName
from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.datahub.invoices import Invoice, SandboxInvoices, use_source
from puhui.lending import payouts
from puhui.lending import service as lending
from puhui.lending.errors import (
    EntrustedPaymentRequired,
    OwnAccountNotPayee,
    PurposeForbidden,
)
from puhui.lending.purposes import LoanPurpose
from puhui.payments import service as payments
from puhui.payments.errors import InvoiceAmountMismatch, InvoicePayeeMismatch, InvoiceUnknown
from puhui.payments.rails import SandboxRail, use_rail

THRESHOLD = 100_000_00
DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUHUI_PAYMENTS_ENTRUSTED_THRESHOLD_FEN", str(THRESHOLD))


def _line(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    enterprise = make_enterprise(session, clock, name="杭州受托测试有限公司")
    return enterprise, make_line(session, clock, enterprise.id)


def _draw(session: Session, clock: FixedClock, line_id: uuid.UUID, fen: int, **kw):  # type: ignore[no-untyped-def]
    return lending.draw(session, clock, line_id, fen, idempotency_key=str(uuid.uuid4()), **kw)


def test_a_forbidden_purpose_is_refused_with_its_reason(
    session: Session, clock: FixedClock
) -> None:
    _, line = _line(session, clock)
    with pytest.raises(PurposeForbidden) as refused:
        _draw(session, clock, line.id, 1_000_00, purpose=LoanPurpose.SECURITIES)
    assert "股票" in refused.value.message("zh")
    assert "shares" in refused.value.message("en")
    assert line.used_fen == 0


def test_above_the_threshold_the_supplier_is_paid_never_the_borrower(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, line = _line(session, clock)
    own = verified_account(
        session, clock, runtime.cipher, enterprise.id, "6222000055550001", enterprise.name
    )
    supplier = verified_account(
        session, clock, runtime.cipher, enterprise.id, "6222000055550002", "宁波某某原料有限公司"
    )
    rail = SandboxRail()
    with use_rail(rail):
        with pytest.raises(EntrustedPaymentRequired):
            _draw(session, clock, line.id, THRESHOLD)  # no payee, no invoice
        with pytest.raises(OwnAccountNotPayee):
            _draw(
                session,
                clock,
                line.id,
                THRESHOLD,
                purpose=LoanPurpose.RAW_MATERIALS,
                payout_account_id=own.id,
                invoice_number="26332000000012345678",
            )
        out = _draw(
            session,
            clock,
            line.id,
            THRESHOLD,
            purpose=LoanPurpose.RAW_MATERIALS,
            payout_account_id=supplier.id,
            invoice_number="26332000000012345678",
        )
        payments.cycle(session, clock, runtime.cipher, rail)
    use = payouts.use_of(session, out.id)
    assert use is not None and use.entrusted and use.payee_name == "宁波某某原料有限公司"
    assert use.invoice_number == "26332000000012345678" and use.purpose == "raw_materials"
    [payment] = payments.payments_for_source(session, "drawdown", out.id)
    assert payment.counterparty_name == "宁波某某原料有限公司" and payment.status == "settled"
    assert lending.settlement_balance(session, enterprise.id) == 0  # the borrower got nothing
    assert_books(session)


def test_below_the_threshold_the_purpose_is_recorded(session: Session, clock: FixedClock) -> None:
    _, line = _line(session, clock)
    out = _draw(session, clock, line.id, 5_000_00, purpose=LoanPurpose.PAYROLL)
    use = payouts.use_of(session, out.id)
    assert use is not None and (use.purpose, use.entrusted) == ("payroll", False)


def test_the_invoice_is_checked_against_the_data_hubs_tax_invoices_when_consented(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    enterprise, line = _line(session, clock)
    supplier = verified_account(
        session, clock, runtime.cipher, enterprise.id, "6222000055550003", "宁波某某原料有限公司"
    )
    register = SandboxInvoices()
    register.issue(
        Invoice("26332000000000000001", "宁波某某原料有限公司", enterprise.name, 150_000_00, DAY)
    )
    register.issue(Invoice("26332000000000000002", "别家公司", enterprise.name, 150_000_00, DAY))
    ask = {
        "purpose": LoanPurpose.RAW_MATERIALS,
        "payout_account_id": supplier.id,
    }
    with use_rail(SandboxRail()), use_source(register):
        # no consent to the tax data yet: recorded, unchecked
        out = _draw(
            session, clock, line.id, THRESHOLD, invoice_number="26332000000000000009", **ask
        )
        assert payouts.use_of(session, out.id).invoice_found is None  # type: ignore[union-attr]
        consents_service.grant(
            session,
            clock,
            enterprise_id=enterprise.id,
            source=SourceName.TAX,
            purpose=Purpose.POST_LOAN_MONITORING,
        )
        used = line.used_fen
        with pytest.raises(InvoiceUnknown) as unknown:
            _draw(session, clock, line.id, THRESHOLD, invoice_number="26332000000000000009", **ask)
        assert "26332000000000000009" in unknown.value.message("zh")
        with pytest.raises(InvoicePayeeMismatch) as other:
            _draw(session, clock, line.id, THRESHOLD, invoice_number="26332000000000000002", **ask)
        assert "别家公司" in other.value.message("zh")
        with pytest.raises(InvoiceAmountMismatch):
            _draw(session, clock, line.id, 150_000_01, invoice_number="26332000000000000001", **ask)
        assert line.used_fen == used  # refused: nothing drawn
        out = _draw(
            session, clock, line.id, THRESHOLD, invoice_number="26332000000000000001", **ask
        )
    assert payouts.use_of(session, out.id).invoice_found is True  # type: ignore[union-attr]
    assert_books(session)
