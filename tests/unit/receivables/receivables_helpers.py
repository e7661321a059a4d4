"""Helpers of the receivables tests: a small supply chain (a platform, a bank, a core
enterprise, a tier-1 and two tier-2 suppliers, each with a deterministic Ed25519 key), the
realistic happy path, and an export writer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from puhui.receivables.chain import ReceivablesChain
from puhui.receivables.export import ExportWriter, LogInfo
from puhui.receivables.keys import KeyRing, SigningKey
from puhui.receivables.state import Applied, ReceivablesState, Rules
from puhui.receivables.statements import sign_statement, statement

ORIGIN = "puhui.test/receivables/v1"
PLATFORM, BANK, CORE, T1, T2, T2B = (
    "PLATFORM",
    "BANK-ICBX",
    "CORE-BUILD",
    "T1-STEEL",
    "T2-BOLTS",
    "T2-PAINT",
)
RULES = Rules(platform=PLATFORM, financiers=frozenset({BANK}))

ISSUE_AT = "2026-03-02T02:00:00Z"  # 10:00 in Shanghai, business date 2026-03-02
MATURITY = "2026-06-30"
MATURITY_AT = "2026-06-30T02:00:00Z"
FACE = 50_000_000  # 50 万元


def party_key(party: str) -> SigningKey:
    return SigningKey.from_seed(party, hashlib.sha256(f"test/{party}".encode()).digest())


LOG_KEY = party_key("LOG")


class Book:
    """Statements without signatures, applied straight to a state (business-rule tests)."""

    def __init__(self, rules: Rules = RULES) -> None:
        self.state = ReceivablesState(rules)

    def stmt(self, op: str, actor: str, at: str | None = None, **fields: Any) -> dict[str, Any]:
        """A statement with the next seq; ``at`` defaults to the last statement's time."""
        at = at or self.state.last_at or ISSUE_AT
        return statement(op, seq=self.state.size, actor=actor, at=at, **fields)

    def do(self, op: str, actor: str, at: str | None = None, **fields: Any) -> Applied:
        return self.state.apply(self.stmt(op, actor, at, **fields))


# The realistic chain: issue → accept → split → transfer to tier 2 → accept → finance → pay →
# clear. (signer, op, at, fields)
HAPPY_PATH: list[tuple[str, str, str, dict[str, Any]]] = [
    (PLATFORM, "limit", "2026-03-01T01:00:00Z", {"party": CORE, "limit_fen": 100_000_000}),
    (
        CORE,
        "issue",
        ISSUE_AT,
        {
            "cert": "EC1",
            "to": T1,
            "amount_fen": FACE,
            "maturity_date": MATURITY,
            "invoice": "INV-0001",
            "invoice_amount_fen": 60_000_000,
        },
    ),
    (T1, "accept", "2026-03-02T03:00:00Z", {"cert": "EC1"}),
    (
        T1,
        "split",
        "2026-03-02T04:00:00Z",
        {
            "cert": "EC1",
            "part": "EC1",
            "parts": [
                {"part": "EC1-1", "amount_fen": 30_000_000},
                {"part": "EC1-2", "amount_fen": 20_000_000},
            ],
        },
    ),
    (T1, "transfer", "2026-03-02T05:00:00Z", {"cert": "EC1", "part": "EC1-1", "to": T2}),
    (
        T2,
        "accept_transfer",
        "2026-03-02T06:00:00Z",
        {"cert": "EC1", "part": "EC1-1", "new_part": "EC1-1a"},
    ),
    (T1, "transfer", "2026-03-02T07:00:00Z", {"cert": "EC1", "part": "EC1-2", "to": BANK}),
    (
        BANK,
        "finance",
        "2026-03-02T07:30:00Z",
        # 120 days to 2026-06-30; 20,000,000 × 3.85% × 120 / 360 = 256,666.67 → 256,667 fen
        {
            "cert": "EC1",
            "part": "EC1-2",
            "new_part": "EC1-2f",
            "rate_bp": 385,
            "days": 120,
            "price_fen": 19_743_333,
        },
    ),
    (CORE, "pay", MATURITY_AT, {"cert": "EC1", "amount_fen": FACE}),
    (
        PLATFORM,
        "clear",
        "2026-06-30T03:00:00Z",
        {"cert": "EC1", "part": "EC1-1a", "to": T2, "amount_fen": 30_000_000},
    ),
    (
        PLATFORM,
        "clear",
        "2026-06-30T03:00:01Z",
        {"cert": "EC1", "part": "EC1-2f", "to": BANK, "amount_fen": 20_000_000},
    ),
]


def keyring() -> KeyRing:
    ring = KeyRing()
    for party in (PLATFORM, BANK, CORE, T1, T2, T2B):
        ring.register(party_key(party), valid_from="2026-01-01T00:00:00Z")
    return ring


@dataclass
class Export:
    directory: Path
    chain: ReceivablesChain

    @property
    def statements(self) -> Path:
        return self.directory / "statements.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.directory / "checkpoints.jsonl"

    def lines(self) -> list[bytes]:
        return self.statements.read_bytes().splitlines(keepends=True)

    def write_lines(self, lines: list[bytes]) -> None:
        self.statements.write_bytes(b"".join(lines))


def write_happy_export(directory: Path, checkpoint_after: tuple[int, ...] = (3, 8)) -> Export:
    """The happy path as an export, with checkpoints after the given numbers of entries and at
    the end."""
    ring = keyring()
    info = LogInfo(ORIGIN, LOG_KEY.public, RULES)
    with ExportWriter(directory, info, ring) as writer:
        chain = ReceivablesChain(
            origin=ORIGIN, log_key=LOG_KEY, rules=RULES, keys=ring, sink=writer
        )
        for signer, op, at, fields in HAPPY_PATH:
            stmt = statement(op, seq=chain.next_seq, actor=signer, at=at, **fields)
            chain.submit(sign_statement(stmt, party_key(signer)))
            if chain.next_seq in checkpoint_after:
                chain.checkpoint(at)
        chain.checkpoint("2026-06-30T04:00:00Z")
    return Export(directory, chain)
