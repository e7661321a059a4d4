"""Batch pre-screening (预授信): the one scoring function, over columns. Pure.

:func:`prescreen_frame` turns a list of enterprises (a polars DataFrame) into indicative
offers. The embedded engine calls it on the whole frame; Spark calls the very same function on
each Arrow batch of its partitions (:mod:`puhui.engagement.engines`), so both engines give the
same offers by construction, and the test checks it on 10,000 enterprises.

What a row is scored on
-----------------------
Only data the bank may use without a new consent (PIPL purpose limitation), by list kind:

* every list: public registry and judicial data (:data:`PUBLIC_FEATURES`);
* a core enterprise's dealer or supplier list: the core enterprise's feed under its agreement
  (monthly purchases, from which :func:`purchase_features` derives the sales-trend features the
  same way the decision derives them from invoices);
* the bank's own customers: also its own records (existing exposure, and electricity use per
  10,000 yuan where a utilities consent is live — the caller decides that, see the service).

A list carrying any other feature column is refused (:class:`FeatureNotPermitted`): a column
of credit-bureau data on a dealer list means someone used data without its consent.

Scoring: the active scorecard's artifact scores the columns (``score_frame``). A feature that
was *not asked* (its source needs a consent the enterprise has not given for this purpose)
scores 0 points — the population average, WOE 0 — rather than the points of the scorecard's
missing bin, which in a decision means "the provider has no record", a different fact.

Policy: the active policy's own decision tables, evaluated by zen-engine exactly as in a
decision, but on the *distinct* input tuples only: the knock-out rules grouped by the columns
they read (a rule on one column is evaluated once per distinct value of that column), and
the grade and price once per distinct score. Cross-checks and anti-fraud need consented data
and run in the full decision, when the enterprise applies.

Offer: ``limit = floor(min(basis × multiple, product cap, ceiling) / step) × step`` in integer
fen, where basis is the monthly sales basis (the dealer's average monthly purchases, or the
own customer's line basis); ``rate = LPR + spread + green spread``. A pre-approved offer is an
invitation: it never creates a credit line (the enterprise applies and consents, and the full
decision runs then).
"""

from __future__ import annotations

import copy
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import polars as pl
import zen

from puhui.decisioning.features import FEATURE_BY_NAME, RATIO_EPS_FEN, month_index, r4
from puhui.decisioning.policy import PolicyDocument, compile_policy
from puhui.engagement.errors import FeatureNotPermitted, PrescreenListInvalid
from puhui.engagement.green import GreenCatalogue, green_columns
from puhui.scorecards.artifact import ScorecardArtifact, feature_slots

BP = 10_000


class ListKind(StrEnum):
    OWN_CUSTOMERS = "own_customers"
    REGISTRY_REGION = "registry_region"
    DEALER_LIST = "dealer_list"


class OfferStatus(StrEnum):
    OFFER = "offer"  # an indicative limit and rate
    KNOCKED_OUT = "knocked_out"  # a knock-out rule of the policy hit
    DECLINED_GRADE = "declined_grade"  # the grade prices no offer
    NO_BASIS = "no_basis"  # eligible, but no sales basis for a limit
    BELOW_MINIMUM = "below_minimum"  # the limit rounds below the policy's step


PUBLIC_FEATURES = frozenset(
    {
        "enterprise_age_months",
        "registered_capital_fen",
        "registry_status",
        "abnormal_operation",
        "legal_rep_changes_12m",
        "lawsuits_defendant_12m",
        "enforcement_open",
        "dishonest_debtor",
    }
)
FEED_FEATURES = frozenset({"sales_trend_6m", "sales_yoy"})
OWN_FEATURES = frozenset({"borrower_exposure_fen", "kwh_per_10k_sales_12m"})
PERMITTED: dict[ListKind, frozenset[str]] = {
    ListKind.OWN_CUSTOMERS: PUBLIC_FEATURES | OWN_FEATURES,
    ListKind.REGISTRY_REGION: PUBLIC_FEATURES,
    ListKind.DEALER_LIST: PUBLIC_FEATURES | FEED_FEATURES,
}
# columns that are not features: who the row is, where, and the limit basis
ATTRIBUTES = ("enterprise_key", "name", "industry_code", "region_code", "basis_monthly_fen")

OUTPUT_SCHEMA: dict[str, Any] = {
    "enterprise_key": pl.Utf8,
    "points": pl.Int64,
    "pd": pl.Float64,
    "grade": pl.Utf8,
    "knockouts": pl.Utf8,
    "green_category": pl.Utf8,
    "green": pl.Boolean,
    "spread_bp": pl.Int64,
    "rate_bp": pl.Int64,
    "limit_multiple_bp": pl.Int64,
    "indicative_limit_fen": pl.Int64,
    "status": pl.Utf8,
}


