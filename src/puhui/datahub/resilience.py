"""Retries with exponential backoff and jitter, and a circuit breaker. Pure logic, no I/O.

Time is injected: `sleep` for the pause between attempts and `monotonic` for the breaker's
cool-down, so tests run instantly and deterministically.

Breaker states: CLOSED (calls pass; consecutive failures are counted) → OPEN after
`failure_threshold` consecutive failures (calls are refused without reaching the provider) →
HALF_OPEN once `cooldown_s` has passed (one trial call is let through) → CLOSED if the trial
succeeds, OPEN again (with a fresh cool-down) if it fails.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (1-based): min(max_s, base_s * factor**(n-1)) ± jitter (a fraction)."""

    base_s: float = 0.1  # float-ok: seconds
    factor: float = 2.0  # float-ok
    max_s: float = 2.0  # float-ok
    jitter: float = 0.2  # float-ok: fraction of the delay, drawn uniformly in ±jitter

    def delay(self, retry: int, rng: random.Random) -> float:  # float-ok: seconds
        raw = min(self.max_s, self.base_s * self.factor ** max(0, retry - 1))
        spread = raw * self.jitter
        return max(0.0, raw + rng.uniform(-spread, spread))


class Retryable(Exception):
    """Raised by an attempt whose failure may go away on retry; carries the final error."""

    def __init__(self, final: Exception) -> None:
        super().__init__(str(final))
        self.final = final


def retry_call(
    attempt: Callable[[], T],
    *,
    retries: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call `attempt` up to 1 + `retries` times while it raises `Retryable`.

    Any other exception ends at once. After the last attempt the `Retryable`'s final error is
    raised.
    """
    rng = rng or random.Random()
    tried = 0
    while True:
        try:
            return attempt()
        except Retryable as exc:
            tried += 1
            if tried > retries:
                raise exc.final from exc
            sleep(backoff.delay(tried, rng))


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    cooldown_s: float = 30.0  # float-ok: seconds


@dataclass
class CircuitBreaker:
    policy: BreakerPolicy = field(default_factory=BreakerPolicy)
    monotonic: Callable[[], float] = time.monotonic
    state: CircuitState = CircuitState.CLOSED
    failures: int = 0
    opened_at: float | None = None  # float-ok: monotonic seconds
    _trial_in_flight: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _refresh(self) -> None:
        if (
            self.state == CircuitState.OPEN
            and self.opened_at is not None
            and self.monotonic() - self.opened_at >= self.policy.cooldown_s
        ):
            self.state = CircuitState.HALF_OPEN
            self._trial_in_flight = False

    def current_state(self) -> CircuitState:
        with self._lock:
            self._refresh()
            return self.state

    def retry_after_s(self) -> float:  # float-ok: seconds
        with self._lock:
            if self.opened_at is None or self.state != CircuitState.OPEN:
                return 0.0
            return max(0.0, self.policy.cooldown_s - (self.monotonic() - self.opened_at))

    def allow(self) -> bool:
        """May a call go out now? In HALF_OPEN only one trial call is let through."""
        with self._lock:
            self._refresh()
            if self.state == CircuitState.CLOSED:
                return True
            if self.state == CircuitState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self.state = CircuitState.CLOSED
            self.failures = 0
            self.opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            if (
                self.state == CircuitState.HALF_OPEN
                or self.failures >= self.policy.failure_threshold
            ):
                self.state = CircuitState.OPEN
                self.opened_at = self.monotonic()
                self._trial_in_flight = False
