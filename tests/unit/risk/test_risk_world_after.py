"""The synthetic world goes on living after the decision (datahub/world/after.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from puhui.datahub.payloads import SourceName
from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import World, generate_world
from puhui.datahub.world.after import AfterWorld, simulate_after, world_as_of
from puhui.risk.signals import history_from_payloads

SEED = 7


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(600, SEED)


@pytest.fixture(scope="module")
def after(world: World) -> AfterWorld:
    return simulate_after(world)


def test_after_months_are_deterministic_per_seed(world: World, after: AfterWorld) -> None:
    again = simulate_after(generate_world(600, SEED))
    for name, values in after.dense.items():
        assert np.array_equal(values, again.dense[name]), name
    assert after.judicial.equals(again.judicial)
    assert after.bureau_inquiries.equals(again.bureau_inquiries)
    other = simulate_after(generate_world(600, SEED + 1))
    assert not np.array_equal(after.dense["invoiced_sales_fen"], other.dense["invoiced_sales_fen"])


def test_the_pre_decision_world_is_unchanged(world: World) -> None:
    fresh = generate_world(600, SEED)
    before = fresh.fingerprint()
    simulate_after(fresh)
    fresh._fingerprint = None  # recompute from the frames
    assert fresh.fingerprint() == before == world.fingerprint()


def test_months_follow_the_decision_and_cover_the_horizon(world: World, after: AfterWorld) -> None:
    assert after.horizon == world.params.horizon_months
    assert after.months[0] == date(2026, 11, 1) and after.months[-1] == date(2027, 10, 1)
    for values in after.dense.values():
        assert values.shape[1] == after.horizon
    defaulted = world.outcomes["default_12m"].to_numpy()
    assert ((after.default_index >= 0) == defaulted).all()


def test_defaulters_deteriorate_before_the_default_month(world: World, after: AfterWorld) -> None:
    """Health-driven defaulters' sales fall year on year before they stop paying."""
    T = world.months
    panel = world.panel
    last_year = np.zeros((world.n_enterprises, 12))
    rows = panel["enterprise_id"].to_numpy()
    col = (panel["month"].dt.year() * 12 + panel["month"].dt.month()).to_numpy()
    first_after = 2026 * 12 + 11
    keep = col >= first_after - 12
    last_year[rows[keep], col[keep] - (first_after - 12)] = panel["invoiced_sales_fen"].to_numpy()[
        keep
    ]
    fraud = world.outcomes["is_fraud"].to_numpy()
    d = after.default_index
    ratios_default, ratios_clean = [], []
    for i in range(world.n_enterprises):
        k = d[i] - 1 if d[i] >= 1 else 11
        base = last_year[i, k]
        if base <= 0:
            continue
        ratio = after.dense["invoiced_sales_fen"][i, k] / base
        (ratios_default if d[i] >= 1 and not fraud[i] else ratios_clean).append(ratio)
    assert np.median(ratios_default) < np.median(ratios_clean) - 0.1
    assert after.health.shape == (world.n_enterprises, T + after.horizon)


def test_dpd_follows_the_default_month(after: AfterWorld) -> None:
    d = after.default_index
    i = int(np.flatnonzero(d >= 0)[0])
    k = int(d[i])
    assert after.dense["dpd"][i, k] >= 1
    if k + 1 < after.horizon:
        assert after.dense["dpd"][i, k + 1] > 30


def test_sandbox_answers_as_of_a_day_after_the_decision(world: World, after: AfterWorld) -> None:
    provider = SandboxProvider(world)
    assert provider.as_of(world.as_of) is provider
    later = provider.as_of(date(2027, 3, 10))
    assert later is provider.as_of(date(2027, 3, 10))  # cached
    uscc = world.enterprises["uscc"][3]
    payloads = {source: later.fetch(source, uscc) for source in SourceName}
    tax = payloads[SourceName.TAX]
    assert tax.as_of == date(2027, 3, 10) and tax.months[-1].month == "2027-02"
    assert tax.months[-1].invoiced_sales_fen == int(after.dense["invoiced_sales_fen"][3, 3])
    bureau = payloads[SourceName.CREDIT_BUREAU]
    assert all(len(a.repayment_status_24m) == 24 for a in bureau.accounts)
    months = [date(2026, m, 1) for m in range(3, 13)] + [date(2027, m, 1) for m in (1, 2)]
    history = history_from_payloads(payloads, months)
    assert history[-1].values["invoiced_sales_fen"] == tax.months[-1].invoiced_sales_fen
    assert "bureau_overdue_accounts" in history[-1].values


