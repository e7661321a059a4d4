"""The API's per-client limiter (GCRA) on a fake monotonic clock."""

from __future__ import annotations

from puhui.core.ratelimit import Gcra


class Ticks:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_burst_passes_then_the_rate_holds() -> None:
    ticks = Ticks()
    limiter = Gcra(rate=10, burst=5, now=ticks)
    assert [limiter.retry_after("a") for _ in range(5)] == [0.0] * 5
    wait = limiter.retry_after("a")
    assert 0 < wait <= 0.1 + 1e-9
    assert limiter.retry_after("b") == 0.0  # another client is not affected
    ticks.t += wait
    assert limiter.retry_after("a") == 0.0
    assert limiter.retry_after("a") > 0  # one interval per request after the burst
    ticks.t += 10
    assert [limiter.retry_after("a") for _ in range(5)] == [0.0] * 5  # the bucket refilled


def test_refused_requests_do_not_count() -> None:
    ticks = Ticks()
    limiter = Gcra(rate=1, burst=1, now=ticks)
    assert limiter.retry_after("a") == 0.0
    for _ in range(100):
        assert limiter.retry_after("a") > 0
    ticks.t += 1.0
    assert limiter.retry_after("a") == 0.0
