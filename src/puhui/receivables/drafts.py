"""The statement the platform drafts for a request, and the request a signed statement stands
for — pure (no database): the same function drafts a statement to sign with a custodial key,
the statement a party ``prepare``-s to sign with its own key, and the one a submitted
statement must equal byte for byte.

A request is a dict of the fields the caller chooses (``cert``, ``part``, ``to``, amounts...);
the platform allocates the rest from the state (certificate and part ids) and computes the
price of a financing.
"""

from __future__ import annotations

from typing import Any

from puhui.receivables.errors import MalformedStatement, NotFound
from puhui.receivables.state import ReceivablesState, discount_price
from puhui.receivables.statements import business_date, statement
from puhui.receivables.supply_state import SUPPLY_FIELDS, dealer_key, order_financing_days

# Ids the platform allocates for the supply products' new objects (from the statement's seq).
SUPPLY_NEW_IDS = {
    "receipt": ("receipt", "WR"),
    "order": ("order", "PO"),
    "programme": ("programme", "DP"),
    "dealer_draw": ("draw", "DF"),
}

# Operations a party may sign with its own key and submit (the others are the platform's or
# the bank's, signed by the platform's custodial keys).
SUBMITTABLE = (
    "issue",
    "accept",
    "reject",
    "cancel",
    "split",
    "transfer",
    "accept_transfer",
    "reject_transfer",
    "cancel_transfer",
    "pay",
)
# Fields of a statement the platform allocates or computes (ids, price); the rest come from
# the request.
DERIVED = {
    "issue": ("cert",),
    "split": ("parts",),
    "accept_transfer": ("new_part",),
    "finance": ("new_part", "days", "price_fen"),
}


def targets(op: str, actor: str, req: dict[str, Any]) -> dict[str, Any]:
    """What of the state a statement touches (the keyword arguments of the log's ``load``)."""
    if op in SUPPLY_FIELDS:
        return supply_targets(op, actor, req)
    if op == "limit":
        return {}
    if op == "issue":
        return {"issuer": actor, "invoice": req.get("invoice")}
    return {"cert_id": req.get("cert"), "with_issuer": op in ("reject", "cancel", "pay")}


def draft(
    op: str, actor: str, req: dict[str, Any], state: ReceivablesState, seq: int, at: str
) -> dict[str, Any]:
    """The statement the platform makes for a request at ``seq`` and time ``at`` (ids
    allocated from ``state``, which holds at least what :func:`targets` names)."""
    fields: dict[str, Any]
    if op == "limit":
        fields = {"party": req["party"], "limit_fen": req["limit_fen"]}
    elif op == "issue":
        fields = {
            "cert": f"EC{seq:010d}",
            "to": req["to"],
            "amount_fen": req["amount_fen"],
            "maturity_date": req["maturity_date"],
            "invoice": req["invoice"],
            "invoice_amount_fen": req["invoice_amount_fen"],
        }
    elif op in ("accept", "reject", "cancel", "overdue"):
        fields = {"cert": req["cert"]}
    elif op == "pay":
        cert = state.certificates.get(req["cert"])
        amount = req.get("amount_fen", cert.face_fen if cert else 1)
        fields = {"cert": req["cert"], "amount_fen": amount}
    elif op in SUPPLY_FIELDS:
        fields = supply_fields(op, req, state, seq, at)
    else:
        fields = _part_fields(op, req, state, at)
    return statement(op, seq=seq, actor=actor, at=at, **fields)


def _part_fields(op: str, req: dict[str, Any], state: ReceivablesState, at: str) -> dict[str, Any]:
    """The fields of an operation on one part of a certificate (new parts numbered in order)."""
    cert_id, part_id = req["cert"], req["part"]
    fields: dict[str, Any] = {"cert": cert_id, "part": part_id}
    cert = state.certificates.get(cert_id)
    part = state.parts.get(part_id)
    if cert is None or part is None or part.cert != cert_id:
        raise NotFound(
            "part", kind="part of certificate " + cert_id, kind_zh="凭证拆分", id=part_id
        )
    number = len(cert.part_ids)
    if op == "split":
        fields["parts"] = [
            {"part": f"{cert_id}-{number + i}", "amount_fen": amount}
            for i, amount in enumerate(req["amounts"])
        ]
    elif op == "transfer":
        fields["to"] = req["to"]
    elif op == "accept_transfer":
        fields["new_part"] = f"{cert_id}-{number}"
    elif op == "finance":
        days = max((cert.maturity_date - business_date(at)).days, 0)
        fields["new_part"] = f"{cert_id}-{number}"
        fields["rate_bp"] = req["rate_bp"]
        fields["days"] = days
        fields["price_fen"] = discount_price(part.amount_fen, req["rate_bp"], days)
    elif op == "clear":
        fields["to"] = req["to"]
        fields["amount_fen"] = req["amount_fen"]
    return fields


def request_from(stmt: dict[str, Any]) -> dict[str, Any]:
    """The request fields of a submitted statement (what the platform does not allocate)."""
    op = stmt["op"]
    req = {k: v for k, v in stmt.items() if k not in ("v", "seq", "op", "actor", "at")}
    for name in DERIVED.get(op, ()):
        req.pop(name, None)
    if op == "split":
        parts = stmt.get("parts")
        if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise MalformedStatement(
                "parts", "must be a list of {part, amount_fen}", "应为 {part, amount_fen} 列表"
            )
        req["amounts"] = [p.get("amount_fen") for p in parts]
    return req


def supply_targets(op: str, actor: str, req: dict[str, Any]) -> dict[str, Any]:
    """The supply objects a statement touches (what they refer to is loaded with them)."""
    ids: list[str] = []
    for name in ("receipt", "order", "programme", "draw"):
        if isinstance(req.get(name), str):
            ids.append(req[name])
    if op == "dealer" and isinstance(req.get("programme"), str):
        ids.append(dealer_key(req["programme"], str(req.get("to"))))
    if op == "dealer_draw" and isinstance(req.get("programme"), str):
        ids.append(dealer_key(req["programme"], actor))
    return {
        "supply": ids,
        "cert_id": req.get("cert"),
        "warehouse": actor if op == "receipt" else None,
    }


def supply_fields(
    op: str, req: dict[str, Any], state: ReceivablesState, seq: int, at: str
) -> dict[str, Any]:
    """The fields of a supply statement: the request's, new ids allocated from ``seq``, and an
    order financing's days and price computed from the order."""
    fields = {name: req.get(name) for name in SUPPLY_FIELDS[op]}
    new = SUPPLY_NEW_IDS.get(op)
    if new is not None and not (op == "programme" and req.get("programme")):
        fields[new[0]] = f"{new[1]}{seq:010d}"
    if op == "order_finance":
        order = state.supply.orders.get(req["order"])
        if order is None:
            raise NotFound("order", kind="order", kind_zh="订单", id=req["order"])
        days = order_financing_days(order, business_date(at))
        fields["days"] = days
        fields["price_fen"] = discount_price(req["amount_fen"], req["rate_bp"], days)
    return fields
