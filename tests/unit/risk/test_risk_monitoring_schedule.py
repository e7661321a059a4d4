"""When monitoring pulls (pure parts of `risk.monitoring`), and the rules diff of governance."""

from __future__ import annotations

import copy
import uuid
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from puhui.risk.governance import diff_rules
from puhui.risk.monitoring import next_due, stagger_day
from puhui.risk.rules import load_default_rules


@given(st.uuids())
def test_the_stagger_day_is_stable_and_within_every_month(enterprise_id: uuid.UUID) -> None:
    day = stagger_day(enterprise_id)
    assert 1 <= day <= 28 and day == stagger_day(uuid.UUID(str(enterprise_id)))


def test_stagger_days_spread_over_the_month() -> None:
    days = {stagger_day(uuid.UUID(int=i * 7919)) for i in range(400)}
    assert len(days) == 28


def test_next_pull_is_next_months_stagger_day_or_a_week_when_watched() -> None:
    assert next_due(date(2026, 11, 23), 5, watched=False) == date(2026, 12, 5)
    assert next_due(date(2026, 12, 31), 28, watched=False) == date(2027, 1, 28)
    assert next_due(date(2026, 12, 30), 3, watched=True) == date(2027, 1, 6)


def test_the_rules_diff_names_the_changed_row_reason_and_parameter() -> None:
    old = load_default_rules()
    new = copy.deepcopy(old)
    reason = sorted(new["reasons"])[0]
    new["reasons"][reason]["zh"] = "改写的原因"
    new["signal_parameters"]["sales_drop"] = {"drop": 0.5}
    rows = [r for n in new["graph"]["nodes"] for r in (n.get("content") or {}).get("rules", [])]
    rows[-1]["_description"] = "改写的规则说明"
    diff = diff_rules(old, new)
    where = [(c.kind, c.where, c.key.split("/")[-1]) for c in diff.changes]
    assert ("changed", "rules", rows[-1]["_id"]) in where
    assert ("changed", "reasons", reason) in where
    assert any(c.where == "signal_parameters" and c.key == "sales_drop" for c in diff.changes)
    assert len(diff.changes) == 3
    assert diff_rules(old, copy.deepcopy(old)).empty


def test_failed_direct_debits_count_by_month_before_the_pull() -> None:
    """Payments' rejected or returned direct debits are the failed automatic debits of the
    month they failed in (the running month's with the newest); payouts and settled debits
    are not; no direct debit at all leaves the input unobserved."""
    from types import SimpleNamespace

    from puhui.risk.monitoring import failed_debits_by_month

    def pay(kind: str, status: str, day: date, returned: date | None = None) -> SimpleNamespace:
        return SimpleNamespace(kind=kind, status=status, business_date=day, returned_date=returned)

    months = [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]
    pull = date(2027, 4, 10)
    payments = [
        pay("direct_debit", "rejected", date(2027, 1, 20)),
        pay("direct_debit", "settled", date(2027, 2, 20)),  # paid: not a failure
        pay("direct_debit", "returned", date(2027, 2, 20), returned=date(2027, 3, 3)),
        pay("direct_debit", "rejected", date(2027, 4, 2)),  # this month: with the newest
        pay("direct_debit", "rejected", date(2027, 4, 10)),  # not before the pull
        pay("direct_debit", "settled", date(2027, 3, 20)),
        pay("payout", "rejected", date(2027, 3, 5)),
        pay("direct_debit", "rejected", date(2026, 12, 20)),  # before the window
    ]
    assert failed_debits_by_month(payments, months, pull) == {
        date(2027, 1, 1): 1,
        date(2027, 2, 1): 0,
        date(2027, 3, 1): 2,
    }
    assert (
        failed_debits_by_month([pay("payout", "settled", date(2027, 3, 5))], months, pull) is None
    )
