"""The payments domain's public face: payouts and direct debits through a rail.

Money (see docs/payments.md):

Payout (credit transfer):

* created: Dr settlement(enterprise) / Cr payout_clearing (the money is held);
* settled (pain.002 ACSC or camt.054): Dr payout_clearing / Cr bank_clearing;
* rejected: Dr payout_clearing / Cr settlement(enterprise) (released);
* returned after settlement: Dr bank_clearing / Cr settlement(enterprise).

Direct debit: settled Dr bank_clearing / Cr settlement(enterprise); returned Dr
settlement(enterprise) / Cr bank_clearing (after the flow reversed the repayment it paid) -- what
the settlement account no longer holds Dr returned_debit_claim(enterprise) instead.
A micro-credit (打款验证) is funded by `verification_expense` instead of a settlement account.

`bank_clearing` is our account at the clearing bank: its postings are what the day's camt.053
is reconciled against. Every status the bank reports is applied once: a duplicate report or
notification is a no-op, a late one that the table does not allow (an ACSP after settlement) is
ignored and kept in the message log.

Submissions (`dispatch`): every created payment and every submitted one without an answer (a
timeout) goes out in one pain.001 / pain.008 per kind, each transaction with its payment's
end-to-end id; the bank answers a repeated id with the first submission's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit, events
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.db import unit_of_work
from puhui.core.errors import IdempotencyConflict
from puhui.core.ids import new_id, reference_from_id
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg
from puhui.payments import iso20022 as iso
from puhui.payments import states
from puhui.payments.accounts import (
    account_number,
    accounts_of,
    choose_receivables_account,
    get_account,
    receivables_account,
    require_mandate,
    require_usable,
    sign_mandate,
)
from puhui.payments.config import PaymentSettings
from puhui.payments.errors import PaymentNotFound
from puhui.payments.events import PaymentFailed, PaymentSettled
from puhui.payments.invoices import check_invoice
from puhui.payments.models import (
    Direction,
    Message,
    MessagePayment,
    Payment,
    PaymentEvent,
    PayoutAccount,
    ReconRun,
)
from puhui.payments.rails import PaymentRail, RailTimeout, get_rail
from puhui.payments.states import PaymentKind, PaymentStatus

PAYOUT_CLEARING = ledger_service.bank("payout_clearing")
BANK_CLEARING = ledger_service.bank("bank_clearing")
VERIFICATION_EXPENSE = ledger_service.bank("verification_expense")
ACCOUNT_FIELD = "payments.account_number"
VERIFICATION = "verification"  # the source type of a micro-credit


def settlement_account(enterprise_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("settlement", "enterprise", enterprise_id)


@dataclass(frozen=True)
class PaymentRequest:
    enterprise_id: uuid.UUID
    amount_fen: int
    payout_account_id: uuid.UUID
    source_type: str
    source_id: uuid.UUID | None
    idempotency_key: str
    remittance: str = ""


def _same_request(payment: Payment, request: PaymentRequest, kind: PaymentKind) -> bool:
    return (
        payment.kind == kind.value
        and payment.amount_fen == request.amount_fen
        and payment.payout_account_id == request.payout_account_id
        and payment.enterprise_id == request.enterprise_id
    )


def create_payout(session: Session, clock: Clock, request: PaymentRequest) -> Payment:
    """A credit transfer out of the enterprise's settlement account to one of its registered,
    verified accounts (or a payee's). Held in `payout_clearing` until the rail settles it.
    A replay of the same idempotency key returns the first payment."""
    return _create(session, clock, request, PaymentKind.PAYOUT)


def create_direct_debit(session: Session, clock: Clock, request: PaymentRequest) -> Payment:
    """A collection from the enterprise's account at another bank (pain.008, under its
    mandate); the money reaches the settlement account when the debit settles."""
    return _create(session, clock, request, PaymentKind.DIRECT_DEBIT)


def create_verification_credit(
    session: Session, clock: Clock, account: PayoutAccount, amount_fen: int
) -> Payment:
    """The micro-credit of 打款验证 (see `accounts`): paid by the bank (`verification_expense`)
    into the account being verified, before it is usable for anything else."""
    request = PaymentRequest(
        enterprise_id=account.enterprise_id,
        amount_fen=amount_fen,
        payout_account_id=account.id,
        source_type=VERIFICATION,
        source_id=account.id,
        idempotency_key=f"verification:{account.id}:{new_id()}",
        remittance="账户验证 Account verification",
    )
    payment = _create(session, clock, request, PaymentKind.PAYOUT, account)
    account.challenge_payment_id = payment.id
    return payment


RECEIVABLES_FINANCE = "receivables_finance"  # a discount's proceeds to the seller
RECEIVABLES_CLEAR = "receivables_clear"  # a part cleared to its holder at maturity
ORDER_FINANCE = "order_finance"  # an order financing's proceeds to the supplier (订单通)
DEALER_ENTRUSTED = "dealer_entrusted"  # a dealer's drawdown paid to the core enterprise (分销通)
_RECEIVABLES_LABELS = {
    RECEIVABLES_FINANCE: "应收款贴现回款",
    RECEIVABLES_CLEAR: "应收款到期清分",
    ORDER_FINANCE: "订单融资放款",
    DEALER_ENTRUSTED: "经销商融资受托支付",
}


def pay_out_receivables(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    amount_fen: int,
    source_type: str,
    reference: str,
) -> Payment | None:
    """Supply-chain money the enterprise just received in its settlement account (a discount's
    price, a part cleared at maturity, an order financing's proceeds, a dealer's drawdown paid
    to the core enterprise) goes on through the rails to the account it chose for receivables
    (pain.001 out, camt.054 in); None when it chose none — the money stays in the settlement
    account, as before. A failed payout gives the money back to the settlement account (the
    operation itself stands). Idempotent per (source, reference)."""
    account = receivables_account(session, enterprise_id)
    if account is None or amount_fen <= 0:
        return None
    label = _RECEIVABLES_LABELS[source_type]
    return create_payout(
        session,
        clock,
        PaymentRequest(
            enterprise_id=enterprise_id,
            amount_fen=amount_fen,
            payout_account_id=account.id,
            source_type=source_type,
            source_id=None,
            idempotency_key=f"{source_type}:{reference}",
            remittance=f"{label} {reference}",
        ),
    )


def _funding(payment: Payment) -> AccountRef:
    """Where a payout's money comes from (and goes back to when it fails)."""
    if payment.source_type == VERIFICATION:
        return VERIFICATION_EXPENSE
    return settlement_account(payment.enterprise_id)


