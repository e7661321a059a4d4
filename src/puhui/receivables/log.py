"""The append-only log in the database, locked for one unit of work.

:func:`locked_log` opens a SAVEPOINT and locks the log head row (``SELECT ... FOR UPDATE`` on
``receivables_log``): one writer at a time, so sequence numbers, the tree and the head never
fork, and a refused operation rolls back to the savepoint leaving nothing behind. The
:class:`Log` it yields then, for each statement:

1. locks the certificate's part rows and loads a fresh pure :class:`ReceivablesState` holding
   just what the statement touches (:meth:`Log.load`);
2. drafts the statement (:func:`puhui.receivables.drafts.draft`) and signs it with the actor's
   custodial key — or checks a statement the actor signed with its own key against the draft,
   byte for byte, and its signature (:meth:`Log.run`);
3. applies it with the pure rules, writes the state back to the query tables, appends the
   entry to the Merkle tree over the node table and moves the head (:meth:`Log.append`).

Ledger entries of the same operation are posted through :meth:`Log.post`, so the operation's
result lists them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.receivables import drafts, keys_service, supply_store
from puhui.receivables.access import (
    cert_not_found,
    cert_parties,
    check_visible,
    part_not_found,
    parts_of,
    party_codes,
)
from puhui.receivables.checkpoint import Checkpoint
from puhui.receivables.errors import MalformedStatement, NotFound
from puhui.receivables.keys import KeyRing
from puhui.receivables.merkle import EMPTY_ROOT, MerkleLog, leaf_hash
from puhui.receivables.models import (
    HEAD_ID,
    CertificateRow,
    CheckpointRow,
    InvoiceRow,
    Limit,
    LogEntry,
    LogHead,
    PartRow,
    Party,
    PartyKind,
    SupplyItem,
)
from puhui.receivables.reading import certificate_view, entry_out, hex_of
from puhui.receivables.schemas import LedgerMoveOut, OperationOut
from puhui.receivables.service_errors import LogNotEmpty, StatementMismatch
from puhui.receivables.state import (
    Applied,
    Certificate,
    CertificateStatus,
    Invoice,
    Part,
    PartStatus,
    ReceivablesState,
    Rules,
)
from puhui.receivables.statements import (
    SignedStatement,
    canonical_json,
    format_at,
    parse_at,
    sign_statement,
)
from puhui.receivables.store import SqlNodeStore

OUTSTANDING = (
    CertificateStatus.PENDING.value,
    CertificateStatus.ACTIVE.value,
    CertificateStatus.OVERDUE.value,
)
_ENDED = (PartStatus.CLOSED, PartStatus.CLEARED)


def head_row(session: Session) -> LogHead:
    """The log head, unlocked (readers)."""
    head = session.get(LogHead, HEAD_ID)
    if head is None:
        raise RuntimeError("receivables_log has no head row: run the migrations")
    return head


@dataclass
class Loaded:
    """A fresh pure state holding just what one statement touches, and the rows behind it."""

    state: ReceivablesState
    certs: dict[str, CertificateRow] = field(default_factory=dict)
    parts: dict[str, PartRow] = field(default_factory=dict)
    invoices: dict[str, InvoiceRow] = field(default_factory=dict)
    supply: dict[str, SupplyItem] = field(default_factory=dict)


class Log:
    """The log head locked by this transaction, the Merkle tree over the node table, and the
    statements appended so far in this operation.

    ``cipher`` opens the custodial keys; a job that signs nothing (amortization) passes None.
    """

    def __init__(self, session: Session, clock: Clock, cipher: FieldCipher | None) -> None:
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
        """The certificate, locked with its parts (404 if the principal may not see it)."""
        row = self.session.execute(
            select(CertificateRow)
            .where(CertificateRow.id == cert_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if row is None:
            raise cert_not_found(cert_id)
        check_visible(self.session, principal, row, parts_of(self.session, cert_id, lock=True))
        return row

    def part(self, part_id: str, principal: Principal | None) -> tuple[PartRow, CertificateRow]:
        cert_id = self.session.scalar(select(PartRow.cert).where(PartRow.id == part_id))
        if cert_id is None:
            raise part_not_found(part_id)
        try:
            cert = self.cert(cert_id, principal)
        except NotFound:
            raise part_not_found(part_id) from None
        part = self.session.get(PartRow, part_id)
        assert part is not None
        return part, cert

    def actor_for(self, principal: Principal | None, expected: str, cert: CertificateRow) -> str:
        """Who signs: the expected party if the principal may act for it; otherwise a party to
        the certificate the principal acts for (the rules then refuse it with a clear reason)."""
        if principal is None or principal.is_staff:
            return expected
        codes = party_codes(self.session, principal)
        if expected in codes:
            return expected
        mine = sorted(codes & cert_parties(cert, parts_of(self.session, cert.id)))
        if not mine:
            raise cert_not_found(cert.id)
        return mine[0]

    def load(
        self,
        *,
        cert_id: str | None = None,
        issuer: str | None = None,
        invoice: str | None = None,
        with_issuer: bool = False,
        supply: Sequence[str] = (),
        warehouse: str | None = None,
    ) -> Loaded:
        """A fresh state with the log position, the certificate and its parts (locked), and
        the issuer's limit and outstanding amount and the invoice when the statement needs
        them (``with_issuer``: reject, cancel and pay change them besides the certificate)."""
        self.session.flush()
        state = ReceivablesState(self.rules)
        state.size = self.head.size
        state.last_at = self.head.last_at
        loaded = Loaded(state)
        if supply or warehouse:  # orders, receipts, programmes (and their certificates)
            for cert in supply_store.load(self.session, state, supply, loaded.supply, warehouse):
                self._load_certificate(loaded, cert)
        if cert_id is not None and cert_id not in loaded.certs:
            row = self._load_certificate(loaded, cert_id)
            if row is not None and with_issuer:
                issuer = issuer or row.issuer
                invoice = invoice or row.invoice
        if issuer is not None:
            self._load_issuer(state, issuer)
        if invoice is not None:
            inv = self.session.get(InvoiceRow, invoice)
            if inv is not None:
                loaded.invoices[inv.ref] = inv
                state.invoices[inv.ref] = Invoice(
                    inv.ref, inv.amount_fen, inv.seller, inv.buyer, inv.used_fen
                )
        return loaded

    def _load_certificate(self, loaded: Loaded, cert_id: str) -> CertificateRow | None:
        row = self.session.get(CertificateRow, cert_id)
        if row is None:
            return None
        parts = parts_of(self.session, cert_id, lock=True)
        loaded.certs[row.id] = row
        loaded.state.certificates[row.id] = Certificate(
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
            loaded.state.parts[p.id] = Part(
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
        return row

    def _load_issuer(self, state: ReceivablesState, issuer: str) -> None:
        limit = self.session.get(Limit, issuer)
        if limit is not None:
            state.limits[issuer] = limit.limit_fen
        state.outstanding[issuer] = int(
            self.session.scalar(
                select(func.coalesce(func.sum(CertificateRow.face_fen), 0)).where(
                    CertificateRow.issuer == issuer, CertificateRow.status.in_(OUTSTANDING)
                )
            )
            or 0
        )

    # -- statements ------------------------------------------------------------------------------

    def draft(self, op: str, actor: str, req: dict[str, Any]) -> tuple[dict[str, Any], Loaded]:
        """The statement the platform makes for a request now, at the next seq (nothing is
        written), and the state it was drafted from."""
        loaded = self.load(**drafts.targets(op, actor, req))
        stmt = drafts.draft(op, actor, req, loaded.state, self.head.size, self.now_at())
        return stmt, loaded

    def run(
        self,
        op: str,
        actor: str,
        req: dict[str, Any],
        *,
        signed: SignedStatement | None = None,
        cert_extra: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], Applied]:
        """Draft the statement and sign it (custodial), or check the one the actor signed
        with its own key; then append it."""
        if signed is None:
            stmt, loaded = self.draft(op, actor, req)
            if self.cipher is None:
                raise RuntimeError("signing with a custodial key needs the field cipher")
            key = keys_service.custodial_key(
                self.session, self.clock, self.cipher, actor, stmt["at"]
            )
            signed = sign_statement(stmt, key)
        else:
            loaded = self.load(**drafts.targets(op, actor, req))
            stmt = self._check_submitted(op, actor, req, loaded, signed)
        applied = self.append(signed, stmt, loaded, cert_extra)
        return stmt, applied

    def _check_submitted(
        self, op: str, actor: str, req: dict[str, Any], loaded: Loaded, signed: SignedStatement
    ) -> dict[str, Any]:
        """The platform's draft at the submitted seq and time, equal to the submitted
        statement byte for byte, signed by a registered key of the actor."""
        submitted = signed.statement
        try:
            stmt = drafts.draft(op, actor, req, loaded.state, submitted["seq"], submitted["at"])
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
        return stmt

    def append(
        self,
        signed: SignedStatement,
        stmt: dict[str, Any],
        loaded: Loaded,
        cert_extra: dict[str, Any] | None = None,
    ) -> Applied:
        """Apply the statement with the pure rules, write the state back, append the entry to
        the tree and move the head."""
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
        self, loaded: Loaded, applied: Applied, stmt: dict[str, Any], extra: dict[str, Any]
    ) -> None:
        """Write the state the statement left back to the query tables."""
        now = self.clock.now()
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
                self._add_certificate(loaded, cert, stmt, extra, now)
            elif (row.status, row.cleared_fen) != (cert.status.value, cert.cleared_fen):
                row.status = cert.status.value
                row.cleared_fen = cert.cleared_fen
                row.updated_at = now
        self._persist_parts(loaded, applied, stmt["seq"], now)
        if applied.supply or stmt["op"] == "warehouse":
            supply_store.persist(self.session, state, loaded.supply, applied.supply, stmt, now)
        self.session.flush()

    def _add_certificate(
        self,
        loaded: Loaded,
        cert: Certificate,
        stmt: dict[str, Any],
        extra: dict[str, Any],
        now: datetime,
    ) -> None:
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
        loaded.certs[cert.id] = row

    def _persist_parts(self, loaded: Loaded, applied: Applied, seq: int, now: datetime) -> None:
        state = loaded.state
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

    def result(self, cert_id: str | None, *, replayed: bool = False) -> OperationOut:
        """The operation's statements, the certificate after it, its ledger entries, the head."""
        cert = self.session.get(CertificateRow, cert_id) if cert_id else None
        return OperationOut(
            operations=[entry_out(e) for e in self.entries],
            certificate=certificate_view(self.session, cert) if cert is not None else None,
            ledger=list(self.moves),
            tree_size=self.head.size,
            root=hex_of(self.head.root),
            replayed=replayed,
        )

    # -- money -----------------------------------------------------------------------------------

    def post(
        self, kind: str, day: date, legs: list[Leg], memo: str, source_type: str, source_id: str
    ) -> uuid.UUID:
        """One balanced ledger entry of this operation (listed in its result)."""
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


@contextmanager
def locked_log(session: Session, clock: Clock, cipher: FieldCipher | None) -> Iterator[Log]:
    """The log head locked, inside a SAVEPOINT: a refused operation leaves nothing behind."""
    with session.begin_nested():
        yield Log(session, clock, cipher)


def audit_ops(session: Session, log: Log, cert_id: str | None) -> None:
    """One audit event per statement the operation appended."""
    for e in log.entries:
        audit.record(
            session,
            f"receivables.{e.op}",
            "receivables_certificate" if e.cert else "receivables_log",
            e.cert or e.seq,
            after={"seq": e.seq, "actor": e.actor, "part": e.part, "cert": cert_id},
        )


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