def test_world_as_of_adds_dated_events_up_to_the_day(world: World, after: AfterWorld) -> None:
    end = world_as_of(world, after, after.months[-1].replace(day=28))
    assert (
        end.judicial.height
        == world.judicial.height
        + after.judicial.filter(after.judicial["filed_date"] <= date(2027, 10, 28)).height
    )
    assert end.months == world.months + after.horizon - 1  # October 2027 is not complete yet
    with pytest.raises(ValueError, match="before"):
        world_as_of(world, after, date(2026, 1, 1))


def test_connectors_as_of_move_only_the_sandbox(world: World) -> None:
    from puhui.datahub.connectors import Connectors, SandboxConnector

    class Real:
        name, is_sandbox = "http", False

        def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> object:
            raise NotImplementedError

    real = Real()
    connectors = Connectors(SandboxConnector(SandboxProvider(world)),
                            by_source={SourceName.TAX: real})  # type: ignore[dict-item]  # fmt: skip
    later = connectors.as_of(date(2027, 1, 15))
    assert later.by_source[SourceName.TAX] is real
    default = later.for_source(SourceName.UTILITIES)
    assert isinstance(default, SandboxConnector)
    payload = default.fetch(SourceName.UTILITIES, world.enterprises["uscc"][0], request_id="r")
    assert payload.months[-1].month == "2026-12"  # type: ignore[attr-defined]


def test_no_loan_is_in_default_before_its_fourth_month(after: AfterWorld) -> None:
    """Default = 90+ days past due: the first instalment falls due in the first after-month, so
    no booked loan reaches 90 dpd before the fourth; every payment stop reaches it 90 days on."""
    dpd = after.dense["dpd"]
    assert (dpd[:, :3] < 90).all()
    d = after.default_index
    late = np.flatnonzero((d >= 0) & (d + 3 < after.horizon))
    assert len(late) > 0
    assert (dpd[late, d[late] + 3] >= 90).all()


def test_spell_timing_puts_the_default_a_spell_after_the_onset() -> None:
    """The joint draw of (onset, spell): every spell at least ``spell_min`` months and the
    default inside the horizon; an early hazard gives an early onset, not an early default."""
    from puhui.datahub.world.outcomes import spell_timing

    H, n = 12, 400
    hazard = np.tile(np.r_[0.3, np.full(H - 1, 0.001)], (n, 1))  # strikes in the first month
    survive = np.cumprod(1.0 - hazard, axis=1)
    v = np.linspace(0.001, 0.999, n)
    onset, spell = spell_timing(survive, v, 4, 2.0)
    assert (spell >= 4).all() and (onset + spell < H).all()
    assert np.mean(onset == 0) > 0.9  # the hazard's month is the onset
    assert np.median(onset + spell) >= 5  # the default comes a spell later
    _onset3, spell3 = spell_timing(survive[:, :3], v, 4, 2.0)  # no room for a spell
    assert (spell3 == 0).all()


def test_default_spells_and_no_warning_defaults_are_in_the_truth(world: World) -> None:
    """Defaulters from the health hazard carry their spell; sudden and fraud-driven ones none
    (a fraudster may still default from its health, with a spell). The share
    without any spell (no warning) stays in the documented 10-30 % band on a small world."""
    out = world.outcomes
    spell = out["distress_spell_months"].to_numpy()
    default = out["default_12m"].to_numpy()
    has_spell = ~np.isnan(spell.astype(float))
    assert not (has_spell & ~default).any()
    assert (spell[has_spell] >= world.params.distress_spell_min).all()
    T0 = np.datetime64("2026-11", "M").astype(np.int64)
    months = out["default_month"].to_numpy().astype("datetime64[M]").astype(np.int64) - T0
    assert (months[has_spell] >= spell[has_spell]).all()  # the onset is after the decision
    no_warning = np.mean(~has_spell[default])
    assert 0.05 <= no_warning <= 0.35


def test_cash_strain_shows_in_the_liquidity_channels_before_the_default(
    world: World, after: AfterWorld
) -> None:
    """In the months of a spell before the default, utility bills are paid late and automatic
    debits fail far more often than in the months of firms that never default."""
    d = after.default_index
    strain = after.dense["_strain"]
    spell_months = (strain > 0) & (np.arange(after.horizon)[None, :] < d[:, None])
    clean = (d < 0)[:, None] & (strain == 0)
    late = ~after.dense["utilities_paid_on_time"]
    failed = after.dense["failed_auto_debits"] > 0
    assert spell_months.sum() > 20
    assert late[spell_months].mean() > 4 * late[clean].mean()
    assert failed[spell_months].mean() > 4 * failed[clean].mean()
    assert (strain[d < 0] <= 0.6 + 1e-9).all()  # a scare never strains the cash like a spell
