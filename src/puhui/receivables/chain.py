"""The platform side of the chain, without a database: accept signed statements, keep the state
and the Merkle tree, sign checkpoints.

The database service does the same with its own storage (a :class:`~puhui.receivables.merkle.
NodeStore` over a table, entries in a table); this class is the reference it can follow, and
what tests, the benchmark and the synthetic data generator use. Nothing is written anywhere
unless a ``sink`` (e.g. :class:`~puhui.receivables.export.ExportWriter`) is given.
"""

from __future__ import annotations

from typing import Protocol

from puhui.receivables.checkpoint import Checkpoint, sign_checkpoint
from puhui.receivables.keys import KeyRing, SigningKey
from puhui.receivables.merkle import MerkleLog, NodeStore
from puhui.receivables.state import Applied, ReceivablesState, Rules
from puhui.receivables.statements import SignedStatement


class EntrySink(Protocol):
    def write_entry(self, entry: bytes) -> None: ...

    def write_checkpoint(self, note: str) -> None: ...


class ReceivablesChain:
    def __init__(
        self,
        *,
        origin: str,
        log_key: SigningKey,
        rules: Rules,
        keys: KeyRing,
        store: NodeStore | None = None,
        sink: EntrySink | None = None,
        verify_signatures: bool = True,
    ) -> None:
        self.origin = origin
        self.log_key = log_key
        self.keys = keys
        self.state = ReceivablesState(rules)
        self.tree = MerkleLog(store)
        self.sink = sink
        self.verify_signatures = verify_signatures
        self.checkpoints: list[Checkpoint] = []

    @property
    def next_seq(self) -> int:
        return self.state.size

    def submit(self, signed: SignedStatement) -> Applied:
        """Check the signature (key of the actor, valid at ``at``) and the business rules, then
        append the entry. Raises a ReceivablesError and changes nothing on failure."""
        stmt = signed.verify(self.keys) if self.verify_signatures else signed.statement
        applied = self.state.apply(stmt)
        entry = signed.entry()
        self.tree.append(entry)
        if self.sink is not None:
            self.sink.write_entry(entry)
        return applied

    def checkpoint(self, at: str) -> str:
        """Sign the current tree head; returns the signed note (also sent to the sink)."""
        checkpoint = Checkpoint(self.origin, self.tree.size, self.tree.root(), at)
        note = sign_checkpoint(checkpoint, self.log_key)
        self.checkpoints.append(checkpoint)
        if self.sink is not None:
            self.sink.write_checkpoint(note)
        return note
