"""Matching a bank statement against the ledger (pure).

Each side is a list of lines keyed by the payment's end-to-end id and whether the line is the
payment's settlement or its return (a payment can appear twice: paid, then sent back); the
amount is signed from our account's point of view (money in +, money out −). A key on both sides
with the same amount is matched; on both sides with different amounts an amount mismatch; on
one side only a break of that side. Keys repeated on one side (a duplicated entry) are matched
one by one; the extra ones are breaks.
"""

from __future__ import annotations

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


Row = tuple[str, bool, int]  # (end-to-end id, returned, signed amount): a line as SQL reads it


def match(statement: Iterable[Line], ledger: Iterable[Line]) -> Result:
    return match_rows(
        ((x.end_to_end_id, x.returned, x.amount_fen) for x in statement),
        ((x.end_to_end_id, x.returned, x.amount_fen) for x in ledger),
    )


def match_rows(statement: Iterable[Row], ledger: Iterable[Row]) -> Result:
    """The matching on plain rows (one dict of the statement's keys, one pass over the ledger;
    measured in bench/reconcile.py against one SQL join of the same rows)."""
    bank: dict[tuple[str, bool], int | list[int]] = {}
    for e2e, returned, amount in statement:
        key = (e2e, returned)
        seen = bank.get(key)
        if seen is None:
            bank[key] = amount
        elif isinstance(seen, list):
            seen.append(amount)
        else:
            bank[key] = [seen, amount]
    result = Result()
    matched = 0
    breaks = result.breaks
    for e2e, returned, amount in ledger:
        key = (e2e, returned)
        seen = bank.pop(key, None)
        if seen is None:
            breaks.append(Break(BreakKind.ONLY_IN_LEDGER, e2e, returned, None, amount))
        elif not isinstance(seen, list):
            if seen == amount:
                matched += 1
            else:
                breaks.append(Break(BreakKind.AMOUNT_MISMATCH, e2e, returned, seen, amount))
        else:
            if amount in seen:
                seen.remove(amount)
                matched += 1
            else:
                breaks.append(Break(BreakKind.AMOUNT_MISMATCH, e2e, returned, seen.pop(0), amount))
            if seen:
                bank[key] = seen
    for (e2e, returned), left in bank.items():
        for amount in left if isinstance(left, list) else [left]:
            breaks.append(Break(BreakKind.ONLY_ON_STATEMENT, e2e, returned, amount, None))
    result.matched = matched
    return result
