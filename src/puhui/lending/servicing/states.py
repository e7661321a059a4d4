"""Relief requests' statuses and their transitions (pure).

A borrower's request (延期还本付息 or 无还本续贷) is ``submitted``; a credit officer approves or
declines it. Above the maker-checker threshold an approval waits for a second officer
(``awaiting_check``), who confirms (``approved``: the relief is executed in the same unit of
work) or sends it back declined. The borrower may withdraw a request nobody decided yet.
"""

from __future__ import annotations

from enum import StrEnum


class ReliefRequestKind(StrEnum):
    DEFERRAL = "deferral"  # 延期还本付息
    RENEWAL = "renewal"  # 无还本续贷


class ReliefRequestStatus(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_CHECK = "awaiting_check"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


S = ReliefRequestStatus
TRANSITIONS: dict[ReliefRequestStatus, frozenset[ReliefRequestStatus]] = {
    S.SUBMITTED: frozenset({S.AWAITING_CHECK, S.APPROVED, S.DECLINED, S.WITHDRAWN}),
    S.AWAITING_CHECK: frozenset({S.APPROVED, S.DECLINED}),
    S.APPROVED: frozenset(),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
OPEN = frozenset({S.SUBMITTED, S.AWAITING_CHECK})


def can_move(current: ReliefRequestStatus, to: ReliefRequestStatus) -> bool:
    return to in TRANSITIONS[current]


def needs_check(principal_fen: int, threshold_fen: int, *, green_channel: bool = False) -> bool:
    """Maker-checker above the threshold (at or above it). The green channel (特事特办) speeds
    a request up: it is listed first, it never skips the second officer."""
    del green_channel  # documented: priority only, the control stays
    return principal_fen >= threshold_fen