def _create(
    session: Session,
    clock: Clock,
    request: PaymentRequest,
    kind: PaymentKind,
    account: PayoutAccount | None = None,
) -> Payment:
    existing = session.scalar(
        select(Payment).where(Payment.idempotency_key == request.idempotency_key)
    )
    if existing is not None:
        if not _same_request(existing, request, kind):
            raise IdempotencyConflict(field="idempotency_key")
        return existing
    if account is None and kind is PaymentKind.DIRECT_DEBIT:
        account = require_mandate(session, request.enterprise_id, request.payout_account_id)
    elif account is None:
        account = require_usable(session, request.enterprise_id, request.payout_account_id)
    today = business_date(clock)
    now = clock.now()
    payment_id = new_id()
    payment = Payment(
        id=payment_id,
        reference=reference_from_id("PAY", payment_id, today),
        end_to_end_id=f"E2E{payment_id.hex[:29].upper()}",
        idempotency_key=request.idempotency_key,
        kind=kind.value,
        status=PaymentStatus.CREATED.value,
        rail=get_rail().name,
        amount_fen=request.amount_fen,
        enterprise_id=request.enterprise_id,
        payout_account_id=account.id,
        counterparty_name=account.holder_name,
        counterparty_account_enc=account.number_enc,
        counterparty_account_masked=account.number_masked,
        counterparty_bank_code=account.bank_code,
        remittance=request.remittance[:140],
        source_type=request.source_type,
        source_id=request.source_id,
        submissions=0,
        failure=None,
        business_date=today,
        settled_date=None,
        returned_date=None,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    _history(session, clock, payment, None, PaymentStatus.CREATED, "", None)
    if kind is PaymentKind.PAYOUT:
        _post(
            session,
            clock,
            payment,
            "payout_hold",
            [
                Leg.debit(_funding(payment), payment.amount_fen),
                Leg.credit(PAYOUT_CLEARING, payment.amount_fen),
            ],
        )
    audit.record(
        session,
        f"payment.{kind.value}.create",
        "payment",
        payment.id,
        after={
            "reference": payment.reference,
            "amount_fen": payment.amount_fen,
            "account": payment.counterparty_account_masked,
            "source": payment.source_type,
        },
    )
    return payment


def _post(session: Session, clock: Clock, payment: Payment, kind: str, legs: list[Leg]) -> None:
    ledger_service.post(
        session,
        clock,
        kind=kind,
        business_date=business_date(clock),
        legs=legs,
        memo=f"支付 {payment.reference} {payment.end_to_end_id}",
        source_type="payment",
        source_id=payment.id,
    )


def _history(
    session: Session,
    clock: Clock,
    payment: Payment,
    before: PaymentStatus | None,
    after: PaymentStatus,
    reason: str,
    message_id: uuid.UUID | None,
) -> None:
    session.add(
        PaymentEvent(
            payment_id=payment.id,
            from_status=before.value if before else None,
            to_status=after.value,
            reason=reason[:200],
            message_id=message_id,
            at=clock.now(),
        )
    )


# ---------------------------------------------------------------- messages


def store_message(
    session: Session,
    clock: Clock,
    rail: PaymentRail,
    xml: bytes,
    direction: Direction,
    payments: Sequence[Payment] = (),
) -> Message:
    kind = iso.message_type_of(xml)
    message = Message(
        id=new_id(),
        message_type=kind.value,
        direction=direction.value,
        rail=rail.name,
        message_ref=_message_ref(xml)[:64],
        xml=xml.decode("utf-8"),
        business_date=business_date(clock),
        created_at=clock.now(),
    )
    session.add(message)
    session.flush()
    for payment in {p.id: p for p in payments}.values():
        session.add(MessagePayment(message_id=message.id, payment_id=payment.id))
    return message


def _message_ref(xml: bytes) -> str:
    from lxml import etree

    root = etree.fromstring(xml)
    found = root.find(".//{*}GrpHdr/{*}MsgId")
    return found.text or "" if found is not None else ""


# ---------------------------------------------------------------- dispatch and inbox


@dataclass
class DispatchResult:
    sent: int = 0  # payments carried by the messages sent (resubmissions included)
    timeouts: int = 0  # messages without an answer
    changed: dict[str, int] = field(default_factory=dict)  # payments per new status


def dispatch(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    rail: PaymentRail | None = None,
    settings: PaymentSettings | None = None,
) -> DispatchResult:
    """Send every created payment, and every submitted one still without an answer, through the
    rail; apply the answers (see the module docstring)."""
    rail = rail or get_rail()
    settings = settings or PaymentSettings()
    result = DispatchResult()
    waiting = list(
        session.scalars(
            select(Payment)
            .where(Payment.status.in_([PaymentStatus.CREATED.value, PaymentStatus.SUBMITTED.value]))
            .order_by(Payment.created_at, Payment.id)
            .with_for_update()
        )
    )
    for kind in PaymentKind:
        batch = [p for p in waiting if p.kind == kind.value]
        if batch:
            _send(session, clock, cipher, rail, settings, kind, batch, result)
    return result


def dispatch_batch(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
    rail: PaymentRail | None = None,
) -> tuple[DispatchResult, tuple[datetime, uuid.UUID] | None]:
    """`dispatch` for at most `limit` waiting payments after the key `after` (creation time,
    id), for a job that commits each batch with its cursor: (what happened, the last key sent,
    None when no payment was left). A payment left `submitted` by a timeout is sent again by
    the next run, not the next batch."""
    rail = rail or get_rail()
    query = (
        select(Payment)
        .where(Payment.status.in_([PaymentStatus.CREATED.value, PaymentStatus.SUBMITTED.value]))
        .order_by(Payment.created_at, Payment.id)
        .limit(limit)
        .with_for_update()
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                Payment.created_at > at,
                and_(Payment.created_at == at, Payment.id > last_id),
            )
        )
    waiting = list(session.scalars(query))
    result = DispatchResult()
    settings = PaymentSettings()
    for kind in PaymentKind:
        batch = [p for p in waiting if p.kind == kind.value]
        if batch:
            _send(session, clock, cipher, rail, settings, kind, batch, result)
    last = (waiting[-1].created_at, waiting[-1].id) if waiting else None
    return result, last


