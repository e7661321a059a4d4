"""Retries with backoff and the circuit breaker, on injected time (no sleeping, no network)."""

from __future__ import annotations

import random

import pytest

from puhui.datahub.resilience import (
    Backoff,
    BreakerPolicy,
    CircuitBreaker,
    CircuitState,
    Retryable,
    retry_call,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(base_s=0.1, factor=2.0, max_s=0.5, jitter=0.0)
    rng = random.Random(1)
    assert [backoff.delay(n, rng) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_backoff_jitter_stays_within_its_band() -> None:
    backoff = Backoff(base_s=1.0, factor=2.0, max_s=10.0, jitter=0.25)
    rng = random.Random(7)
    delays = [backoff.delay(2, rng) for _ in range(500)]
    assert all(1.5 <= d <= 2.5 for d in delays)
    assert len({round(d, 6) for d in delays}) > 100  # it does vary


def test_retry_call_retries_only_retryable_failures() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Retryable(TimeoutError("slow"))
        return "ok"

    backoff = Backoff(base_s=0.01, jitter=0.0)
    assert retry_call(flaky, retries=2, backoff=backoff, sleep=sleeps.append) == "ok"
    assert len(calls) == 3 and sleeps == [0.01, 0.02]

    calls.clear()
    with pytest.raises(TimeoutError):
        retry_call(flaky, retries=1, backoff=backoff, sleep=sleeps.append)
    assert len(calls) == 2

    def broken() -> str:
        calls.append(1)
        raise ValueError("not retryable")

    calls.clear()
    with pytest.raises(ValueError):
        retry_call(broken, retries=5, backoff=backoff, sleep=sleeps.append)
    assert len(calls) == 1


def test_breaker_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=3, cooldown_s=10), monotonic=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.allow() and breaker.current_state() == CircuitState.CLOSED
    breaker.record_failure()
    assert breaker.current_state() == CircuitState.OPEN
    assert not breaker.allow()
    clock.now = 4
    assert breaker.retry_after_s() == 6


def test_breaker_half_open_lets_one_trial_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=1, cooldown_s=10), monotonic=clock)
    breaker.record_failure()
    clock.now = 9.9
    assert not breaker.allow()
    clock.now = 10
    assert breaker.current_state() == CircuitState.HALF_OPEN
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # no second call while the trial is out
    breaker.record_failure()  # the trial failed: open again, fresh cool-down
    assert breaker.current_state() == CircuitState.OPEN
    clock.now = 19
    assert not breaker.allow()
    clock.now = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.current_state() == CircuitState.CLOSED and breaker.failures == 0
    assert breaker.allow() and breaker.allow()
