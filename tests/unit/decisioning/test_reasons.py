"""Readable decision reasons (issue 21): the applicant's value and the threshold in words, never
a scorecard bin; both languages; ranked; the challenger's (feature, value, contribution) too."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from puhui.decisioning.features import FEATURES
from puhui.decisioning.reasons import (
    ReasonInput,
    from_decision,
    parse_bin,
    ranked,
    sentence,
)

BIN_RE = re.compile(r"[\[(][^\])]*,[^\])]*[\])]|inf|Missing")


def test_counts_say_the_value_and_the_threshold() -> None:
    r = sentence(ReasonInput("inquiries_6m", 7, 18, lower=5.5, upper=None))
    assert r.zh == "近6个月征信审批查询次数 7 次，超过 5 次"
    assert r.en == "Credit approval inquiries, last 6 months: 7, more than 5"


def test_an_upper_edge_reads_as_at_most() -> None:
    r = sentence(ReasonInput("filing_history_months", 1, 30, lower=None, upper=1.5))
    assert r.zh == "纳税申报历史月数 1 个月，不超过 1 个月"
    assert "at most 1 month" in r.en


def test_a_bounded_bin_reads_as_between() -> None:
    r = sentence(ReasonInput("sales_12m_fen", 123_456_700, 10, lower=1e8, upper=2e8))
    assert r.zh == "近12个月开票销售额 123.46 万元，在 100.00 万元至 200.00 万元之间"
    assert r.en.startswith("Invoiced sales, last 12 months: 1,234,567 yuan, between 1,000,000")


def test_a_count_bin_holding_one_value_just_says_the_value() -> None:
    one = sentence(ReasonInput("inquiries_6m", 1, 6, lower=0.5, upper=1.5))
    assert one.zh == "近6个月征信审批查询次数 1 次，使评分降低 6 分"
    two_to_four = sentence(ReasonInput("inquiries_6m", 3, 6, lower=1.5, upper=4.5))
    assert two_to_four.zh == "近6个月征信审批查询次数 3 次，在 2 次至 4 次之间"
    ratio = sentence(ReasonInput("declared_to_tax_ratio", 1.05, 2, lower=0.98, upper=1.06))
    assert ratio.zh == "申报营业收入与开票销售额之比 1.05，在 0.98 至 1.06 之间"


def test_missing_reads_as_not_provided() -> None:
    r = sentence(ReasonInput("tax_grade", None, 12))
    assert r.zh == "未提供纳税信用等级"
    assert r.en == "Tax credit grade: not provided"


def test_shares_and_log_ratios_in_percent() -> None:
    share = sentence(ReasonInput("debt_to_sales", 0.8123, 9, lower=0.5, upper=None))
    assert share.zh == "负债与年销售额之比 81.2%，高于 50.0%"
    trend = sentence(ReasonInput("sales_trend_6m", -0.2231, 9, lower=None, upper=-0.1054))
    assert "-20.0%" in trend.zh and "低于 -10.0%" in trend.zh


def test_a_category_shows_its_value() -> None:
    r = sentence(ReasonInput("tax_grade", "C", 20, categories=("C", "D")))
    assert r.zh == "纳税信用等级 C"
    assert r.en == "Tax credit grade: C"


def test_a_challenger_contribution_without_edges() -> None:
    r = sentence(ReasonInput("inquiries_6m", 7, 0.42, kind="contribution"))
    assert r.zh == "近6个月征信审批查询次数 7 次，使风险上升"
    assert r.en == "Credit approval inquiries, last 6 months: 7, raised the risk"


def test_parse_bin_reads_the_artifact_labels() -> None:
    assert parse_bin("[-inf, 1.5)") == (None, 1.5, ())
    assert parse_bin("[0.9761500061, 1.060249984)") == (0.9761500061, 1.060249984, ())
    assert parse_bin("[5.5, inf)") == (5.5, None, ())
    assert parse_bin("Missing") == (None, None, ())
    assert parse_bin("C, D") == (None, None, ("C", "D"))


def test_ranked_by_weight_top_first() -> None:
    items = [
        ReasonInput("inquiries_6m", 7, 5, lower=5.5),
        ReasonInput("tax_grade", None, 20),
        ReasonInput("headcount_now", 2, 11, upper=3.5),
    ]
    out = ranked(items, top=2)
    assert [r.feature for r in out] == ["tax_grade", "headcount_now"]


def test_from_decision_rewrites_score_reasons_keeps_rule_reasons() -> None:
    inputs = {
        "features": {"inquiries_6m": 7, "tax_grade": None},
        "score": {
            "reasons": [
                {"code": "R1", "feature": "inquiries_6m", "bin": "[5.5, inf)", "points_lost": 18},
                {"code": "R2", "feature": "tax_grade", "bin": "Missing", "points_lost": 25},
            ]
        },
    }
    stored = [
        {
            "code": "LOW_SCORE",
            "zh": "评分低于准入线",
            "en": "Score below the cut-off",
            "kind": "rule",
        },
        {"code": "SCORE_INQUIRIES_6M", "zh": "x（[5.5, inf)）", "en": "x", "kind": "score"},
        {"code": "SCORE_TAX_GRADE", "zh": "x（Missing）", "en": "x", "kind": "score"},
    ]
    out = from_decision(inputs, stored)
    assert [r.zh for r in out] == [
        "评分低于准入线",
        "未提供纳税信用等级",
        "近6个月征信审批查询次数 7 次，超过 5 次",
    ]


@given(
    st.sampled_from([f for f in FEATURES if not f.categorical]),
    st.one_of(st.none(), st.integers(-(10**9), 10**12), st.floats(-50, 50, allow_nan=False)),
    st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)),
    st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False)),
)
def test_no_sentence_shows_a_bin(feature, value, lower, upper) -> None:  # type: ignore[no-untyped-def]
    r = sentence(ReasonInput(feature.name, value, 3, lower=lower, upper=upper))
    for text in (r.zh, r.en):
        assert not BIN_RE.search(text), text
        assert feature.name not in text
