"""Collections rules: buckets, assignees, reminder days, promise kept or broken (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from puhui.risk.collection_rules import (
    Bucket,
    PromiseStatus,
    ReminderKind,
    assignee_role,
    bucket_of,
    due_dates_for,
    promise_outcome,
)


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [
        (0, None),
        (1, Bucket.M1),
        (30, Bucket.M1),
        (31, Bucket.M2),
        (60, Bucket.M2),
        (61, Bucket.M3),
        (90, Bucket.M3),
        (91, Bucket.M3_PLUS),
        (400, Bucket.M3_PLUS),
    ],
)
def test_buckets_by_days_past_due(dpd: int, bucket: Bucket | None) -> None:
    assert bucket_of(dpd) == bucket


def test_who_works_a_bucket() -> None:
    assert [assignee_role(b) for b in Bucket] == [
        "service_rep",
        "customer_manager",
        "customer_manager",
        "risk_officer",
    ]


def test_reminders_go_out_three_days_before_on_the_day_and_one_and_seven_after() -> None:
    day = date(2026, 12, 10)
    assert due_dates_for(day) == {
        date(2026, 12, 13): ReminderKind.T_MINUS_3,
        date(2026, 12, 10): ReminderKind.T_0,
        date(2026, 12, 9): ReminderKind.T_PLUS_1,
        date(2026, 12, 3): ReminderKind.T_PLUS_7,
    }


def test_a_promise_is_kept_by_enough_repayment_and_broken_after_its_date() -> None:
    by = date(2026, 12, 10)
    assert promise_outcome(1000, by, 999, date(2026, 12, 10)) is PromiseStatus.PENDING
    assert promise_outcome(1000, by, 1000, date(2026, 12, 9)) is PromiseStatus.KEPT
    assert promise_outcome(1000, by, 999, date(2026, 12, 11)) is PromiseStatus.BROKEN
