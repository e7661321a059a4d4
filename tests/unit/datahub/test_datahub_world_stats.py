"""Statistical properties of the world, within the ranges documented in docs/synthetic-world.md
(measured on 5,000 enterprises)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from puhui.datahub.world import World, observed_features, world_stats
from puhui.datahub.world.stats import dense_panel


@pytest.fixture(scope="module")
def stats(stats_world: World) -> dict[str, Any]:
    return world_stats(stats_world)


def test_default_and_fraud_rates(stats: dict[str, Any]) -> None:
    assert 0.04 <= stats["default_rate"] <= 0.09
    assert 0.01 <= stats["fraud_rate"] <= 0.03
    assert set(stats["fraud_by_type"]) == {
        "revenue_inflation",
        "shell_company",
        "application_burst",
    }


def test_source_correlations(stats: dict[str, Any]) -> None:
    assert stats["sales_electricity_corr_manufacturing"] >= 0.85
    assert stats["sales_electricity_dlog_corr_manufacturing"] >= 0.6
    assert 0.35 <= stats["sales_electricity_corr_other"] <= 0.75
    assert stats["sales_electricity_corr_other"] < stats["sales_electricity_corr_manufacturing"]
    assert 0.75 <= stats["headcount_sales_corr"] <= 0.93
    assert 0.45 <= stats["headcount_sales_change_corr"] <= 0.75


def test_reference_scorecard_auc_is_realistic(stats: dict[str, Any]) -> None:
    # Learnable, not trivial: a plain logistic regression lands around 0.80-0.88.
    assert 0.76 <= stats["reference_auc"] <= 0.91


def test_tax_grades_rank_risk(stats: dict[str, Any]) -> None:
    by_grade = stats["default_rate_by_tax_grade"]
    assert by_grade["A"] < by_grade["B"] < by_grade["C"] < by_grade["D"]


def test_deteriorating_firms_look_worse(stats_world: World) -> None:
    feats = observed_features(stats_world).join(stats_world.outcomes, on="enterprise_id")
    summary = feats.group_by("deteriorating").agg(
        pl.col("sales_trend_6m").mean(),
        pl.col("sales_yoy").mean(),
        pl.col("headcount_change_12m").mean(),
        pl.col("overdue_months_24m").mean(),
        (pl.col("max_overdue_24m") > 0).mean().alias("ever_overdue"),
        (pl.col("lawsuits") > 0).mean().alias("sued"),
        pl.col("default_12m").mean(),
    )
    bad = summary.filter(pl.col("deteriorating")).row(0, named=True)
    good = summary.filter(~pl.col("deteriorating")).row(0, named=True)
    assert bad["sales_trend_6m"] < good["sales_trend_6m"]
    assert bad["sales_yoy"] < good["sales_yoy"] - 0.1
    assert bad["headcount_change_12m"] < good["headcount_change_12m"]
    assert bad["ever_overdue"] > 3 * good["ever_overdue"]
    assert bad["overdue_months_24m"] > 3 * good["overdue_months_24m"]
    assert bad["sued"] > 2 * good["sued"]
    assert bad["default_12m"] > 4 * good["default_12m"]


def test_sales_fall_before_overdue_rises(stats_world: World) -> None:
    """Around a deterioration onset, sales drop first; bureau overdue follows."""
    first = stats_world.panel_months()[0]
    onset = stats_world.outcomes["deterioration_onset_month"].to_numpy()
    t0 = (onset.astype("datetime64[M]") - np.datetime64(first, "M")).astype(np.int64)
    ids = np.flatnonzero(~np.isnat(onset) & (t0 >= 12) & (t0 <= stats_world.months - 10))
    assert len(ids) > 50
    sales = dense_panel(stats_world, "invoiced_sales_fen")
    pre = np.nanmean(sales[ids[:, None], t0[ids][:, None] + np.arange(-6, 0)], axis=1)
    post = np.nanmean(sales[ids[:, None], t0[ids][:, None] + np.arange(4, 10)], axis=1)
    assert np.nanmedian(np.log((post + 1) / (pre + 1))) < -0.1


def test_fraud_inflated_revenue_exceeds_tax_implied_revenue(stats_world: World) -> None:
    ent = stats_world.enterprises.join(stats_world.outcomes, on="enterprise_id")
    last = stats_world.panel_months()[-12]
    tax12 = (
        stats_world.panel.filter(pl.col("month") >= last)
        .group_by("enterprise_id")
        .agg(pl.col("invoiced_sales_fen").sum().alias("tax_12m"))
    )
    frame = ent.join(tax12, on="enterprise_id").with_columns(
        (pl.col("declared_annual_revenue_fen") / (pl.col("tax_12m") + 1)).alias("ratio")
    )
    inflated = frame.filter(pl.col("fraud_type") == "revenue_inflation")
    honest = frame.filter(~pl.col("is_fraud") & (pl.col("tax_12m") > 0))
    assert inflated.height > 20
    assert (inflated["declared_annual_revenue_fen"] > inflated["tax_12m"]).all()
    assert (inflated["ratio"] >= 1.5).mean() > 0.95
    assert honest["ratio"].median() < 1.4
    # Inflated declarations are not backed by electricity either (within the firm's own scale).
    assert inflated["ratio"].median() > 2 * honest["ratio"].median()


def test_shell_rings_share_a_representative_or_a_phone(stats_world: World) -> None:
    ent = stats_world.enterprises.join(stats_world.outcomes, on="enterprise_id")
    shells = ent.filter(pl.col("fraud_type") == "shell_company")
    assert shells.height >= 10
    by_ring = shells.group_by("fraud_ring_id", "shell_ring_shares").agg(
        pl.len(),
        pl.col("legal_rep_person_id").n_unique().alias("reps"),
        pl.col("contact_mobile").n_unique().alias("phones"),
        pl.col("address").n_unique().alias("addresses"),
    )
    for row in by_ring.iter_rows(named=True):
        assert row["len"] >= 2
        assert row["addresses"] == 1
        if row["shell_ring_shares"] == "legal_representative":
            assert row["reps"] == 1
        else:
            assert row["phones"] == 1 and row["reps"] == row["len"]
    # Shells show sales (or none) without staff: at most one insured employee.
    hc = stats_world.panel.join(shells.select("enterprise_id"), on="enterprise_id")["headcount"]
    assert hc.max() <= 2


def test_application_bursts_cluster_in_time(stats_world: World) -> None:
    ent = stats_world.enterprises.join(stats_world.outcomes, on="enterprise_id")
    bursts = ent.filter(pl.col("fraud_type") == "application_burst")
    spans = bursts.group_by("fraud_ring_id").agg(
        pl.len(),
        (pl.col("intended_application_at").max() - pl.col("intended_application_at").min())
        .dt.total_minutes()
        .alias("minutes"),
    )
    assert spans.height >= 1
    assert (spans["len"] >= 3).all()
    assert (spans["minutes"] <= 180).all()
    # Ordinary applications spread over weeks.
    ordinary = ent.filter(~pl.col("is_fraud"))["intended_application_at"]
    assert (ordinary.max() - ordinary.min()).days > 30
