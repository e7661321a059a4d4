"""The feature definitions and the feature function (pure)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from puhui.datahub.connectors import validate_payload
from puhui.datahub.payloads import (
    CreditBureauPayload,
    JudicialPayload,
    RegistryPayload,
    SourceName,
    TaxPayload,
)
from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import World, generate_world
from puhui.decisioning.features import (
    CONTEXT_FEATURES,
    FEATURE_BY_NAME,
    FEATURE_SET_VERSION,
    FEATURES,
    MODEL_FEATURES,
    ApplicationFacts,
    SourceBundle,
    compute_features,
    reference_month,
)
from puhui.decisioning.world_training import world_bundle, world_feature_frame


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(400, 5)


@pytest.fixture(scope="module")
def provider(world: World) -> SandboxProvider:
    return SandboxProvider(world)


def test_every_feature_has_one_complete_definition() -> None:
    names = [f.name for f in FEATURES]
    assert len(names) == len(set(names))
    for f in FEATURES:
        assert f.label_zh and f.label_en and f.unit
        assert f.missing in ("missing", "zero")
        if f.origin == "context":
            assert not f.model, "context features are Puhui's own records: policy only"
    assert set(MODEL_FEATURES) <= set(FEATURE_BY_NAME)
    assert FEATURE_SET_VERSION


def test_reference_month_is_the_last_complete_month() -> None:
    assert reference_month(date(2026, 10, 31)) == 2026 * 12 + 9  # October
    assert reference_month(date(2026, 11, 15)) == 2026 * 12 + 9  # October, November not over
    assert reference_month(date(2024, 2, 29)) == 2024 * 12 + 1  # February (leap day)


def test_missing_sources_give_missing_features_and_context_defaults_to_zero() -> None:
    out = compute_features(SourceBundle(), ApplicationFacts(requested_amount_fen=100))
    assert list(out) == [f.name for f in FEATURES]
    for f in FEATURES:
        if f.name == "requested_amount_fen":
            assert out[f.name] == 100
        elif f.name in CONTEXT_FEATURES:
            assert out[f.name] == 0
        else:
            assert out[f.name] is None, f.name


def test_features_of_a_world_firm(provider: SandboxProvider) -> None:
    bundle, facts = world_bundle(provider, 3)
    out = compute_features(bundle, facts)
    assert isinstance(out["sales_12m_fen"], int) and out["sales_12m_fen"] >= 0
    assert out["tax_grade"] in ("A", "B", "M", "C", "D", "none")
    assert isinstance(out["dishonest_debtor"], bool)
    assert 0 <= out["filing_gaps_12m"] <= 12  # type: ignore[operator]
    for name, value in out.items():
        if isinstance(value, float):
            assert value == round(value, 4), name  # ratios are rounded: stable JSON


def test_decision_time_payloads_give_the_training_features(
    world: World, provider: SandboxProvider
) -> None:
    """A decision reads payloads back from encrypted snapshots (canonical JSON, validated
    again); training reads them straight from the provider. Both give the same features, and
    the training frame holds exactly those values."""
    frame = world_feature_frame(world)
    by_index = {int(i): k for k, i in enumerate(frame["enterprise_index"].to_list())}
    for index in list(by_index)[:40]:
        bundle, facts = world_bundle(provider, index)
        direct = compute_features(bundle, facts)

        def roundtrip(payload, source):  # type: ignore[no-untyped-def]
            if payload is None:
                return None
            text = json.dumps(payload.model_dump(mode="json"), sort_keys=True)
            return validate_payload(source, json.loads(text))

        stored = SourceBundle(
            tax=roundtrip(bundle.tax, SourceName.TAX),
            social_security=roundtrip(bundle.social_security, SourceName.SOCIAL_SECURITY),
            housing_fund=roundtrip(bundle.housing_fund, SourceName.HOUSING_FUND),
            registry=roundtrip(bundle.registry, SourceName.REGISTRY),
            judicial=roundtrip(bundle.judicial, SourceName.JUDICIAL),
            utilities=roundtrip(bundle.utilities, SourceName.UTILITIES),
            bureau_enterprise=roundtrip(bundle.bureau_enterprise, SourceName.CREDIT_BUREAU),
            bureau_legal_rep=roundtrip(bundle.bureau_legal_rep, SourceName.CREDIT_BUREAU),
        )
        assert compute_features(stored, facts) == direct
        row = frame.row(by_index[index], named=True)
        for name in MODEL_FEATURES:
            value = direct[name]
            expected = (
                None
                if value is None
                else (str(value) if isinstance(value, bool | str) else float(value))
            )
            assert row[name] == expected, (index, name)


def _uscc() -> str:
    from puhui.core.codes import org_code_check_char, uscc_check_char

    org = "MA1K4L0R"
    first17 = "91310115" + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def _tax(months: list[tuple[str, bool, int]], as_of: str = "2026-10-31") -> TaxPayload:
    uscc = _uscc()
    return TaxPayload.model_validate(
        {
            "provider": "test",
            "sandbox": True,
            "subject_id": uscc,
            "as_of": as_of,
            "taxpayer_name": "测试公司",
            "taxpayer_type": "small_scale",
            "credit_grade": None,
            "credit_grade_year": None,
            "months": [
                {"month": m, "filed": f, "invoiced_sales_fen": s, "vat_paid_fen": 0}
                for m, f, s in months
            ],
        }
    )


def test_tax_windows_gaps_and_history() -> None:
    months = [(f"2025-{m:02d}", True, 100_00) for m in range(11, 13)]
    months += [(f"2026-{m:02d}", m not in (3, 4), 200_00) for m in range(1, 11)]
    months += [("2026-11", True, 999_999_00)]  # after the reference month: ignored
    out = compute_features(SourceBundle(tax=_tax(months)))
    # last 12 months: 2025-11 .. 2026-10
    assert out["sales_12m_fen"] == 2 * 100_00 + 10 * 200_00
    assert out["filing_gaps_12m"] == 2
    assert out["filing_history_months"] == 12
    assert out["tax_grade"] == "none"


def test_dated_events_count_within_their_window() -> None:
    from puhui.datahub.sandbox import default_provider

    provider = default_provider()
    uscc = str(provider.world.enterprises["uscc"][0])
    base = provider.fetch(SourceName.JUDICIAL, uscc)
    assert isinstance(base, JudicialPayload)

    def suit(filed: str, role: str = "defendant") -> dict[str, object]:
        return {
            "case_number": f"(2026)沪0115民初{filed[-2:]}号",
            "court": "上海市浦东新区人民法院",
            "cause": "买卖合同纠纷",
            "role": role,
            "filed_date": filed,
            "amount_fen": 100,
            "status": "pending",
            "concluded_date": None,
        }

    jud = JudicialPayload.model_validate(
        {
            **base.model_dump(),
            "lawsuits": [suit("2025-10-31"), suit("2025-11-01"), suit("2026-10-01"),
                         suit("2026-09-01", "plaintiff")],
            "enforcements": [],
            "dishonest_debtor_records": [],
        }
    )  # fmt: skip
    out = compute_features(SourceBundle(judicial=jud))
    assert out["lawsuits_defendant_12m"] == 2  # 2025-10-31 is 12 months back: outside
    assert out["enforcement_open"] == 0 and out["dishonest_debtor"] is False

    reg = provider.fetch(SourceName.REGISTRY, uscc)
    assert isinstance(reg, RegistryPayload)
    listed = RegistryPayload.model_validate(
        {
            **reg.model_dump(),
            "abnormal_operations": [
                {"listed_date": "2026-05-01", "reason": "未按规定报送年度报告",
                 "authority": "浦东新区市场监督管理局", "removed_date": None}
            ],
        }
    )  # fmt: skip
    assert compute_features(SourceBundle(registry=listed))["abnormal_operation"] is True
    bureau = provider.fetch(SourceName.CREDIT_BUREAU, uscc)
    assert isinstance(bureau, CreditBureauPayload)
    if bureau.accounts:
        acc = bureau.accounts[0].model_dump()
        acc["repayment_status_24m"] = "N" * 17 + "3" + "N" * 6  # 7 months back: not recent
        old = CreditBureauPayload.model_validate({**bureau.model_dump(), "accounts": [acc]})
        assert compute_features(SourceBundle(bureau_enterprise=old))["bureau_max_overdue_6m"] == 0
        acc["repayment_status_24m"] = "N" * 18 + "2" + "N" * 5  # 6 months back: recent
        new = CreditBureauPayload.model_validate({**bureau.model_dump(), "accounts": [acc]})
        assert compute_features(SourceBundle(bureau_enterprise=new))["bureau_max_overdue_6m"] == 2
