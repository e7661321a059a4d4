"""The chain's ledger accounts (codes of :mod:`puhui.ledger.chart`), by what owns them."""

from __future__ import annotations

import uuid

from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef


def settlement(enterprise_id: uuid.UUID) -> AccountRef:
    """An enterprise's settlement account (the one lending pays out to and debits)."""
    return ledger_service.owned("settlement", "enterprise", enterprise_id)


def payable(cert_id: str) -> AccountRef:
    """What the core enterprise has paid for a certificate and not yet cleared."""
    return ledger_service.owned("core_payable", "receivables_certificate", cert_id)


def financed(part_id: str) -> AccountRef:
    """The bank's financed part, at its face."""
    return ledger_service.owned("receivable_financed", "receivables_part", part_id)


def unearned(part_id: str) -> AccountRef:
    """A financed part's discount not yet recognized as income."""
    return ledger_service.owned("discount_unearned", "receivables_part", part_id)


DISCOUNT_INCOME = ledger_service.bank("discount_income")
PENALTY_INCOME = ledger_service.bank("penalty_income")
