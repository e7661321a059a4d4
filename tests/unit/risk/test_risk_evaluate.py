"""`puhui risk evaluate`: booking, monthly monitoring and the scores, on a small world."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from puhui.datahub.payloads import SourceName
from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import World, generate_world
from puhui.datahub.world.after import AfterWorld, simulate_after
from puhui.risk import evaluate as ev
from puhui.risk.signals import observation_from_payloads

KEYS = ("recall_60d", "median_lead_days", "false_alert_rate", "alerts_per_100_loans_month")


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(400, 5)


@pytest.fixture(scope="module")
def after(world: World) -> AfterWorld:
    return simulate_after(world)


def test_the_panel_sees_what_a_monitoring_pull_would_see(world: World, after: AfterWorld) -> None:
    """The evaluation's dense inputs equal the signals' inputs read from the sandbox's payloads
    as of the pull day -- the path the monitoring job takes."""
    panel = ev.observation_panel(world, after)
    provider = SandboxProvider(world)
    j = 4  # the pull on the 10th of after-month 4 reads month 3
    day = after.months[j].replace(day=ev.PULL_DAY)
    month = after.months[j - 1]
    column = panel.months.index(month)
    later = provider.as_of(day)
    checked = 0
    for i in range(0, world.n_enterprises, 37):
        uscc = world.enterprises["uscc"][i]
        payloads = {source: later.fetch(source, uscc) for source in SourceName}
        seen = observation_from_payloads(payloads, month).values
        for name, value in seen.items():
            expected = panel.values[name][i, column]
            expected = expected.item() if hasattr(expected, "item") else expected
            assert value == expected, (i, name)
            checked += 1
    assert checked > 100


def test_scores_count_leads_from_pull_days(after: AfterWorld) -> None:
    booked = np.flatnonzero(after.default_index >= 4)[:1]
    booked = np.concatenate([booked, np.flatnonzero(after.default_index < 0)[:3]])
    levels = np.zeros((len(booked), after.horizon), dtype=np.int8)
    d = int(after.default_index[booked[0]])
    levels[0, d - 3] = 2  # orange on the pull three months before the first missed payment
    levels[1, 5] = 1  # a yellow on a clean loan: an alert, not a false red/orange
    missed = after.months[d].replace(day=ev.DUE_DAY)
    pull = after.months[d - 3].replace(day=10)
    yardsticks = ((None, missed + timedelta(days=90)), (ev.missed_days(after, booked), missed))
    for events, due in yardsticks:
        figures = ev.score(after, booked, levels, events)
        assert figures["median_lead_days"] == (due - pull).days
        assert figures["recall_60d"] == 1.0 and figures["false_alert_rate"] == 0.0
        assert figures["alerts_per_100_loans_month"] == pytest.approx(100 * 2 / (4 * 12), abs=1e-3)
        assert (due - timedelta(days=60)) > pull


def test_the_default_day_is_90_days_past_due(after: AfterWorld) -> None:
    """The product's default is 90+ days past due: 90 days after the first instalment never paid,
    so a loan booked at the decision cannot default before its fourth month, and a flag on the
    pull right after the first missed payment is 60+ days ahead of the default (not of the missed
    payment)."""
    booked = np.flatnonzero(after.default_index >= 0)[:6]
    days = ev.default_days(after, booked)
    for slot, i in enumerate(booked):
        missed = after.months[int(after.default_index[i])].replace(day=ev.DUE_DAY)
        assert days[slot] == missed + timedelta(days=90)
        assert days[slot] is not None and days[slot] > after.months[3].replace(day=1)
    stops_in_time = booked[after.default_index[booked] < after.horizon - 1]
    levels = ev.dpd_levels(after, stops_in_time)
    assert ev.score(after, stops_in_time, levels)["recall_60d"] == 1.0
    strict = ev.score(after, stops_in_time, levels, ev.missed_days(after, stops_in_time))
    assert strict["recall_60d"] < 1.0


def test_dpd_baseline_sees_last_months_arrears(after: AfterWorld) -> None:
    booked = np.flatnonzero(after.default_index >= 0)[:5]
    levels = ev.dpd_levels(after, booked)
    for slot, i in enumerate(booked):
        d = int(after.default_index[i])
        assert levels[slot, d] == 0 or after.dense["dpd"][i, d - 1] > 0  # unseen on its own pull
        if d + 1 < after.horizon:
            assert levels[slot, d + 1] >= 2


def test_evaluate_on_a_small_world_prints_the_json_keys() -> None:
    from puhui.risk.cli import risk_app

    result = CliRunner().invoke(risk_app, ["evaluate", "--world-seed", "3", "--enterprises", "300"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    for key in KEYS:
        assert key in figures and "dpd_" + key in figures
    assert 0 <= figures["recall_60d"] <= 1 and 0 <= figures["false_alert_rate"] <= 1
    assert figures["booked_loans"] > 0
    assert 0 <= figures["no_warning_defaulters"] <= figures["defaulters"]