@dataclass(frozen=True)
class PrescreenSpec:
    """Everything one pre-screening run applies; picklable (Spark ships it to workers)."""

    kind: ListKind
    policy: PolicyDocument
    artifact: ScorecardArtifact
    product_code: str
    green: GreenCatalogue
    green_spread_bp: int = -20  # a discount: negative basis points
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def permitted(self) -> frozenset[str]:
        return PERMITTED[self.kind]


# --------------------------------------------------------------------------- inputs


def check_columns(columns: Sequence[str], kind: ListKind) -> None:
    """Refuse a list carrying a feature the bank may not use for this kind of list."""
    if "enterprise_key" not in columns:
        raise PrescreenListInvalid(reason="enterprise_key")
    known = set(FEATURE_BY_NAME) | {"kwh_per_10k_sales_12m"}
    extra = [c for c in columns if c not in ATTRIBUTES and c not in PERMITTED[kind]]
    refused = sorted(c for c in extra if c in known)
    if refused:
        raise FeatureNotPermitted(features=", ".join(refused), kind=kind.value)


def purchase_features(monthly_fen: Mapping[str, int], as_of_month: str) -> dict[str, float | None]:
    """Sales-trend features from a dealer's monthly purchases (``{"2026-10": fen}``, up to the
    month ``as_of_month``) with the decision's formulas (last 6 months against the 6 before,
    last 12 against the 12 before, log ratios with the same epsilon, 4 decimals): the core
    enterprise's feed stands in for the invoices the dealer has not consented to share. A
    window the feed does not cover (the agreement is younger) is missing, not zero."""
    year, month = (int(x) for x in as_of_month.split("-"))
    last = month_index(year, month)
    series: dict[int, int] = {}
    for key, fen in monthly_fen.items():
        y, m = (int(x) for x in key.split("-"))
        if month_index(y, m) <= last:
            series[month_index(y, m)] = int(fen)
    first = min(series, default=last + 1)

    def window(end: int, months: int) -> int:
        return sum(series.get(m, 0) for m in range(end - months + 1, end + 1))

    def ratio(months: int) -> float | None:
        if first > last - 2 * months + 1:
            return None
        a, b = window(last, months), window(last - months, months)
        return r4(math.log((a + RATIO_EPS_FEN) / (b + RATIO_EPS_FEN)))

    return {"sales_trend_6m": ratio(6), "sales_yoy": ratio(12)}


# --------------------------------------------------------------------------- scoring


