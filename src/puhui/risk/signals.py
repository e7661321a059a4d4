"""Post-loan warning signals as data (贷后预警信号). Pure: no database, no I/O.

A signal looks at an enterprise's monthly history (``MonthlyObservation``, oldest first) and
says whether something changed for the worse in the newest month, with the value it saw and
the baseline it compared against (the evidence shown to the customer manager). Each signal is
one ``SignalDef`` in ``SIGNALS``: its code, family (the source it reads), zh/en name and reason
text, the inputs it reads and its default parameters. Like features, the set is versioned:
change a definition -> bump ``SIGNAL_SET_VERSION``.

Inputs (``MonthlyObservation.values``; a missing key means "not observed", and a signal whose
input is missing stays silent):

=========================== ======================================================================
``invoiced_sales_fen``      VAT-invoiced sales of the month (tax)
``tax_filed``               the month's VAT return was filed (tax)
``tax_grade``               tax credit grade A/B/M/C/D known at that month (tax)
``headcount``               social-security insured headcount (social security)
``housing_fund_amount_fen`` housing-fund contributions paid that month (housing fund)
``electricity_kwh``         electricity used (utilities)
``utilities_paid_on_time``  the utility bills were paid on time (utilities)
``lawsuits_defendant``      lawsuits as defendant filed up to the month's end, cumulative (judicial)
``enforcements``            enforcement cases filed up to the month's end, cumulative (judicial)
``dishonest_listed``        on the dishonest judgment debtors list at the month's end (judicial)
``abnormal_operation``      on the abnormal-operation list at the month's end (registry)
``legal_rep_changes``       legal-representative changes up to the month's end, cumulative
``shareholder_changes``     shareholder changes up to the month's end, cumulative (registry)
``bureau_overdue_accounts`` accounts overdue now at other lenders (credit bureau)
``bureau_inquiries``        hard inquiries (loan, card, guarantee approvals) in the month
``dpd``                     days past due on our loans at the month's end (behaviour)
``utilisation``             drawn / limit of our line at the month's end, 0..1 (behaviour)
``failed_auto_debits``      failed automatic debits in the month (behaviour)
``third_party_repayment``   a repayment came from a third party's account (behaviour)
``group_member_warned``     a related-party group member is in default or red/orange warned
``core_overdue``            the supply chain's core enterprise is overdue on its certificates
``collateral_cover_ratio``  a line's collateral cover / the cover its loans need (lending)
=========================== ======================================================================

``observation_from_payloads`` builds the observation of one month from the data hub's source
payloads (``puhui.datahub.payloads``); ``history_from_payloads`` builds every month a set of
payloads covers (monthly series, dated events, the bureau's 24-month records), so one pull gives
the whole history. Behaviour inputs come from lending, the group/core ones from the monitoring
run; callers merge them into ``values``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

SIGNAL_SET_VERSION = "2026-12-07.3"

FAMILIES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "tax": ("税务", "Tax"),
        "employment": ("社保公积金", "Social security and housing fund"),
        "utilities": ("水电", "Utilities"),
        "judicial": ("司法", "Judicial"),
        "registry": ("工商", "Registry"),
        "bureau": ("征信", "Credit bureau"),
        "behaviour": ("还款行为", "Repayment behaviour"),
        "related": ("关联方", "Related parties"),
        "activity": ("经营活动综合", "Business activity (combined)"),
        "collateral": ("押品", "Collateral"),
    }
)
_GRADE_RANK = {"A": 0, "B": 1, "M": 1, "C": 3, "D": 4}


@dataclass(frozen=True)
class MonthlyObservation:
    """One enterprise-month of signal inputs by name (see the module's table)."""

    month: date  # first day of the month
    values: Mapping[str, Any]


@dataclass(frozen=True)
class SignalHit:
    """A signal that fired for the newest month, with what it saw (``evidence``)."""

    code: str
    month: date
    value: float | None
    baseline: float | None
    evidence: Mapping[str, Any] = field(default_factory=dict)


Detector = Callable[[Sequence[MonthlyObservation], Mapping[str, float]], SignalHit | None]


@dataclass(frozen=True)
class SignalDef:
    code: str
    family: str
    name_zh: str
    name_en: str
    reason_zh: str  # format fields: {value}, {baseline}, and the parameters
    reason_en: str
    inputs: tuple[str, ...]
    parameters: Mapping[str, float]
    detect: Detector = field(repr=False, compare=False)

    def reason(self, hit: SignalHit, lang: str = "zh") -> str:
        """The hit as a sentence for a person, in ``lang`` (zh or en)."""
        text = self.reason_zh if lang == "zh" else self.reason_en
        fields = {**self.parameters, "value": _fmt(hit.value), "baseline": _fmt(hit.baseline)}
        return text.format(**{k: _fmt(v) if isinstance(v, float) else v for k, v in fields.items()})


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.2f}"