def _instruction(
    cipher: FieldCipher, settings: PaymentSettings, payment: Payment
) -> iso.Instruction:
    ours = iso.Party(settings.own_name, settings.own_account, settings.own_bank_code)
    theirs = iso.Party(
        payment.counterparty_name,
        cipher.decrypt(payment.counterparty_account_enc, ACCOUNT_FIELD),
        payment.counterparty_bank_code,
    )
    debit = payment.kind == PaymentKind.DIRECT_DEBIT.value
    return iso.Instruction(
        end_to_end_id=payment.end_to_end_id,
        amount_fen=payment.amount_fen,
        debtor=theirs if debit else ours,
        creditor=ours if debit else theirs,
        remittance=payment.remittance or payment.reference,
        mandate_id=_mandate_ref(payment) if debit else "",
    )


def _mandate_ref(payment: Payment) -> str:
    account = payment.payout_account_id and get_account_by_id(payment)
    return (account.mandate_ref or "") if account else ""


def get_account_by_id(payment: Payment) -> PayoutAccount | None:
    from sqlalchemy.orm import object_session

    session = object_session(payment)
    return session.get(PayoutAccount, payment.payout_account_id) if session else None


def _send(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    rail: PaymentRail,
    settings: PaymentSettings,
    kind: PaymentKind,
    batch: list[Payment],
    result: DispatchResult,
) -> None:
    items = [_instruction(cipher, settings, p) for p in batch]
    message_ref = f"MSG{new_id().hex[:29].upper()}"
    today = business_date(clock)
    if kind is PaymentKind.PAYOUT:
        xml = iso.build_pain001(message_ref, clock.now(), settings.own_name, today, items)
    else:
        xml = iso.build_pain008(message_ref, clock.now(), settings.own_name, today, items)
    sent = store_message(session, clock, rail, xml, Direction.OUTBOUND, batch)
    for payment in batch:
        before = PaymentStatus(payment.status)
        payment.status = PaymentStatus.SUBMITTED.value
        payment.submissions += 1
        payment.updated_at = clock.now()
        reason = "resubmitted" if before is PaymentStatus.SUBMITTED else ""
        _history(session, clock, payment, before, PaymentStatus.SUBMITTED, reason, sent.id)
    result.sent += len(batch)
    try:
        report = rail.submit(xml)
    except RailTimeout as exc:
        result.timeouts += 1
        for payment in batch:
            _history(
                session,
                clock,
                payment,
                PaymentStatus.SUBMITTED,
                PaymentStatus.SUBMITTED,
                f"timeout: {exc}",
                sent.id,
            )
        return
    apply_message(session, clock, rail, report, result)


