"""The login throttle's rule (pure): delays per account × address, never a lock-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from puhui.core.throttle import AttemptCounts, ThrottlePolicy, delay_seconds, judge

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
POLICY = ThrottlePolicy()


def test_delays_double_after_the_free_attempts_and_stop_at_the_cap() -> None:
    assert [delay_seconds(n, 3, 2, 900) for n in range(0, 14)] == [
        0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900,
    ]  # fmt: skip
    assert delay_seconds(10_000, 3, 2, 900) == 900


def test_a_pair_waits_from_its_last_failure() -> None:
    counts = AttemptCounts(pair_failures=5, pair_last_failure_at=NOW - timedelta(seconds=3))
    verdict = judge(POLICY, counts, NOW)
    assert verdict.wait_seconds == 5 and not verdict.may_try  # owed 8 s, 3 s gone
    assert judge(POLICY, counts, NOW + timedelta(seconds=5)).may_try


def test_a_flooded_account_is_challenged_elsewhere_but_never_made_to_wait() -> None:
    """Finding 2: failures of the account from other addresses do not delay this one."""
    counts = AttemptCounts(pair_failures=0, account_failures=500)
    verdict = judge(POLICY, counts, NOW)
    assert verdict.may_try and verdict.challenge
    known = AttemptCounts(pair_failures=0, account_failures=500, known_address=True)
    assert judge(POLICY, known, NOW) == judge(POLICY, AttemptCounts(), NOW)


def test_an_address_failing_on_many_accounts_is_slowed() -> None:
    counts = AttemptCounts(address_failures=21, address_last_failure_at=NOW)
    assert judge(POLICY, counts, NOW).wait_seconds == 4


@given(
    account=st.integers(0, 10_000),
    pair=st.integers(0, 2),
    address=st.integers(0, 19),
    known=st.booleans(),
)
def test_only_the_own_pair_or_address_can_make_a_client_wait(
    account: int, pair: int, address: int, known: bool
) -> None:
    counts = AttemptCounts(
        pair_failures=pair,
        pair_last_failure_at=NOW,
        address_failures=address,
        address_last_failure_at=NOW,
        account_failures=account,
        known_address=known,
    )
    assert judge(POLICY, counts, NOW).may_try
