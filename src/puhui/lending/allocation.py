"""Allocation of a repayment to what is owed (还款冲销顺序), in a fixed order.

Convention a finance reviewer should check
------------------------------------------
A repayment pays the buckets strictly one after another in the order given: each bucket is paid
in full before the next one receives anything. The default order is the usual Chinese bank
order for a loan in arrears — charges for lateness first, then the oldest debt, then the current
period (先罚息、复利，后利息，再本金; 先逾期，后当期):

    penalty → compound → overdue_interest → overdue_principal → current_interest →
    current_principal

(``compound`` — compound interest on overdue interest — sits next to the penalty; a product
without compounding simply owes 0 there.) A product may configure another order as a list of
bucket names; any name may be used (e.g. ``"fee"`` or per-instalment buckets such as
``"overdue_interest:3"``). Whatever is left after every bucket is paid is the overpayment
(``remainder_fen``), returned to the caller to refund or hold — never silently applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Bucket(StrEnum):
    PENALTY = "penalty"
    COMPOUND = "compound"
    OVERDUE_INTEREST = "overdue_interest"
    OVERDUE_PRINCIPAL = "overdue_principal"
    CURRENT_INTEREST = "current_interest"
    CURRENT_PRINCIPAL = "current_principal"

    @property
    def zh(self) -> str:
        return _BUCKET_ZH[self]


_BUCKET_ZH = {
    Bucket.PENALTY: "罚息",
    Bucket.COMPOUND: "复利",
    Bucket.OVERDUE_INTEREST: "逾期利息",
    Bucket.OVERDUE_PRINCIPAL: "逾期本金",
    Bucket.CURRENT_INTEREST: "当期利息",
    Bucket.CURRENT_PRINCIPAL: "当期本金",
}

DEFAULT_ORDER: tuple[str, ...] = tuple(Bucket)
"""penalty → compound → overdue interest → overdue principal → current interest → principal."""


@dataclass(frozen=True, slots=True)
class Allocation:
    """How a repayment was applied: fen per bucket (every bucket of the order, 0 if unpaid),
    in order, and the unallocated overpayment."""

    by_bucket: dict[str, int]
    remainder_fen: int

    @property
    def allocated_fen(self) -> int:
        return sum(self.by_bucket.values())


def allocate(
    amount_fen: int,
    due_fen: Mapping[str, int] | Mapping[Bucket, int],
    order: Sequence[str] = DEFAULT_ORDER,
) -> Allocation:
    """Apply ``amount_fen`` to the amounts ``due_fen`` (bucket name → fen owed) in ``order``.

    Keys may be ``Bucket`` members or plain names; the result is keyed by plain names.
    Every bucket with something owed must appear in ``order`` (an unlisted debt would otherwise
    be silently skipped), and ``order`` may not repeat a name. Buckets listed but not owed count
    as 0. ``sum(by_bucket) + remainder_fen == amount_fen`` and no bucket gets more than is owed.
    """
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError("amount_fen must be an int (fen)")
    if amount_fen < 0:
        raise ValueError("amount_fen must not be negative")
    names = [str(name) for name in order]
    if len(set(names)) != len(names):
        raise ValueError(f"allocation order repeats a bucket: {names}")
    owed_by_name = {str(name): owed for name, owed in due_fen.items()}
    for name, owed in owed_by_name.items():
        if isinstance(owed, bool) or not isinstance(owed, int):
            raise TypeError(f"amount due for {name!r} must be an int (fen)")
        if owed < 0:
            raise ValueError(f"amount due for {name!r} must not be negative")
        if owed and name not in names:
            raise ValueError(f"bucket {name!r} is owed but not in the allocation order")
    left = amount_fen
    by_bucket: dict[str, int] = {}
    for name in names:
        paid = min(left, owed_by_name.get(name, 0))
        by_bucket[name] = paid
        left -= paid
    return Allocation(by_bucket=by_bucket, remainder_fen=left)