def cycle(
    session: Session, clock: Clock, cipher: FieldCipher, rail: PaymentRail | None = None
) -> DispatchResult:
    """One turn of the rails: send what waits, then apply what the bank sent back."""
    rail = rail or get_rail()
    sent = dispatch(session, clock, cipher, rail)
    received = process_inbox(session, clock, rail)
    for status, count in received.changed.items():
        sent.changed[status] = sent.changed.get(status, 0) + count
    return sent


def run_rails(factory: sessionmaker[Session], clock: Clock, cipher: FieldCipher) -> DispatchResult:
    """`cycle` in a unit of work of its own (after a request committed its payments, or from
    `puhui payments run`)."""
    with unit_of_work(factory) as session:
        audit.set_clock(session, clock)
        return cycle(session, clock, cipher)


def process_inbox(
    session: Session, clock: Clock, rail: PaymentRail | None = None
) -> DispatchResult:
    """Fetch what the bank sent since (status reports, notifications) and apply it."""
    rail = rail or get_rail()
    result = DispatchResult()
    for xml in rail.poll(business_date(clock)):
        apply_message(session, clock, rail, xml, result)
    return result


def apply_message(
    session: Session, clock: Clock, rail: PaymentRail, xml: bytes, result: DispatchResult
) -> Message:
    """Store one message from the bank and apply what it says to the payments it names."""
    kind = iso.message_type_of(xml)
    reports: list[tuple[str, PaymentStatus, str]] = []
    if kind is iso.MessageType.PAIN_002:
        for line in iso.parse_pain002(xml)[1]:
            reports.append((line.end_to_end_id, _status_of(line.status), line.reason))
    elif kind is iso.MessageType.CAMT_054:
        for entry in iso.parse_camt054(xml):
            target = PaymentStatus.RETURNED if entry.reversal else PaymentStatus.SETTLED
            reports.append((entry.end_to_end_id, target, entry.reason))
    by_e2e = _payments_by_e2e(session, [e2e for e2e, _, _ in reports])
    message = store_message(
        session, clock, rail, xml, Direction.INBOUND, [p for p in by_e2e.values()]
    )
    for e2e, target, reason in reports:
        payment = by_e2e.get(e2e)
        if payment is not None and _apply_status(
            session, clock, payment, target, reason, message.id
        ):
            result.changed[target.value] = result.changed.get(target.value, 0) + 1
    return message


