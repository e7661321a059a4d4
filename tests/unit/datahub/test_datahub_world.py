"""The synthetic world: determinism, valid identifiers, referential integrity, money in fen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from puhui.datahub.validators import is_valid_mobile, is_valid_resident_id, is_valid_uscc
from puhui.datahub.world import FRAME_NAMES, World, WorldParams, generate_world


def test_same_seed_same_world_byte_for_byte() -> None:
    a = generate_world(800, 42)
    b = generate_world(800, 42)
    assert a.fingerprint() == b.fingerprint()
    for name in FRAME_NAMES:
        assert a.frames()[name].equals(b.frames()[name]), name


def test_different_seed_or_params_different_world() -> None:
    base = generate_world(800, 42).fingerprint()
    assert generate_world(800, 43).fingerprint() != base
    assert generate_world(800, 42, as_of=date(2026, 6, 30)).fingerprint() != base
    params = WorldParams(shell_rate=0.01)
    assert generate_world(800, 42, params=params).fingerprint() != base


def test_save_and_load_keep_the_fingerprint(small_world: World, tmp_path: Path) -> None:
    small_world.save(tmp_path / "w")
    loaded = World.load(tmp_path / "w")
    assert loaded.fingerprint() == small_world.fingerprint()
    assert loaded.params == small_world.params


def test_identifiers_are_valid_and_unique(small_world: World) -> None:
    ent, people = small_world.enterprises, small_world.people
    assert all(is_valid_uscc(u) for u in ent["uscc"].to_list())
    assert ent["uscc"].n_unique() == ent.height
    assert ent["name"].n_unique() == ent.height
    assert all(n.endswith("有限公司") for n in ent["name"].to_list())
    assert all(is_valid_resident_id(r) for r in people["resident_id"].to_list())
    assert people["resident_id"].n_unique() == people.height
    assert all(is_valid_mobile(m) for m in people["mobile"].to_list())
    assert people["mobile"].n_unique() == people.height
    assert all(is_valid_mobile(m) for m in ent["contact_mobile"].to_list())
    # The gender digit of the resident ID agrees with the recorded gender.
    parity = people["resident_id"].str.slice(16, 1).cast(pl.Int32) % 2 == 1
    assert (parity == (people["gender"] == "male")).all()


def test_birth_dates_and_regions_are_in_the_resident_id(small_world: World) -> None:
    people = small_world.people
    encoded = people["resident_id"].str.slice(6, 8)
    assert (encoded == people["birth_date"].dt.strftime("%Y%m%d")).all()
    assert (people["resident_id"].str.slice(0, 6).cast(pl.Int32) == people["region_code"]).all()


def test_relationships_reference_existing_parties(small_world: World) -> None:
    rel = small_world.relationships
    n, m = small_world.n_enterprises, small_world.people.height
    assert rel["target_id"].is_between(0, n - 1).all()
    persons = rel.filter(pl.col("source_kind") == "person")["source_id"]
    firms = rel.filter(pl.col("source_kind") == "enterprise")["source_id"]
    assert persons.is_between(0, m - 1).all()
    assert firms.is_between(0, n - 1).all()
    expected = {
        "legal_representative",
        "shareholder",
        "actual_controller",
        "guarantor",
        "supplier",
        "dealer",
    }
    assert set(rel["relation"].unique().to_list()) == expected
    # Every enterprise has one legal representative and one actual controller.
    for relation in ("legal_representative", "actual_controller"):
        counts = rel.filter(pl.col("relation") == relation).group_by("target_id").len()
        assert counts.height == n and (counts["len"] == 1).all()
    # Shareholdings add up to 100 % (10,000 basis points).
    shares = (
        rel.filter(pl.col("relation") == "shareholder")
        .group_by("target_id")
        .agg(pl.col("share_bp").sum())
    )
    assert shares.height == n and (shares["share_bp"] == 10_000).all()


def test_supply_chains_link_to_core_enterprises(small_world: World) -> None:
    ent = small_world.enterprises
    cores = set(ent.filter(pl.col("chain_role") == "core")["enterprise_id"].to_list())
    assert cores
    members = ent.filter(pl.col("chain_role").is_in(["tier1_supplier", "dealer", "tier2_supplier"]))
    assert members.height > 0
    assert set(members["core_enterprise_id"].to_list()) <= cores
    assert (ent.filter(pl.col("chain_role") == "core")["size_class"] == "large").all()


def test_panel_shape_and_money_in_fen(small_world: World) -> None:
    panel = small_world.panel
    assert panel["month"].max() == date(2026, 10, 1)
    assert panel["month"].min() == date(2023, 11, 1)
    assert panel.group_by("enterprise_id").len()["len"].max() == 36
    for col in ("invoiced_sales_fen", "vat_paid_fen", "housing_fund_amount_fen"):
        assert panel[col].dtype == pl.Int64 and (panel[col] >= 0).all()
    # Nothing is invoiced in a month without a tax filing.
    assert (panel.filter(~pl.col("filed"))["invoiced_sales_fen"] == 0).all()
    assert (panel["housing_fund_contributors"] <= panel["headcount"]).all()
    money = [c for c in small_world.enterprises.columns if c.endswith("_fen")]
    assert all(small_world.enterprises[c].dtype == pl.Int64 for c in money)
    # No panel row before the enterprise existed.
    joined = panel.join(small_world.enterprises, on="enterprise_id")
    assert (joined["month"] >= joined["established_date"].dt.truncate("1mo")).all()


def test_bureau_records_are_well_formed(small_world: World) -> None:
    acc = small_world.bureau_accounts
    assert acc["repayment_status_24m"].str.contains(r"^[N1-7C/]{24}$").all()
    overdue = acc.filter(pl.col("account_status") == "overdue")
    assert (overdue["overdue_periods"] > 0).all()
    assert (acc.filter(pl.col("account_status") == "closed")["outstanding_fen"] == 0).all()
    assert (acc["max_overdue_periods_24m"] >= acc["overdue_periods"]).all()


@pytest.mark.parametrize("months", [26, 48])
def test_other_observation_windows(months: int) -> None:
    world = generate_world(300, 5, months=months)
    assert world.panel.group_by("enterprise_id").len()["len"].max() == months
    assert len(world.panel_months()) == months


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_world(0, 1)
    with pytest.raises(ValueError):
        generate_world(10, 1, months=12)
    with pytest.raises(ValueError):
        WorldParams(industry_mix={"Z": 1.0})
