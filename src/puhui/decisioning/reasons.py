"""Decision reasons a person can read: the applicant's own value and the threshold, in zh-CN and
English ("近6个月征信审批查询次数 7 次，超过 5 次"), never a scorecard bin (`[-inf, 1.5)`,
`Missing`). Pure: no database, no I/O.

The input, one per feature that pushed the decision the wrong way (`ReasonInput`):

* ``feature`` - the feature's name (`puhui.decisioning.features`), which gives its labels and
  unit;
* ``value`` - the applicant's value of it (None when the source did not provide it);
* ``weight`` - how much it cost: the scorecard's points lost (``kind="points"``) or a
  challenger model's contribution to the risk, e.g. a LightGBM SHAP value (``kind="contribution"``);
  reasons are ranked by it, largest first;
* ``lower`` / ``upper`` - optional: the edges of the scorecard bin the value fell in
  (lower inclusive, upper exclusive, None for an open side), read back by `parse_bin` from the
  stored bin label; a challenger may pass a split threshold the same way, or nothing;
* ``categories`` - optional: a categorical bin's categories (the sentence then names the value).

A scorecard reason thus becomes ``ReasonInput(feature, value, points_lost, lower=…, upper=…)``;
a challenger's ``ReasonInput(feature, value, contribution, kind="contribution")``. Without edges the
sentence says the value and that it cost points / raised the risk.

Thresholds: a count's bin edge 5.5 means "more than 5"; an integer edge 6 means "at least 6".
Money is shown in 万元 (zh) and yuan (en); shares and log ratios as percentages (a log ratio x
as the change e^x - 1).

`from_decision(inputs, stored)` rebuilds a stored decision's reasons for display: the policy's
rule reasons keep their text; each scorecard reason is rewritten from the decision's inputs (its
bin and the feature value stored with the decision), so decisions made before this module read
the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from puhui.decisioning.features import FEATURE_BY_NAME, FeatureDef, FeatureValue

MISSING_LABELS = ("Missing", "(Missing)", "missing")

# Unit words of the count features: (zh, en singular, en plural)
_COUNT_UNITS: dict[str, tuple[str, str, str]] = {
    "months": ("个月", "month", "months"),
    "people": ("人", "person", "people"),
    "inquiries": ("次", "", ""),
    "changes": ("次", "", ""),
    "cases": ("件", "case", "cases"),
    "accounts": ("个", "account", "accounts"),
    "periods": ("期", "period", "periods"),
    "enterprises": ("家", "enterprise", "enterprises"),
    "applications": ("笔", "application", "applications"),
}


@dataclass(frozen=True)
class ReasonInput:
    feature: str
    value: FeatureValue
    weight: float
    lower: float | None = None
    upper: float | None = None
    categories: tuple[str, ...] = ()
    kind: Literal["points", "contribution"] = "points"


@dataclass(frozen=True)
class ReadableReason:
    code: str
    zh: str
    en: str
    feature: str | None = None
    weight: float = 0.0


def parse_bin(label: str) -> tuple[float | None, float | None, tuple[str, ...]]:
    """A stored bin label as (lower, upper, categories): `[a, b)` numeric, `Missing`, or the
    categories `A, B` of a categorical bin."""
    text = label.strip()
    if text in MISSING_LABELS or text in ("Unknown", "(Unknown)"):
        return None, None, ()
    match = re.fullmatch(r"[\[(]\s*([^,]+?)\s*,\s*([^,]+?)\s*[\])]", text)
    if match:
        return _edge(match.group(1)), _edge(match.group(2)), ()
    return None, None, tuple(p.strip() for p in text.split(",") if p.strip())


def _edge(text: str) -> float | None:
    if text.lstrip("+-") in ("inf", "Infinity"):
        return None
    try:
        return float(text)  # float-ok: a scorecard bin edge, shown rounded, never money
    except ValueError:
        return None


# --------------------------------------------------------------------------- formatting


def _is_missing(value: FeatureValue) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(x: float, decimals: int = 2) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.{decimals}f}"


def _fmt(d: FeatureDef | None, x: float, lang: str) -> str:
    """A numeric value (or threshold) of the feature, with its unit."""
    kind = d.kind if d else "ratio"
    unit = d.unit if d else ""
    if kind == "fen":
        yuan = x / 100
        return f"{yuan / 10_000:,.2f} 万元" if lang == "zh" else f"{_number(round(yuan))} yuan"
    if kind in ("count", "int"):
        n = _number(round(x)) if float(x).is_integer() else _number(x, 1)
        zh_unit, one, many = _COUNT_UNITS.get(unit, ("", "", ""))
        if lang == "zh":
            return f"{n} {zh_unit}".rstrip()
        word = one if n == "1" else many
        return f"{n} {word}".rstrip()
    if unit == "share":
        return f"{x * 100:.1f}%"
    if unit == "log ratio":
        return f"{(math.exp(max(min(x, 50.0), -50.0)) - 1) * 100:+.1f}%".replace("+-", "-")
    return _number(x)


def _count_edges(lower: float | None, upper: float | None) -> tuple[int | None, int | None]:
    """A count bin's edges as whole numbers it holds: [0.5, 1.5) → (1, 1), [2, 5) → (2, 4)."""
    low = None if lower is None else math.ceil(lower)
    high = None
    if upper is not None:
        high = int(upper) - 1 if float(upper).is_integer() else math.floor(upper)
    return low, high


def _zh_between(a: str, b: str) -> str:
    """在 a 至 b 之间, with no space after a unit in Chinese (万元, 次)."""
    gap_a = "" if _CJK_END.search(a) else " "
    gap_b = "" if _CJK_END.search(b) else " "
    return f"在 {a}{gap_a}至 {b}{gap_b}之间"


