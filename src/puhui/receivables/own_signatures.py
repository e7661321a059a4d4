"""Parties that sign with their own key: register the public key, ``prepare`` the statement to
sign, ``submit`` it signed.

The platform rebuilds the statement it would make for the same request at that log position
and requires it byte for byte (ids, price), the seq to still be the next one and ``at`` within
:data:`PREPARE_TTL_SECONDS`, and a key of the actor valid at ``at``. Only statements whose
actor is the caller's own enterprise can be submitted; a submitted transfer to the bank is a
financing request and is completed at once, a submitted ``pay`` clears the certificate.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import idempotency
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import InvalidInput
from puhui.core.idempotency import require_idempotency_key
from puhui.parties import service as parties_service
from puhui.receivables import drafts, keys_service
from puhui.receivables.access import enterprise_party, receiver
from puhui.receivables.errors import MalformedStatement, NotFound, ReceivablesError
from puhui.receivables.limits import financing_terms, issue_terms
from puhui.receivables.log import Log, audit_ops, head_row, locked_log
from puhui.receivables.models import Party
from puhui.receivables.operations import complete_finance, replay, settle
from puhui.receivables.schemas import (
    KeyOut,
    KeyRegister,
    OperationOut,
    PreparedStatement,
    PrepareRequest,
    SubmitRequest,
)
from puhui.receivables.service_errors import (
    NotOwnStatement,
    StaleStatement,
    StatementMismatch,
)
from puhui.receivables.state import Rules
from puhui.receivables.statements import (
    SIGNING_CONTEXT,
    SignedStatement,
    canonical_json,
    format_at,
    parse_at,
    parse_canonical,
)

PREPARE_TTL_SECONDS = 300

# --- keys -------------------------------------------------------------------------------------


def register_key(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal,
    enterprise_id: uuid.UUID,
    data: KeyRegister,
) -> KeyOut:
    with locked_log(session, clock, cipher):
        party = enterprise_party(session, clock, principal, enterprise_id)
        row = keys_service.register_public_key(
            session,
            clock,
            party.code,
            data.public_key,
            retire_custodial=data.retire_custodial,
            user_id=principal.user_id,
        )
        return KeyOut(**keys_service.key_view(row))


def list_keys(session: Session, principal: Principal, enterprise_id: uuid.UUID) -> list[KeyOut]:
    parties_service.get_enterprise_for(session, principal, enterprise_id)
    party = session.scalar(select(Party).where(Party.enterprise_id == enterprise_id))
    if party is None:
        return []
    return [KeyOut(**keys_service.key_view(r)) for r in keys_service.keys_of(session, party.code)]


# --- prepare ----------------------------------------------------------------------------------


def _prepare_request(
    session: Session, clock: Clock, log: Log, principal: Principal | None, body: PrepareRequest
) -> tuple[str, str, dict[str, Any]]:
    """(op, actor, request fields) for a prepare request."""
    op = body.op
    if op == "issue":
        if body.issue is None:
            raise InvalidInput(field="issue")
        data = body.issue
        issuer = enterprise_party(session, clock, principal, data.issuer_enterprise_id)
        supplier = receiver(session, clock, data.supplier_enterprise_id)
        req = {
            "to": supplier.code,
            "amount_fen": data.face_fen,
            "maturity_date": data.maturity_date.isoformat(),
            "invoice": data.invoice_no,
            "invoice_amount_fen": data.invoice_amount_fen,
        }
        return op, issuer.code, req
    if op in ("accept", "reject", "cancel", "pay"):
        if not body.cert_id:
            raise InvalidInput(field="cert_id")
        cert = log.cert(body.cert_id, principal)
        expected = cert.supplier if op in ("accept", "reject") else cert.issuer
        req = {"cert": cert.id}
        if op == "pay":
            req["amount_fen"] = cert.face_fen
        return op, log.actor_for(principal, expected, cert), req
    if not body.part_id:
        raise InvalidInput(field="part_id")
    part, cert = log.part(body.part_id, principal)
    req = {"cert": cert.id, "part": part.id}
    expected = part.holder
    if op == "split":
        if not body.amounts_fen:
            raise InvalidInput(field="amounts_fen")
        req["amounts"] = list(body.amounts_fen)
    elif op == "transfer":
        if body.to_enterprise_id is None:
            raise InvalidInput(field="to_enterprise_id")
        req["to"] = receiver(session, clock, body.to_enterprise_id).code
    elif op == "finance":
        financing_terms(session, cert.issuer)
        op = "transfer"  # the holder signs the offer to the bank; the bank completes it
        req["to"] = log.financier
    elif op in ("accept_transfer", "reject_transfer"):
        expected = part.pending_to or part.holder
    return op, log.actor_for(principal, expected, cert), req


def prepare(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    body: PrepareRequest,
) -> PreparedStatement:
    """The statement a party signs with its own key: canonical bytes, valid for the current log
    position (seq) and a few minutes. Nothing is written."""
    with locked_log(session, clock, cipher) as log:
        op, actor, req = _prepare_request(session, clock, log, principal, body)
        stmt, _ = log.draft(op, actor, req)
        data = canonical_json(stmt)
        expires = format_at(parse_at(stmt["at"]) + timedelta(seconds=PREPARE_TTL_SECONDS))
    return PreparedStatement(
        op=op,
        actor=actor,
        seq=int(stmt["seq"]),
        statement=stmt,
        statement_text=data.decode("utf-8"),
        signing_input_b64=base64.b64encode(SIGNING_CONTEXT + data).decode("ascii"),
        expires_at=expires,
    )


# --- submit -----------------------------------------------------------------------------------


def submit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    body: SubmitRequest,
    *,
    idempotency_key: str | None = None,
) -> OperationOut:
    """Append a statement its actor signed with its own key (from ``prepare``).

    The statement must be exactly the one the platform makes for the same request at that log
    position (same seq, ids, amounts), fresh (``at`` within the last few minutes, seq still the
    next one), and signed by a registered key of the actor valid at ``at``. A transfer to the
    bank is a financing request and is completed at once; a ``pay`` clears the certificate.
    Money-moving submissions need an idempotency key.
    """
    raw, stmt, signature = _parse_submission(body)
    op = stmt["op"]
    rules = Rules.from_json(head_row(session).rules)
    financing = op == "transfer" and stmt.get("to") in rules.financiers
    if op == "pay" or financing:
        key: str | None = require_idempotency_key(idempotency_key)
    else:
        key = (idempotency_key or "").strip() or None
    scope = f"receivables:submit:{op}"
    payload = body.model_dump()
    if key is not None:
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return replay(stored)
    signed = SignedStatement(raw, signature, body.kid)
    with locked_log(session, clock, cipher) as log:
        if key is not None:
            stored = idempotency.begin(session, scope, key, payload)
            if stored is not None:
                return replay(stored)
        done = _append_submitted(log, principal, body, stmt, signed, financing=financing)
        cert_id = str(done["cert"])
        if financing:
            complete_finance(log, cert_id, str(done["part"]))
        if op == "pay":
            settle(log, cert_id, done)
        audit_ops(session, log, cert_id)
        out = log.result(cert_id)
        if key is not None:
            idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


def _parse_submission(body: SubmitRequest) -> tuple[bytes, dict[str, Any], bytes]:
    """The submitted statement's bytes, the statement (an op a party may sign, with a seq, an
    actor and a time of the right types) and the signature."""
    raw = body.statement.encode("utf-8")
    try:
        stmt = parse_canonical(raw)
        signature = base64.b64decode(body.signature, validate=True)
    except ReceivablesError:
        raise
    except (ValueError, binascii.Error) as exc:
        raise InvalidInput(field="signature") from exc
    if not isinstance(stmt, dict) or not isinstance(stmt.get("op"), str):
        raise MalformedStatement(
            None, "a statement is a JSON object with an op", "报文必须是含 op 的 JSON 对象"
        )
    op = stmt["op"]
    if op not in drafts.SUBMITTABLE:
        raise NotOwnStatement(field="statement", op=op)
    for name, kind in (("seq", int), ("actor", str), ("at", str)):
        if type(stmt.get(name)) is not kind:
            raise MalformedStatement(name, "missing or of the wrong type", "缺失或类型错误")
    return raw, stmt, signature


def _append_submitted(
    log: Log,
    principal: Principal | None,
    body: SubmitRequest,
    stmt: dict[str, Any],
    signed: SignedStatement,
    *,
    financing: bool,
) -> dict[str, Any]:
    """Check who submits, freshness and the request's references, then append the signed
    statement (the log checks it against its own draft and the signature)."""
    session = log.session
    op, actor = stmt["op"], stmt["actor"]
    party = session.get(Party, actor)
    if party is None or party.enterprise_id is None:
        raise NotOwnStatement(field="statement", op=op)
    if principal is not None and not principal.can_act_for(party.enterprise_id):
        raise NotOwnStatement(field="statement", op=op)
    _check_fresh(log, stmt)
    req = drafts.request_from(stmt)
    to = req.get("to")
    if to is not None and (not isinstance(to, str) or session.get(Party, to) is None):
        raise NotFound("to", kind="party", kind_zh="参与方", id=str(to))
    extra: dict[str, Any] = {}
    if op == "issue":
        if not body.contract_no:
            raise InvalidInput(field="contract_no")
        extra = issue_terms(session, actor, body.contract_no)
    else:
        cert_id = req.get("cert")
        if not isinstance(cert_id, str):
            raise MalformedStatement("cert", "missing", "缺失")
        cert = log.cert(cert_id, principal)
        if financing:
            financing_terms(session, cert.issuer)
    done, _ = log.run(op, actor, req, signed=signed, cert_extra=extra)
    return done


def _check_fresh(log: Log, stmt: dict[str, Any]) -> None:
    if stmt["seq"] != log.head.size:
        raise StaleStatement(
            field="statement",
            reason=f"The log is at seq {log.head.size}; the statement was for {stmt['seq']}.",
            reason_zh=f"日志已到第 {log.head.size} 条，该报文是为第 {stmt['seq']} 条准备的。",
        )
    try:
        at = parse_at(stmt["at"])
    except ValueError as exc:
        raise MalformedStatement("at", "must be UTC YYYY-MM-DDTHH:MM:SSZ", "应为 UTC 时间") from exc
    now = log.clock.now()
    if at < now - timedelta(seconds=PREPARE_TTL_SECONDS):
        raise StaleStatement(
            field="statement",
            reason=f"It was prepared at {stmt['at']}, more than {PREPARE_TTL_SECONDS} s ago.",
            reason_zh=f"该报文准备于 {stmt['at']}，已超过 {PREPARE_TTL_SECONDS} 秒。",
        )
    if stmt["at"] > log.now_at():
        raise StatementMismatch(
            "at", reason="its time is in the future", reason_zh="报文时间晚于当前时间"
        )
