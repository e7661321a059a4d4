"""Matching a bank statement against the ledger (pure).

Each side is a list of lines keyed by the payment's end-to-end id and whether the line is the
payment's settlement or its return (a payment can appear twice: paid, then sent back); the
amount is signed from our account's point of view (money in +, money out −). A key on both sides
with the same amount is matched; on both sides with different amounts an amount mismatch; on
one side only a break of that side. Keys repeated on one side (a duplicated entry) are matched
one by one; the extra ones are breaks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakKind(StrEnum):
    ONLY_ON_STATEMENT = "only_on_statement"  # the bank booked it, the ledger never did
    ONLY_IN_LEDGER = "only_in_ledger"  # the ledger booked it, the bank did not
    AMOUNT_MISMATCH = "amount_mismatch"


@dataclass(frozen=True)
class Line:
    end_to_end_id: str
    returned: bool
    amount_fen: int  # signed: + into our account, − out of it

    @property
    def key(self) -> tuple[str, bool]:
        return (self.end_to_end_id, self.returned)


@dataclass(frozen=True)
class Break:
    kind: BreakKind
    end_to_end_id: str
    returned: bool
    statement_fen: int | None
    ledger_fen: int | None

    @property
    def size_fen(self) -> int:
        """How much the break is worth (what the end of day's threshold compares)."""
        return abs((self.statement_fen or 0) - (self.ledger_fen or 0))


@dataclass
class Result:
    matched: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def break_fen(self) -> int:
        return sum(b.size_fen for b in self.breaks)


def match(statement: Iterable[Line], ledger: Iterable[Line]) -> Result:
    bank: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for line in statement:
        bank[line.key].append(line.amount_fen)
    result = Result()
    for line in ledger:
        amounts = bank.get(line.key)
        if not amounts:
            result.breaks.append(
                Break(
                    BreakKind.ONLY_IN_LEDGER,
                    line.end_to_end_id,
                    line.returned,
                    None,
                    line.amount_fen,
                )
            )
            continue
        if line.amount_fen in amounts:
            amounts.remove(line.amount_fen)
            result.matched += 1
        else:
            other = amounts.pop(0)
            result.breaks.append(
                Break(
                    BreakKind.AMOUNT_MISMATCH,
                    line.end_to_end_id,
                    line.returned,
                    other,
                    line.amount_fen,
                )
            )
    for (e2e, returned), amounts in bank.items():
        for amount in amounts:
            result.breaks.append(Break(BreakKind.ONLY_ON_STATEMENT, e2e, returned, amount, None))
    return result
