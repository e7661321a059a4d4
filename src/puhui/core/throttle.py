"""Login throttling that slows and challenges, and never locks the real user out (pure).

The old rule counted an account's failures from every address and refused the account for the
window once five were reached: five requests per quarter of an hour from anywhere kept `admin`
out. The rule here keys delays on the pair (account × client address), so a flood from one
address slows only that address:

- **pair delay**: after `free_attempts` failures of this account from this address (since its
  last success there, inside the window), the next try waits `base × 2^(n − free)` seconds after
  the last failure, capped at `cap_seconds` — 2, 4, 8, … 15 minutes;
- **address delay**: an address failing on many accounts (credential stuffing) is slowed the
  same way after `address_free_attempts` failures, whatever account it tries;
- **challenge**: when the account has failed `challenge_after` times from all addresses (a
  distributed guess), a password alone is no longer answered from an address the account has
  not succeeded from recently: staff must send their second factor with the password in one
  step (so a guessed password is never confirmed without it), applicants sign in by SMS code.
  The real user at a known address is not even challenged.

Nothing here reads the database or the clock: `judge` gets the counts and `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_attempts: int = 3
    base_seconds: int = 2
    cap_seconds: int = 900
    address_free_attempts: int = 20
    challenge_after: int = 5


@dataclass(frozen=True)
class AttemptCounts:
    """Failures inside the window: of this account from this address (since its last success
    there), of this address on any account, of this account from any address (since its last
    success); and whether the account succeeded from this address recently."""

    pair_failures: int = 0
    pair_last_failure_at: datetime | None = None
    address_failures: int = 0
    address_last_failure_at: datetime | None = None
    account_failures: int = 0
    known_address: bool = False


@dataclass(frozen=True)
class Verdict:
    wait_seconds: int
    challenge: bool

    @property
    def may_try(self) -> bool:
        return self.wait_seconds == 0


def delay_seconds(failures: int, free: int, base: int, cap: int) -> int:
    """The pause owed after `failures` failures: none for the first `free`, then doubling."""
    if failures < free:
        return 0
    exponent = min(failures - free, 30)  # 2^30 s is far past any cap
    return int(min(cap, base * 2**exponent))


def _remaining(last: datetime | None, owed: int, now: datetime) -> int:
    if owed == 0 or last is None:
        return 0
    left = (last + timedelta(seconds=owed) - now).total_seconds()
    return max(0, int(left + 0.999))  # round up: never tell a client to come back too early


def judge(policy: ThrottlePolicy, counts: AttemptCounts, now: datetime) -> Verdict:
    pair_owed = delay_seconds(
        counts.pair_failures, policy.free_attempts, policy.base_seconds, policy.cap_seconds
    )
    address_owed = delay_seconds(
        counts.address_failures,
        policy.address_free_attempts,
        policy.base_seconds,
        policy.cap_seconds,
    )
    wait = max(
        _remaining(counts.pair_last_failure_at, pair_owed, now),
        _remaining(counts.address_last_failure_at, address_owed, now),
    )
    challenge = counts.account_failures >= policy.challenge_after and not counts.known_address
    return Verdict(wait_seconds=wait, challenge=challenge)
