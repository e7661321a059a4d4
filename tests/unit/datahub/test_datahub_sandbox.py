"""The sandbox provider answers every source from the world, labelled as sandbox data."""

from __future__ import annotations

import json

import polars as pl
import pytest

from puhui.datahub.payloads import (
    PAYLOAD_MODELS,
    CreditBureauPayload,
    HousingFundPayload,
    JudicialPayload,
    RegistryPayload,
    SourceName,
    TaxPayload,
    UtilitiesPayload,
)
from puhui.datahub.sandbox import SandboxProvider, SubjectNotFound, default_provider, default_world
from puhui.datahub.world import World


def _sample_usccs(world: World) -> list[str]:
    """Ordinary firms plus ones with judicial, bureau, abnormal, shell and chain records."""
    ent = world.enterprises
    ids: set[int] = set(range(0, world.n_enterprises, max(1, world.n_enterprises // 40)))
    ids |= set(world.judicial["enterprise_id"].unique().head(40).to_list())
    ids |= set(world.abnormal_operations["enterprise_id"].head(20).to_list())
    overdue = world.bureau_accounts.filter(
        (pl.col("subject_kind") == "enterprise") & (pl.col("account_status") == "overdue")
    )
    ids |= set(overdue["subject_id"].head(20).to_list())
    ids |= set(world.outcomes.filter(pl.col("is_fraud"))["enterprise_id"].to_list())
    ids |= set(ent.filter(pl.col("chain_role") == "core")["enterprise_id"].to_list())
    ids |= set(world.registry_changes["enterprise_id"].head(20).to_list())
    return [ent["uscc"][i] for i in sorted(ids)]


def test_every_source_validates_against_its_model(
    provider: SandboxProvider, small_world: World
) -> None:
    for uscc in _sample_usccs(small_world):
        for source in SourceName:
            payload = provider.fetch(source, uscc)
            model = PAYLOAD_MODELS[source]
            assert isinstance(payload, model)
            assert payload.provider == "sandbox" and payload.sandbox is True
            assert payload.subject_id == uscc
            # What the HTTP adapters will do with a real response body.
            body = payload.model_dump_json()
            assert model.model_validate_json(body) == payload
            assert model.model_validate(json.loads(body)) == payload  # decoded JSON, e.g. stored


def test_person_bureau_reports(provider: SandboxProvider, small_world: World) -> None:
    rep_ids = small_world.enterprises["legal_rep_person_id"].head(30).to_list()
    for pid in rep_ids:
        rid = small_world.people["resident_id"][pid]
        report = provider.fetch(SourceName.CREDIT_BUREAU, rid)
        assert isinstance(report, CreditBureauPayload)
        assert report.subject_kind == "person" and report.sandbox
        CreditBureauPayload.model_validate_json(report.model_dump_json())
    assert any(
        provider.fetch("credit_bureau", small_world.people["resident_id"][p]).accounts
        for p in rep_ids
    )


def test_payloads_agree_with_the_world(provider: SandboxProvider, small_world: World) -> None:
    eid = 7
    uscc = small_world.enterprises["uscc"][eid]
    panel = small_world.panel.filter(pl.col("enterprise_id") == eid)
    tax = provider.fetch(SourceName.TAX, uscc)
    assert isinstance(tax, TaxPayload)
    assert len(tax.months) == panel.height
    assert sum(m.invoiced_sales_fen for m in tax.months) == panel["invoiced_sales_fen"].sum()
    assert tax.months[-1].month == "2026-10"
    util = provider.fetch(SourceName.UTILITIES, uscc)
    assert isinstance(util, UtilitiesPayload)
    price = small_world.enterprises["electricity_price_fen_per_kwh"][eid]
    assert all(m.electricity_bill_fen == m.electricity_kwh * price for m in util.months)
    reg = provider.fetch(SourceName.REGISTRY, uscc)
    assert isinstance(reg, RegistryPayload)
    assert reg.name == small_world.enterprises["name"][eid]
    assert sum(s.share_bp for s in reg.shareholders) == 10_000
    hf = provider.fetch(SourceName.HOUSING_FUND, uscc)
    assert isinstance(hf, HousingFundPayload)
    if hf.account_opened:
        assert hf.contribution_base_fen and hf.contribution_rate_bp
        for m in hf.months:
            expected = m.contributors * (
                hf.contribution_base_fen * hf.contribution_rate_bp * 2 // 10_000
            )
            assert m.amount_fen in (0, expected)


def test_judicial_payload_lists_the_records(provider: SandboxProvider, small_world: World) -> None:
    counts = small_world.judicial.group_by("enterprise_id").len().sort("len", descending=True)
    eid = counts["enterprise_id"][0]
    payload = provider.fetch(SourceName.JUDICIAL, small_world.enterprises["uscc"][eid])
    assert isinstance(payload, JudicialPayload)
    total = (
        len(payload.lawsuits) + len(payload.enforcements) + len(payload.dishonest_debtor_records)
    )
    assert total == counts["len"][0]


def test_unknown_subjects(provider: SandboxProvider) -> None:
    with pytest.raises(SubjectNotFound) as info:
        provider.fetch(SourceName.TAX, "91350100M000100Y43")
    assert info.value.status == 404
    with pytest.raises(SubjectNotFound):
        provider.fetch(SourceName.CREDIT_BUREAU, "11010519491231002X")
    with pytest.raises(ValueError):
        provider.fetch("weather", "91350100M000100Y43")


def test_default_world_is_small_and_cached() -> None:
    world = default_world()
    assert world.n_enterprises == 500
    assert default_world() is world
    provider = default_provider()
    assert provider is default_provider()
    uscc = world.enterprises["uscc"][0]
    assert provider.fetch(SourceName.REGISTRY, uscc).sandbox
