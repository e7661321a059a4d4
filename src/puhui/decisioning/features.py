"""The decision features: one definition each, computed from the data hub's payloads. Pure.

`compute_features(bundle, facts)` is THE feature function: the decision calls it on the payloads
it pulled, and model training (`puhui.decisioning.world_training`) calls it on the sandbox
payloads of every enterprise of a synthetic world, so a feature means the same thing in both places.
`FEATURE_SET_VERSION` changes whenever a definition changes; decisions store it.

Time reference: each payload carries its provider's data date (`as_of`). The *reference month*
of a monthly series is the last complete month at `as_of` (the month of `as_of` when `as_of` is
the month's last day, else the month before); "12 months" means the reference month and the 11
before it. Counted windows of dated events (lawsuits, registry changes) end at `as_of`.

Missing values: a feature is `None` when the source it needs was not available (or cannot say,
e.g. a correlation over fewer than 6 months); the scorecard puts `None` in its missing bin and a
policy rule sees `null`. Where the source is present and simply shows nothing (no lawsuit), the
value is 0 / false, never missing. Ratios are floats rounded to 4 decimals (so a stored value
replays exactly); money is integer fen.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from puhui.datahub.payloads import (
    CreditBureauPayload,
    HousingFundPayload,
    JudicialPayload,
    RegistryPayload,
    SocialSecurityPayload,
    TaxPayload,
    UtilitiesPayload,
)

FEATURE_SET_VERSION = "2026.11.1"

FeatureValue = int | float | str | bool | None
Features = dict[str, FeatureValue]

Kind = Literal["int", "fen", "ratio", "bool", "category", "count"]
Missing = Literal["missing", "zero"]
Origin = Literal["payload", "application", "context"]

SIX_MONTHS_MIN = 6  # fewest months for a correlation
FEN_PER_10K_YUAN = 1_000_000
RATIO_EPS_FEN = 10_000  # 100 yuan: keeps sales ratios finite for firms without sales
DECLARED_FLOOR_FEN = 1_000_000  # 10,000 yuan: floor of tax-implied revenue in the ratio


@dataclass(frozen=True)
class FeatureDef:
    """One feature: its name, unit, missing-value rule and labels (zh first)."""

    name: str
    kind: Kind
    unit: str
    missing: Missing
    label_zh: str
    label_en: str
    origin: Origin = "payload"
    model: bool = True  # a candidate of the scorecard (context features never are)
    categories: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return self.kind in ("category", "bool")


def _f(
    name: str,
    kind: Kind,
    unit: str,
    label_zh: str,
    label_en: str,
    *,
    missing: Missing = "missing",
    origin: Origin = "payload",
    model: bool = True,
    categories: tuple[str, ...] = (),
) -> FeatureDef:
    return FeatureDef(name, kind, unit, missing, label_zh, label_en, origin, model, categories)


FEATURES: tuple[FeatureDef, ...] = (
    # --- tax ---------------------------------------------------------------------------------
    _f("sales_12m_fen", "fen", "fen", "近12个月开票销售额", "Invoiced sales, last 12 months"),
    _f("sales_trend_6m", "ratio", "log ratio", "近6个月销售额环比趋势",
       "Sales trend: last 6 months vs the 6 before (log)"),
    _f("sales_yoy", "ratio", "log ratio", "销售额同比变化", "Sales, year over year (log)"),
    _f("filing_history_months", "count", "months", "纳税申报历史月数",
       "Months of tax filing history"),
    _f("filing_gaps_12m", "count", "months", "近12个月未申报月数",
       "Months without a tax filing, last 12"),
    _f("tax_grade", "category", "A/B/M/C/D/none", "纳税信用等级", "Tax credit grade",
       categories=("A", "B", "M", "C", "D", "none")),
    _f("vat_to_sales_12m", "ratio", "share", "近12个月增值税税负率", "VAT paid / invoiced sales"),
    # --- social security, housing fund ---------------------------------------------------------
    _f("headcount_now", "count", "people", "当前社保参保人数", "Insured headcount now"),
    _f("headcount_trend_12m", "ratio", "log ratio", "参保人数12个月变化",
       "Headcount change over 12 months (log)"),
    _f("housing_fund_contributors", "count", "people", "公积金缴存人数",
       "Housing-fund contributors now"),
    # --- utilities ----------------------------------------------------------------------------
    _f("electricity_sales_corr_12m", "ratio", "correlation", "用电量与销售额相关性",
       "Correlation of electricity and sales, last 12 months"),
    _f("electricity_sales_gap_6m", "ratio", "log ratio", "销售额与用电量增速差",
       "Sales growth minus electricity growth, 6 months (log)"),
    _f("kwh_per_10k_sales_12m", "ratio", "kWh per 10,000 yuan", "每万元销售额用电量",
       "Electricity per 10,000 yuan of sales"),
    _f("utilities_late_12m", "count", "months", "近12个月水电费逾期月数",
       "Months with late utility payment, last 12"),
    # --- registry ---------------------------------------------------------------------------------
    _f("enterprise_age_months", "count", "months", "企业成立月数", "Enterprise age"),
    _f("registered_capital_fen", "fen", "fen", "注册资本", "Registered capital"),
    _f("registry_status", "category", "status", "登记状态", "Registration status",
       categories=("active", "revoked", "deregistered", "liquidating"), model=False),
    _f("abnormal_operation", "bool", "flag", "列入经营异常名录", "On the abnormal-operation list",
       model=False),
    _f("legal_rep_changes_12m", "count", "changes", "近12个月法定代表人变更次数",
       "Legal-representative changes, last 12 months"),
    # --- judicial -----------------------------------------------------------------------------
    _f("lawsuits_defendant_12m", "count", "cases", "近12个月作为被告的诉讼",
       "Lawsuits as defendant, last 12 months"),
    _f("enforcement_open", "count", "cases", "未结被执行案件", "Open enforcement cases"),
    _f("dishonest_debtor", "bool", "flag", "失信被执行人", "On the dishonest-debtor list",
       model=False),
    # --- credit bureau ----------------------------------------------------------------------------
    _f("bureau_overdue_now_enterprise", "count", "accounts", "企业征信当前逾期账户数",
       "Enterprise bureau: accounts overdue now"),
    _f("bureau_overdue_now_legal_rep", "count", "accounts", "法定代表人征信当前逾期账户数",
       "Legal representative bureau: accounts overdue now"),
    _f("bureau_max_overdue_24m_enterprise", "count", "periods", "企业近24个月最长逾期期数",
       "Enterprise bureau: longest overdue, 24 months"),
    _f("bureau_max_overdue_24m_legal_rep", "count", "periods", "法定代表人近24个月最长逾期期数",
       "Legal representative bureau: longest overdue, 24 months"),
    _f("bureau_max_overdue_6m", "count", "periods", "近6个月最长逾期期数（企业及法定代表人）",
       "Longest overdue in the last 6 months (enterprise and legal representative)"),
    _f("inquiries_3m", "count", "inquiries", "近3个月征信审批查询次数",
       "Credit approval inquiries, last 3 months"),
    _f("inquiries_6m", "count", "inquiries", "近6个月征信审批查询次数",
       "Credit approval inquiries, last 6 months"),
    _f("outstanding_debt_fen", "fen", "fen", "企业征信未结清余额",
       "Enterprise bureau: outstanding debt"),
    _f("debt_to_sales", "ratio", "share", "负债与年销售额之比",
       "Outstanding debt / 12-month sales"),
    # --- application ----------------------------------------------------------------------------
    _f("declared_to_tax_ratio", "ratio", "ratio", "申报营业收入与开票销售额之比",
       "Declared revenue / invoiced sales (12 months)", origin="application"),
    # --- context (Puhui's own records at decision time; policy only) ---------------------------
    _f("requested_amount_fen", "fen", "fen", "申请金额", "Requested amount",
       origin="application", model=False, missing="zero"),
    _f("borrower_exposure_fen", "fen", "fen", "本行现有授信额度", "Existing credit lines here",
       origin="context", model=False, missing="zero"),
    _f("group_exposure_fen", "fen", "fen", "关联集团现有授信额度（含供应链额度）",
       "Related-party group: existing credit lines and supply-chain limits", origin="context",
       model=False, missing="zero"),
    _f("group_size", "count", "enterprises", "关联集团企业数", "Related-party group size",
       origin="context", model=False, missing="zero"),
    _f("legal_rep_enterprise_count", "count", "enterprises", "法定代表人名下企业数",
       "Enterprises with the same legal representative", origin="context", model=False,
       missing="zero"),
    _f("phone_enterprise_count", "count", "enterprises", "同一联系电话的企业数",
       "Enterprises with the same contact phone", origin="context", model=False,
       missing="zero"),
    _f("applications_channel_3h", "count", "applications", "同一渠道3小时内申请数",
       "Applications through the same channel, last 3 hours", origin="context", model=False,
       missing="zero"),
    _f("applications_enterprise_30d", "count", "applications", "该企业30天内申请数",
       "Applications of this enterprise, last 30 days", origin="context", model=False,
       missing="zero"),
)  # fmt: skip

FEATURE_BY_NAME: dict[str, FeatureDef] = {f.name: f for f in FEATURES}
MODEL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.model)
CATEGORICAL_MODEL_FEATURES: tuple[str, ...] = tuple(
    f.name for f in FEATURES if f.model and f.categorical
)
PAYLOAD_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.origin == "payload")
CONTEXT_FEATURES: tuple[str, ...] = tuple(
    f.name for f in FEATURES if f.origin == "context" or f.name == "requested_amount_fen"
)


def label(name: str, lang: str = "zh") -> str:
    d = FEATURE_BY_NAME.get(name)
    if d is None:
        return name
    return d.label_zh if lang == "zh" else d.label_en


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class SourceBundle:
    """The payloads a decision (or a training row) is computed from; any may be absent."""

    tax: TaxPayload | None = None
    social_security: SocialSecurityPayload | None = None
    housing_fund: HousingFundPayload | None = None
    registry: RegistryPayload | None = None
    judicial: JudicialPayload | None = None
    utilities: UtilitiesPayload | None = None
    bureau_enterprise: CreditBureauPayload | None = None
    bureau_legal_rep: CreditBureauPayload | None = None


@dataclass(frozen=True)
class ApplicationFacts:
    """What the applicant said, and what Puhui's own records show at decision time."""

    requested_amount_fen: int = 0
    declared_annual_revenue_fen: int | None = None
    context: Mapping[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _parse_month(text: str) -> int:
    return month_index(int(text[:4]), int(text[5:7]))


def reference_month(as_of: date) -> int:
    """The last complete month at `as_of`, as a month index."""
    nxt = date.fromordinal(as_of.toordinal() + 1)
    current = month_index(as_of.year, as_of.month)
    return current if nxt.month != as_of.month else current - 1


def _months_before(day: date, months: int) -> date:
    idx = month_index(day.year, day.month) - months
    year, m0 = divmod(idx, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, m0 + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def r4(x: float) -> float:
    """Round a ratio to 4 decimals; -0.0 becomes 0.0 (stable JSON)."""
    value = round(x, 4)
    return 0.0 if value == 0 else value


def _log_ratio(a: float, b: float, eps: float) -> float:
    return r4(math.log((a + eps) / (b + eps)))


def pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < SIX_MONTHS_MIN:
        return None
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return r4(sxy / math.sqrt(sxx * syy))


def _window_sum(series: Mapping[int, int], last: int, months: int) -> int:
    return sum(series.get(m, 0) for m in range(last - months + 1, last + 1))


def _max_recent_overdue(records: Iterable[str], months: int) -> int:
    worst = 0
    for record in records:
        for ch in record[-months:]:
            if ch.isdigit() and int(ch) > worst:
                worst = int(ch)
    return worst


# --------------------------------------------------------------------------- the function


def _tax_features(tax: TaxPayload | None, out: Features) -> None:
    names = (
        "sales_12m_fen", "sales_trend_6m", "sales_yoy", "filing_history_months",
        "filing_gaps_12m", "vat_to_sales_12m",
    )  # fmt: skip
    if tax is None:
        out.update(dict.fromkeys(names))
        out["tax_grade"] = None
        return
    ref = reference_month(tax.as_of)
    sales: dict[int, int] = {}
    vat: dict[int, int] = {}
    filed: set[int] = set()
    first = None
    for row in tax.months:
        m = _parse_month(row.month)
        if m > ref:
            continue
        first = m if first is None else min(first, m)
        sales[m] = row.invoiced_sales_fen
        vat[m] = row.vat_paid_fen
        if row.filed:
            filed.add(m)
    s12 = _window_sum(sales, ref, 12)
    s6 = _window_sum(sales, ref, 6)
    sp6 = _window_sum(sales, ref - 6, 6)
    sp12 = _window_sum(sales, ref - 12, 12)
    out["sales_12m_fen"] = s12
    out["sales_trend_6m"] = _log_ratio(s6, sp6, RATIO_EPS_FEN)
    out["sales_yoy"] = _log_ratio(s12, sp12, RATIO_EPS_FEN)
    out["filing_history_months"] = ref - min(filed) + 1 if filed else 0
    start = ref - 11 if first is None else max(ref - 11, first)
    out["filing_gaps_12m"] = sum(1 for m in range(start, ref + 1) if m not in filed)
    out["vat_to_sales_12m"] = r4(_window_sum(vat, ref, 12) / s12) if s12 > 0 else None
    out["tax_grade"] = tax.credit_grade or "none"


def _headcount_features(
    ss: SocialSecurityPayload | None, hf: HousingFundPayload | None, out: Features
) -> None:
    if ss is None:
        out["headcount_now"] = None
        out["headcount_trend_12m"] = None
    else:
        ref = reference_month(ss.as_of)
        hc = {_parse_month(r.month): r.insured_headcount for r in ss.months}
        out["headcount_now"] = hc.get(ref, 0)
        now3 = _window_sum(hc, ref, 3) / 3
        ago3 = _window_sum(hc, ref - 12, 3) / 3
        out["headcount_trend_12m"] = _log_ratio(now3, ago3, 1.0)
    if hf is None:
        out["housing_fund_contributors"] = None
    else:
        ref = reference_month(hf.as_of)
        contributors = {_parse_month(r.month): r.contributors for r in hf.months}
        out["housing_fund_contributors"] = contributors.get(ref, 0)


def _utility_features(ut: UtilitiesPayload | None, tax: TaxPayload | None, out: Features) -> None:
    names = (
        "electricity_sales_corr_12m", "electricity_sales_gap_6m", "kwh_per_10k_sales_12m",
        "utilities_late_12m",
    )  # fmt: skip
    if ut is None:
        out.update(dict.fromkeys(names))
        return
    ref = reference_month(ut.as_of)
    kwh = {_parse_month(r.month): r.electricity_kwh for r in ut.months}
    late = sum(
        1 for r in ut.months if ref - 11 <= _parse_month(r.month) <= ref and not r.paid_on_time
    )
    out["utilities_late_12m"] = late
    if tax is None:
        out["electricity_sales_corr_12m"] = None
        out["electricity_sales_gap_6m"] = None
        out["kwh_per_10k_sales_12m"] = None
        return
    sales = {_parse_month(r.month): r.invoiced_sales_fen for r in tax.months}
    xs: list[float] = []
    ys: list[float] = []
    for m in range(ref - 11, ref + 1):
        s, k = sales.get(m, 0), kwh.get(m, 0)
        if s > 0 and k > 0:
            xs.append(math.log(s))
            ys.append(math.log(k))
    out["electricity_sales_corr_12m"] = pearson(xs, ys)
    s6, sp6 = _window_sum(sales, ref, 6), _window_sum(sales, ref - 6, 6)
    k6, kp6 = _window_sum(kwh, ref, 6), _window_sum(kwh, ref - 6, 6)
    out["electricity_sales_gap_6m"] = r4(
        _log_ratio(s6, sp6, RATIO_EPS_FEN) - _log_ratio(k6, kp6, 1.0)
    )
    s12 = _window_sum(sales, ref, 12)
    k12 = _window_sum(kwh, ref, 12)
    out["kwh_per_10k_sales_12m"] = r4(k12 * FEN_PER_10K_YUAN / s12) if s12 > 0 else None


def _registry_features(reg: RegistryPayload | None, out: Features) -> None:
    if reg is None:
        for name in (
            "enterprise_age_months", "registered_capital_fen", "registry_status",
            "abnormal_operation", "legal_rep_changes_12m",
        ):  # fmt: skip
            out[name] = None
        return
    est, asof = reg.established_date, reg.as_of
    months = (asof.year - est.year) * 12 + asof.month - est.month - (1 if asof.day < est.day else 0)
    out["enterprise_age_months"] = max(months, 0)
    out["registered_capital_fen"] = reg.registered_capital_fen
    out["registry_status"] = reg.status
    out["abnormal_operation"] = any(
        a.removed_date is None and a.listed_date <= asof for a in reg.abnormal_operations
    )
    since = _months_before(asof, 12)
    out["legal_rep_changes_12m"] = sum(
        1 for c in reg.changes if c.item == "legal_representative" and since < c.change_date <= asof
    )


def _judicial_features(jud: JudicialPayload | None, out: Features) -> None:
    if jud is None:
        out["lawsuits_defendant_12m"] = None
        out["enforcement_open"] = None
        out["dishonest_debtor"] = None
        return
    since = _months_before(jud.as_of, 12)
    out["lawsuits_defendant_12m"] = sum(
        1 for s in jud.lawsuits if s.role == "defendant" and since < s.filed_date <= jud.as_of
    )
    out["enforcement_open"] = sum(1 for e in jud.enforcements if e.status == "pending")
    out["dishonest_debtor"] = any(d.removed_date is None for d in jud.dishonest_debtor_records)


def _bureau_features(
    ent: CreditBureauPayload | None, rep: CreditBureauPayload | None, out: Features
) -> None:
    out["bureau_overdue_now_enterprise"] = ent.summary.accounts_overdue_now if ent else None
    out["bureau_overdue_now_legal_rep"] = rep.summary.accounts_overdue_now if rep else None
    out["bureau_max_overdue_24m_enterprise"] = ent.summary.max_overdue_periods_24m if ent else None
    out["bureau_max_overdue_24m_legal_rep"] = rep.summary.max_overdue_periods_24m if rep else None
    reports = [r for r in (ent, rep) if r is not None]
    if reports:
        out["bureau_max_overdue_6m"] = _max_recent_overdue(
            (a.repayment_status_24m for r in reports for a in r.accounts), 6
        )
        out["inquiries_3m"] = sum(r.summary.inquiries_3m for r in reports)
        out["inquiries_6m"] = sum(r.summary.inquiries_6m for r in reports)
    else:
        out["bureau_max_overdue_6m"] = None
        out["inquiries_3m"] = None
        out["inquiries_6m"] = None
    out["outstanding_debt_fen"] = ent.summary.outstanding_total_fen if ent else None


def compute_features(bundle: SourceBundle, facts: ApplicationFacts | None = None) -> Features:
    """Every feature of `FEATURES`, in definition order, from the payloads and the facts."""
    facts = facts or ApplicationFacts()
    out: Features = {}
    _tax_features(bundle.tax, out)
    _headcount_features(bundle.social_security, bundle.housing_fund, out)
    _utility_features(bundle.utilities, bundle.tax, out)
    _registry_features(bundle.registry, out)
    _judicial_features(bundle.judicial, out)
    _bureau_features(bundle.bureau_enterprise, bundle.bureau_legal_rep, out)

    sales = out["sales_12m_fen"]
    debt = out["outstanding_debt_fen"]
    if isinstance(sales, int) and isinstance(debt, int):
        out["debt_to_sales"] = r4(debt / max(sales, DECLARED_FLOOR_FEN))
    else:
        out["debt_to_sales"] = None
    declared = facts.declared_annual_revenue_fen
    if isinstance(sales, int) and declared is not None:
        out["declared_to_tax_ratio"] = r4(declared / max(sales, DECLARED_FLOOR_FEN))
    else:
        out["declared_to_tax_ratio"] = None
    out["requested_amount_fen"] = facts.requested_amount_fen
    for name in CONTEXT_FEATURES:
        if name != "requested_amount_fen":
            out[name] = int(facts.context.get(name, 0))
    return {f.name: out[f.name] for f in FEATURES}


def model_inputs(features: Mapping[str, FeatureValue]) -> dict[str, FeatureValue]:
    """The scorecard's view of the features (booleans as 0/1 text categories)."""
    return {name: features.get(name) for name in MODEL_FEATURES}