def _status_of(status: iso.TxStatus) -> PaymentStatus:
    return {
        iso.TxStatus.ACCEPTED: PaymentStatus.ACCEPTED,
        iso.TxStatus.SETTLED: PaymentStatus.SETTLED,
        iso.TxStatus.REJECTED: PaymentStatus.REJECTED,
    }[status]


def _payments_by_e2e(session: Session, ids: list[str]) -> dict[str, Payment]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Payment).where(Payment.end_to_end_id.in_(set(ids))).with_for_update()
    )
    return {p.end_to_end_id: p for p in rows}


def _apply_status(
    session: Session,
    clock: Clock,
    payment: Payment,
    target: PaymentStatus,
    reason: str,
    message_id: uuid.UUID | None,
) -> bool:
    """Move the payment to `target` with its money and its event; False when nothing changed
    (a duplicate, or a report the table does not allow any more)."""
    current = PaymentStatus(payment.status)
    if states.is_noop(current, target) or not states.is_reachable(current, target):
        return False
    if target is PaymentStatus.SUBMITTED:
        return False
    payment.status = target.value
    payment.updated_at = clock.now()
    today = business_date(clock)
    if target is PaymentStatus.SETTLED:
        payment.settled_date = today
    if target is PaymentStatus.RETURNED:
        payment.returned_date = today
    if target in states.FINAL:
        payment.failure = reason or target.value
    _history(session, clock, payment, current, target, reason, message_id)
    _move_money(session, clock, payment, current, target)
    _announce(session, clock, payment, target, reason)
    return True


def _move_money(
    session: Session,
    clock: Clock,
    payment: Payment,
    before: PaymentStatus,
    target: PaymentStatus,
) -> None:
    fen = payment.amount_fen
    own = _funding(payment)
    if payment.kind == PaymentKind.PAYOUT.value:
        if target is PaymentStatus.SETTLED:
            legs = [Leg.debit(PAYOUT_CLEARING, fen), Leg.credit(BANK_CLEARING, fen)]
        elif target is PaymentStatus.REJECTED:
            legs = [Leg.debit(PAYOUT_CLEARING, fen), Leg.credit(own, fen)]
        elif target is PaymentStatus.RETURNED:
            legs = [Leg.debit(BANK_CLEARING, fen), Leg.credit(own, fen)]
        else:
            return
    else:
        if target is PaymentStatus.SETTLED:
            legs = [Leg.debit(BANK_CLEARING, fen), Leg.credit(own, fen)]
        else:
            return  # a returned debit is taken back after the flow reversed its use
    _post(session, clock, payment, f"payment_{target.value}", legs)