# ----------------------------------------------------------------------------- helpers


def _series(history: Sequence[MonthlyObservation], name: str) -> list[Any]:
    return [obs.values.get(name) for obs in history]


def _known(values: Sequence[Any]) -> bool:
    return all(v is not None for v in values)


def _hit(
    code: str,
    history: Sequence[MonthlyObservation],
    value: float | None,
    baseline: float | None,
    **evidence: Any,
) -> SignalHit:
    return SignalHit(code, history[-1].month, value, baseline, MappingProxyType(evidence))


def _window_drop(
    history: Sequence[MonthlyObservation], name: str, params: Mapping[str, float], code: str
) -> SignalHit | None:
    """Sum of the last ``window`` months against the same months a year (and two years) earlier
    (seasonality), or the ``window`` months just before when the history is shorter."""
    values = _series(history, name)
    w = int(params["window"])
    recent = values[-w:]
    base_kind = "year_before"
    base = _year_base(values, w) if len(values) >= 12 + w else None
    if base is None and len(values) >= 2 * w and _known(values[-2 * w : -w]):
        base, base_kind = float(sum(values[-2 * w : -w])), "months_before"
    if base is None or not _known(recent) or base < params["min_base"]:
        return None
    now = float(sum(recent))
    drop = 1.0 - now / base
    if drop < params["drop"]:
        return None
    return _hit(code, history, round(drop, 4), base, recent_sum=now, compared_with=base_kind)


def _newly_increased(
    history: Sequence[MonthlyObservation], name: str, params: Mapping[str, float], code: str
) -> SignalHit | None:
    """A cumulative count rose within the last ``window`` months."""
    values = _series(history, name)
    w = int(params["window"])
    if len(values) < w + 1 or values[-1] is None or values[-w - 1] is None:
        return None
    new = float(values[-1]) - float(values[-w - 1])
    if new < params["min_new"]:
        return None
    return _hit(code, history, new, float(values[-w - 1]), total=values[-1])


def _flag_now(history: Sequence[MonthlyObservation], name: str, code: str) -> SignalHit | None:
    if history[-1].values.get(name) is True:
        return _hit(code, history, 1.0, None)
    return None


# ----------------------------------------------------------------------------- detectors