def score_columns(frame: pl.DataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    """Points and PD: asked features score their bins (the artifact's slots and points, as
    ``score_frame`` does), not-asked features 0 points."""
    artifact = spec.artifact
    n = frame.height
    points = np.full(n, artifact.base_points, dtype=np.int64)
    for f in artifact.features:
        if f.name in frame.columns:
            slots = feature_slots(f, frame[f.name], n)
            points += np.asarray([b.points for b in f.slots], dtype=np.int64)[slots]
    return pl.DataFrame(
        {"points": points, "pd": artifact.calibration.pd_array(points)},
        schema={"points": pl.Int64, "pd": pl.Float64},
    )


def int_by_value(column: pl.Series, fn: Any) -> pl.Series:
    """``fn(value) -> int`` called once per distinct value of ``column`` (null included) and
    mapped back to every row: the rule costs a call per distinct value, the batch a look-up
    per row (an array index for integers and flags, a hash look-up for text)."""
    n = column.len()
    nulls = column.is_null()
    has_null = bool(nulls.any())
    if column.dtype.is_integer() or column.dtype == pl.Boolean:
        as_ints = column.cast(pl.Int64)
        low, high = as_ints.min(), as_ints.max()
        if low is None or high is None:  # all null
            return pl.Series(column.name, np.full(n, fn(None), dtype=np.int64))
        lo, hi = int(low), int(high)  # type: ignore[arg-type]
        if hi - lo < 1_000_000:
            as_int = as_ints.fill_null(lo).to_numpy() - lo
            counts = np.bincount(as_int, minlength=hi - lo + 1)
            if has_null:
                counts[0] -= int(nulls.sum())  # the nulls were filled with lo
            as_value = bool if column.dtype == pl.Boolean else int
            lut = np.zeros(hi - lo + 1, dtype=np.int64)
            for i in np.flatnonzero(counts).tolist():
                lut[i] = fn(as_value(i + lo))
            out = lut[as_int]
            if has_null:
                out[nulls.to_numpy()] = fn(None)
            return pl.Series(column.name, out, dtype=pl.Int64)
    values = [v for v in column.unique().to_list() if v is not None]
    mapping = {v: fn(v) for v in values}
    found = (
        column.replace_strict(mapping, default=None, return_dtype=pl.Int64)
        if mapping
        else pl.Series(column.name, [None] * n, dtype=pl.Int64)
    )
    return found.fill_null(fn(None)) if has_null else found


_graphs: dict[tuple[str, str], Any] = {}
_graphs_lock = threading.Lock()


def _table(document: PolicyDocument, output_path: str) -> dict[str, Any] | None:
    for node in document.graph.get("nodes", []):
        content = node.get("content") or {}
        if node.get("type") == "decisionTableNode" and content.get("outputPath") == output_path:
            return dict(node)
    return None


def _rule_groups(table: Mapping[str, Any]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rules grouped by the columns they read; a cell with no field (an expression)
    reads anything, so its rule's group is every field of the table plus ``*``."""
    inputs = table["content"]["inputs"]
    fields = tuple(sorted({i["field"] for i in inputs if i.get("field")}))
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for rule in table["content"]["rules"]:
        used = [i for i in inputs if str(rule.get(i["id"], "")).strip()]
        if any(not i.get("field") for i in used):
            key = (*fields, "*")
        else:
            key = tuple(sorted({i["field"] for i in used}))
        groups.setdefault(key, []).append(rule)
    return groups


def _sub_decision(document: PolicyDocument, table: dict[str, Any], key: tuple[str, ...]) -> Any:
    """A one-table JDM graph holding only the rules of one group (compiled once per process)."""
    cache_key = (document.sha256(), "|".join(key))
    decision = _graphs.get(cache_key)
    if decision is not None:
        return decision
    node = copy.deepcopy(table)
    node["content"]["rules"] = _rule_groups(table)[key]
    graph = {
        "nodes": [
            {"id": "in", "name": "in", "type": "inputNode", "position": {"x": 0, "y": 0}},
            {**node, "id": "t"},
            {"id": "out", "name": "out", "type": "outputNode", "position": {"x": 800, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "t", "type": "edge"},
            {"id": "e2", "sourceId": "t", "targetId": "out", "type": "edge"},
        ],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(graph))
    with _graphs_lock:
        _graphs[cache_key] = decision
    return decision


def _py(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    return value


def _knockout_codes(frame: pl.DataFrame, spec: PrescreenSpec) -> pl.Series:
    """The knock-out codes hit by each row (comma-joined, sorted) or null. ``refer`` hits
    count too: a pre-screen invites only those the policy would not stop or send to review.
    Each code is a bit of a mask while the groups are joined back (an OR per group), and the
    few distinct masks become text at the end."""
    table = _table(spec.policy, "knockouts")
    bits: dict[str, int] = {}
    mask = pl.Series("_mask", np.zeros(frame.height, dtype=np.int64))
    for key in _rule_groups(table) if table is not None else {}:
        columns = [c for c in key if c != "*"]
        if "*" in key:
            columns = sorted({*columns, *(c for c in frame.columns if c in FEATURE_BY_NAME)})
        present = [c for c in columns if c in frame.columns]
        if not present:
            continue  # the rules read only not-asked data: they run in the full decision
        assert table is not None
        decision = _sub_decision(spec.policy, table, key)

        def hits(context: dict[str, Any], decision: Any = decision) -> int:
            result = decision.evaluate({k: _py(v) for k, v in context.items()})["result"]
            m = 0
            for hit in result.get("knockouts") or []:
                if hit.get("action") != "flag":
                    m |= 1 << bits.setdefault(str(hit["code"]), len(bits))
            return m

        column = frame[present[0]]
        if len(present) == 1 and not column.dtype.is_float():
            # one column (the usual rule): a look-up per row (floats: NaN is no dict key)
            found = int_by_value(column, lambda v, c=present[0]: hits({c: v}))
        else:
            distinct = frame.select(present).unique(maintain_order=True)
            masks = [hits(row) for row in distinct.iter_rows(named=True)]
            mapped = distinct.with_columns(pl.Series("_m", masks, dtype=pl.Int64))
            found = frame.select(present).join(
                mapped, on=present, how="left", nulls_equal=True, maintain_order="left"
            )["_m"]
        if len(bits) > 62:
            raise PrescreenListInvalid(reason="too many knock-out codes")
        mask = mask | found
    names = sorted(bits, key=bits.__getitem__)
    text = {
        m: ",".join(sorted(c for i, c in enumerate(names) if m >> i & 1))
        for m in mask.unique().to_list()
        if m
    }
    return mask.replace_strict(text, default=None, return_dtype=pl.Utf8).alias("knockouts")


def _grade_and_price(points: pl.Series, spec: PrescreenSpec) -> pl.DataFrame:
    """Grade, spread and limit multiple of each distinct score through the policy's graph."""
    compiled = compile_policy(spec.policy)
    calibration = spec.artifact.calibration
    table: dict[int, tuple[str | None, int | None, int]] = {}
    for p in points.unique().to_list():
        result = compiled.evaluate_graph({"pd": calibration.pd(p), "score_points": p})
        grading = result.get("grading") or {}
        pricing = result.get("pricing") or {}
        declined = grading.get("action") == "decline"
        table[p] = (
            grading.get("grade"),
            None if declined else int(pricing.get("spread_bp") or 0),
            0 if declined else int(pricing.get("limit_multiple_bp") or 0),
        )
    return pl.DataFrame(
        [
            points.replace_strict({p: t[0] for p, t in table.items()}, return_dtype=pl.Utf8).alias(
                "grade"
            ),
            points.replace_strict({p: t[1] for p, t in table.items()}, return_dtype=pl.Int64).alias(
                "spread_bp"
            ),
            points.replace_strict({p: t[2] for p, t in table.items()}, return_dtype=pl.Int64).alias(
                "limit_multiple_bp"
            ),
        ]
    )


def prescreen_frame(frame: pl.DataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    """THE pre-screening function: a list of enterprises -> one indicative offer per row
    (columns :data:`OUTPUT_SCHEMA`, in the input's order)."""
    check_columns(frame.columns, spec.kind)
    if frame.height == 0:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    if "industry_code" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("industry_code"))
    scores = score_columns(frame, spec)
    out = pl.concat(
        [
            frame.select("enterprise_key"),
            scores,
            _knockout_codes(frame, spec).to_frame(),
            _grade_and_price(scores["points"], spec),
            green_columns(frame, spec.green).select("green_category", "green"),
        ],
        how="horizontal",
    )
    return (
        _offer_columns(out, frame, spec).select(list(OUTPUT_SCHEMA)).cast(pl.Schema(OUTPUT_SCHEMA))
    )


_STATUS_CODES = (
    OfferStatus.OFFER,
    OfferStatus.KNOCKED_OUT,
    OfferStatus.DECLINED_GRADE,
    OfferStatus.NO_BASIS,
    OfferStatus.BELOW_MINIMUM,
)


def _offer_columns(out: pl.DataFrame, frame: pl.DataFrame, spec: PrescreenSpec) -> pl.DataFrame:
    """Status, indicative limit and rate; integer fen and basis points (numpy int64)."""
    params = spec.policy.parameters
    product = spec.policy.products[spec.product_code]
    step = params.limit_round_fen
    cap = min(product.cap_fen, params.ceiling_fen)
    n = frame.height
    if "basis_monthly_fen" in frame.columns:
        basis_col = frame["basis_monthly_fen"].cast(pl.Int64)
        no_basis = basis_col.is_null().to_numpy()
        basis = basis_col.fill_null(0).to_numpy()
    else:
        no_basis, basis = np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64)
    multiple = out["limit_multiple_bp"].fill_null(0).to_numpy()
    spread_null = out["spread_bp"].is_null().to_numpy()
    spread = out["spread_bp"].fill_null(0).to_numpy()
    limit = np.minimum(basis * multiple // BP, cap) // step * step
    knocked = out["knockouts"].is_not_null().to_numpy()
    declined = spread_null | (multiple <= 0)
    code = np.select(
        [knocked, declined, no_basis, limit < step],
        [1, 2, 3, 4],
        default=0,
    )
    green = out["green"].to_numpy()
    rate = params.lpr_bp + spread + np.where(green, spec.green_spread_bp, 0)
    priced = (code == 0) | (code == 3)
    status = pl.Series("status", code).replace_strict(
        {i: s.value for i, s in enumerate(_STATUS_CODES)}, return_dtype=pl.Utf8
    )
    return out.with_columns(
        status,
        pl.Series("indicative_limit_fen", np.where(code == 0, limit, 0), dtype=pl.Int64),
        pl.Series("rate_bp", rate, dtype=pl.Int64).set(pl.Series(~priced), None),
    )