def _announce(
    session: Session, clock: Clock, payment: Payment, target: PaymentStatus, reason: str
) -> None:
    today = business_date(clock)
    if target is PaymentStatus.SETTLED:
        events.publish(
            session,
            PaymentSettled(
                payment.id,
                payment.kind,
                payment.source_type,
                payment.source_id,
                payment.amount_fen,
                today,
                clock.now(),
            ),
        )
    elif target in states.FINAL:
        events.publish(
            session,
            PaymentFailed(
                payment.id,
                payment.kind,
                payment.source_type,
                payment.source_id,
                payment.amount_fen,
                target.value,
                reason or target.value,
                today,
                clock.now(),
            ),
        )
        if payment.kind == PaymentKind.DIRECT_DEBIT.value and target is PaymentStatus.RETURNED:
            _take_back_returned_debit(session, clock, payment)


def _take_back_returned_debit(session: Session, clock: Clock, payment: Payment) -> None:
    """The debtor's bank took the money back: take it from the settlement account it reached.

    What the account no longer holds (the borrower spent the surplus, or the repayment could
    not be undone because the loan was paid off since) becomes a claim on the enterprise
    (``returned_debit_claim``, 代扣退票待追偿) instead of failing the whole status report.
    """
    fen = payment.amount_fen
    own = settlement_account(payment.enterprise_id)
    held = min(fen, max(0, ledger_service.balance_fen(session, own)))
    legs = [Leg.debit(own, held)] if held else []
    if fen > held:
        claim = ledger_service.owned("returned_debit_claim", "enterprise", payment.enterprise_id)
        legs.append(Leg.debit(claim, fen - held))
    _post(session, clock, payment, "payment_returned", [*legs, Leg.credit(BANK_CLEARING, fen)])


# ---------------------------------------------------------------- reconciliation


def require_closable(session: Session, clock: Clock, day: date) -> ReconRun | None:
    """The end of day's gate (see `reconciliation.require_closable`)."""
    from puhui.payments import reconciliation

    return reconciliation.require_closable(session, clock, day)


# ---------------------------------------------------------------- reading


def balance_of(session: Session, ref: AccountRef) -> int:
    session.flush()
    return ledger_service.balance_fen(session, ref)


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise PaymentNotFound()
    return payment


def payments_of(session: Session, enterprise_id: uuid.UUID, limit: int = 50) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.enterprise_id == enterprise_id)
            .order_by(Payment.created_at.desc(), Payment.id.desc())
            .limit(limit)
        )
    )


def recent_payments(session: Session, limit: int = 200) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit)
        )
    )


def payments_for_source(session: Session, source_type: str, source_id: uuid.UUID) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.source_type == source_type, Payment.source_id == source_id)
            .order_by(Payment.created_at)
        )
    )


def history(session: Session, payment_id: uuid.UUID) -> list[PaymentEvent]:
    return list(
        session.scalars(
            select(PaymentEvent)
            .where(PaymentEvent.payment_id == payment_id)
            .order_by(PaymentEvent.at, PaymentEvent.id)
        )
    )


def messages_for(session: Session, payment_id: uuid.UUID) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .join(MessagePayment, MessagePayment.message_id == Message.id)
            .where(MessagePayment.payment_id == payment_id)
            .order_by(Message.created_at, Message.id)
        )
    )


def messages_between(session: Session, first: date, last: date) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.business_date >= first, Message.business_date <= last)
            .order_by(Message.created_at, Message.id)
        )
    )


def messages_on(session: Session, day: date) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.business_date == day)
            .order_by(Message.created_at, Message.id)
        )
    )


__all__ = [
    "BANK_CLEARING",
    "PAYOUT_CLEARING",
    "DispatchResult",
    "PaymentRequest",
    "account_number",
    "accounts_of",
    "apply_message",
    "check_invoice",
    "choose_receivables_account",
    "create_direct_debit",
    "create_payout",
    "create_verification_credit",
    "cycle",
    "dispatch",
    "dispatch_batch",
    "get_account",
    "get_payment",
    "history",
    "messages_between",
    "messages_for",
    "messages_on",
    "pay_out_receivables",
    "payments_for_source",
    "payments_of",
    "process_inbox",
    "recent_payments",
    "require_closable",
    "require_usable",
    "run_rails",
    "sign_mandate",
]
