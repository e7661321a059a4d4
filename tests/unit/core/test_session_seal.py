"""The encrypted session cookie ages by the injected clock, not the machine's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from puhui.core.clock import FixedClock
from puhui.core.hardening import EncryptedSessionMiddleware


async def _app(scope: object, receive: object, send: object) -> None:  # pragma: no cover
    return None


def test_a_sealed_session_opens_until_max_age_on_the_injected_clock() -> None:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    cookie = EncryptedSessionMiddleware(_app, secret_key="k", max_age=600, clock=clock)
    sealed = cookie.seal({"sid": "abc"})
    clock.advance(timedelta(seconds=600))
    assert cookie.open(sealed) == {"sid": "abc"}
    clock.advance(timedelta(seconds=1))
    assert cookie.open(sealed) == {}  # the machine's clock says seconds; the bank's says expired
    other = EncryptedSessionMiddleware(_app, secret_key="other", max_age=600, clock=clock)
    assert other.open(cookie.seal({"sid": "abc"})) == {}
