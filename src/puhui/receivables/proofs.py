"""What lets anyone check the log: inclusion and consistency proofs, the provenance of a
certificate with every operation's proof, signed checkpoints (published by the day job and on
demand), the export for an auditor and the integrity check of the stored tree.

Proofs are served from the node table: any root of a past size, inclusion or consistency proof
reads O(log n) nodes with one query. Checking them needs only the pure modules
(:mod:`puhui.receivables.merkle`, :mod:`puhui.receivables.checkpoint`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.receivables import keys_service
from puhui.receivables.access import cert_not_found, check_visible, entry_visible, parts_of
from puhui.receivables.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint, vkey
from puhui.receivables.errors import CheckpointInvalid, NotFound
from puhui.receivables.export import ExportWriter, LogInfo
from puhui.receivables.log import head_row, locked_log
from puhui.receivables.merkle import MerkleLog, leaf_hash, verify_inclusion
from puhui.receivables.models import CertificateRow, CheckpointRow, LogEntry, PartRow, Party
from puhui.receivables.reading import certificate_view, checkpoint_out, hex_of
from puhui.receivables.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    ExportOut,
    InclusionProofOut,
    LogCheckOut,
    LogHeadOut,
    ProofCheckOut,
    ProvenanceNode,
    ProvenanceOp,
    ProvenanceOut,
)
from puhui.receivables.service_errors import NoLogKey, ProofRangeInvalid
from puhui.receivables.state import Rules
from puhui.receivables.statements import format_at
from puhui.receivables.store import SqlNodeStore


def latest_checkpoint(session: Session) -> CheckpointOut | None:
    row = session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))
    return checkpoint_out(row) if row is not None else None


def list_checkpoints(
    session: Session, *, before_size: int | None = None, limit: int = 50
) -> list[CheckpointOut]:
    query = select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(limit)
    if before_size is not None:
        query = query.where(CheckpointRow.size < before_size)
    return [checkpoint_out(r) for r in session.scalars(query)]


def _checkpoint_at(session: Session, size: int) -> CheckpointOut | None:
    row = session.scalar(select(CheckpointRow).where(CheckpointRow.size == size))
    return checkpoint_out(row) if row is not None else None


def _range_error(reason: str, reason_zh: str, name: str) -> ProofRangeInvalid:
    return ProofRangeInvalid(field=name, reason=reason, reason_zh=reason_zh)


def inclusion_proof(
    session: Session, principal: Principal | None, seq: int, size: int | None = None
) -> InclusionProofOut:
    """The audit path of operation ``seq`` in the tree of ``size`` leaves (default: the latest
    checkpoint that covers it, else the current tree), with the signed checkpoint if any."""
    head = head_row(session)
    row = session.get(LogEntry, seq)
    if row is None or not entry_visible(session, principal, row):
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
        leaf_hash=hex_of(row.leaf_hash),
        proof=[p.hex() for p in tree.inclusion_proof(seq, size)],
        root=tree.root(size).hex(),
        checkpoint=_checkpoint_at(session, size),
    )


def consistency_proof(
    session: Session, old_size: int, new_size: int | None = None
) -> ConsistencyProofOut:
    """Proof that the tree of ``old_size`` leaves is a prefix of the one of ``new_size``
    (default: the latest checkpoint), with the signed checkpoints of those sizes if any."""
    head = head_row(session)
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
        raise cert_not_found(cert_id)
    parts = parts_of(session, cert_id)
    check_visible(session, principal, cert, parts)
    head = head_row(session)
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
                leaf_hash=hex_of(e.leaf_hash),
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
        checkpoint=checkpoint_out(latest) if latest is not None else None,
    )


def log_head(session: Session) -> LogHeadOut:
    """The log's name, current size and root, and its checkpoint verifier key (C2SP vkey)."""
    head = head_row(session)
    public_key = keys_service.log_public_key(session, head.origin)
    return LogHeadOut(
        origin=head.origin,
        size=head.size,
        root=hex_of(bytes(head.root)),
        vkey=vkey(head.origin, public_key) if public_key is not None else None,
    )


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
    head = head_row(session)
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


def publish_checkpoint(session: Session, clock: Clock, cipher: FieldCipher) -> CheckpointOut:
    """Sign the current tree head with the log key (a job, or on demand). Re-running it while
    the log has not grown returns the latest checkpoint and writes nothing."""
    with locked_log(session, clock, cipher) as log:
        last = session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))
        if last is not None and last.size == log.head.size:
            return checkpoint_out(last)
        at = format_at(clock.now())
        if last is not None:
            at = max(at, last.at)
        key = keys_service.log_key(session, clock, cipher, log.head.origin)
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
        return checkpoint_out(row)


def export_log(session: Session, directory: str | Path) -> ExportOut:
    """Write the export directory (docs/receivables-export.md) from the database.

    Reads the head once and exports exactly its ``size`` entries and the checkpoints up to that
    size: append-only tables make this a consistent snapshot even while operations continue.
    """
    head = head_row(session)
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
        root=hex_of(head.root),
    )


def check_log(session: Session) -> LogCheckOut:
    """Recompute the tree from the stored entries and compare it with the stored leaf hashes,
    nodes, head root and checkpoint roots."""
    head = head_row(session)
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
        stored_root=hex_of(head.root),
        recomputed_root=recomputed.hex(),
        problems=problems,
    )
