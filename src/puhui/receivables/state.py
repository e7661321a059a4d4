"""The receivables state machine: apply statements one at a time, or replay a whole log.

Pure code, no I/O. The database service validates an operation by applying its statement to
the current state (``ReceivablesState.apply``); the verifier replays every statement of an
export. ``apply`` is all-or-nothing: it checks everything first and raises a specific
:class:`~puhui.receivables.errors.ReceivablesError` without changing anything, or applies the
whole statement.

Things
    * certificate (应收账款债权凭证): issued by a core enterprise to a tier-1 supplier; face
      amount in fen, maturity date, backed by an invoice. Status: pending → active → paid →
      cleared, or pending → void (rejected / cancelled), active → overdue → paid.
    * part: a piece of a certificate with one holder for its whole life. Issuing creates the
      root part (id = certificate id); split, transfer and finance close a part and create
      children, so the parts form a provenance tree. Status: pending_accept, held,
      pending_transfer, financed, cleared, closed.
    * invoice: backs certificates only up to its amount, once (a used amount is never reused,
      except when the certificate it backed is rejected or cancelled before acceptance).
    * limit: a core enterprise's supply-chain limit, granted by the platform; outstanding
      (issued, not yet paid, not void) certificates must stay within it.

Operations (statement fields besides v, seq, op, actor, at)
    ===============  ===================  ==================================================
    op               actor                fields
    ===============  ===================  ==================================================
    limit            platform             party, limit_fen (0 revokes)
    issue            core enterprise      cert, to, amount_fen, maturity_date,
                                          invoice, invoice_amount_fen
    accept           supplier (to)        cert
    reject           supplier (to)        cert
    cancel           core enterprise      cert            (only while not yet accepted)
    split            holder               cert, part, parts: [{part, amount_fen}, ...]
    transfer         holder               cert, part, to  (offer; to a financier = apply)
    accept_transfer  receiver             cert, part, new_part
    reject_transfer  receiver             cert, part
    cancel_transfer  holder               cert, part
    finance          financier (bank)     cert, part, new_part, rate_bp, days, price_fen
    pay              core enterprise      cert, amount_fen (the face, on/after maturity)
    clear            platform             cert, part, to (the holder), amount_fen
    overdue          platform             cert            (after maturity, unpaid)
    ===============  ===================  ==================================================

    Orders, warehouse receipts and dealer programmes (warehouse, receipt, pledge, release,
    order*, programme, dealer, dealer_*): see :mod:`puhui.receivables.supply_state`, whose
    handlers this state dispatches to (their objects live in ``state.supply``).

    Financing is two-phase like a transfer: the holder offers the part to a financier
    (``transfer``, its signed consent) and the financier completes it with ``finance``:
    price = amount − amount × rate_bp/10000 × days/360, ROUND_HALF_UP to the fen, days from
    the business date (Asia/Shanghai) to maturity. The financier holds the new part, status
    financed, until clearing.

Using it from a database service
    Rather than replaying the whole log for each operation, a service can fill a fresh state
    with just what the statement touches — ``size`` (the log size) and ``last_at``, the
    issuer's entry in ``limits`` and ``outstanding``, the certificate with all its parts, the
    invoice — and call ``apply``; the returned :class:`Applied` says which parts were created
    and updated. ``apply`` checks id uniqueness only against what the state holds, so the
    tables keep their unique constraints.

Invariants (``check_invariants``)
    Parts of a certificate that are not closed always sum to its face (unless void); a part is
    consumed (split, transferred, financed, cleared) at most once, because every such operation
    needs a live status and leaves the part closed or cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from puhui.receivables.errors import (
    ActorNotAllowed,
    AlreadyExists,
    CertificateMatured,
    CertificateStatusInvalid,
    DoubleSpend,
    HolderMismatch,
    InvalidAmount,
    InvalidDate,
    InvariantBroken,
    InvoiceExhausted,
    InvoiceMismatch,
    LimitExceeded,
    LimitMissing,
    MalformedStatement,
    NotAFinancier,
    NotFound,
    NotYetMatured,
    PartBelowMinimum,
    PartStatusInvalid,
    PaymentMismatch,
    PendingOperations,
    PriceMismatch,
    SelfTransfer,
    SequenceMismatch,
    SplitInvalid,
    TimeWentBackwards,
    UnknownOperation,
)
from puhui.receivables.statements import (
    MAX_SAFE_INT,
    SHANGHAI,
    STATEMENT_VERSION,
    business_date,
    parse_at,
    parse_date,
)
from puhui.receivables.supply_state import (
    AMOUNT_FIELDS,
    AMOUNT_OR_ZERO_FIELDS,
    DATE_FIELDS,
    ID_FIELDS,
    SUPPLY_FIELDS,
    SUPPLY_HANDLERS,
    SUPPLY_VALIDATORS,
    SupplyBook,
    SupplyHandler,
)


class PartStatus(StrEnum):
    PENDING_ACCEPT = "pending_accept"
    HELD = "held"
    PENDING_TRANSFER = "pending_transfer"
    FINANCED = "financed"
    CLEARED = "cleared"
    CLOSED = "closed"


class CertificateStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    OVERDUE = "overdue"
    PAID = "paid"
    CLEARED = "cleared"
    VOID = "void"


_P = PartStatus
_C = CertificateStatus

PART_TRANSITIONS: dict[PartStatus, frozenset[PartStatus]] = {
    _P.PENDING_ACCEPT: frozenset({_P.HELD, _P.CLOSED}),
    _P.HELD: frozenset({_P.PENDING_TRANSFER, _P.CLOSED, _P.CLEARED}),
    _P.PENDING_TRANSFER: frozenset({_P.HELD, _P.CLOSED}),
    _P.FINANCED: frozenset({_P.CLEARED}),
    _P.CLEARED: frozenset(),
    _P.CLOSED: frozenset(),
}
"""Allowed part status changes (a new part starts pending_accept, held or financed)."""

CERTIFICATE_TRANSITIONS: dict[CertificateStatus, frozenset[CertificateStatus]] = {
    _C.PENDING: frozenset({_C.ACTIVE, _C.VOID}),
    _C.ACTIVE: frozenset({_C.OVERDUE, _C.PAID}),
    _C.OVERDUE: frozenset({_C.PAID}),
    _C.PAID: frozenset({_C.CLEARED}),
    _C.CLEARED: frozenset(),
    _C.VOID: frozenset(),
}

_CONSUMED = frozenset({_P.CLOSED, _P.CLEARED, _P.FINANCED})
_NOT_LIVE = _P.CLOSED
_OUTSTANDING = frozenset({_C.PENDING, _C.ACTIVE, _C.OVERDUE})


@dataclass(frozen=True, slots=True)
class Rules:
    """Who the platform and the financiers are, and the product limits."""

    platform: str
    financiers: frozenset[str]
    min_part_fen: int = 100_00
    max_split_parts: int = 100
    max_term_days: int = 366
    order_max_share_bp: int = 7000  # order financing: at most this share of the order amount

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "platform": self.platform,
            "financiers": sorted(self.financiers),
            "min_part_fen": self.min_part_fen,
            "max_split_parts": self.max_split_parts,
            "max_term_days": self.max_term_days,
        }
        if self.order_max_share_bp != 7000:  # written only when set: older exports unchanged
            data["order_max_share_bp"] = self.order_max_share_bp
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rules:
        return cls(
            platform=str(data["platform"]),
            financiers=frozenset(str(f) for f in data.get("financiers", ())),
            min_part_fen=int(data.get("min_part_fen", 100_00)),
            max_split_parts=int(data.get("max_split_parts", 100)),
            max_term_days=int(data.get("max_term_days", 366)),
            order_max_share_bp=int(data.get("order_max_share_bp", 7000)),
        )


@dataclass(slots=True)
class Certificate:
    id: str
    issuer: str
    supplier: str
    face_fen: int
    maturity_date: date
    invoice: str
    issued_seq: int
    status: CertificateStatus = _C.PENDING
    cleared_fen: int = 0
    part_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Part:
    id: str
    cert: str
    parent: str | None
    amount_fen: int
    holder: str
    status: PartStatus
    created_seq: int
    pending_to: str | None = None
    price_fen: int | None = None
    rate_bp: int | None = None


@dataclass(slots=True)
class Invoice:
    ref: str
    amount_fen: int
    seller: str
    buyer: str
    used_fen: int = 0


class Applied(NamedTuple):
    """What one statement changed, for a caller that persists the state (the DB service)."""

    seq: int
    op: str
    cert: str | None = None
    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    supply: tuple[str, ...] = ()  # orders, receipts, programmes, dealers, draws touched


# ---------------------------------------------------------------------------------------------
# Field validation


def _id(name: str, value: Any) -> None:
    if type(value) is not str or not 0 < len(value) <= 64 or not value.isprintable():
        raise MalformedStatement(
            name, "must be an id of 1 to 64 printable characters", "应为 1 到 64 个可打印字符的编号"
        )


def _amount(name: str, value: Any) -> None:
    if type(value) is not int or not 0 < value <= MAX_SAFE_INT:
        raise InvalidAmount(name, amount_fen=value, max_fen=MAX_SAFE_INT)


def _amount_or_zero(name: str, value: Any) -> None:
    if type(value) is not int or not 0 <= value <= MAX_SAFE_INT:
        raise InvalidAmount(name, amount_fen=value, max_fen=MAX_SAFE_INT)


def _date(name: str, value: Any) -> None:
    try:
        parse_date(value)
    except (TypeError, ValueError) as exc:
        raise InvalidDate(
            name, date=value, reason="not YYYY-MM-DD", reason_zh="格式应为 YYYY-MM-DD"
        ) from exc


def _rate(name: str, value: Any) -> None:
    if type(value) is not int or not 0 <= value <= 100_000:
        raise MalformedStatement(
            name, "must be basis points 0..100000", "应为 0 到 100000 的基点数"
        )


def _days(name: str, value: Any) -> None:
    if type(value) is not int or not 0 <= value <= 100_000:
        raise MalformedStatement(name, "must be a whole number of days", "应为整数天数")


def _split_parts(name: str, value: Any) -> None:
    if type(value) is not list:
        raise MalformedStatement(
            name, "must be a list of {part, amount_fen}", "应为 {part, amount_fen} 列表"
        )
    for i, item in enumerate(value):
        if type(item) is not dict or item.keys() != {"part", "amount_fen"}:
            raise MalformedStatement(
                f"{name}[{i}]", "must be {part, amount_fen}", "应为 {part, amount_fen}"
            )
        _id(f"{name}[{i}].part", item["part"])
        _amount(f"{name}[{i}].amount_fen", item["amount_fen"])


_VALIDATORS: dict[str, Callable[[str, Any], None]] = {
    "actor": _id,
    "party": _id,
    "cert": _id,
    "part": _id,
    "new_part": _id,
    "to": _id,
    "invoice": _id,
    "limit_fen": _amount_or_zero,
    "amount_fen": _amount,
    "invoice_amount_fen": _amount,
    "price_fen": _amount,
    "maturity_date": _date,
    "rate_bp": _rate,
    "days": _days,
    "parts": _split_parts,
    **SUPPLY_VALIDATORS,
    **dict.fromkeys(ID_FIELDS, _id),
    **dict.fromkeys(AMOUNT_FIELDS, _amount),
    **dict.fromkeys(AMOUNT_OR_ZERO_FIELDS, _amount_or_zero),
    **dict.fromkeys(DATE_FIELDS, _date),
}

_COMMON = ("v", "seq", "op", "actor", "at")
_FIELDS: dict[str, tuple[str, ...]] = {
    "limit": ("party", "limit_fen"),
    "issue": ("cert", "to", "amount_fen", "maturity_date", "invoice", "invoice_amount_fen"),
    "accept": ("cert",),
    "reject": ("cert",),
    "cancel": ("cert",),
    "split": ("cert", "part", "parts"),
    "transfer": ("cert", "part", "to"),
    "accept_transfer": ("cert", "part", "new_part"),
    "reject_transfer": ("cert", "part"),
    "cancel_transfer": ("cert", "part"),
    "finance": ("cert", "part", "new_part", "rate_bp", "days", "price_fen"),
    "pay": ("cert", "amount_fen"),
    "clear": ("cert", "part", "to", "amount_fen"),
    "overdue": ("cert",),
    **SUPPLY_FIELDS,
}
OPERATIONS: tuple[str, ...] = tuple(op for op in _FIELDS if op not in SUPPLY_FIELDS)
"""The certificate operations (the supply products' are ``supply_state.SUPPLY_FIELDS``)."""


def _move_part(part: Part, new: PartStatus) -> None:
    if new not in PART_TRANSITIONS[part.status]:
        raise RuntimeError(f"part {part.id}: {part.status} -> {new} is not a transition")
    part.status = new


def _move_cert(cert: Certificate, new: CertificateStatus) -> None:
    if new not in CERTIFICATE_TRANSITIONS[cert.status]:
        raise RuntimeError(f"certificate {cert.id}: {cert.status} -> {new} is not a transition")
    cert.status = new


def discount_price(amount_fen: int, rate_bp: int, days: int) -> int:
    """amount − amount × rate_bp/10000 × days/360, ROUND_HALF_UP to the fen."""
    discount = Decimal(amount_fen) * rate_bp * days / (Decimal(10_000) * 360)
    return amount_fen - int(discount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------
# The state


class ReceivablesState:
    """Everything the statements so far imply. ``size`` is the next expected ``seq``."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.size = 0
        self.last_at = ""
        self.limits: dict[str, int] = {}
        self.outstanding: dict[str, int] = {}
        self.certificates: dict[str, Certificate] = {}
        self.parts: dict[str, Part] = {}
        self.invoices: dict[str, Invoice] = {}
        self.supply = SupplyBook()
        self._bdate_cache: tuple[str, date] = ("", date.min)
        self._at_checked = ""

    # -- entry points -------------------------------------------------------------------------

    def apply(self, stmt: Mapping[str, Any]) -> Applied:
        """Validate ``stmt`` against the state and apply it, or raise and change nothing."""
        if type(stmt) is not dict:
            raise MalformedStatement(None, "a statement is a JSON object", "报文必须是 JSON 对象")
        if stmt.get("v") != STATEMENT_VERSION or type(stmt.get("v")) is not int:
            raise MalformedStatement(
                "v", f"version must be {STATEMENT_VERSION}", f"版本应为 {STATEMENT_VERSION}"
            )
        seq = stmt.get("seq")
        if type(seq) is not int or seq != self.size:
            raise SequenceMismatch("seq", expected=self.size, got=seq)
        op = stmt.get("op")
        spec = _SPECS.get(op) if type(op) is str else None
        if spec is None:
            raise UnknownOperation("op", op=op)
        keys, checks, handler = spec
        if stmt.keys() != keys:
            missing = sorted(keys - stmt.keys())
            if missing:
                raise MalformedStatement(missing[0], "missing", "缺失")
            extra = sorted(stmt.keys() - keys)
            raise MalformedStatement(extra[0], f"not a field of {op}", f"不是 {op} 的字段")
        for name, check in checks:
            check(name, stmt[name])
        at = stmt["at"]
        if at != self._at_checked:
            try:
                moment = parse_at(at) if type(at) is str else parse_at("")
            except ValueError as exc:
                raise MalformedStatement(
                    "at", "must be UTC YYYY-MM-DDTHH:MM:SSZ", "应为 UTC 时间 YYYY-MM-DDTHH:MM:SSZ"
                ) from exc
            if at < self.last_at:
                raise TimeWentBackwards("at", at=at, previous=self.last_at)
            self._at_checked = at
            self._bdate_cache = (at, (moment + SHANGHAI).date())
        applied = handler(self, stmt)
        self.size = seq + 1
        self.last_at = at
        return applied

    def check_invariants(self) -> None:
        """Raise :class:`InvariantBroken` unless live parts sum to each certificate's face."""
        parts = self.parts
        for cert in self.certificates.values():
            live = [parts[p] for p in cert.part_ids if parts[p].status is not _NOT_LIVE]
            total = sum(p.amount_fen for p in live)
            expected = 0 if cert.status is _C.VOID else cert.face_fen
            if total != expected:
                raise InvariantBroken(cert=cert.id, total_fen=total, face_fen=expected)
            cleared = sum(p.amount_fen for p in live if p.status is _P.CLEARED)
            if cleared != cert.cleared_fen:
                raise InvariantBroken(cert=cert.id, total_fen=cleared, face_fen=cert.cleared_fen)

    def summary(self) -> dict[str, Any]:
        """Counts and totals for reports."""
        by_cert: dict[str, int] = {}
        for cert in self.certificates.values():
            by_cert[cert.status.value] = by_cert.get(cert.status.value, 0) + 1
        by_part: dict[str, int] = {}
        financed_fen = cleared_fen = 0
        for part in self.parts.values():
            by_part[part.status.value] = by_part.get(part.status.value, 0) + 1
            if part.price_fen is not None:
                financed_fen += part.price_fen
            if part.status is _P.CLEARED:
                cleared_fen += part.amount_fen
        return {
            "statements": self.size,
            "certificates": len(self.certificates),
            "certificates_by_status": dict(sorted(by_cert.items())),
            "parts": len(self.parts),
            "parts_by_status": dict(sorted(by_part.items())),
            "outstanding_fen": sum(self.outstanding.values()),
            "financed_price_fen": financed_fen,
            "cleared_fen": cleared_fen,
            "invoices": len(self.invoices),
            **({"supply": self.supply.summary()} if self.supply.get_any() else {}),
        }

    # -- helpers ------------------------------------------------------------------------------

    def _business_date(self, at: str) -> date:
        cached_at, cached = self._bdate_cache
        if cached_at == at:
            return cached
        d = business_date(at)
        self._bdate_cache = (at, d)
        return d

    def _cert(self, stmt: Mapping[str, Any]) -> Certificate:
        cert = self.certificates.get(stmt["cert"])
        if cert is None:
            raise NotFound("cert", kind="certificate", kind_zh="凭证", id=stmt["cert"])
        return cert

    def _part(
        self, stmt: Mapping[str, Any], op: str, needed: PartStatus
    ) -> tuple[Part, Certificate]:
        part = self.parts.get(stmt["part"])
        if part is None or part.cert != stmt["cert"]:
            raise NotFound(
                "part",
                kind="part of certificate " + stmt["cert"],
                kind_zh="凭证拆分",
                id=stmt["part"],
            )
        if part.status is not needed:
            cls = DoubleSpend if part.status in _CONSUMED else PartStatusInvalid
            raise cls("part", part=part.id, status=part.status.value, op=op, needed=needed.value)
        return part, self.certificates[part.cert]

    @staticmethod
    def _actor_is(stmt: Mapping[str, Any], expected: str, op: str, target: str) -> None:
        if stmt["actor"] != expected:
            raise ActorNotAllowed(
                "actor", actor=stmt["actor"], op=op, target=target, expected=expected
            )

    @staticmethod
    def _cert_status(cert: Certificate, op: str, *allowed: CertificateStatus) -> None:
        if cert.status not in allowed:
            raise CertificateStatusInvalid(
                "cert",
                cert=cert.id,
                status=cert.status.value,
                op=op,
                needed="/".join(s.value for s in allowed),
            )

    def _before_maturity(self, cert: Certificate, stmt: Mapping[str, Any], op: str) -> date:
        today = self._business_date(stmt["at"])
        if today >= cert.maturity_date:
            raise CertificateMatured(
                "cert", cert=cert.id, maturity_date=cert.maturity_date.isoformat(), op=op
            )
        return today

    def _new_part_id(self, part_id: str, name: str) -> None:
        if part_id in self.parts or part_id in self.certificates:
            raise AlreadyExists(name, kind="part", kind_zh="凭证拆分", id=part_id)

    def _add_part(self, cert: Certificate, part: Part) -> None:
        self.parts[part.id] = part
        cert.part_ids.append(part.id)

    # -- operations ---------------------------------------------------------------------------

    def _limit(self, stmt: Mapping[str, Any]) -> Applied:
        self._actor_is(stmt, self.rules.platform, "limit", stmt["party"])
        self.limits[stmt["party"]] = stmt["limit_fen"]
        return Applied(stmt["seq"], "limit")

    def _issue(self, stmt: Mapping[str, Any]) -> Applied:
        issuer, supplier, cert_id = stmt["actor"], stmt["to"], stmt["cert"]
        amount = stmt["amount_fen"]
        if cert_id in self.certificates or cert_id in self.parts:
            raise AlreadyExists("cert", kind="certificate", kind_zh="凭证", id=cert_id)
        if supplier == issuer:
            raise SelfTransfer("to", party=issuer)
        today = self._business_date(stmt["at"])
        maturity = parse_date(stmt["maturity_date"])
        term = (maturity - today).days
        if term <= 0:
            raise InvalidDate(
                "maturity_date",
                date=stmt["maturity_date"],
                reason=f"must be after the issue date {today}",
                reason_zh=f"应晚于签发日 {today}",
            )
        if term > self.rules.max_term_days:
            raise InvalidDate(
                "maturity_date",
                date=stmt["maturity_date"],
                reason=f"more than {self.rules.max_term_days} days away",
                reason_zh=f"期限超过 {self.rules.max_term_days} 天",
            )
        limit = self.limits.get(issuer)
        if limit is None:
            raise LimitMissing("actor", party=issuer)
        outstanding = self.outstanding.get(issuer, 0)
        if outstanding + amount > limit:
            raise LimitExceeded(
                "amount_fen",
                party=issuer,
                limit_fen=limit,
                outstanding_fen=outstanding,
                amount_fen=amount,
            )
        ref, invoice_amount = stmt["invoice"], stmt["invoice_amount_fen"]
        invoice = self.invoices.get(ref)
        if invoice is not None:
            if (invoice.amount_fen, invoice.seller, invoice.buyer) != (
                invoice_amount,
                supplier,
                issuer,
            ):
                raise InvoiceMismatch(
                    "invoice",
                    invoice=ref,
                    known=f"{invoice.amount_fen} fen {invoice.seller}→{invoice.buyer}",
                    given=f"{invoice_amount} fen {supplier}→{issuer}",
                )
            used = invoice.used_fen
        else:
            used = 0
        if used + amount > invoice_amount:
            raise InvoiceExhausted(
                "amount_fen",
                invoice=ref,
                amount_fen=invoice_amount,
                used_fen=used,
                requested_fen=amount,
            )
        # -- all checks passed
        if invoice is None:
            invoice = self.invoices[ref] = Invoice(ref, invoice_amount, supplier, issuer)
        invoice.used_fen += amount
        self.outstanding[issuer] = outstanding + amount
        cert = Certificate(cert_id, issuer, supplier, amount, maturity, ref, stmt["seq"])
        self.certificates[cert_id] = cert
        self._add_part(
            cert, Part(cert_id, cert_id, None, amount, supplier, _P.PENDING_ACCEPT, stmt["seq"])
        )
        return Applied(stmt["seq"], "issue", cert_id, created=(cert_id,))

    def _accept(self, stmt: Mapping[str, Any]) -> Applied:
        cert = self._cert(stmt)
        self._cert_status(cert, "accept", _C.PENDING)
        self._actor_is(stmt, cert.supplier, "accept", cert.id)
        _move_cert(cert, _C.ACTIVE)
        _move_part(self.parts[cert.id], _P.HELD)
        return Applied(stmt["seq"], "accept", cert.id, updated=(cert.id,))

    def _void(self, stmt: Mapping[str, Any], op: str, by: str) -> Applied:
        cert = self._cert(stmt)
        self._cert_status(cert, op, _C.PENDING)
        self._actor_is(stmt, cert.supplier if by == "supplier" else cert.issuer, op, cert.id)
        _move_cert(cert, _C.VOID)
        _move_part(self.parts[cert.id], _P.CLOSED)
        self.outstanding[cert.issuer] -= cert.face_fen
        self.invoices[cert.invoice].used_fen -= cert.face_fen
        return Applied(stmt["seq"], op, cert.id, updated=(cert.id,))

    def _reject(self, stmt: Mapping[str, Any]) -> Applied:
        return self._void(stmt, "reject", "supplier")

    def _cancel(self, stmt: Mapping[str, Any]) -> Applied:
        return self._void(stmt, "cancel", "issuer")

    def _split(self, stmt: Mapping[str, Any]) -> Applied:
        part, cert = self._part(stmt, "split", _P.HELD)
        self._actor_is(stmt, part.holder, "split", part.id)
        self._cert_status(cert, "split", _C.ACTIVE)
        self._before_maturity(cert, stmt, "split")
        children = stmt["parts"]
        if not 2 <= len(children) <= self.rules.max_split_parts:
            raise SplitInvalid(
                "parts",
                reason=f"needs 2 to {self.rules.max_split_parts} parts",
                reason_zh=f"应拆分为 2 到 {self.rules.max_split_parts} 份",
            )
        seen: set[str] = set()
        total = 0
        for i, child in enumerate(children):
            child_id, amount = child["part"], child["amount_fen"]
            if child_id in seen:
                raise SplitInvalid(
                    f"parts[{i}].part", reason=f"{child_id} repeated", reason_zh=f"{child_id} 重复"
                )
            seen.add(child_id)
            self._new_part_id(child_id, f"parts[{i}].part")
            if amount < self.rules.min_part_fen:
                raise PartBelowMinimum(
                    f"parts[{i}].amount_fen", amount_fen=amount, minimum_fen=self.rules.min_part_fen
                )
            total += amount
        if total != part.amount_fen:
            raise SplitInvalid(
                "parts",
                reason=f"parts sum to {total} fen, not {part.amount_fen} fen",
                reason_zh=f"拆分合计 {total} 分，不等于 {part.amount_fen} 分",
            )
        _move_part(part, _P.CLOSED)
        seq = stmt["seq"]
        for child in children:
            self._add_part(
                cert,
                Part(
                    child["part"], cert.id, part.id, child["amount_fen"], part.holder, _P.HELD, seq
                ),
            )
        return Applied(
            seq, "split", cert.id, created=tuple(c["part"] for c in children), updated=(part.id,)
        )

    def _transfer(self, stmt: Mapping[str, Any]) -> Applied:
        part, cert = self._part(stmt, "transfer", _P.HELD)
        self._actor_is(stmt, part.holder, "transfer", part.id)
        self._cert_status(cert, "transfer", _C.ACTIVE)
        self._before_maturity(cert, stmt, "transfer")
        if stmt["to"] == part.holder:
            raise SelfTransfer("to", party=part.holder)
        _move_part(part, _P.PENDING_TRANSFER)
        part.pending_to = stmt["to"]
        return Applied(stmt["seq"], "transfer", cert.id, updated=(part.id,))

    def _accept_transfer(self, stmt: Mapping[str, Any]) -> Applied:
        part, cert = self._part(stmt, "accept_transfer", _P.PENDING_TRANSFER)
        assert part.pending_to is not None
        self._actor_is(stmt, part.pending_to, "accept_transfer", part.id)
        self._cert_status(cert, "accept_transfer", _C.ACTIVE)
        self._before_maturity(cert, stmt, "accept_transfer")
        self._new_part_id(stmt["new_part"], "new_part")
        _move_part(part, _P.CLOSED)
        child = Part(
            stmt["new_part"], cert.id, part.id, part.amount_fen, stmt["actor"], _P.HELD, stmt["seq"]
        )
        self._add_part(cert, child)
        return Applied(
            stmt["seq"], "accept_transfer", cert.id, created=(child.id,), updated=(part.id,)
        )

    def _reject_transfer(self, stmt: Mapping[str, Any]) -> Applied:
        part, cert = self._part(stmt, "reject_transfer", _P.PENDING_TRANSFER)
        assert part.pending_to is not None
        self._actor_is(stmt, part.pending_to, "reject_transfer", part.id)
        _move_part(part, _P.HELD)
        part.pending_to = None
        return Applied(stmt["seq"], "reject_transfer", cert.id, updated=(part.id,))

    def _cancel_transfer(self, stmt: Mapping[str, Any]) -> Applied:
        part, cert = self._part(stmt, "cancel_transfer", _P.PENDING_TRANSFER)
        self._actor_is(stmt, part.holder, "cancel_transfer", part.id)
        _move_part(part, _P.HELD)
        part.pending_to = None
        return Applied(stmt["seq"], "cancel_transfer", cert.id, updated=(part.id,))

    def _finance(self, stmt: Mapping[str, Any]) -> Applied:
        financier = stmt["actor"]
        if financier not in self.rules.financiers:
            raise NotAFinancier("actor", party=financier)
        part, cert = self._part(stmt, "finance", _P.PENDING_TRANSFER)
        assert part.pending_to is not None
        self._actor_is(stmt, part.pending_to, "finance", part.id)
        self._cert_status(cert, "finance", _C.ACTIVE)
        today = self._before_maturity(cert, stmt, "finance")
        self._new_part_id(stmt["new_part"], "new_part")
        days = (cert.maturity_date - today).days
        rate = stmt["rate_bp"]
        expected = discount_price(part.amount_fen, rate, days)
        if stmt["days"] != days or stmt["price_fen"] != expected:
            raise PriceMismatch(
                "price_fen" if stmt["days"] == days else "days",
                rate_bp=rate,
                days=days,
                expected_fen=expected,
                got_fen=stmt["price_fen"],
            )
        _move_part(part, _P.CLOSED)
        child = Part(
            stmt["new_part"],
            cert.id,
            part.id,
            part.amount_fen,
            financier,
            _P.FINANCED,
            stmt["seq"],
            price_fen=expected,
            rate_bp=rate,
        )
        self._add_part(cert, child)
        return Applied(stmt["seq"], "finance", cert.id, created=(child.id,), updated=(part.id,))

    def _pay(self, stmt: Mapping[str, Any]) -> Applied:
        cert = self._cert(stmt)
        self._cert_status(cert, "pay", _C.ACTIVE, _C.OVERDUE)
        self._actor_is(stmt, cert.issuer, "pay", cert.id)
        today = self._business_date(stmt["at"])
        if today < cert.maturity_date:
            raise NotYetMatured(
                "at",
                cert=cert.id,
                maturity_date=cert.maturity_date.isoformat(),
                business_date=today.isoformat(),
                op="pay",
            )
        if stmt["amount_fen"] != cert.face_fen:
            raise PaymentMismatch(
                "amount_fen", target=cert.id, expected_fen=cert.face_fen, got_fen=stmt["amount_fen"]
            )
        for part_id in cert.part_ids:
            if self.parts[part_id].status is _P.PENDING_TRANSFER:
                raise PendingOperations("cert", cert=cert.id, part=part_id)
        _move_cert(cert, _C.PAID)
        self.outstanding[cert.issuer] -= cert.face_fen
        return Applied(stmt["seq"], "pay", cert.id)

    def _clear(self, stmt: Mapping[str, Any]) -> Applied:
        self._actor_is(stmt, self.rules.platform, "clear", stmt["part"])
        part = self.parts.get(stmt["part"])
        if part is None or part.cert != stmt["cert"]:
            raise NotFound(
                "part",
                kind="part of certificate " + stmt["cert"],
                kind_zh="凭证拆分",
                id=stmt["part"],
            )
        cert = self.certificates[part.cert]
        self._cert_status(cert, "clear", _C.PAID)
        if part.status is not _P.HELD and part.status is not _P.FINANCED:
            cls = DoubleSpend if part.status in (_P.CLOSED, _P.CLEARED) else PartStatusInvalid
            raise cls(
                "part", part=part.id, status=part.status.value, op="clear", needed="held/financed"
            )
        if stmt["to"] != part.holder:
            raise HolderMismatch("to", part=part.id, holder=part.holder, given=stmt["to"])
        if stmt["amount_fen"] != part.amount_fen:
            raise PaymentMismatch(
                "amount_fen",
                target=part.id,
                expected_fen=part.amount_fen,
                got_fen=stmt["amount_fen"],
            )
        _move_part(part, _P.CLEARED)
        cert.cleared_fen += part.amount_fen
        if cert.cleared_fen == cert.face_fen:
            _move_cert(cert, _C.CLEARED)
        return Applied(stmt["seq"], "clear", cert.id, updated=(part.id,))

    def _overdue(self, stmt: Mapping[str, Any]) -> Applied:
        cert = self._cert(stmt)
        self._actor_is(stmt, self.rules.platform, "overdue", cert.id)
        self._cert_status(cert, "overdue", _C.ACTIVE)
        today = self._business_date(stmt["at"])
        if today <= cert.maturity_date:
            raise NotYetMatured(
                "at",
                cert=cert.id,
                maturity_date=cert.maturity_date.isoformat(),
                business_date=today.isoformat(),
                op="overdue",
            )
        _move_cert(cert, _C.OVERDUE)
        return Applied(stmt["seq"], "overdue", cert.id)


def _supply_handler(
    op: str, handler: SupplyHandler
) -> Callable[[ReceivablesState, Mapping[str, Any]], Applied]:
    def run(state: ReceivablesState, stmt: Mapping[str, Any]) -> Applied:
        touched = handler(state, stmt)
        return Applied(stmt["seq"], op, stmt.get("cert"), supply=touched)

    return run


_HANDLERS: dict[str, Callable[[ReceivablesState, Mapping[str, Any]], Applied]] = {
    "limit": ReceivablesState._limit,
    "issue": ReceivablesState._issue,
    "accept": ReceivablesState._accept,
    "reject": ReceivablesState._reject,
    "cancel": ReceivablesState._cancel,
    "split": ReceivablesState._split,
    "transfer": ReceivablesState._transfer,
    "accept_transfer": ReceivablesState._accept_transfer,
    "reject_transfer": ReceivablesState._reject_transfer,
    "cancel_transfer": ReceivablesState._cancel_transfer,
    "finance": ReceivablesState._finance,
    "pay": ReceivablesState._pay,
    "clear": ReceivablesState._clear,
    "overdue": ReceivablesState._overdue,
    **{op: _supply_handler(op, h) for op, h in SUPPLY_HANDLERS.items()},
}
assert _HANDLERS.keys() == _FIELDS.keys()

_Spec = tuple[
    frozenset[str],
    tuple[tuple[str, Callable[[str, Any], None]], ...],
    Callable[[ReceivablesState, Mapping[str, Any]], Applied],
]
_SPECS: dict[str, _Spec] = {
    op: (
        frozenset(_COMMON + fields),
        tuple((name, _VALIDATORS[name]) for name in ("actor", *fields)),
        _HANDLERS[op],
    )
    for op, fields in _FIELDS.items()
}


def replay(statements: Iterable[Mapping[str, Any]], rules: Rules) -> ReceivablesState:
    """Apply ``statements`` in order to a fresh state and check the invariants."""
    state = ReceivablesState(rules)
    for stmt in statements:
        state.apply(stmt)
    state.check_invariants()
    return state
