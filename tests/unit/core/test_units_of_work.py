"""core.web._units: how many units of work one event loop runs at once (settings.units_of_work)."""

from __future__ import annotations

import asyncio
import threading

import anyio.to_thread

from puhui.core.web import _units


def _tokens(configured: int) -> tuple[int, int]:
    async def main() -> tuple[int, int]:
        pool = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
        first = _units(configured)
        assert _units(configured) is first  # one limiter per event loop
        return int(first.total_tokens), pool

    # On a thread of its own: a browser test in the same worker may leave an event loop running.
    found: list[tuple[int, int]] = []
    thread = threading.Thread(target=lambda: found.append(asyncio.run(main())))
    thread.start()
    thread.join(timeout=30)
    assert found, "the event loop did not finish"
    return found[0]


def test_default_is_four_fifths_of_the_thread_pool() -> None:
    tokens, pool = _tokens(0)
    assert tokens == pool - pool // 5


def test_a_configured_number_is_used_below_that() -> None:
    assert _tokens(2)[0] == 2


def test_a_configured_number_never_takes_the_whole_pool() -> None:
    tokens, pool = _tokens(10_000)
    assert tokens == pool - pool // 5
