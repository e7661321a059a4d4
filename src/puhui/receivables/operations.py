"""The operations on certificates, each one locked append to the log (signed with the actor's
custodial key) in the caller's unit of work: issue, accept / reject / cancel, split, transfer
(offer, accept, reject, cancel), finance and pay — with the ledger entries of the money steps
(finance, pay, clear).

Who acts: operations take the caller's ``Principal``: a borrower acts for its own enterprises,
staff for any (the party that must sign is then the expected one: the holder, the receiver,
the issuer...). ``None`` is the platform itself (jobs, CLI). A borrower who is a party to the
certificate but not the right one gets the rules' refusal (403 ``actor_not_allowed``); one
who is no party to it gets 404, as if it did not exist.

Accounting (integer fen; ledger codes of :mod:`puhui.ledger.chart`, :mod:`.accounts`)
    finance   Dr receivable_financed(part) face / Cr settlement(holder) price
              / Cr discount_unearned(part) discount (price = face − face × rate × days / 360)
    pay       Dr settlement(core) face + penalty / Cr core_payable(cert) face + penalty
    clear     enterprise holder: Dr core_payable(cert) / Cr settlement(holder) amount + penalty
              share
              bank holder: Dr core_payable(cert) / Cr receivable_financed(part) amount,
              Cr penalty_income penalty share; Dr discount_unearned / Cr discount_income the rest
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from puhui.core import idempotency
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.idempotency import require_idempotency_key
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.payments import service as payments_service
from puhui.receivables import accounts
from puhui.receivables.access import enterprise_party, parts_of, receiver
from puhui.receivables.limits import financing_terms, issue_terms
from puhui.receivables.log import Log, audit_ops, locked_log
from puhui.receivables.models import CertificateRow, Financing, PartRow
from puhui.receivables.pricing import allocate, penalty_fen
from puhui.receivables.schemas import IssueRequest, OperationOut
from puhui.receivables.service_errors import InsufficientSettlement
from puhui.receivables.state import PartStatus
from puhui.receivables.statements import business_date


def issue(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: IssueRequest,
) -> OperationOut:
    """A core enterprise issues a certificate to a tier-1 supplier (pending its acceptance)."""
    with locked_log(session, clock, cipher) as log:
        issuer = enterprise_party(session, clock, principal, data.issuer_enterprise_id)
        supplier = receiver(session, clock, data.supplier_enterprise_id)
        req = {
            "to": supplier.code,
            "amount_fen": data.face_fen,
            "maturity_date": data.maturity_date.isoformat(),
            "invoice": data.invoice_no,
            "invoice_amount_fen": data.invoice_amount_fen,
        }
        extra = issue_terms(session, issuer.code, data.contract_no)
        stmt, _ = log.run("issue", issuer.code, req, cert_extra=extra)
        audit_ops(session, log, stmt["cert"])
        return log.result(stmt["cert"])


def _cert_op(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    op: str,
    cert_id: str,
) -> OperationOut:
    with locked_log(session, clock, cipher) as log:
        cert = log.cert(cert_id, principal)
        expected = cert.issuer if op == "cancel" else cert.supplier
        log.run(op, log.actor_for(principal, expected, cert), {"cert": cert_id})
        audit_ops(session, log, cert_id)
        return log.result(cert_id)


def accept(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, cert_id: str
) -> OperationOut:
    """The tier-1 supplier accepts the certificate (签收)."""
    return _cert_op(session, clock, cipher, principal, "accept", cert_id)


def reject(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, cert_id: str
) -> OperationOut:
    """The tier-1 supplier refuses it; the limit and the invoice are freed."""
    return _cert_op(session, clock, cipher, principal, "reject", cert_id)


def cancel(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, cert_id: str
) -> OperationOut:
    """The core enterprise withdraws a certificate not yet accepted."""
    return _cert_op(session, clock, cipher, principal, "cancel", cert_id)


def _part_op(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    op: str,
    part_id: str,
    extra: dict[str, Any] | None = None,
    to_enterprise_id: uuid.UUID | None = None,
) -> OperationOut:
    with locked_log(session, clock, cipher) as log:
        part, cert = log.part(part_id, principal)
        expected = part.pending_to if op in ("accept_transfer", "reject_transfer") else part.holder
        actor = log.actor_for(principal, expected or part.holder, cert)
        req = {"cert": cert.id, "part": part_id, **(extra or {})}
        if to_enterprise_id is not None:  # parties are created under the log lock: no race
            req["to"] = receiver(session, clock, to_enterprise_id).code
        log.run(op, actor, req)
        audit_ops(session, log, cert.id)
        return log.result(cert.id)


def split(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    part_id: str,
    amounts_fen: Sequence[int],
) -> OperationOut:
    """The holder splits a part; the parts must sum to it and each reach the minimum."""
    return _part_op(
        session, clock, cipher, principal, "split", part_id, {"amounts": list(amounts_fen)}
    )


def transfer(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    part_id: str,
    to_enterprise_id: uuid.UUID,
) -> OperationOut:
    """The holder offers a part to its own supplier; the receiver accepts or rejects."""
    return _part_op(
        session, clock, cipher, principal, "transfer", part_id, to_enterprise_id=to_enterprise_id
    )


def accept_transfer(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, part_id: str
) -> OperationOut:
    return _part_op(session, clock, cipher, principal, "accept_transfer", part_id)


def reject_transfer(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, part_id: str
) -> OperationOut:
    return _part_op(session, clock, cipher, principal, "reject_transfer", part_id)


def cancel_transfer(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, part_id: str
) -> OperationOut:
    return _part_op(session, clock, cipher, principal, "cancel_transfer", part_id)


def replay(stored: dict[str, Any]) -> OperationOut:
    """The stored result of an idempotent operation, marked as replayed."""
    return OperationOut.model_validate(stored | {"replayed": True})


def finance(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    part_id: str,
    *,
    idempotency_key: str | None,
) -> OperationOut:
    """Discount a part with the bank, paid to the holder's settlement account the same day.

    Two statements: the holder's offer (``transfer`` to the bank, its signed consent) and the
    bank's ``finance`` at the rate of the core enterprise's grade.
    """
    key = require_idempotency_key(idempotency_key)
    scope, payload = f"receivables:finance:{part_id}", {"part": part_id}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return replay(stored)
    with locked_log(session, clock, cipher) as log:
        # a concurrent duplicate may have committed while this one waited for the lock
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return replay(stored)
        part, cert = log.part(part_id, principal)
        actor = log.actor_for(principal, part.holder, cert)
        financing_terms(session, cert.issuer)
        log.run("transfer", actor, {"cert": cert.id, "part": part_id, "to": log.financier})
        complete_finance(log, cert.id, part_id)
        audit_ops(session, log, cert.id)
        out = log.result(cert.id)
        idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


def pay(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    cert_id: str,
    *,
    idempotency_key: str | None,
) -> OperationOut:
    """The core enterprise pays the face (and any penalty) at or after maturity; every live
    part is cleared to its holder in the same transaction."""
    key = require_idempotency_key(idempotency_key)
    scope, payload = f"receivables:pay:{cert_id}", {"cert": cert_id}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return replay(stored)
    with locked_log(session, clock, cipher) as log:
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return replay(stored)
        cert = log.cert(cert_id, principal)
        actor = log.actor_for(principal, cert.issuer, cert)
        stmt, _ = log.run("pay", actor, {"cert": cert_id, "amount_fen": cert.face_fen})
        settle(log, cert_id, stmt)
        audit_ops(session, log, cert_id)
        out = log.result(cert_id)
        idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


# --- the money steps ------------------------------------------------------------------------


def complete_finance(log: Log, cert_id: str, part_id: str) -> None:
    """After the holder's offer to the bank: the bank's ``finance`` and the same-day payout."""
    session = log.session
    cert = session.get(CertificateRow, cert_id)
    offered = session.get(PartRow, part_id)
    assert cert is not None and offered is not None
    seller = offered.holder
    pricing = financing_terms(session, cert.issuer)
    stmt, applied = log.run(
        "finance",
        log.financier,
        {"cert": cert_id, "part": part_id, "rate_bp": pricing.discount_rate_bp},
    )
    new_part = applied.created[0]
    face, price = offered.amount_fen, int(stmt["price_fen"])
    discount = face - price
    day = business_date(stmt["at"])
    legs = [
        Leg.debit(accounts.financed(new_part), face),
        Leg.credit(accounts.settlement(log.enterprise_of(seller)), price),
    ]
    if discount:
        legs.append(Leg.credit(accounts.unearned(new_part), discount))
    entry_id = log.post(
        "receivables.finance",
        day,
        legs,
        f"应收款贴现 {new_part}：票面 {face} 分，付款 {price} 分，利率 {stmt['rate_bp']} 基点",
        "receivables_part",
        new_part,
    )
    # the proceeds go on through the rails to the seller's chosen account (payments)
    payments_service.pay_out_receivables(
        session,
        log.clock,
        log.enterprise_of(seller),
        price,
        payments_service.RECEIVABLES_FINANCE,
        new_part,
    )
    session.add(
        Financing(
            part=new_part,
            cert=cert_id,
            seller=seller,
            financier=log.financier,
            face_fen=face,
            price_fen=price,
            discount_fen=discount,
            rate_bp=int(stmt["rate_bp"]),
            days=int(stmt["days"]),
            financed_date=day,
            maturity_date=cert.maturity_date,
            recognized_fen=0,
            seq=int(stmt["seq"]),
            entry_id=entry_id,
            closed=False,
        )
    )
    session.flush()


def due_fen(cert: CertificateRow, day: date) -> tuple[int, int]:
    """(face + penalty, penalty) the core enterprise owes for a certificate on ``day``."""
    penalty = penalty_fen(cert.face_fen, cert.penalty_daily_bp, (day - cert.maturity_date).days)
    return cert.face_fen + penalty, penalty


def settle(log: Log, cert_id: str, pay_stmt: dict[str, Any]) -> None:
    """After ``pay``: debit the core enterprise, then clear every live part to its holder."""
    session = log.session
    cert = session.get(CertificateRow, cert_id)
    assert cert is not None
    day = business_date(pay_stmt["at"])
    due, penalty = due_fen(cert, day)
    core = log.enterprise_of(cert.issuer)
    available = ledger_service.balance_fen(session, accounts.settlement(core))
    if available < due:
        raise InsufficientSettlement(
            cert=cert_id, due_fen=due, penalty_fen=penalty, available_fen=available
        )
    cert.penalty_fen = penalty
    log.post(
        "receivables.pay",
        day,
        [
            Leg.debit(accounts.settlement(core), due),
            Leg.credit(accounts.payable(cert_id), due),
        ],
        f"核心企业兑付 {cert_id}：票面 {cert.face_fen} 分，罚息 {penalty} 分",
        "receivables_certificate",
        cert_id,
    )
    live = [
        p
        for p in parts_of(session, cert_id)
        if p.status in (PartStatus.HELD.value, PartStatus.FINANCED.value)
    ]
    shares = allocate(penalty, [(p.id, p.amount_fen) for p in live])
    for part in live:
        _clear(log, cert_id, part, shares[part.id])
    from puhui.receivables.orders import repay_from_certificate  # orders import this module

    repay_from_certificate(log, cert_id)  # the order it delivered, if financed (订单通)


def _clear(log: Log, cert_id: str, part: PartRow, share: int) -> None:
    """The platform's ``clear`` of one live part: its amount and penalty share to the holder
    (the bank: its financed part closes and the discount not yet recognized becomes income)."""
    holder, amount = part.holder, part.amount_fen
    stmt, _ = log.run(
        "clear",
        log.platform,
        {"cert": cert_id, "part": part.id, "to": holder, "amount_fen": amount},
    )
    financing = log.session.get(Financing, part.id)
    if financing is None:
        legs = [
            Leg.debit(accounts.payable(cert_id), amount + share),
            Leg.credit(accounts.settlement(log.enterprise_of(holder)), amount + share),
        ]
    else:
        legs = [
            Leg.debit(accounts.payable(cert_id), amount + share),
            Leg.credit(accounts.financed(part.id), amount),
            Leg.credit(accounts.PENALTY_INCOME, share),
        ]
        rest = financing.discount_fen - financing.recognized_fen
        if rest:
            legs += [
                Leg.debit(accounts.unearned(part.id), rest),
                Leg.credit(accounts.DISCOUNT_INCOME, rest),
            ]
        financing.recognized_fen = financing.discount_fen
        financing.closed = True
    log.post(
        "receivables.clear",
        business_date(stmt["at"]),
        legs,
        f"清分 {part.id} 给 {holder}：{amount} 分，罚息分摊 {share} 分",
        "receivables_part",
        part.id,
    )
    if financing is None:  # an enterprise holder: on through the rails to its chosen account
        payments_service.pay_out_receivables(
            log.session,
            log.clock,
            log.enterprise_of(holder),
            amount + share,
            payments_service.RECEIVABLES_CLEAR,
            part.id,
        )