_CJK_END = re.compile(r"[\u4e00-\u9fff]$")


def _threshold_words(
    d: FeatureDef | None, lower: float | None, upper: float | None, lang: str
) -> str:
    zh = lang == "zh"
    if d is not None and d.kind in ("count", "int"):
        return _count_threshold(d, lower, upper, lang)
    if lower is not None and upper is not None:
        a, b = _fmt(d, lower, lang), _fmt(d, upper, lang)
        return _zh_between(a, b) if zh else f"between {a} and {b}"
    if lower is not None:
        value = _fmt(d, lower, lang)
        return f"高于 {value}" if zh else f"above {value}"
    if upper is not None:
        value = _fmt(d, upper, lang)
        return f"低于 {value}" if zh else f"below {value}"
    return ""


def _count_threshold(d: FeatureDef, lower: float | None, upper: float | None, lang: str) -> str:
    """Counts in whole numbers: more than 5 (an edge 5.5), at most 1, between 2 and 4; a bin of
    one number says nothing more than the value."""
    zh = lang == "zh"
    low, high = _count_edges(lower, upper)
    if low is not None and high is not None:
        if low >= high:
            return ""
        a, b = _fmt(d, low, lang), _fmt(d, high, lang)
        return _zh_between(a, b) if zh else f"between {a} and {b}"
    if low is not None:
        value = _fmt(d, low - 1, lang)
        return f"超过 {value}" if zh else f"more than {value}"
    if high is not None:
        value = _fmt(d, high, lang)
        return f"不超过 {value}" if zh else f"at most {value}"
    return ""


def _value_words(d: FeatureDef | None, value: FeatureValue, lang: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int | float):
        return _fmt(d, float(value), lang)
    return str(value)


def sentence(item: ReasonInput) -> ReadableReason:
    """One reason in words, zh and en."""
    d = FEATURE_BY_NAME.get(item.feature)
    label_zh = d.label_zh if d else _humane(item.feature)
    label_en = d.label_en if d else _humane(item.feature)
    code = f"SCORE_{item.feature.upper()}"
    if _is_missing(item.value):
        return ReadableReason(
            code, f"未提供{label_zh}", f"{label_en}: not provided", item.feature, item.weight
        )
    zh_value = _value_words(d, item.value, "zh")
    en_value = _value_words(d, item.value, "en")
    numeric = isinstance(item.value, int | float) and not isinstance(item.value, bool)
    zh_tail = _threshold_words(d, item.lower, item.upper, "zh") if numeric else ""
    en_tail = _threshold_words(d, item.lower, item.upper, "en") if numeric else ""
    if not zh_tail and item.kind == "contribution":
        zh_tail, en_tail = "使风险上升", "raised the risk"
    if not zh_tail and numeric:
        points = _number(abs(item.weight), 0)
        zh_tail, en_tail = f"使评分降低 {points} 分", f"lowered the score by {points} points"
    zh = f"{label_zh} {zh_value}" + (f"，{zh_tail}" if zh_tail else "")
    en = f"{label_en}: {en_value}" + (f", {en_tail}" if en_tail else "")
    return ReadableReason(code, zh, en, item.feature, item.weight)


def _humane(name: str) -> str:
    return name.replace("_fen", "").replace("_", " ")


def ranked(items: Iterable[ReasonInput], top: int = 4) -> list[ReadableReason]:
    """The top reasons, the costliest first (ties: the input's order)."""
    ordered = sorted(enumerate(items), key=lambda p: (-p[1].weight, p[0]))
    return [sentence(item) for _, item in ordered[:top]]


def score_inputs(
    score_reasons: Sequence[Mapping[str, Any]], features: Mapping[str, FeatureValue]
) -> list[ReasonInput]:
    """The scorecard's stored reasons (`{"feature", "bin", "points_lost"}`) as inputs."""
    out: list[ReasonInput] = []
    for raw in score_reasons:
        feature = str(raw.get("feature", ""))
        label = str(raw.get("bin", ""))
        lower, upper, categories = parse_bin(label)
        value = None if label in MISSING_LABELS else features.get(feature)
        weight = raw.get("points_lost", raw.get("contribution", 0))
        kind: Literal["points", "contribution"] = (
            "contribution" if "contribution" in raw else "points"
        )
        out.append(
            ReasonInput(
                feature,
                value,
                float(weight) if isinstance(weight, int | float) else 0.0,
                lower,
                upper,
                categories,
                kind,
            )
        )
    return out


def from_decision(
    inputs: Mapping[str, Any] | None, stored: Sequence[Mapping[str, Any]]
) -> list[ReadableReason]:
    """A stored decision's reasons in words: rule reasons as stored, in their order; each
    scorecard reason rebuilt from the decision's inputs (value, bin), ranked by points lost."""
    inputs = inputs or {}
    features = inputs.get("features") or {}
    score = inputs.get("score") or {}
    rebuilt = {
        (r.feature or ""): r
        for r in ranked(score_inputs(score.get("reasons") or [], features), top=len(stored) + 8)
    }
    rules: list[ReadableReason] = []
    scored: list[ReadableReason] = []
    for raw in stored:
        code = str(raw.get("code", ""))
        if raw.get("kind") == "score":
            feature = next((f for f in rebuilt if f"SCORE_{f.upper()}" == code), None)
            if feature is not None:
                scored.append(rebuilt[feature])
                continue
        rules.append(ReadableReason(code, str(raw.get("zh", "")), str(raw.get("en", ""))))
    scored.sort(key=lambda r: -r.weight)
    return rules + scored
