"""The invoice an entrusted payment (受托支付) names, checked against the data hub's tax
invoices (`datahub.invoices`) when that source is present and the borrower's consent to its
tax data is live: an unknown invoice, one issued by someone other than the payee or to someone
other than the borrower, or one smaller than the payment is refused with the reason. Without a
source, or without consent, the number is recorded as evidence, unchecked (None)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.consents.sources import SourceName
from puhui.core.clock import Clock
from puhui.core.money import format_fen
from puhui.datahub import invoices as datahub_invoices
from puhui.payments.errors import InvoiceAmountMismatch, InvoicePayeeMismatch, InvoiceUnknown

# using the borrower's tax data to check the use of the loan's money is post-loan monitoring;
# a consent given for the credit decision covers it too while it lasts
PURPOSES = (Purpose.POST_LOAN_MONITORING, Purpose.CREDIT_DECISION)


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).replace("（", "(").replace("）", ")").lower()


def _consented(session: Session, clock: Clock, enterprise_id: uuid.UUID) -> bool:
    now = clock.now()
    return any(
        consents_service.live_consent(session, now, enterprise_id, SourceName.TAX, purpose)
        is not None
        for purpose in PURPOSES
    )


def check_invoice(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    borrower_name: str,
    payee_name: str,
    amount_fen: int,
    number: str,
) -> bool | None:
    """True: the invoice exists, from the payee to the borrower, at least the amount; None: not
    checked (no invoice source, or no live consent). Else InvoiceUnknown / InvoicePayeeMismatch
    / InvoiceAmountMismatch."""
    source = datahub_invoices.get_source()
    if source is None or not _consented(session, clock, enterprise_id):
        return None
    invoice = source.lookup(number)
    if invoice is None:
        raise InvoiceUnknown(field="invoice_number", number=number)
    if _norm(invoice.seller_name) != _norm(payee_name) or _norm(invoice.buyer_name) != _norm(
        borrower_name
    ):
        raise InvoicePayeeMismatch(
            field="invoice_number",
            number=number,
            seller=invoice.seller_name,
            buyer=invoice.buyer_name,
        )
    if amount_fen > invoice.total_fen:
        raise InvoiceAmountMismatch(
            field="amount_yuan",
            number=number,
            invoice=format_fen(invoice.total_fen, symbol=""),
            amount=format_fen(amount_fen, symbol=""),
        )
    return True
