"""The receivables chain as a service: certificates on a verifiable log, in the database.

Every operation is a canonical JSON statement signed by its actor (the party's custodial key by
default, or the party's own key: ``prepare`` → sign → ``submit``), checked against the rules of
the pure :mod:`puhui.receivables.state` module, and appended as a leaf of the RFC 9162 Merkle
log — in the same transaction as the state change and, for money steps, the ledger entries.
Services never commit; they run inside a SAVEPOINT, so a refused operation changes nothing.

Who acts
    Operations take the caller's ``Principal``: a borrower acts for its own enterprises, staff
    for any (the party that must sign is then the expected one: the holder, the receiver, the
    issuer...). ``None`` is the platform itself (jobs, CLI). A borrower who is a party to the
    certificate but not the right one gets the rules' refusal (403 ``actor_not_allowed``); one
    who is no party to it gets 404, as if it did not exist.

Concurrency
    One log, one writer at a time: every append first locks the log head row
    (``SELECT ... FOR UPDATE`` on ``receivables_log``), then the certificate's part rows. The
    state is read after the lock, so two requests for the same part are applied one after the
    other, and the second sees the first's result (a 409 ``receivables.double_spend`` or
    ``receivables.part_status_invalid``). Sequence numbers, the tree and the head never fork.

Accounting (integer fen; ledger codes of :mod:`puhui.ledger.chart`)
    finance   Dr receivable_financed(part) face / Cr settlement(holder) price
              / Cr discount_unearned(part) discount (price = face − face × rate × days / 360)
    amortize  Dr discount_unearned(part) / Cr discount_income (straight line, by business date)
    pay       Dr settlement(core) face + penalty / Cr core_payable(cert) face + penalty
    clear     enterprise holder: Dr core_payable(cert) / Cr settlement(holder) amount + penalty
              share
              bank holder: Dr core_payable(cert) / Cr receivable_financed(part) amount,
              Cr penalty_income penalty share; Dr discount_unearned / Cr discount_income the rest
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit, idempotency
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.clock import business_date as clock_business_date
from puhui.core.crypto import FieldCipher
from puhui.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from puhui.core.money import round_fen
from puhui.decisioning import service as decisioning_service
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg
from puhui.parties import service as parties_service
from puhui.parties.models import Enterprise
from puhui.receivables import keys_service
from puhui.receivables.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint, vkey
from puhui.receivables.errors import (
    CheckpointInvalid,
    MalformedStatement,
    NotFound,
    ReceivablesError,
)
from puhui.receivables.export import ExportWriter, LogInfo
from puhui.receivables.keys import KeyRing
from puhui.receivables.merkle import EMPTY_ROOT, MerkleLog, leaf_hash, verify_inclusion
from puhui.receivables.models import (
    HEAD_ID,
    CertificateRow,
    CheckpointRow,
    Financing,
    InvoiceRow,
    Limit,
    LogEntry,
    LogHead,
    PartRow,
    Party,
    PartyKind,
    Pricing,
    Signal,
)
from puhui.receivables.schemas import (
    CertificateOut,
    CheckpointOut,
    ConsistencyProofOut,
    ExportOut,
    InclusionProofOut,
    IssueRequest,
    KeyOut,
    KeyRegister,
    LedgerMoveOut,
    LimitGrant,
    LimitOut,
    LogCheckOut,
    LogEntryOut,
    LogHeadOut,
    MaturityRunOut,
    OperationOut,
    PartOut,
    PreparedStatement,
    PrepareRequest,
    PricingOut,
    PricingUpdate,
    ProofCheckOut,
    ProvenanceNode,
    ProvenanceOp,
    ProvenanceOut,
    SignalOut,
    SubmitRequest,
)
from puhui.receivables.state import (
    Applied,
    Certificate,
    CertificateStatus,
    Invoice,
    Part,
    PartStatus,
    ReceivablesState,
    Rules,
    discount_price,
)
from puhui.receivables.statements import (
    SIGNING_CONTEXT,
    SignedStatement,
    business_date,
    canonical_json,
    format_at,
    parse_at,
    parse_canonical,
    sign_statement,
    statement,
)
from puhui.receivables.store import SqlNodeStore

DEFAULT_ORIGIN = "puhui.local/receivables/v1"
DEFAULT_RULES = Rules(platform="PLATFORM", financiers=frozenset({"BANK"}))
PREPARE_TTL_SECONDS = 300
SIGNAL_CORE_OVERDUE = "core_enterprise_overdue"

_OUTSTANDING = (
    CertificateStatus.PENDING.value,
    CertificateStatus.ACTIVE.value,
    CertificateStatus.OVERDUE.value,
)
_ENDED = (PartStatus.CLOSED, PartStatus.CLEARED)
# Operations a party may sign with its own key and submit (the others are the platform's or
# the bank's, signed by the platform's custodial keys).
_SUBMITTABLE = (
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
_DERIVED = {
    "issue": ("cert",),
    "split": ("parts",),
    "accept_transfer": ("new_part",),
    "finance": ("new_part", "days", "price_fen"),
}


# --- errors of the database service ------------------------------------------------------------


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_missing"
    status = 400
    title_zh = "缺少幂等键"
    title_en = "Idempotency key missing"
    message_zh = "资金类请求必须携带 Idempotency-Key 请求头（每笔业务一个唯一值）。"
    message_en = "Money-moving requests need an Idempotency-Key header (one unique value each)."


class StaleStatement(Conflict):
    code = "receivables.stale_statement"
    title_zh = "待签报文已过期"
    title_en = "Prepared statement is stale"
    message_zh = "{reason_zh}请重新获取待签报文（prepare）并签名。"
    message_en = "{reason} Prepare the statement again and sign it."


class StatementMismatch(DomainError):
    code = "receivables.statement_mismatch"
    status = 422
    title_zh = "报文与平台记录不符"
    title_en = "Statement does not match"
    message_zh = "提交的报文与平台按同一请求生成的报文不一致：{reason_zh}"
    message_en = "The submitted statement differs from the one the platform makes: {reason}"


class NotOwnStatement(Forbidden):
    code = "receivables.not_own_statement"
    message_zh = "只能提交本企业作为操作方的报文（{op} 由平台或银行签署）。"
    message_en = "Only statements whose actor is your own enterprise can be submitted ({op})."


class FinancingUnavailable(Conflict):
    code = "receivables.financing_unavailable"
    title_zh = "暂不支持融资"
    title_en = "Financing not available"
    message_zh = "核心企业 {party}（评级 {grade}）的凭证暂不支持贴现融资。"
    message_en = "Certificates of core enterprise {party} (grade {grade}) cannot be discounted."


class InsufficientSettlement(Conflict):
    code = "receivables.insufficient_settlement"
    title_zh = "结算账户余额不足"
    title_en = "Insufficient settlement balance"
    message_zh = (
        "凭证 {cert} 应付 {due_fen} 分（含罚息 {penalty_fen} 分），"
        "结算账户可用 {available_fen} 分。"
    )
    message_en = (
        "Certificate {cert} needs {due_fen} fen (penalty {penalty_fen} fen included); the "
        "settlement account has {available_fen} fen."
    )


class ProofRangeInvalid(DomainError):
    code = "receivables.proof_range_invalid"
    status = 422
    title_zh = "证明范围无效"
    title_en = "Invalid proof range"
    message_zh = "{reason_zh}"
    message_en = "{reason}"


class LogNotEmpty(Conflict):
    code = "receivables.log_not_empty"
    message_zh = "日志已有 {size} 条记录，不能再修改来源名称或规则。"
    message_en = "The log already has {size} entries; its origin and rules can no longer change."


class NoLogKey(Conflict):
    code = "receivables.no_log_key"
    message_zh = "尚未发布任何签名树头，请先发布（puhui receivables checkpoint）。"
    message_en = (
        "No checkpoint was published yet; publish one first (puhui receivables checkpoint)."
    )


# --- small helpers ------------------------------------------------------------------------------


def _hex(data: bytes) -> str:
    return bytes(data).hex()


def _settlement(enterprise_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("settlement", "enterprise", enterprise_id)


def _payable(cert_id: str) -> AccountRef:
    return ledger_service.owned("core_payable", "receivables_certificate", cert_id)


def _financed(part_id: str) -> AccountRef:
    return ledger_service.owned("receivable_financed", "receivables_part", part_id)


def _unearned(part_id: str) -> AccountRef:
    return ledger_service.owned("discount_unearned", "receivables_part", part_id)


_DISCOUNT_INCOME = ledger_service.bank("discount_income")
_PENALTY_INCOME = ledger_service.bank("penalty_income")


def penalty_fen(face_fen: int, penalty_daily_bp: int, days_overdue: int) -> int:
    """face × daily rate × days, ROUND_HALF_UP to the fen (0 when not overdue)."""
    if days_overdue <= 0 or penalty_daily_bp <= 0:
        return 0
    return round_fen(Decimal(face_fen) * penalty_daily_bp * days_overdue / Decimal(10_000))


def allocate(total_fen: int, weights: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split ``total_fen`` in proportion to the weights exactly (largest remainder, ties by key)."""
    weight_sum = sum(w for _, w in weights)
    if total_fen == 0 or weight_sum == 0:
        return {k: 0 for k, _ in weights}
    shares = {k: total_fen * w // weight_sum for k, w in weights}
    rest = total_fen - sum(shares.values())
    order = sorted(weights, key=lambda kw: (-(total_fen * kw[1] % weight_sum), kw[0]))
    for k, _ in order[:rest]:
        shares[k] += 1
    return shares


def _amortized(discount_fen: int, days: int, financed: date, day: date) -> int:
    """Discount recognized by the end of ``day`` (straight line over the financing's days)."""
    elapsed = min(max((day - financed).days, 0), days)
    if days <= 0:
        return discount_fen
    return round_fen(Decimal(discount_fen) * elapsed / days)


def require_key(idempotency_key: str | None) -> str:
    if not idempotency_key or not idempotency_key.strip():
        raise IdempotencyKeyRequired(field="Idempotency-Key")
    return idempotency_key.strip()


def _cipher_of(session: Session, cipher: FieldCipher | None) -> FieldCipher:
    if cipher is not None:
        return cipher
    found = session.info.get("cipher")
    if isinstance(found, FieldCipher):
        return found
    from puhui.core.config import get_settings
    from puhui.core.crypto import load_master_key

    return FieldCipher.from_master(load_master_key(get_settings()))


def _head(session: Session) -> LogHead:
    head = session.get(LogHead, HEAD_ID)
    if head is None:
        raise RuntimeError("receivables_log has no head row: run the migrations")
    return head


def _checkpoint_out(row: CheckpointRow) -> CheckpointOut:
    return CheckpointOut(size=row.size, root=_hex(row.root), at=row.at, note=row.note)


def _entry_out(row: LogEntry) -> LogEntryOut:
    signed = SignedStatement.from_entry(bytes(row.entry))
    return LogEntryOut(
        seq=row.seq,
        op=row.op,
        actor=row.actor,
        at=format_at(row.at),
        kid=row.kid,
        leaf_hash=_hex(row.leaf_hash),
        statement=signed.statement,
    )


# --- parties -----------------------------------------------------------------------------------


def party_for_enterprise(session: Session, clock: Clock, enterprise: Enterprise) -> Party:
    """The chain party of an enterprise (its code is the unified social credit code)."""
    party = session.scalar(select(Party).where(Party.enterprise_id == enterprise.id))
    if party is None:
        party = Party(
            code=enterprise.uscc,
            kind=PartyKind.ENTERPRISE,
            enterprise_id=enterprise.id,
            name=enterprise.name,
            created_at=clock.now(),
        )
        session.add(party)
        session.flush()
    return party


def _codes_of(session: Session, principal: Principal) -> set[str]:
    if not principal.enterprise_ids:
        return set()
    return set(
        session.scalars(select(Party.code).where(Party.enterprise_id.in_(principal.enterprise_ids)))
    )


def _visible_certs(session: Session, principal: Principal) -> Select[Any]:
    query = select(CertificateRow)
    if principal.is_staff:
        return query
    codes = _codes_of(session, principal)
    if not codes:
        return query.where(CertificateRow.id.is_(None))
    touched = exists().where(
        PartRow.cert == CertificateRow.id,
        or_(PartRow.holder.in_(codes), PartRow.pending_to.in_(codes)),
    )
    return query.where(
        or_(CertificateRow.issuer.in_(codes), CertificateRow.supplier.in_(codes), touched)
    )


def _cert_parties(cert: CertificateRow, parts: Sequence[PartRow]) -> set[str]:
    found = {cert.issuer, cert.supplier}
    for p in parts:
        found.add(p.holder)
        if p.pending_to:
            found.add(p.pending_to)
    return found


def _parts_of(session: Session, cert_id: str, *, lock: bool = False) -> list[PartRow]:
    query = select(PartRow).where(PartRow.cert == cert_id).order_by(PartRow.created_seq, PartRow.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def _cert_not_found(cert_id: str) -> NotFound:
    return NotFound("cert", kind="certificate", kind_zh="凭证", id=cert_id)


def _part_not_found(part_id: str) -> NotFound:
    return NotFound("part", kind="part", kind_zh="凭证拆分", id=part_id)


def _check_visible(
    session: Session, principal: Principal | None, cert: CertificateRow, parts: Sequence[PartRow]
) -> None:
    if principal is None or principal.is_staff:
        return
    if not _codes_of(session, principal) & _cert_parties(cert, parts):
        raise _cert_not_found(cert.id)


def certificate_view(session: Session, cert: CertificateRow) -> CertificateOut:
    parts = _parts_of(session, cert.id)
    codes = {cert.issuer, cert.supplier, *(p.holder for p in parts)}
    enterprises = dict(
        session.execute(select(Party.code, Party.enterprise_id).where(Party.code.in_(codes))).all()
    )
    return CertificateOut(
        id=cert.id,
        issuer=cert.issuer,
        issuer_enterprise_id=enterprises.get(cert.issuer),
        supplier=cert.supplier,
        supplier_enterprise_id=enterprises.get(cert.supplier),
        face_fen=cert.face_fen,
        maturity_date=cert.maturity_date,
        status=cert.status,
        invoice_no=cert.invoice,
        contract_no=cert.contract_no,
        cleared_fen=cert.cleared_fen,
        penalty_daily_bp=cert.penalty_daily_bp,
        penalty_fen=cert.penalty_fen,
        issued_seq=cert.issued_seq,
        issued_at=cert.issued_at,
        parts=[
            PartOut(
                id=p.id,
                parent=p.parent,
                amount_fen=p.amount_fen,
                holder=p.holder,
                holder_enterprise_id=enterprises.get(p.holder),
                status=p.status,
                pending_to=p.pending_to,
                price_fen=p.price_fen,
                rate_bp=p.rate_bp,
                created_seq=p.created_seq,
                ended_seq=p.ended_seq,
            )
            for p in parts
        ],
    )


# --- the log, locked for one unit of work -------------------------------------------------------


@dataclass
class _Loaded:
    """A fresh pure state holding just what one statement touches, and the rows behind it."""

    state: ReceivablesState
    certs: dict[str, CertificateRow] = field(default_factory=dict)
    parts: dict[str, PartRow] = field(default_factory=dict)
    invoices: dict[str, InvoiceRow] = field(default_factory=dict)


class _Log:
    """The log head locked by this transaction, the Merkle tree over the node table, and the
    statements appended so far in this operation."""

    def __init__(self, session: Session, clock: Clock, cipher: FieldCipher) -> None:
        self.session = session
        self.clock = clock
        self.cipher = cipher
        self.entries: list[LogEntry] = []
        self.moves: list[LedgerMoveOut] = []
        self._open()
        self._system_parties()

    def _open(self) -> None:
        head = self.session.execute(
            select(LogHead)
            .where(LogHead.id == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if head is None:
            raise RuntimeError("receivables_log has no head row: run the migrations")
        self.head = head
        self.rules = Rules.from_json(head.rules)
        self.tree = MerkleLog(SqlNodeStore(self.session, head.size))

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A SAVEPOINT for one try (a job's auto-debit); on failure the log is re-read."""
        entries, moves = len(self.entries), len(self.moves)
        try:
            with self.session.begin_nested():
                yield
        except Exception:
            del self.entries[entries:]
            del self.moves[moves:]
            self._open()
            raise

    def _system_parties(self) -> None:
        wanted = [(self.rules.platform, PartyKind.PLATFORM, "平台 Platform")]
        wanted += [(f, PartyKind.FINANCIER, f"融资银行 {f}") for f in sorted(self.rules.financiers)]
        for code, kind, name in wanted:
            if self.session.get(Party, code) is None:
                self.session.add(
                    Party(
                        code=code,
                        kind=kind,
                        enterprise_id=None,
                        name=name,
                        created_at=self.clock.now(),
                    )
                )
        self.session.flush()

    @property
    def platform(self) -> str:
        return self.rules.platform

    @property
    def financier(self) -> str:
        return sorted(self.rules.financiers)[0]

    def now_at(self) -> str:
        """The time of the next statement: now, but never before the previous statement."""
        return max(format_at(self.clock.now()), self.head.last_at)

    # -- reading ---------------------------------------------------------------------------------

    def cert(self, cert_id: str, principal: Principal | None) -> CertificateRow:
        row = self.session.execute(
            select(CertificateRow)
            .where(CertificateRow.id == cert_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None:
            raise _cert_not_found(cert_id)
        _check_visible(self.session, principal, row, _parts_of(self.session, cert_id, lock=True))
        return row

    def part(self, part_id: str, principal: Principal | None) -> tuple[PartRow, CertificateRow]:
        cert_id = self.session.scalar(select(PartRow.cert).where(PartRow.id == part_id))
        if cert_id is None:
            raise _part_not_found(part_id)
        try:
            cert = self.cert(cert_id, principal)
        except NotFound:
            raise _part_not_found(part_id) from None
        part = self.session.get(PartRow, part_id)
        assert part is not None
        return part, cert

    def actor_for(self, principal: Principal | None, expected: str, cert: CertificateRow) -> str:
        """Who signs: the expected party if the principal may act for it; otherwise a party to
        the certificate the principal acts for (the rules then refuse it with a clear reason)."""
        if principal is None or principal.is_staff:
            return expected
        codes = _codes_of(self.session, principal)
        if expected in codes:
            return expected
        mine = sorted(codes & _cert_parties(cert, _parts_of(self.session, cert.id)))
        if not mine:
            raise _cert_not_found(cert.id)
        return mine[0]

    def load(
        self,
        *,
        cert_id: str | None = None,
        issuer: str | None = None,
        invoice: str | None = None,
        with_issuer: bool = False,
    ) -> _Loaded:
        self.session.flush()
        state = ReceivablesState(self.rules)
        state.size = self.head.size
        state.last_at = self.head.last_at
        loaded = _Loaded(state)
        if cert_id is not None:
            row = self.session.get(CertificateRow, cert_id)
            if row is not None:
                parts = _parts_of(self.session, cert_id, lock=True)
                loaded.certs[row.id] = row
                state.certificates[row.id] = Certificate(
                    id=row.id,
                    issuer=row.issuer,
                    supplier=row.supplier,
                    face_fen=row.face_fen,
                    maturity_date=row.maturity_date,
                    invoice=row.invoice,
                    issued_seq=row.issued_seq,
                    status=CertificateStatus(row.status),
                    cleared_fen=row.cleared_fen,
                    part_ids=[p.id for p in parts],
                )
                for p in parts:
                    loaded.parts[p.id] = p
                    state.parts[p.id] = Part(
                        id=p.id,
                        cert=p.cert,
                        parent=p.parent,
                        amount_fen=p.amount_fen,
                        holder=p.holder,
                        status=PartStatus(p.status),
                        created_seq=p.created_seq,
                        pending_to=p.pending_to,
                        price_fen=p.price_fen,
                        rate_bp=p.rate_bp,
                    )
                if with_issuer:  # what reject, cancel and pay change besides the certificate
                    issuer = issuer or row.issuer
                    invoice = invoice or row.invoice
        if issuer is not None:
            limit = self.session.get(Limit, issuer)
            if limit is not None:
                state.limits[issuer] = limit.limit_fen
            state.outstanding[issuer] = int(
                self.session.scalar(
                    select(func.coalesce(func.sum(CertificateRow.face_fen), 0)).where(
                        CertificateRow.issuer == issuer, CertificateRow.status.in_(_OUTSTANDING)
                    )
                )
                or 0
            )
        if invoice is not None:
            inv = self.session.get(InvoiceRow, invoice)
            if inv is not None:
                loaded.invoices[inv.ref] = inv
                state.invoices[inv.ref] = Invoice(
                    inv.ref, inv.amount_fen, inv.seller, inv.buyer, inv.used_fen
                )
        return loaded

    # -- statements ------------------------------------------------------------------------------

    def _targets(self, op: str, actor: str, req: dict[str, Any]) -> dict[str, Any]:
        if op == "limit":
            return {}
        if op == "issue":
            return {"issuer": actor, "invoice": req.get("invoice")}
        return {"cert_id": req.get("cert"), "with_issuer": op in ("reject", "cancel", "pay")}

    def build(
        self, op: str, actor: str, req: dict[str, Any], loaded: _Loaded, seq: int, at: str
    ) -> dict[str, Any]:
        """The statement the platform makes for a request (ids allocated from the state)."""
        state = loaded.state
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
        else:
            cert_id, part_id = req["cert"], req["part"]
            fields = {"cert": cert_id, "part": part_id}
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
        return statement(op, seq=seq, actor=actor, at=at, **fields)

    def run(
        self,
        op: str,
        actor: str,
        req: dict[str, Any],
        *,
        signed: SignedStatement | None = None,
        cert_extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], Applied]:
        """Build (or check) the statement, sign it (custodial) and append it."""
        loaded = self.load(**self._targets(op, actor, req))
        if signed is None:
            at = self.now_at()
            stmt = self.build(op, actor, req, loaded, self.head.size, at)
            key = keys_service.custodial_key(self.session, self.clock, self.cipher, actor, at)
            signed = sign_statement(stmt, key)
        else:
            submitted = signed.statement
            try:
                stmt = self.build(op, actor, req, loaded, submitted["seq"], submitted["at"])
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedStatement(
                    str(exc.args[0]) if exc.args else None,
                    f"not a well-formed {op} statement",
                    f"不是格式正确的 {op} 报文",
                ) from exc
            if canonical_json(stmt) != signed.statement_bytes:
                diff = sorted(
                    k for k in stmt.keys() | submitted.keys() if stmt.get(k) != submitted.get(k)
                )
                raise StatementMismatch(
                    diff[0] if diff else None,
                    reason=f"field(s) {', '.join(diff) or 'encoding'} differ",
                    reason_zh=f"字段 {'、'.join(diff) or '编码'} 不一致",
                )
            record = keys_service.record_of(self.session, signed.kid)
            signed.verify(KeyRing([record] if record is not None else []))
        applied = self.append(signed, stmt, loaded, cert_extra)
        return stmt, applied

    def append(
        self,
        signed: SignedStatement,
        stmt: dict[str, Any],
        loaded: _Loaded,
        cert_extra: dict[str, Any] | None = None,
    ) -> Applied:
        applied = loaded.state.apply(stmt)
        loaded.state.check_invariants()
        self._persist(loaded, applied, stmt, cert_extra or {})
        entry = signed.entry()
        index = self.tree.append(entry)
        assert index == stmt["seq"]
        row = LogEntry(
            seq=index,
            entry=entry,
            leaf_hash=leaf_hash(entry),
            op=stmt["op"],
            actor=stmt["actor"],
            kid=signed.kid,
            cert=stmt.get("cert"),
            part=stmt.get("part") or stmt.get("new_part"),
            at=parse_at(stmt["at"]),
        )
        self.session.add(row)
        self.entries.append(row)
        self.head.size = self.tree.size
        self.head.root = self.tree.root()
        self.head.last_at = stmt["at"]
        self.head.updated_at = self.clock.now()
        self.session.flush()
        return applied

    def _persist(
        self, loaded: _Loaded, applied: Applied, stmt: dict[str, Any], extra: dict[str, Any]
    ) -> None:
        now = self.clock.now()
        seq = stmt["seq"]
        state = loaded.state
        for ref, inv in state.invoices.items():
            inv_row = loaded.invoices.get(ref)
            if inv_row is None:
                self.session.add(
                    InvoiceRow(
                        ref=ref,
                        amount_fen=inv.amount_fen,
                        seller=inv.seller,
                        buyer=inv.buyer,
                        used_fen=inv.used_fen,
                    )
                )
            else:
                inv_row.used_fen = inv.used_fen
        for cert_id, cert in state.certificates.items():
            row = loaded.certs.get(cert_id)
            if row is None:
                row = CertificateRow(
                    id=cert.id,
                    issuer=cert.issuer,
                    supplier=cert.supplier,
                    face_fen=cert.face_fen,
                    maturity_date=cert.maturity_date,
                    invoice=cert.invoice,
                    contract_no=str(extra.get("contract_no", "")),
                    status=cert.status.value,
                    cleared_fen=cert.cleared_fen,
                    penalty_daily_bp=int(extra.get("penalty_daily_bp", 0)),
                    penalty_fen=0,
                    issued_seq=cert.issued_seq,
                    issued_at=parse_at(stmt["at"]),
                    updated_at=now,
                )
                self.session.add(row)
                self.session.flush()
                loaded.certs[cert_id] = row
            elif (row.status, row.cleared_fen) != (cert.status.value, cert.cleared_fen):
                row.status = cert.status.value
                row.cleared_fen = cert.cleared_fen
                row.updated_at = now
        for part_id in applied.created:
            part = state.parts[part_id]
            self.session.add(
                PartRow(
                    id=part.id,
                    cert=part.cert,
                    parent=part.parent,
                    amount_fen=part.amount_fen,
                    holder=part.holder,
                    status=part.status.value,
                    pending_to=part.pending_to,
                    price_fen=part.price_fen,
                    rate_bp=part.rate_bp,
                    created_seq=seq,
                    ended_seq=None,
                    updated_at=now,
                )
            )
        for part_id, part_row in loaded.parts.items():
            part = state.parts[part_id]
            if part_row.status != part.status.value or part_row.pending_to != part.pending_to:
                if part.status in _ENDED and part_row.ended_seq is None:
                    part_row.ended_seq = seq
                part_row.status = part.status.value
                part_row.pending_to = part.pending_to
                part_row.updated_at = now
        self.session.flush()

    def result(self, cert_id: str | None, *, replayed: bool = False) -> OperationOut:
        cert = self.session.get(CertificateRow, cert_id) if cert_id else None
        return OperationOut(
            operations=[_entry_out(e) for e in self.entries],
            certificate=certificate_view(self.session, cert) if cert is not None else None,
            ledger=list(self.moves),
            tree_size=self.head.size,
            root=_hex(self.head.root),
            replayed=replayed,
        )

    # -- money -----------------------------------------------------------------------------------

    def post(
        self, kind: str, day: date, legs: list[Leg], memo: str, source_type: str, source_id: str
    ) -> uuid.UUID:
        entry = ledger_service.post(
            self.session,
            self.clock,
            kind=kind,
            business_date=day,
            legs=legs,
            memo=memo,
            source_type=source_type,
            source_id=source_id,
        )
        amount = sum(leg.debit_fen for leg in legs)
        self.moves.append(
            LedgerMoveOut(
                entry_id=entry.id, kind=kind, business_date=day, amount_fen=amount, memo=memo
            )
        )
        return entry.id

    def enterprise_of(self, code: str) -> uuid.UUID:
        party = self.session.get(Party, code)
        if party is None or party.enterprise_id is None:
            raise RuntimeError(f"party {code} is not an enterprise")
        return party.enterprise_id

    def pricing_for(self, issuer: str) -> Pricing:
        limit = self.session.get(Limit, issuer)
        grade = limit.grade if limit is not None else "-"
        pricing = self.session.get(Pricing, grade) if limit is not None else None
        if pricing is None or not pricing.financeable:
            raise FinancingUnavailable(party=issuer, grade=grade)
        return pricing

    def complete_finance(self, cert_id: str, part_id: str) -> None:
        """After the holder's offer to the bank: the bank's ``finance`` and the same-day payout."""
        cert = self.session.get(CertificateRow, cert_id)
        offered = self.session.get(PartRow, part_id)
        assert cert is not None and offered is not None
        seller = offered.holder
        pricing = self.pricing_for(cert.issuer)
        stmt, applied = self.run(
            "finance",
            self.financier,
            {"cert": cert_id, "part": part_id, "rate_bp": pricing.discount_rate_bp},
        )
        new_part = applied.created[0]
        face, price = offered.amount_fen, int(stmt["price_fen"])
        discount = face - price
        day = business_date(stmt["at"])
        legs = [
            Leg.debit(_financed(new_part), face),
            Leg.credit(_settlement(self.enterprise_of(seller)), price),
        ]
        if discount:
            legs.append(Leg.credit(_unearned(new_part), discount))
        entry_id = self.post(
            "receivables.finance",
            day,
            legs,
            f"应收款贴现 {new_part}：票面 {face} 分，付款 {price} 分，利率 {stmt['rate_bp']} 基点",
            "receivables_part",
            new_part,
        )
        self.session.add(
            Financing(
                part=new_part,
                cert=cert_id,
                seller=seller,
                financier=self.financier,
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
        self.session.flush()

    def due_fen(self, cert: CertificateRow, day: date) -> tuple[int, int]:
        penalty = penalty_fen(cert.face_fen, cert.penalty_daily_bp, (day - cert.maturity_date).days)
        return cert.face_fen + penalty, penalty

    def settle(self, cert_id: str, pay_stmt: dict[str, Any]) -> None:
        """After ``pay``: debit the core enterprise, then clear every live part to its holder."""
        cert = self.session.get(CertificateRow, cert_id)
        assert cert is not None
        day = business_date(pay_stmt["at"])
        due, penalty = self.due_fen(cert, day)
        core = self.enterprise_of(cert.issuer)
        available = ledger_service.balance_fen(self.session, _settlement(core))
        if available < due:
            raise InsufficientSettlement(
                cert=cert_id, due_fen=due, penalty_fen=penalty, available_fen=available
            )
        cert.penalty_fen = penalty
        self.post(
            "receivables.pay",
            day,
            [Leg.debit(_settlement(core), due), Leg.credit(_payable(cert_id), due)],
            f"核心企业兑付 {cert_id}：票面 {cert.face_fen} 分，罚息 {penalty} 分",
            "receivables_certificate",
            cert_id,
        )
        live = [
            p
            for p in _parts_of(self.session, cert_id)
            if p.status in (PartStatus.HELD.value, PartStatus.FINANCED.value)
        ]
        shares = allocate(penalty, [(p.id, p.amount_fen) for p in live])
        for part in live:
            holder, amount = part.holder, part.amount_fen
            stmt, _ = self.run(
                "clear",
                self.platform,
                {"cert": cert_id, "part": part.id, "to": holder, "amount_fen": amount},
            )
            cday = business_date(stmt["at"])
            share = shares[part.id]
            financing = self.session.get(Financing, part.id)
            if financing is None:
                legs = [
                    Leg.debit(_payable(cert_id), amount + share),
                    Leg.credit(_settlement(self.enterprise_of(holder)), amount + share),
                ]
            else:
                legs = [
                    Leg.debit(_payable(cert_id), amount + share),
                    Leg.credit(_financed(part.id), amount),
                    Leg.credit(_PENALTY_INCOME, share),
                ]
                rest = financing.discount_fen - financing.recognized_fen
                if rest:
                    legs += [
                        Leg.debit(_unearned(part.id), rest),
                        Leg.credit(_DISCOUNT_INCOME, rest),
                    ]
                financing.recognized_fen = financing.discount_fen
                financing.closed = True
            self.post(
                "receivables.clear",
                cday,
                legs,
                f"清分 {part.id} 给 {holder}：{amount} 分，罚息分摊 {share} 分",
                "receivables_part",
                part.id,
            )


@contextmanager
def _locked_log(session: Session, clock: Clock, cipher: FieldCipher) -> Iterator[_Log]:
    """The log head locked, inside a SAVEPOINT: a refused operation leaves nothing behind."""
    with session.begin_nested():
        yield _Log(session, clock, cipher)


def _audit_op(session: Session, log: _Log, cert_id: str | None) -> None:
    for e in log.entries:
        audit.record(
            session,
            f"receivables.{e.op}",
            "receivables_certificate" if e.cert else "receivables_log",
            e.cert or e.seq,
            after={"seq": e.seq, "actor": e.actor, "part": e.part, "cert": cert_id},
        )


# --- limits and pricing -------------------------------------------------------------------------


def _outstanding_by_issuer(session: Session, parties: Iterable[str]) -> dict[str, int]:
    """The face of each issuer's outstanding certificates (what its limit carries now)."""
    rows = session.execute(
        select(CertificateRow.issuer, func.sum(CertificateRow.face_fen))
        .where(CertificateRow.issuer.in_(list(parties)), CertificateRow.status.in_(_OUTSTANDING))
        .group_by(CertificateRow.issuer)
    )
    return {issuer: int(total or 0) for issuer, total in rows}


def _limit_out(
    session: Session, limit: Limit, party: Party | None = None, outstanding: int | None = None
) -> LimitOut:
    if party is None:
        party = session.get(Party, limit.party)
    if outstanding is None:
        outstanding = _outstanding_by_issuer(session, [limit.party]).get(limit.party, 0)
    return LimitOut(
        enterprise_id=party.enterprise_id if party else None,
        party=limit.party,
        limit_fen=limit.limit_fen,
        outstanding_fen=outstanding,
        available_fen=max(limit.limit_fen - outstanding, 0),
        grade=limit.grade,
        reason=limit.reason,
        source=limit.source,
        decision_ref=limit.decision_ref,
        seq=limit.seq,
        updated_at=limit.updated_at,
    )


def grant_limit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: LimitGrant,
) -> LimitOut:
    """Grant (or change, or with 0 revoke) a core enterprise's supply-chain limit.

    A risk officer approves with a reason, either manually or from a credit decision: with
    ``application_reference``, an approved application of the enterprise whose decision's
    limit covers this one (decisioning takes the approval: its pending offer line closes, it
    is used once). The platform signs the ``limit`` statement.
    """
    if session.get(Pricing, data.grade) is None:
        raise InvalidInput(field="grade")
    enterprise = parties_service.get_enterprise(session, data.enterprise_id)
    source, decision_ref = "manual", None
    if data.application_reference is not None:
        if data.limit_fen == 0:  # a revocation needs no approval behind it
            raise InvalidInput(field="limit_fen")
        if principal is None:
            raise InvalidInput(field="application_reference")
        decision_ref = decisioning_service.take_approval_for_supply_chain(
            session,
            clock,
            principal,
            enterprise.id,
            data.application_reference,
            data.limit_fen,
        )
        source = "decision"
    with _locked_log(session, clock, cipher) as log:
        party = party_for_enterprise(session, clock, enterprise)
        stmt, _ = log.run("limit", log.platform, {"party": party.code, "limit_fen": data.limit_fen})
        limit = session.get(Limit, party.code)
        before = None
        if limit is None:
            limit = Limit(party=party.code)
            session.add(limit)
        else:
            before = {"limit_fen": limit.limit_fen, "grade": limit.grade}
        limit.limit_fen = data.limit_fen
        limit.grade = data.grade
        limit.reason = data.reason
        limit.source = source
        limit.decision_ref = decision_ref
        limit.approved_by = principal.user_id if principal else None
        limit.seq = int(stmt["seq"])
        limit.updated_at = clock.now()
        session.flush()
        audit.record(
            session,
            "receivables.limit",
            "enterprise",
            enterprise.id,
            before=before,
            after={
                "party": party.code,
                "limit_fen": data.limit_fen,
                "grade": data.grade,
                "reason": data.reason,
                "source": source,
                "decision_ref": decision_ref,
                "seq": stmt["seq"],
            },
        )
        return _limit_out(session, limit)


def get_limit(session: Session, principal: Principal, enterprise_id: uuid.UUID) -> LimitOut:
    parties_service.get_enterprise_for(session, principal, enterprise_id)
    party = session.scalar(select(Party).where(Party.enterprise_id == enterprise_id))
    limit = session.get(Limit, party.code) if party else None
    if limit is None:
        raise NotFound(None, kind="supply-chain limit", kind_zh="供应链额度", id=str(enterprise_id))
    return _limit_out(session, limit)


def list_limits(session: Session) -> list[LimitOut]:
    """Every core enterprise's supply-chain limit, revoked ones (0) included (staff)."""
    pairs = list(session.execute(select(Limit, Party).join(Party, Party.code == Limit.party)))
    outstanding = _outstanding_by_issuer(session, [limit.party for limit, _ in pairs])
    out = [
        _limit_out(session, limit, party, outstanding.get(limit.party, 0)) for limit, party in pairs
    ]
    return sorted(out, key=lambda limit: (-limit.limit_fen, limit.party))


def list_pricing(session: Session) -> list[PricingOut]:
    rows = session.scalars(select(Pricing).order_by(Pricing.discount_rate_bp, Pricing.grade))
    return [PricingOut.model_validate(r) for r in rows]


def update_pricing(
    session: Session, clock: Clock, principal: Principal, grade: str, data: PricingUpdate
) -> PricingOut:
    grade = grade.strip().upper()
    if not 1 <= len(grade) <= 8:
        raise InvalidInput(field="grade")
    row = session.get(Pricing, grade)
    before = None
    if row is None:
        row = Pricing(grade=grade)
        session.add(row)
    else:
        before = {
            "discount_rate_bp": row.discount_rate_bp,
            "penalty_daily_bp": row.penalty_daily_bp,
            "financeable": row.financeable,
        }
    row.discount_rate_bp = data.discount_rate_bp
    row.penalty_daily_bp = data.penalty_daily_bp
    row.financeable = data.financeable
    row.updated_at = clock.now()
    row.updated_by = principal.user_id
    session.flush()
    audit.record(
        session,
        "receivables.pricing",
        "receivables_pricing",
        grade,
        before=before,
        after=data.model_dump(),
    )
    return PricingOut.model_validate(row)


# --- operations ---------------------------------------------------------------------------------


def _enterprise_party(
    session: Session, clock: Clock, principal: Principal | None, enterprise_id: uuid.UUID
) -> Party:
    enterprise = (
        parties_service.get_enterprise(session, enterprise_id)
        if principal is None
        else parties_service.get_enterprise_for(session, principal, enterprise_id)
    )
    return party_for_enterprise(session, clock, enterprise)


def _receiver(session: Session, clock: Clock, enterprise_id: uuid.UUID) -> Party:
    return party_for_enterprise(
        session, clock, parties_service.get_enterprise(session, enterprise_id)
    )


def issue(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: IssueRequest,
) -> OperationOut:
    """A core enterprise issues a certificate to a tier-1 supplier (pending its acceptance)."""
    with _locked_log(session, clock, cipher) as log:
        issuer = _enterprise_party(session, clock, principal, data.issuer_enterprise_id)
        supplier = _receiver(session, clock, data.supplier_enterprise_id)
        req = {
            "to": supplier.code,
            "amount_fen": data.face_fen,
            "maturity_date": data.maturity_date.isoformat(),
            "invoice": data.invoice_no,
            "invoice_amount_fen": data.invoice_amount_fen,
        }
        stmt, _ = log.run(
            "issue", issuer.code, req, cert_extra=_issue_extra(log, issuer.code, data.contract_no)
        )
        _audit_op(session, log, stmt["cert"])
        return log.result(stmt["cert"])


def _issue_extra(log: _Log, issuer: str, contract_no: str) -> dict[str, Any]:
    limit = log.session.get(Limit, issuer)
    pricing = log.session.get(Pricing, limit.grade) if limit is not None else None
    return {
        "contract_no": contract_no,
        "penalty_daily_bp": pricing.penalty_daily_bp if pricing is not None else 0,
    }


def _cert_op(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    op: str,
    cert_id: str,
) -> OperationOut:
    with _locked_log(session, clock, cipher) as log:
        cert = log.cert(cert_id, principal)
        expected = cert.issuer if op == "cancel" else cert.supplier
        log.run(op, log.actor_for(principal, expected, cert), {"cert": cert_id})
        _audit_op(session, log, cert_id)
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
    with _locked_log(session, clock, cipher) as log:
        part, cert = log.part(part_id, principal)
        expected = part.pending_to if op in ("accept_transfer", "reject_transfer") else part.holder
        actor = log.actor_for(principal, expected or part.holder, cert)
        req = {"cert": cert.id, "part": part_id, **(extra or {})}
        if to_enterprise_id is not None:  # parties are created under the log lock: no race
            req["to"] = _receiver(session, clock, to_enterprise_id).code
        log.run(op, actor, req)
        _audit_op(session, log, cert.id)
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


def _replay(stored: dict[str, Any]) -> OperationOut:
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
    key = require_key(idempotency_key)
    scope, payload = f"receivables:finance:{part_id}", {"part": part_id}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return _replay(stored)
    with _locked_log(session, clock, cipher) as log:
        # a concurrent duplicate may have committed while this one waited for the lock
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return _replay(stored)
        part, cert = log.part(part_id, principal)
        actor = log.actor_for(principal, part.holder, cert)
        log.pricing_for(cert.issuer)
        log.run("transfer", actor, {"cert": cert.id, "part": part_id, "to": log.financier})
        log.complete_finance(cert.id, part_id)
        _audit_op(session, log, cert.id)
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
    key = require_key(idempotency_key)
    scope, payload = f"receivables:pay:{cert_id}", {"cert": cert_id}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return _replay(stored)
    with _locked_log(session, clock, cipher) as log:
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return _replay(stored)
        cert = log.cert(cert_id, principal)
        actor = log.actor_for(principal, cert.issuer, cert)
        stmt, _ = log.run("pay", actor, {"cert": cert_id, "amount_fen": cert.face_fen})
        log.settle(cert_id, stmt)
        _audit_op(session, log, cert_id)
        out = log.result(cert_id)
        idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


# --- own signatures: prepare and submit ---------------------------------------------------------


def _prepare_request(
    session: Session, clock: Clock, log: _Log, principal: Principal | None, body: PrepareRequest
) -> tuple[str, str, dict[str, Any], str | None, dict[str, Any]]:
    """(op, actor, request fields, certificate, extras) for a prepare request."""
    op = body.op
    if op == "issue":
        if body.issue is None:
            raise InvalidInput(field="issue")
        data = body.issue
        issuer = _enterprise_party(session, clock, principal, data.issuer_enterprise_id)
        supplier = _receiver(session, clock, data.supplier_enterprise_id)
        req = {
            "to": supplier.code,
            "amount_fen": data.face_fen,
            "maturity_date": data.maturity_date.isoformat(),
            "invoice": data.invoice_no,
            "invoice_amount_fen": data.invoice_amount_fen,
        }
        return op, issuer.code, req, None, {"contract_no": data.contract_no}
    if op in ("accept", "reject", "cancel", "pay"):
        if not body.cert_id:
            raise InvalidInput(field="cert_id")
        cert = log.cert(body.cert_id, principal)
        expected = cert.supplier if op in ("accept", "reject") else cert.issuer
        req = {"cert": cert.id}
        if op == "pay":
            req["amount_fen"] = cert.face_fen
        return op, log.actor_for(principal, expected, cert), req, cert.id, {}
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
        req["to"] = _receiver(session, clock, body.to_enterprise_id).code
    elif op == "finance":
        log.pricing_for(cert.issuer)
        op = "transfer"  # the holder signs the offer to the bank; the bank completes it
        req["to"] = log.financier
    elif op in ("accept_transfer", "reject_transfer"):
        expected = part.pending_to or part.holder
    return op, log.actor_for(principal, expected, cert), req, cert.id, {}


def prepare(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    body: PrepareRequest,
) -> PreparedStatement:
    """The statement a party signs with its own key: canonical bytes, valid for the current log
    position (seq) and a few minutes. Nothing is written."""
    with _locked_log(session, clock, cipher) as log:
        op, actor, req, _, _ = _prepare_request(session, clock, log, principal, body)
        loaded = log.load(**log._targets(op, actor, req))
        at = log.now_at()
        stmt = log.build(op, actor, req, loaded, log.head.size, at)
        data = canonical_json(stmt)
        expires = format_at(parse_at(at) + timedelta(seconds=PREPARE_TTL_SECONDS))
    return PreparedStatement(
        op=op,
        actor=actor,
        seq=int(stmt["seq"]),
        statement=stmt,
        statement_text=data.decode("utf-8"),
        signing_input_b64=base64.b64encode(SIGNING_CONTEXT + data).decode("ascii"),
        expires_at=expires,
    )


def _request_from(stmt: dict[str, Any]) -> dict[str, Any]:
    """The request fields of a submitted statement (what the platform does not allocate)."""
    op = stmt["op"]
    req = {k: v for k, v in stmt.items() if k not in ("v", "seq", "op", "actor", "at")}
    for name in _DERIVED.get(op, ()):
        req.pop(name, None)
    if op == "split":
        parts = stmt.get("parts")
        if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise MalformedStatement(
                "parts", "must be a list of {part, amount_fen}", "应为 {part, amount_fen} 列表"
            )
        req["amounts"] = [p.get("amount_fen") for p in parts]
    return req


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
    raw = body.statement.encode("utf-8")
    try:
        stmt = parse_canonical(raw)
        signature = base64.b64decode(body.signature, validate=True)
    except (ReceivablesError, ValueError, binascii.Error) as exc:
        if isinstance(exc, ReceivablesError):
            raise
        raise InvalidInput(field="signature") from exc
    if not isinstance(stmt, dict) or not isinstance(stmt.get("op"), str):
        raise MalformedStatement(
            None, "a statement is a JSON object with an op", "报文必须是含 op 的 JSON 对象"
        )
    op = stmt["op"]
    if op not in _SUBMITTABLE:
        raise NotOwnStatement(field="statement", op=op)
    for name, kind in (("seq", int), ("actor", str), ("at", str)):
        if type(stmt.get(name)) is not kind:
            raise MalformedStatement(name, "missing or of the wrong type", "缺失或类型错误")
    rules = Rules.from_json(_head(session).rules)
    financing = op == "transfer" and stmt.get("to") in rules.financiers
    if op == "pay" or financing:
        key: str | None = require_key(idempotency_key)
    else:
        key = (idempotency_key or "").strip() or None
    scope = f"receivables:submit:{op}"
    payload = body.model_dump()
    if key is not None:
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return _replay(stored)
    signed = SignedStatement(raw, signature, body.kid)
    with _locked_log(session, clock, cipher) as log:
        if key is not None:
            stored = idempotency.begin(session, scope, key, payload)
            if stored is not None:
                return _replay(stored)
        actor = stmt["actor"]
        party = session.get(Party, actor)
        if party is None or party.enterprise_id is None:
            raise NotOwnStatement(field="statement", op=op)
        if principal is not None and not principal.can_act_for(party.enterprise_id):
            raise NotOwnStatement(field="statement", op=op)
        _check_fresh(log, stmt)
        req = _request_from(stmt)
        to = req.get("to")
        if to is not None and (not isinstance(to, str) or session.get(Party, to) is None):
            raise NotFound("to", kind="party", kind_zh="参与方", id=str(to))
        extra: dict[str, Any] = {}
        if op == "issue":
            if not body.contract_no:
                raise InvalidInput(field="contract_no")
            extra = _issue_extra(log, actor, body.contract_no)
        else:
            cert_id = req.get("cert")
            if not isinstance(cert_id, str):
                raise MalformedStatement("cert", "missing", "缺失")
            cert = log.cert(cert_id, principal)
            if financing:
                log.pricing_for(cert.issuer)
        done, _ = log.run(op, actor, req, signed=signed, cert_extra=extra)
        cert_id = str(done["cert"])
        if financing:
            log.complete_finance(cert_id, str(done["part"]))
        if op == "pay":
            log.settle(cert_id, done)
        _audit_op(session, log, cert_id)
        out = log.result(cert_id)
        if key is not None:
            idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


def _check_fresh(log: _Log, stmt: dict[str, Any]) -> None:
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


# --- keys ---------------------------------------------------------------------------------------


def register_key(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal,
    enterprise_id: uuid.UUID,
    data: KeyRegister,
) -> KeyOut:
    with _locked_log(session, clock, cipher):
        party = _enterprise_party(session, clock, principal, enterprise_id)
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


# --- reading ------------------------------------------------------------------------------------


def get_certificate(session: Session, principal: Principal, cert_id: str) -> CertificateOut:
    cert = session.get(CertificateRow, cert_id)
    if cert is None:
        raise _cert_not_found(cert_id)
    _check_visible(session, principal, cert, _parts_of(session, cert_id))
    return certificate_view(session, cert)


def list_certificates(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[CertificateOut]:
    query = _visible_certs(session, principal).order_by(CertificateRow.id).limit(limit)
    if status:
        query = query.where(CertificateRow.status == status)
    if after:
        query = query.where(CertificateRow.id > after)
    return [certificate_view(session, c) for c in session.scalars(query).all()]


def _entry_visible(session: Session, principal: Principal | None, row: LogEntry) -> bool:
    if principal is None or principal.is_staff:
        return True
    if row.cert is not None:
        cert = session.get(CertificateRow, row.cert)
        if cert is None:
            return False
        codes = _codes_of(session, principal)
        return bool(codes & _cert_parties(cert, _parts_of(session, cert.id)))
    stmt = SignedStatement.from_entry(bytes(row.entry)).statement
    return stmt.get("party") in _codes_of(session, principal)


def get_operation(session: Session, principal: Principal | None, seq: int) -> LogEntryOut:
    row = session.get(LogEntry, seq)
    if row is None or not _entry_visible(session, principal, row):
        raise NotFound("seq", kind="operation", kind_zh="操作", id=str(seq))
    return _entry_out(row)


def latest_checkpoint(session: Session) -> CheckpointOut | None:
    row = session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))
    return _checkpoint_out(row) if row is not None else None


def list_checkpoints(
    session: Session, *, before_size: int | None = None, limit: int = 50
) -> list[CheckpointOut]:
    query = select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(limit)
    if before_size is not None:
        query = query.where(CheckpointRow.size < before_size)
    return [_checkpoint_out(r) for r in session.scalars(query)]


def _checkpoint_at(session: Session, size: int) -> CheckpointOut | None:
    row = session.scalar(select(CheckpointRow).where(CheckpointRow.size == size))
    return _checkpoint_out(row) if row is not None else None


def _range_error(reason: str, reason_zh: str, name: str) -> ProofRangeInvalid:
    return ProofRangeInvalid(field=name, reason=reason, reason_zh=reason_zh)


def inclusion_proof(
    session: Session, principal: Principal | None, seq: int, size: int | None = None
) -> InclusionProofOut:
    """The audit path of operation ``seq`` in the tree of ``size`` leaves (default: the latest
    checkpoint that covers it, else the current tree), with the signed checkpoint if any."""
    head = _head(session)
    row = session.get(LogEntry, seq)
    if row is None or not _entry_visible(session, principal, row):
        raise NotFound("seq", kind="operation", kind_zh="操作", id=str(seq))
    if size is None:
        cp_size = session.scalar(select(func.max(CheckpointRow.size)))
        size = cp_size if cp_size is not None and cp_size > seq else head.size
    if not seq < size <= head.size:
        raise _range_error(
            f"size must be greater than seq {seq} and at most the log size {head.size}",
            f"size 应大于 seq {seq} 且不超过日志大小 {head.size}",
            "size",
        )
    tree = MerkleLog(SqlNodeStore(session, head.size))
    return InclusionProofOut(
        seq=seq,
        size=size,
        entry=bytes(row.entry).decode("utf-8"),
        leaf_hash=_hex(row.leaf_hash),
        proof=[p.hex() for p in tree.inclusion_proof(seq, size)],
        root=tree.root(size).hex(),
        checkpoint=_checkpoint_at(session, size),
    )


def consistency_proof(
    session: Session, old_size: int, new_size: int | None = None
) -> ConsistencyProofOut:
    """Proof that the tree of ``old_size`` leaves is a prefix of the one of ``new_size``
    (default: the latest checkpoint), with the signed checkpoints of those sizes if any."""
    head = _head(session)
    if new_size is None:
        latest = session.scalar(select(func.max(CheckpointRow.size)))
        new_size = int(latest) if latest is not None else head.size
    if not 0 <= old_size <= new_size <= head.size:
        raise _range_error(
            f"need 0 <= old <= new <= {head.size}",
            f"应满足 0 <= old <= new <= {head.size}",
            "old",
        )
    tree = MerkleLog(SqlNodeStore(session, head.size))
    return ConsistencyProofOut(
        old_size=old_size,
        new_size=new_size,
        old_root=tree.root(old_size).hex(),
        new_root=tree.root(new_size).hex(),
        proof=[p.hex() for p in tree.consistency_proof(old_size, new_size)],
        old_checkpoint=_checkpoint_at(session, old_size),
        new_checkpoint=_checkpoint_at(session, new_size),
    )


def provenance(session: Session, principal: Principal | None, cert_id: str) -> ProvenanceOut:
    """Who held which part, when, by which operation, with each operation's inclusion proof
    (against the latest checkpoint that covers it, else the current tree)."""
    cert = session.get(CertificateRow, cert_id)
    if cert is None:
        raise _cert_not_found(cert_id)
    parts = _parts_of(session, cert_id)
    _check_visible(session, principal, cert, parts)
    head = _head(session)
    entries = list(
        session.scalars(select(LogEntry).where(LogEntry.cert == cert_id).order_by(LogEntry.seq))
    )
    latest = session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))
    tree = MerkleLog(SqlNodeStore(session, head.size))
    ops: list[ProvenanceOp] = []
    at_of: dict[int, str] = {}
    for e in entries:
        size = latest.size if latest is not None and latest.size > e.seq else head.size
        at_of[e.seq] = format_at(e.at)
        ops.append(
            ProvenanceOp(
                seq=e.seq,
                op=e.op,
                actor=e.actor,
                at=at_of[e.seq],
                leaf_hash=_hex(e.leaf_hash),
                proof=[p.hex() for p in tree.inclusion_proof(e.seq, size)],
                proof_size=size,
                proof_root=tree.root(size).hex(),
            )
        )
    names = dict(
        session.execute(
            select(Party.code, Party.name).where(Party.code.in_({p.holder for p in parts}))
        ).all()
    )
    children: dict[str | None, list[PartRow]] = {}
    for p in parts:
        children.setdefault(p.parent, []).append(p)

    def node(p: PartRow) -> ProvenanceNode:
        return ProvenanceNode(
            part=p.id,
            amount_fen=p.amount_fen,
            holder=p.holder,
            holder_name=names.get(p.holder),
            status=p.status,
            from_seq=p.created_seq,
            from_at=at_of.get(p.created_seq, ""),
            to_seq=p.ended_seq,
            to_at=at_of.get(p.ended_seq) if p.ended_seq is not None else None,
            price_fen=p.price_fen,
            rate_bp=p.rate_bp,
            children=[node(c) for c in children.get(p.id, [])],
        )

    root_part = next(p for p in parts if p.parent is None)
    return ProvenanceOut(
        certificate=certificate_view(session, cert),
        tree=node(root_part),
        operations=ops,
        checkpoint=_checkpoint_out(latest) if latest is not None else None,
    )


def log_head(session: Session) -> LogHeadOut:
    """The log's name, current size and root, and its checkpoint verifier key (C2SP vkey)."""
    head = _head(session)
    public_key = keys_service.log_public_key(session, head.origin)
    return LogHeadOut(
        origin=head.origin,
        size=head.size,
        root=_hex(bytes(head.root)),
        vkey=vkey(head.origin, public_key) if public_key is not None else None,
    )


def party_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Display names of parties by their code in statements (USCC, ``PLATFORM``, ``BANK``)."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(session.execute(select(Party.code, Party.name).where(Party.code.in_(wanted))).all())


def party_codes(session: Session, principal: Principal) -> set[str]:
    """The party codes (USCC) of the principal's own enterprises on the chain."""
    return _codes_of(session, principal)


def check_inclusion(session: Session, proof: InclusionProofOut) -> ProofCheckOut:
    """The checks a participant makes on an inclusion proof, with the pure modules only: the
    audit path leads from the entry to the root, and the signed checkpoint of that size (if one
    was published) is signed by the log key and carries that root."""
    try:
        path = [bytes.fromhex(h) for h in proof.proof]
        root = bytes.fromhex(proof.root)
    except ValueError:
        return ProofCheckOut(inclusion=False, checkpoint_signed=None, checkpoint_root=None)
    inclusion = verify_inclusion(proof.entry.encode("utf-8"), proof.seq, proof.size, path, root)
    if proof.checkpoint is None:
        return ProofCheckOut(inclusion=inclusion, checkpoint_signed=None, checkpoint_root=None)
    head = _head(session)
    public_key = keys_service.log_public_key(session, head.origin)
    try:
        if public_key is None:
            raise CheckpointInvalid("no log key", "没有日志密钥")
        opened = open_checkpoint(proof.checkpoint.note, origin=head.origin, public_key=public_key)
    except CheckpointInvalid:
        return ProofCheckOut(inclusion=inclusion, checkpoint_signed=False, checkpoint_root=None)
    return ProofCheckOut(
        inclusion=inclusion,
        checkpoint_signed=True,
        checkpoint_root=opened.size == proof.size and opened.root == root,
    )


def list_signals(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 100
) -> list[SignalOut]:
    query = select(Signal).order_by(Signal.id).limit(limit)
    if after is not None:
        query = query.where(Signal.id > after)
    return [SignalOut.model_validate(s) for s in session.scalars(query)]


# --- checkpoints, jobs, export and the integrity check -------------------------------------------


def publish_checkpoint(
    session: Session, clock: Clock, cipher: FieldCipher | None = None
) -> CheckpointOut:
    """Sign the current tree head with the log key (a job, or on demand). Re-running it while
    the log has not grown returns the latest checkpoint and writes nothing."""
    with _locked_log(session, clock, _cipher_of(session, cipher)) as log:
        last = session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))
        if last is not None and last.size == log.head.size:
            return _checkpoint_out(last)
        at = format_at(clock.now())
        if last is not None:
            at = max(at, last.at)
        key = keys_service.log_key(session, clock, log.cipher, log.head.origin)
        checkpoint = Checkpoint(log.head.origin, log.head.size, bytes(log.head.root), at)
        note = sign_checkpoint(checkpoint, key)
        row = CheckpointRow(
            size=checkpoint.size, root=checkpoint.root, at=at, note=note, created_at=clock.now()
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            "receivables.checkpoint",
            "receivables_log",
            checkpoint.size,
            after={"size": checkpoint.size, "root": checkpoint.root.hex(), "at": at},
        )
        return _checkpoint_out(row)


def run_maturity(
    session: Session, clock: Clock, cipher: FieldCipher | None = None, day: date | None = None
) -> MaturityRunOut:
    """The daily maturity job for business date ``day`` (default today, never in the future).

    Certificates due by ``day``: paid by auto-debit where the core enterprise's settlement
    account covers face + penalty and its custodial key may sign (its standing agreement);
    otherwise, once past maturity, marked overdue by the platform with an early-warning signal.
    The penalty of overdue certificates is brought up to date. Re-running a date changes
    nothing it already did.
    """
    today = clock_business_date(clock)
    day = day or today
    if day > today:
        raise InvalidInput(field="day")
    paid: list[str] = []
    overdue: list[str] = []
    skipped: dict[str, str] = {}
    penalties: dict[str, int] = {}
    with _locked_log(session, clock, _cipher_of(session, cipher)) as log:
        due = list(
            session.scalars(
                select(CertificateRow)
                .where(
                    CertificateRow.status.in_(
                        (CertificateStatus.ACTIVE.value, CertificateStatus.OVERDUE.value)
                    ),
                    CertificateRow.maturity_date <= day,
                )
                .order_by(CertificateRow.maturity_date, CertificateRow.id)
            )
        )
        for cert in due:
            core = log.enterprise_of(cert.issuer)
            amount, _ = log.due_fen(cert, business_date(log.now_at()))
            if ledger_service.balance_fen(session, _settlement(core)) >= amount:
                try:
                    with log.attempt():
                        stmt, _ = log.run(
                            "pay", cert.issuer, {"cert": cert.id, "amount_fen": cert.face_fen}
                        )
                        log.settle(cert.id, stmt)
                    paid.append(cert.id)
                    continue
                except (ReceivablesError, DomainError) as exc:
                    skipped[cert.id] = exc.code
            else:
                skipped[cert.id] = "insufficient_funds"
            session.refresh(cert)
            if cert.status == CertificateStatus.ACTIVE.value and cert.maturity_date < day:
                log.run("overdue", log.platform, {"cert": cert.id})
                overdue.append(cert.id)
                _signal(session, clock, log, cert, day)
            if cert.status == CertificateStatus.OVERDUE.value:
                cert.penalty_fen = penalty_fen(
                    cert.face_fen, cert.penalty_daily_bp, (day - cert.maturity_date).days
                )
                penalties[cert.id] = cert.penalty_fen
        _audit_op(session, log, None)
    return MaturityRunOut(
        business_date=day, paid=paid, overdue=overdue, skipped=skipped, penalties_fen=penalties
    )


def _signal(session: Session, clock: Clock, log: _Log, cert: CertificateRow, day: date) -> None:
    if session.scalar(
        select(Signal.id).where(Signal.kind == SIGNAL_CORE_OVERDUE, Signal.cert == cert.id)
    ):
        return
    party = session.get(Party, cert.issuer)
    session.add(
        Signal(
            kind=SIGNAL_CORE_OVERDUE,
            severity="high",
            party=cert.issuer,
            enterprise_id=party.enterprise_id if party else None,
            cert=cert.id,
            business_date=day,
            amount_fen=cert.face_fen,
            detail={
                "maturity_date": cert.maturity_date.isoformat(),
                "days_overdue": (day - cert.maturity_date).days,
                "holders": sorted(
                    {
                        p.holder
                        for p in _parts_of(session, cert.id)
                        if p.status in (PartStatus.HELD.value, PartStatus.FINANCED.value)
                    }
                ),
                "seq": log.head.size - 1,
            },
            created_at=clock.now(),
        )
    )
    session.flush()
    audit.record(
        session,
        "receivables.signal",
        "receivables_certificate",
        cert.id,
        after={"kind": SIGNAL_CORE_OVERDUE, "party": cert.issuer, "amount_fen": cert.face_fen},
    )


def amortize_discounts(
    session: Session, clock: Clock, day: date, cipher: FieldCipher | None = None
) -> int:
    """Recognize discount income straight-line up to ``day`` for open financings: Dr
    discount_unearned(part) / Cr discount_income. Returns the fen recognized; re-running a date
    posts nothing more."""
    total = 0
    with _locked_log(session, clock, _cipher_of(session, cipher)) as log:
        rows = session.scalars(
            select(Financing).where(Financing.closed.is_(False)).order_by(Financing.part)
        )
        for row in rows:
            target = _amortized(row.discount_fen, row.days, row.financed_date, day)
            delta = target - row.recognized_fen
            if delta <= 0:
                continue
            log.post(
                "receivables.amortize",
                day,
                [Leg.debit(_unearned(row.part), delta), Leg.credit(_DISCOUNT_INCOME, delta)],
                f"贴现利息摊销 {row.part} 至 {day.isoformat()}",
                "receivables_part",
                row.part,
            )
            row.recognized_fen = target
            total += delta
        session.flush()
    return total


def configure_log(session: Session, clock: Clock, *, origin: str, rules: Rules) -> None:
    """Name the log and set its rules; only while the log is still empty."""
    head = session.execute(
        select(LogHead).where(LogHead.id == HEAD_ID).with_for_update()
    ).scalar_one()
    has_cp = session.scalar(select(func.count()).select_from(CheckpointRow))
    if head.size or has_cp:
        raise LogNotEmpty(size=head.size)
    Checkpoint(origin, 0, EMPTY_ROOT, "2000-01-01T00:00:00Z").body()  # validates the origin
    before = {"origin": head.origin, "rules": head.rules}
    head.origin = origin
    head.rules = rules.to_json()
    head.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        "receivables.configure",
        "receivables_log",
        HEAD_ID,
        before=before,
        after={"origin": origin, "rules": rules.to_json()},
    )


def export_log(session: Session, directory: str | Path) -> ExportOut:
    """Write the export directory (docs/receivables-export.md) from the database.

    Reads the head once and exports exactly its ``size`` entries and the checkpoints up to that
    size: append-only tables make this a consistent snapshot even while operations continue.
    """
    head = _head(session)
    size = head.size
    public = keys_service.log_public_key(session, head.origin)
    if public is None:
        raise NoLogKey()
    info = LogInfo(head.origin, public, Rules.from_json(head.rules))
    ring = keys_service.key_ring(session)
    checkpoints = 0
    with ExportWriter(directory, info, ring) as writer:
        expected = 0
        rows = session.execute(
            select(LogEntry.seq, LogEntry.entry)
            .where(LogEntry.seq < size)
            .order_by(LogEntry.seq)
            .execution_options(yield_per=2000)
        )
        for seq, entry in rows:
            if seq != expected:
                raise RuntimeError(f"receivables_entry has a gap at seq {expected}")
            writer.write_entry(bytes(entry))
            expected += 1
        if expected != size:
            raise RuntimeError(f"receivables_entry has {expected} entries, the head says {size}")
        for (note,) in session.execute(
            select(CheckpointRow.note)
            .where(CheckpointRow.size <= size)
            .order_by(CheckpointRow.size)
        ):
            writer.write_checkpoint(note)
            checkpoints += 1
    return ExportOut(
        directory=str(directory),
        entries=size,
        checkpoints=checkpoints,
        keys=len(ring),
        root=_hex(head.root),
    )


def check_log(session: Session) -> LogCheckOut:
    """Recompute the tree from the stored entries and compare it with the stored leaf hashes,
    nodes, head root and checkpoint roots."""
    head = _head(session)
    problems: list[str] = []
    tree = MerkleLog()
    expected = 0
    rows = session.execute(
        select(LogEntry.seq, LogEntry.entry, LogEntry.leaf_hash)
        .order_by(LogEntry.seq)
        .execution_options(yield_per=2000)
    )
    for seq, entry, digest in rows:
        if seq != expected:
            problems.append(f"seq {expected} is missing")
            expected = seq
        computed = leaf_hash(bytes(entry))
        if computed != bytes(digest):
            problems.append(f"seq {seq}: stored leaf hash differs from the entry's")
        tree.append_leaf_hash(computed)
        expected += 1
    if tree.size != head.size:
        problems.append(f"{tree.size} entries but the head says {head.size}")
    size = min(tree.size, head.size)
    recomputed = tree.root(size)
    if recomputed != bytes(head.root):
        problems.append("the root recomputed from the entries differs from the head root")
    try:
        stored = MerkleLog(SqlNodeStore(session, size))
        if stored.root() != recomputed:
            problems.append("the root of the stored nodes differs from the recomputed root")
        for start in range(0, size, 4096):
            batch = range(start, min(start + 4096, size))
            nodes = stored.store.get_nodes([(0, j) for j in batch])
            for j, node in zip(batch, nodes, strict=True):
                if node != tree.leaf_hash_at(j):
                    problems.append(f"seq {j}: stored level-0 node differs from the entry's hash")
    except LookupError as exc:
        problems.append(str(exc))
    for cp_size, cp_root in session.execute(select(CheckpointRow.size, CheckpointRow.root)):
        if cp_size > tree.size or tree.root(cp_size) != bytes(cp_root):
            problems.append(f"checkpoint of size {cp_size} does not match the entries")
    return LogCheckOut(
        ok=not problems,
        size=head.size,
        stored_root=_hex(head.root),
        recomputed_root=recomputed.hex(),
        problems=problems,
    )
