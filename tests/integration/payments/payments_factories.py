"""Factories for the payments integration tests: verified accounts, a sandbox rail, a payout."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.core.codes import resident_id_check_char
from puhui.core.crypto import FieldCipher
from puhui.ledger import service as ledger_service
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import PersonCreate, RelationshipCreate
from puhui.payments import accounts
from puhui.payments import service as payments
from puhui.payments.models import Payment, PayoutAccount

OTHER_BANK = "102100099996"


def verified_account(
    session: Session,
    clock: FixedClock,
    cipher: FieldCipher,
    enterprise_id: uuid.UUID,
    number: str = "6222000011112222",
    holder: str = "杭州测试贸易有限公司",
) -> PayoutAccount:
    account = accounts.register_account(
        session, clock, cipher, enterprise_id, accounts.AccountInput(holder, number, OTHER_BANK)
    )
    return accounts.verify_by_name(session, clock, cipher, account, accounts.SandboxNameCheck())


def payout(
    session: Session,
    clock: FixedClock,
    account: PayoutAccount,
    fen: int,
    *,
    key: str | None = None,
    source_type: str = "transfer",
) -> Payment:
    return payments.create_payout(
        session,
        clock,
        payments.PaymentRequest(
            enterprise_id=account.enterprise_id,
            amount_fen=fen,
            payout_account_id=account.id,
            source_type=source_type,
            source_id=None,
            idempotency_key=key or str(uuid.uuid4()),
        ),
    )


def balance(session: Session, ref: ledger_service.AccountRef) -> int:
    session.flush()
    return ledger_service.balance_fen(session, ref)


def record_representative(
    session: Session, clock: FixedClock, cipher: FieldCipher, enterprise_id: uuid.UUID, mobile: str
) -> None:
    """The enterprise's legal representative, with a registered mobile."""
    first17 = "33010619800101" + mobile[-3:]
    person = parties_service.create_person(
        session,
        clock,
        cipher,
        PersonCreate(
            name="王法代", resident_id=first17 + resident_id_check_char(first17), mobile=mobile
        ),
    )
    parties_service.add_relationship(
        session,
        clock,
        enterprise_id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
    )
