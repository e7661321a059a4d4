"""Pre-screening: the one column function against the decision's own scalar pieces."""

from __future__ import annotations

import math

import polars as pl
import pytest
from tests.support.engagement_lists import dealer_list, make_spec

from puhui.decisioning.policy import compile_policy
from puhui.engagement.errors import FeatureNotPermitted, PrescreenListInvalid
from puhui.engagement.prescreen import (
    ListKind,
    OfferStatus,
    PrescreenSpec,
    check_columns,
    prescreen_frame,
    purchase_features,
)

KO_INPUTS = ("dishonest_debtor", "abnormal_operation", "registry_status",
             "enterprise_age_months", "enforcement_open")  # fmt: skip


def test_knockouts_are_the_policy_tables_hits_row_by_row(spec: PrescreenSpec) -> None:
    frame = dealer_list(400, seed=7)
    holes = pl.Series([i % 9 == 0 for i in range(400)])
    frame = frame.with_columns(  # unknown values too: a null is looked up like any value
        frame["enterprise_age_months"].set(holes, None),
        frame["registry_status"].set(holes, None),
        frame["dishonest_debtor"].set(pl.Series([i % 7 == 0 for i in range(400)]), None),
    )
    out = prescreen_frame(frame, spec)
    compiled = compile_policy(spec.policy)
    for row, got in zip(frame.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        result = compiled.evaluate_graph({k: row[k] for k in KO_INPUTS})
        expected = sorted(h["code"] for h in result["knockouts"] if h["action"] != "flag")
        assert (got["knockouts"] or "") == ",".join(expected), row
    assert out["knockouts"].null_count() < 400  # the sample does hit some


def test_asked_features_score_their_bins_and_not_asked_ones_nothing(spec: PrescreenSpec) -> None:
    frame = dealer_list(50, seed=3)
    out = prescreen_frame(frame, spec)
    artifact = spec.artifact
    asked = ("enterprise_age_months", "sales_trend_6m", "sales_yoy")
    for row, got in zip(frame.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        result = artifact.score({f: row.get(f) for f in artifact.feature_names})
        by_feature = {c.feature: c.points for c in result.contributions}
        expected = artifact.base_points + sum(by_feature[f] for f in asked)
        assert got["points"] == expected
        assert got["pd"] == pytest.approx(artifact.calibration.pd(expected))


def test_offer_arithmetic_in_integer_fen(spec: PrescreenSpec) -> None:
    frame = dealer_list(300, seed=5)
    out = prescreen_frame(frame, spec)
    params = spec.policy.parameters
    cap = min(spec.policy.products["weiyedai"].cap_fen, params.ceiling_fen)
    step = params.limit_round_fen
    rows = list(zip(frame.iter_rows(named=True), out.iter_rows(named=True), strict=True))
    seen = set()
    for row, got in rows:
        seen.add(got["status"])
        if got["status"] == OfferStatus.OFFER:
            raw = min(row["basis_monthly_fen"] * got["limit_multiple_bp"] // 10_000, cap)
            assert got["indicative_limit_fen"] == raw // step * step >= step
            green = -20 if got["green"] else 0
            assert got["rate_bp"] == params.lpr_bp + got["spread_bp"] + green
        else:
            assert got["indicative_limit_fen"] == 0
        if got["knockouts"]:
            assert got["status"] == OfferStatus.KNOCKED_OUT
        elif row["basis_monthly_fen"] is None and got["status"] != OfferStatus.DECLINED_GRADE:
            assert got["status"] == OfferStatus.NO_BASIS
    assert {OfferStatus.OFFER, OfferStatus.KNOCKED_OUT, OfferStatus.NO_BASIS} <= seen


def test_green_spread_prices_green_dealers_lower() -> None:
    frame = pl.DataFrame(
        {
            "enterprise_key": ["solar", "mill"],
            "industry_code": ["4416", "1311"],
            "enterprise_age_months": [120, 120],
            "basis_monthly_fen": [50_000_000, 50_000_000],
        }
    )
    out = prescreen_frame(frame, make_spec(green_spread_bp=-30))
    solar, mill = out.iter_rows(named=True)
    assert solar["green"] and not mill["green"]
    assert solar["points"] == mill["points"]
    assert solar["rate_bp"] == mill["rate_bp"] - 30


def test_a_dealer_list_with_bureau_or_tax_columns_is_refused() -> None:
    with pytest.raises(FeatureNotPermitted) as err:
        check_columns(["enterprise_key", "inquiries_6m", "tax_grade", "name"], ListKind.DEALER_LIST)
    assert "inquiries_6m, tax_grade" in str(err.value)
    # electricity per 10,000 yuan is the bank's own record of its customers only
    with pytest.raises(FeatureNotPermitted):
        check_columns(["enterprise_key", "kwh_per_10k_sales_12m"], ListKind.REGISTRY_REGION)
    check_columns(["enterprise_key", "kwh_per_10k_sales_12m"], ListKind.OWN_CUSTOMERS)
    with pytest.raises(PrescreenListInvalid):
        check_columns(["name"], ListKind.DEALER_LIST)


def test_purchase_features_follow_the_decision_formulas() -> None:
    monthly = {f"2025-{m:02d}": 1_000_000 for m in range(1, 13)}
    monthly |= {f"2026-{m:02d}": 2_000_000 for m in range(1, 13)}
    out = purchase_features(monthly, "2026-12")
    eps = 10_000  # the decision's RATIO_EPS_FEN
    assert out["sales_yoy"] == round(math.log((24_000_000 + eps) / (12_000_000 + eps)), 4)
    assert out["sales_trend_6m"] == 0.0  # flat over the last 12 months
    short = purchase_features({f"2026-{m:02d}": 5 for m in range(2, 13)}, "2026-12")
    assert short == {"sales_trend_6m": None, "sales_yoy": None}


def test_an_empty_list_gives_an_empty_result(spec: PrescreenSpec) -> None:
    out = prescreen_frame(dealer_list(0), spec)
    assert out.height == 0 and "indicative_limit_fen" in out.columns