def _sales_drop(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _window_drop(h, "invoiced_sales_fen", p, "sales_drop")


def _year_base(values: Sequence[Any], w: int) -> float | None:
    """The mean sum of the same ``w`` months one and (when known) two years earlier."""
    bases = []
    for years in (1, 2):
        then = values[len(values) - 12 * years - w : len(values) - 12 * years]
        if len(values) >= 12 * years + w and _known(then):
            bases.append(float(sum(then)))
    return sum(bases) / len(bases) if bases else None


def _log_yoy(values: Sequence[Any], w: int) -> float | None:
    """log(sum of the last ``w`` months / the same months a year or two earlier), or None."""
    base = _year_base(values, w)
    now = values[-w:]
    if base is None or not _known(now) or base <= 0 or sum(now) <= 0:
        return None
    return math.log(sum(now) / base)


def _activity_decline(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    """Sales, electricity and headcount against a year earlier, averaged in logs: one reading of
    the business's activity that the noise of any single source moves less."""
    w = int(p["window"])
    parts = {
        "sales": _log_yoy(_series(h, "invoiced_sales_fen"), w),
        "electricity": _log_yoy(_series(h, "electricity_kwh"), w),
        "headcount": _log_yoy(_series(h, "headcount"), 1),
    }
    known = {k: v for k, v in parts.items() if v is not None}
    if len(known) < p["min_sources"]:
        return None
    decline = 1.0 - math.exp(sum(known.values()) / len(known))
    if decline < p["drop"]:
        return None
    evidence = {k: round(1.0 - math.exp(v), 4) for k, v in known.items()}
    return _hit("activity_decline", h, round(decline, 4), None, **evidence)


def _utilities_drop(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _window_drop(h, "electricity_kwh", p, "utilities_drop")


def _count_false(h: Sequence[MonthlyObservation], name: str, w: int) -> tuple[int, int]:
    values = _series(h, name)[-w:]
    known = [v for v in values if v is not None]
    return sum(1 for v in known if v is False), len(known)


def _filing_missed(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    missed, known = _count_false(h, "tax_filed", int(p["window"]))
    if known == 0 or missed < p["min_missed"]:
        return None
    return _hit("filing_missed", h, float(missed), None, months=known)


def _utilities_arrears(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    late, known = _count_false(h, "utilities_paid_on_time", int(p["window"]))
    if known == 0 or late < p["min_late"]:
        return None
    return _hit("utilities_arrears", h, float(late), None, months=known)


def _tax_grade_down(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    grades = _series(h, "tax_grade")
    w = int(p["window"])
    now = grades[-1]
    if now not in _GRADE_RANK:
        return None
    before = [g for g in grades[-w - 1 : -1] if g in _GRADE_RANK]
    if not before:
        return None
    best = min(before, key=lambda g: _GRADE_RANK[g])
    if _GRADE_RANK[now] - _GRADE_RANK[best] < p["min_steps"] or _GRADE_RANK[now] < 3:
        return None
    return _hit("tax_grade_down", h, float(_GRADE_RANK[now]), float(_GRADE_RANK[best]),
                grade=now, previous_grade=best)  # fmt: skip


def _headcount_drop(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    values = _series(h, "headcount")
    w = int(p["baseline_months"])
    if len(values) < w + 1 or not _known(values[-w - 1 :]):
        return None
    base = max(float(v) for v in values[-w - 1 : -1])
    now = float(values[-1])
    if base - now < p["min_people"] or base <= 0 or 1.0 - now / base < p["drop"]:
        return None
    return _hit("headcount_drop", h, round(1.0 - now / base, 4), base, headcount=now)


def _housing_fund_stopped(
    h: Sequence[MonthlyObservation], p: Mapping[str, float]
) -> SignalHit | None:
    values = _series(h, "housing_fund_amount_fen")
    stopped, paid_before = int(p["stopped_months"]), int(p["paid_months"])
    if len(values) < stopped + paid_before or not _known(values[-stopped - paid_before :]):
        return None
    before = values[-stopped - paid_before : -stopped]
    if any(v <= 0 for v in before) or any(v > 0 for v in values[-stopped:]):
        return None
    return _hit("housing_fund_stopped", h, 0.0, float(before[-1]), months_without=stopped)


def _lawsuit_new(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _newly_increased(h, "lawsuits_defendant", p, "lawsuit_new")


def _enforcement_new(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _newly_increased(h, "enforcements", p, "enforcement_new")


def _dishonest(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _flag_now(h, "dishonest_listed", "dishonest_listed")


def _abnormal(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _flag_now(h, "abnormal_operation", "abnormal_operation")


def _legal_rep(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _newly_increased(h, "legal_rep_changes", p, "legal_rep_change")


def _shareholder(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _newly_increased(h, "shareholder_changes", p, "shareholder_change")


def _bureau_overdue(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    values = _series(h, "bureau_overdue_accounts")
    now = values[-1]
    if now is None or now < p["min_accounts"]:
        return None
    w = int(p["clean_months"])
    before = [v for v in values[-w - 1 : -1] if v is not None]
    baseline = float(max(before)) if before else None
    if baseline is not None and baseline >= now:
        return None  # not new: already overdue there when we last looked
    return _hit("bureau_overdue_elsewhere", h, float(now), baseline)


def _inquiry_burst(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    values = _series(h, "bureau_inquiries")
    w = int(p["window"])
    recent = [v for v in values[-w:] if v is not None]
    if not recent:
        return None
    count = float(sum(recent))
    if count < p["min_inquiries"]:
        return None
    return _hit("inquiry_burst", h, count, None, months=len(recent))


def _dpd(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    dpd = h[-1].values.get("dpd")
    if dpd is None or dpd < p["min_days"]:
        return None
    return _hit("days_past_due", h, float(dpd), None)


def _utilisation_jump(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    values = _series(h, "utilisation")
    w = int(p["window"])
    if len(values) < w + 1 or values[-1] is None or values[-w - 1] is None:
        return None
    now, before = float(values[-1]), float(values[-w - 1])
    if now < p["min_level"] or now - before < p["jump"]:
        return None
    return _hit("utilisation_jump", h, round(now, 4), round(before, 4))


def _failed_debits(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    values = [v for v in _series(h, "failed_auto_debits")[-int(p["window"]) :] if v is not None]
    if not values or sum(values) < p["min_failures"]:
        return None
    return _hit("failed_auto_debits", h, float(sum(values)), None, months=len(values))


def _third_party(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _flag_now(h, "third_party_repayment", "third_party_repayment")


def _group_warned(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _flag_now(h, "group_member_warned", "group_member_warned")


def _core_overdue(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    return _flag_now(h, "core_overdue", "core_overdue")


def _collateral_short(h: Sequence[MonthlyObservation], p: Mapping[str, float]) -> SignalHit | None:
    ratio = h[-1].values.get("collateral_cover_ratio")
    if ratio is None or ratio >= p["min_ratio"]:
        return None
    return _hit("collateral_shortfall", h, round(float(ratio), 4), p["min_ratio"])


# ----------------------------------------------------------------------------- the set


def _def(
    code: str,
    family: str,
    names: tuple[str, str],
    reasons: tuple[str, str],
    inputs: tuple[str, ...],
    detect: Detector,
    **parameters: float,
) -> SignalDef:
    return SignalDef(code, family, names[0], names[1], reasons[0], reasons[1], inputs,
                     MappingProxyType(parameters), detect)  # fmt: skip


_DEFS = (
    _def("sales_drop", "tax", ("开票销售额下降", "Invoiced sales drop"),
         ("近{window}个月开票销售额较去年同期下降{value}（比例）",
          "Invoiced sales of the last {window} months fell by {value} (share) year on year"),
         ("invoiced_sales_fen",), _sales_drop, window=3, drop=0.35, min_base=1_000_000),
    _def("activity_decline", "activity", ("经营活动综合下滑", "Business activity decline"),
         ("开票、用电和参保人数较去年同期综合下降{value}（比例）",
          "Sales, electricity and headcount fell by {value} (share, combined) year on year"),
         ("invoiced_sales_fen", "electricity_kwh", "headcount"), _activity_decline, window=3,
         drop=0.2, min_sources=2),
    _def("filing_missed", "tax", ("漏报纳税申报", "Missed tax filings"),
         ("近{window}个月有{value}个月未申报纳税",
          "No tax return filed in {value} of the last {window} months"),
         ("tax_filed",), _filing_missed, window=3, min_missed=1),
    _def("tax_grade_down", "tax", ("纳税信用降级", "Tax credit grade downgrade"),
         ("纳税信用等级降为C级或D级", "The tax credit grade fell to C or D"),
         ("tax_grade",), _tax_grade_down, window=12, min_steps=1),
    _def("headcount_drop", "employment", ("社保参保人数下降", "Insured headcount drop"),
         ("社保参保人数较近{baseline_months}个月高点下降{value}（比例）",
          "Insured headcount fell by {value} (share) from its {baseline_months}-month high"),
         ("headcount",), _headcount_drop, baseline_months=6, drop=0.2, min_people=2),
    _def("housing_fund_stopped", "employment", ("公积金停缴", "Housing fund stopped"),
         ("连续{stopped_months}个月未缴公积金（此前按月缴纳）",
          "No housing-fund contribution for {stopped_months} months after regular payments"),
         ("housing_fund_amount_fen",), _housing_fund_stopped, stopped_months=2, paid_months=3),
    _def("utilities_drop", "utilities", ("用电量下降", "Electricity use drop"),
         ("近{window}个月用电量较去年同期下降{value}（比例）",
          "Electricity use of the last {window} months fell by {value} (share) year on year"),
         ("electricity_kwh",), _utilities_drop, window=3, drop=0.3, min_base=300),
    _def("utilities_arrears", "utilities", ("水电费拖欠", "Utility bills paid late"),
         ("近{window}个月有{value}个月水电费未按时缴纳",
          "Utility bills paid late in {value} of the last {window} months"),
         ("utilities_paid_on_time",), _utilities_arrears, window=3, min_late=2),
    _def("lawsuit_new", "judicial", ("新增涉诉", "New lawsuit"),
         ("近{window}个月新增{value}件被诉案件", "{value} new lawsuits as defendant in the last "
          "{window} months"), ("lawsuits_defendant",), _lawsuit_new, window=1, min_new=1),
    _def("enforcement_new", "judicial", ("新增被执行", "New enforcement case"),
         ("近{window}个月新增{value}件被执行案件", "{value} new enforcement cases in the last "
          "{window} months"), ("enforcements",), _enforcement_new, window=1, min_new=1),
    _def("dishonest_listed", "judicial", ("失信被执行人", "Dishonest judgment debtor"),
         ("企业被列入失信被执行人名单", "The enterprise is on the dishonest judgment debtors list"),
         ("dishonest_listed",), _dishonest),
    _def("abnormal_operation", "registry", ("经营异常", "Abnormal operation"),
         ("企业被列入经营异常名录", "The enterprise is on the abnormal-operation list"),
         ("abnormal_operation",), _abnormal),
    _def("legal_rep_change", "registry", ("法定代表人变更", "Legal representative changed"),
         ("近{window}个月法定代表人发生变更", "The legal representative changed in the last "
          "{window} months"), ("legal_rep_changes",), _legal_rep, window=3, min_new=1),
    _def("shareholder_change", "registry", ("股东变更", "Shareholder change"),
         ("近{window}个月股东发生变更", "The shareholders changed in the last {window} months"),
         ("shareholder_changes",), _shareholder, window=3, min_new=1),
    _def("bureau_overdue_elsewhere", "bureau", ("他行新增逾期", "New overdue at another lender"),
         ("征信显示在其他机构有{value}笔贷款逾期", "The bureau shows {value} accounts overdue at "
          "other lenders"), ("bureau_overdue_accounts",), _bureau_overdue, min_accounts=1,
         clean_months=3),
    _def("inquiry_burst", "bureau", ("征信查询激增", "Inquiry burst"),
         ("近{window}个月征信审批查询{value}次", "{value} approval inquiries in the last {window} "
          "months"), ("bureau_inquiries",), _inquiry_burst, window=2, min_inquiries=3),
    _def("days_past_due", "behaviour", ("本行逾期", "Days past due"),
         ("本行贷款逾期{value}天", "Our loan is {value} days past due"),
         ("dpd",), _dpd, min_days=1),
    _def("utilisation_jump", "behaviour", ("额度使用率骤升", "Utilisation jump"),
         ("额度使用率升至{value}（{window}个月前为{baseline}）",
          "Line utilisation rose to {value} from {baseline} {window} months ago"),
         ("utilisation",), _utilisation_jump, window=3, jump=0.4, min_level=0.9),
    _def("failed_auto_debits", "behaviour", ("自动扣款失败", "Failed automatic debits"),
         ("近{window}个月自动扣款失败{value}次", "{value} failed automatic debits in the last "
          "{window} months"), ("failed_auto_debits",), _failed_debits, window=3, min_failures=2),
    _def("third_party_repayment", "behaviour", ("第三方代还款", "Repayment by a third party"),
         ("本月还款来自第三方账户", "This month's repayment came from a third party's account"),
         ("third_party_repayment",), _third_party),
    _def("group_member_warned", "related", ("关联方风险", "Related party at risk"),
         ("关联集团成员违约或被红色/橙色预警", "A member of the related-party group is in default "
          "or under a red/orange warning"), ("group_member_warned",), _group_warned),
    _def("core_overdue", "related", ("核心企业逾期", "Core enterprise overdue"),
         ("供应链核心企业应收凭证逾期", "The supply chain's core enterprise is overdue on its "
          "certificates"), ("core_overdue",), _core_overdue),
    _def("collateral_shortfall", "collateral", ("押品价值不足", "Collateral shortfall"),
         ("重估后押品价值（扣除折扣）仅为所需的{value}（比例）",
          "After revaluation the collateral covers only {value} (share) of what is needed"),
         ("collateral_cover_ratio",), _collateral_short, min_ratio=1.0),
)  # fmt: skip

SIGNALS: Mapping[str, SignalDef] = MappingProxyType({d.code: d for d in _DEFS})


def evaluate_signals(
    history: Sequence[MonthlyObservation],
    parameters: Mapping[str, Mapping[str, float]] | None = None,
) -> list[SignalHit]:
    """The signals that fire for the newest month of ``history`` (oldest first), in ``SIGNALS``
    order. ``parameters`` overrides a signal's defaults by code (e.g. a rules document's)."""
    if not history:
        return []
    ordered = sorted(history, key=lambda obs: obs.month)
    overrides = parameters or {}
    hits: list[SignalHit] = []
    for code, definition in SIGNALS.items():
        params = {**definition.parameters, **overrides.get(code, {})}
        hit = definition.detect(ordered, params)
        if hit is not None:
            hits.append(hit)
    return hits


# ----------------------------------------------------------------------------- from payloads

_HARD_INQUIRIES = frozenset({"loan_approval", "credit_card_approval", "guarantee_review"})


def _month_key(day: date) -> int:
    return day.year * 12 + day.month - 1


def _label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _get(payload: Any, name: str) -> Any:
    return payload.get(name) if isinstance(payload, Mapping) else getattr(payload, name)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _payload(payloads: Mapping[str, Any], source: str) -> Any:
    for key, value in payloads.items():
        if str(getattr(key, "value", key)) == source:
            return value
    return None


def _month_row(payload: Any, month: date) -> Any:
    label = _label(month)
    for row in _get(payload, "months") or []:
        if _get(row, "month") == label:
            return row
    return None


def _tax_values(tax: Any, month: date, out: dict[str, Any]) -> None:
    row = _month_row(tax, month)
    if row is not None:
        out["tax_filed"] = bool(_get(row, "filed"))
        out["invoiced_sales_fen"] = int(_get(row, "invoiced_sales_fen"))
    out["tax_grade"] = _get(tax, "credit_grade")


def _panel_values(payloads: Mapping[str, Any], month: date, out: dict[str, Any]) -> None:
    ss = _payload(payloads, "social_security")
    if ss is not None and (row := _month_row(ss, month)) is not None:
        out["headcount"] = int(_get(row, "insured_headcount"))
    hf = _payload(payloads, "housing_fund")
    if hf is not None and _get(hf, "account_opened"):
        row = _month_row(hf, month)
        if row is not None:
            out["housing_fund_amount_fen"] = int(_get(row, "amount_fen"))
    ut = _payload(payloads, "utilities")
    if ut is not None and (row := _month_row(ut, month)) is not None:
        out["electricity_kwh"] = int(_get(row, "electricity_kwh"))
        out["utilities_paid_on_time"] = bool(_get(row, "paid_on_time"))


def _listed(start: date | None, end: date | None, month_end: date) -> bool:
    return start is not None and start <= month_end and (end is None or end > month_end)


def _judicial_values(jud: Any, month_end: date, out: dict[str, Any]) -> None:
    out["lawsuits_defendant"] = sum(
        1
        for case in _get(jud, "lawsuits") or []
        if _get(case, "role") == "defendant"
        and (_as_date(_get(case, "filed_date")) or month_end) <= month_end
    )
    out["enforcements"] = sum(
        1
        for case in _get(jud, "enforcements") or []
        if (_as_date(_get(case, "filed_date")) or month_end) <= month_end
    )
    out["dishonest_listed"] = any(
        _listed(_as_date(_get(r, "listed_date")), _as_date(_get(r, "removed_date")), month_end)
        for r in _get(jud, "dishonest_debtor_records") or []
    )


def _registry_values(reg: Any, month_end: date, out: dict[str, Any]) -> None:
    changes = [c for c in _get(reg, "changes") or []
               if (_as_date(_get(c, "change_date")) or month_end) <= month_end]  # fmt: skip
    out["legal_rep_changes"] = sum(1 for c in changes if _get(c, "item") == "legal_representative")
    out["shareholder_changes"] = sum(1 for c in changes if _get(c, "item") == "shareholder")
    out["abnormal_operation"] = any(
        _listed(_as_date(_get(r, "listed_date")), _as_date(_get(r, "removed_date")), month_end)
        for r in _get(reg, "abnormal_operations") or []
    )


def _bureau_values(bureau: Any, month: date, out: dict[str, Any]) -> None:
    if _get(bureau, "subject_kind") != "enterprise":
        return
    as_of = _as_date(_get(bureau, "as_of")) or month
    report_month = _month_key(as_of)
    if _month_end(as_of.replace(day=1)) != as_of:
        report_month -= 1  # the report's last complete month (as the world's panel)
    back = report_month - _month_key(month)
    if back < 0:
        return  # the report predates the month
    if back < 24:  # the 24-month records, oldest first, end at the report's month
        out["bureau_overdue_accounts"] = sum(
            1
            for account in _get(bureau, "accounts") or []
            if str(_get(account, "repayment_status_24m"))[-1 - back] in "1234567"
        )
    key = _month_key(month)
    out["bureau_inquiries"] = sum(
        1
        for q in _get(bureau, "inquiries") or []
        if _get(q, "reason") in _HARD_INQUIRIES
        and _month_key(_as_date(_get(q, "inquiry_date")) or month) == key
    )


def _month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def observation_from_payloads(payloads: Mapping[str, Any], month: date) -> MonthlyObservation:
    """The observation of ``month`` from the hub's source payloads keyed by source name
    (``SourceName`` or its value; payload models or their JSON dicts). Sources that are absent
    or do not cover the month leave their inputs out."""
    month = month.replace(day=1)
    end = _month_end(month)
    out: dict[str, Any] = {}
    if (tax := _payload(payloads, "tax")) is not None:
        _tax_values(tax, month, out)
    _panel_values(payloads, month, out)
    if (jud := _payload(payloads, "judicial")) is not None:
        _judicial_values(jud, end, out)
    if (reg := _payload(payloads, "registry")) is not None:
        _registry_values(reg, end, out)
    if (bureau := _payload(payloads, "credit_bureau")) is not None:
        _bureau_values(bureau, month, out)
    return MonthlyObservation(month, MappingProxyType(out))


def history_from_payloads(
    payloads: Mapping[str, Any], months: Sequence[date]
) -> list[MonthlyObservation]:
    """One observation per month in ``months`` (any order in, oldest first out)."""
    return [
        observation_from_payloads(payloads, m) for m in sorted({m.replace(day=1) for m in months})
    ]
