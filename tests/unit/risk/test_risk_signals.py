"""Each signal fires on a crafted history and stays silent on a clean one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from puhui.risk.signals import (
    SIGNALS,
    MonthlyObservation,
    evaluate_signals,
    history_from_payloads,
    observation_from_payloads,
)

MONTHS = 18


def _month(i: int) -> date:
    return date(2025 + (i // 12), i % 12 + 1, 1)


CLEAN: dict[str, Any] = {
    "invoiced_sales_fen": 50_000_000,
    "tax_filed": True,
    "tax_grade": "B",
    "headcount": 20,
    "housing_fund_amount_fen": 400_000,
    "electricity_kwh": 5_000,
    "utilities_paid_on_time": True,
    "lawsuits_defendant": 1,
    "enforcements": 0,
    "dishonest_listed": False,
    "abnormal_operation": False,
    "legal_rep_changes": 0,
    "shareholder_changes": 1,
    "bureau_overdue_accounts": 0,
    "bureau_inquiries": 0,
    "dpd": 0,
    "utilisation": 0.5,
    "failed_auto_debits": 0,
    "third_party_repayment": False,
    "group_member_warned": False,
    "core_overdue": False,
    "collateral_cover_ratio": 1.25,
}


def _history(last: dict[str, Any] | None = None, recent: dict[str, Any] | None = None,
             months: int = MONTHS, tail: int = 3) -> list[MonthlyObservation]:  # fmt: skip
    """A clean history; ``recent`` overrides the last ``tail`` months, ``last`` the newest one."""
    out = []
    for i in range(months):
        values = dict(CLEAN)
        if recent and i >= months - tail:
            values.update(recent)
        if last and i == months - 1:
            values.update(last)
        out.append(MonthlyObservation(_month(i), values))
    return out


CRAFTED: dict[str, Any] = {
    "activity_decline": {
        "recent": {"invoiced_sales_fen": 37_500_000, "electricity_kwh": 3_750, "headcount": 17}
    },
    "sales_drop": {"recent": {"invoiced_sales_fen": 20_000_000}},
    "filing_missed": {"last": {"tax_filed": False, "invoiced_sales_fen": 50_000_000}},
    "tax_grade_down": {"last": {"tax_grade": "D"}},
    "headcount_drop": {"last": {"headcount": 12}},
    "housing_fund_stopped": {"recent": {"housing_fund_amount_fen": 0}, "tail": 2},
    "utilities_drop": {"recent": {"electricity_kwh": 2_000}},
    "utilities_arrears": {"recent": {"utilities_paid_on_time": False}},
    "lawsuit_new": {"last": {"lawsuits_defendant": 2}},
    "enforcement_new": {"last": {"enforcements": 1}},
    "dishonest_listed": {"last": {"dishonest_listed": True}},
    "abnormal_operation": {"last": {"abnormal_operation": True}},
    "legal_rep_change": {"last": {"legal_rep_changes": 1}},
    "shareholder_change": {"last": {"shareholder_changes": 2}},
    "bureau_overdue_elsewhere": {"last": {"bureau_overdue_accounts": 1}},
    "inquiry_burst": {"last": {"bureau_inquiries": 3}},
    "days_past_due": {"last": {"dpd": 5}},
    "utilisation_jump": {"last": {"utilisation": 0.98}},
    "failed_auto_debits": {"recent": {"failed_auto_debits": 1}},
    "third_party_repayment": {"last": {"third_party_repayment": True}},
    "group_member_warned": {"last": {"group_member_warned": True}},
    "core_overdue": {"last": {"core_overdue": True}},
    "collateral_shortfall": {"last": {"collateral_cover_ratio": 0.8}},
}


def test_every_signal_has_a_crafted_case() -> None:
    assert set(CRAFTED) == set(SIGNALS)


def test_clean_history_is_silent() -> None:
    assert evaluate_signals(_history()) == []


@pytest.mark.parametrize("code", sorted(CRAFTED))
def test_signal_fires_on_crafted_history(code: str) -> None:
    hits = evaluate_signals(_history(**CRAFTED[code]))
    codes = [h.code for h in hits]
    assert code in codes
    assert set(codes) <= {code, "activity_decline"}  # a deep single drop moves the combination
    hit = hits[codes.index(code)]
    assert hit.month == _month(MONTHS - 1)
    definition = SIGNALS[code]
    assert definition.name_zh and definition.name_en
    zh, en = definition.reason(hit, "zh"), definition.reason(hit, "en")
    assert zh and en and "{" not in zh + en


def test_sales_drop_compares_year_on_year_so_seasonality_is_silent() -> None:
    history = _history()
    seasonal = []
    for obs in history:  # every year's last quarter is 40 % lower
        low = obs.month.month in (4, 5, 6)
        sales = 30_000_000 if low else 50_000_000
        seasonal.append(MonthlyObservation(obs.month, {**obs.values, "invoiced_sales_fen": sales}))
    assert evaluate_signals(seasonal) == []


def test_missing_inputs_keep_signals_silent() -> None:
    history = [MonthlyObservation(_month(i), {}) for i in range(MONTHS)]
    assert evaluate_signals(history) == []
    assert evaluate_signals([]) == []


def test_parameters_override_the_defaults() -> None:
    history = _history(recent={"invoiced_sales_fen": 40_000_000})  # a 20 % drop
    assert evaluate_signals(history) == []
    hits = evaluate_signals(history, {"sales_drop": {"drop": 0.15}})
    assert [h.code for h in hits] == ["sales_drop"]
    assert hits[0].value == pytest.approx(0.2)


def test_a_dpd_already_cured_does_not_fire() -> None:
    history = _history(recent={"dpd": 3}, last={"dpd": 0})
    assert evaluate_signals(history) == []


def _payloads(month_labels: list[str]) -> dict[str, Any]:
    base = {"provider": "sandbox", "sandbox": True, "subject_id": "X", "as_of": "2026-10-31"}
    return {
        "tax": {**base, "credit_grade": "B", "months": [
            {"month": m, "filed": m != "2026-10", "invoiced_sales_fen": 100, "vat_paid_fen": 1}
            for m in month_labels]},
        "social_security": {**base, "months": [
            {"month": m, "insured_headcount": 9} for m in month_labels]},
        "housing_fund": {**base, "account_opened": True, "months": [
            {"month": m, "contributors": 3, "amount_fen": 700} for m in month_labels]},
        "utilities": {**base, "months": [
            {"month": m, "electricity_kwh": 50, "water_m3": 1, "paid_on_time": True,
             "electricity_bill_fen": 1, "water_bill_fen": 1} for m in month_labels]},
        "judicial": {**base, "lawsuits": [
            {"role": "defendant", "filed_date": "2026-09-03"},
            {"role": "plaintiff", "filed_date": "2026-09-04"}],
            "enforcements": [{"filed_date": "2026-10-20"}],
            "dishonest_debtor_records": [{"listed_date": "2026-10-21", "removed_date": None}]},
        "registry": {**base, "changes": [
            {"change_date": "2026-08-01", "item": "legal_representative"},
            {"change_date": "2026-10-01", "item": "shareholder"}],
            "abnormal_operations": [{"listed_date": "2026-01-01", "removed_date": "2026-03-01"}]},
        "credit_bureau": {**base, "subject_kind": "enterprise", "accounts": [
            {"repayment_status_24m": "N" * 22 + "1N"}],
            "inquiries": [{"inquiry_date": "2026-10-02", "reason": "loan_approval"},
                          {"inquiry_date": "2026-10-03", "reason": "post_loan_management"},
                          {"inquiry_date": "2026-09-03", "reason": "guarantee_review"}]},
    }  # fmt: skip


def test_observation_from_payloads_reads_each_source() -> None:
    payloads = _payloads(["2026-08", "2026-09", "2026-10"])
    october = observation_from_payloads(payloads, date(2026, 10, 15)).values
    assert october["tax_filed"] is False and october["invoiced_sales_fen"] == 100
    assert october["tax_grade"] == "B"
    assert october["headcount"] == 9 and october["housing_fund_amount_fen"] == 700
    assert october["electricity_kwh"] == 50 and october["utilities_paid_on_time"] is True
    assert october["lawsuits_defendant"] == 1 and october["enforcements"] == 1
    assert october["dishonest_listed"] is True and october["abnormal_operation"] is False
    assert october["legal_rep_changes"] == 1 and october["shareholder_changes"] == 1
    assert october["bureau_overdue_accounts"] == 0 and october["bureau_inquiries"] == 1
    september = observation_from_payloads(payloads, date(2026, 9, 1)).values
    assert september["bureau_overdue_accounts"] == 1  # the record's second-to-last month
    assert september["enforcements"] == 0 and september["dishonest_listed"] is False
    assert september["shareholder_changes"] == 0
    assert "invoiced_sales_fen" not in observation_from_payloads(payloads, date(2026, 1, 1)).values


def test_history_from_payloads_lets_signals_run_on_one_pull() -> None:
    payloads = _payloads(["2026-08", "2026-09", "2026-10"])
    history = history_from_payloads(payloads, [date(2026, 10, 1), date(2026, 8, 1),
                                               date(2026, 9, 1)])  # fmt: skip
    assert [o.month for o in history] == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    codes = {h.code for h in evaluate_signals(history)}
    assert {"filing_missed", "enforcement_new", "dishonest_listed"} <= codes
    assert "bureau_overdue_elsewhere" not in codes
