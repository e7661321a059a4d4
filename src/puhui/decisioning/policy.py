"""Credit policy as data: the document, its validation and its evaluation. Pure. (The diff of
two documents: `policy_diff.py`.)

A policy document (JSON, `PolicyDocument`) holds

* `parameters` - LPR, the 普惠 ceiling, the related-party group cap, rounding, review thresholds;
* `products` - per product code: enabled, the policy's cap, the default term and method;
* `graph` - a GoRules JDM graph (editable in the GoRules editor) evaluated by `zen-engine`. Its
  decision tables write to fixed output paths, one per stage:

  | outputPath    | hit policy | outputs                         | meaning                        |
  |---------------|------------|---------------------------------|--------------------------------|
  | `knockouts`   | collect    | `code`, `action`                | hard rules                     |
  | `cross_checks`| collect    | `code`, `action`                | declared vs tax vs utilities   |
  | `anti_fraud`  | collect    | `code`, `action`                | shared phone/rep, bursts, shells|
  | `grading`     | first      | `grade` (+ `code`, `action`)    | PD band -> risk grade          |
  | `pricing`     | first      | `spread_bp`, `limit_multiple_bp`| grade -> price and limit factor|

  `action` is `decline`, `refer` or `flag` (recorded, no effect). The tables read the features
  (`puhui.decisioning.features`), `pd`, `score_points` and `product_code`.
* `models` (optional) - champion/challenger: which model decides (`scorecard`, the default, or
  `challenger`) and which, if any, shadows (scored and recorded on every decision, deciding
  nothing). Both models' points, PD and reasons are stored in the decision's inputs
  (`DecisionInputs.scores`), so replay under a document that names the other model re-decides
  with that model's stored score (`deciding_score`);
* `reasons` - the Chinese and English text of every code;
* `tests` - cases the document must pass before anyone may approve it.

`decide(policy, inputs)` turns the table hits and the limit and price arithmetic (integer fen,
Decimal, rounding down to the policy's step, so no cap is ever exceeded) into an outcome:
any `decline` hit declines, else any `refer` hit refers, else the application is approved with
`limit = min(k x monthly sales, requested, product cap, ceiling room, group room)` and
`rate = LPR + spread` within the product's bounds. The same inputs and the same document always
give the same outcome, which is what makes stored decisions replayable.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal, NamedTuple

import zen
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from puhui.core.canonical import canonical_json
from puhui.decisioning.features import FEATURE_BY_NAME, FeatureValue
from puhui.decisioning.jdm import Issue, Table, tables_of
from puhui.decisioning.model_choice import ModelChoice

FORMAT = "puhui.credit-policy"
CEILING_FEN = 10_000_000 * 100  # 普惠: at most 10 million CNY per borrower
OUTCOMES = ("approve", "decline", "refer")
ACTIONS = ("decline", "refer", "flag")
COLLECT_STAGES = ("knockouts", "cross_checks", "anti_fraud")
FIRST_STAGES = ("grading", "pricing")
STAGES = (*COLLECT_STAGES, *FIRST_STAGES)
STAGE_OUTPUTS: dict[str, tuple[str, ...]] = {
    "knockouts": ("code", "action"),
    "cross_checks": ("code", "action"),
    "anti_fraud": ("code", "action"),
    "grading": ("grade",),
    "pricing": ("spread_bp", "limit_multiple_bp"),
}
STAGE_HIT: dict[str, str] = {**dict.fromkeys(COLLECT_STAGES, "collect"), "grading": "first",
                             "pricing": "first"}  # fmt: skip
# Codes the engine itself may emit; every policy must give them a text.
BUILTIN_CODES = (
    "LIMIT_BELOW_MINIMUM",
    "LIMIT_BY_SALES",
    "LIMIT_BY_PRODUCT_CAP",
    "LIMIT_BY_CEILING",
    "LIMIT_BY_GROUP_CAP",
    "AMOUNT_ABOVE_AUTO_APPROVAL",
    "RATE_CAPPED",
    "NO_GRADE",
)
EXTRA_CONTEXT = ("pd", "score_points", "product_code")

Outcome = Literal["approve", "decline", "refer"]
Action = Literal["decline", "refer", "flag"]


# --------------------------------------------------------------------------- document


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyParameters(_Strict):
    lpr_bp: int = Field(ge=0, le=2_000, description="1-year loan prime rate, basis points")
    ceiling_fen: int = Field(gt=0, le=CEILING_FEN, description="普惠 ceiling per borrower")
    group_cap_fen: int = Field(gt=0, description="cap of a related-party group's total lines")
    limit_round_fen: int = Field(default=1_000_000, gt=0, description="limits are multiples")
    auto_approve_max_fen: int = Field(gt=0, description="larger limits go to manual review")
    dual_control_above_fen: int = Field(
        gt=0, description="a manual approval above this needs a second officer"
    )
    review_sla_hours: int = Field(default=24, ge=1, le=24 * 14)
    green_channel_sla_hours: int = Field(default=4, ge=1, le=24 * 14)
    guarantor_above_fen: int | None = Field(
        default=None,
        gt=0,
        description="a line above this limit is activated only once a guarantee covering "
        "its limit is signed (none: no guarantor required)",
    )

    @model_serializer(mode="wrap")
    def _without_unset_guarantor(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Documents without a guarantor limit dump (and hash) as before the field existed."""
        data: dict[str, Any] = handler(self)
        if data.get("guarantor_above_fen") is None:
            data.pop("guarantor_above_fen", None)
        return data


class ProductPolicy(_Strict):
    enabled: bool = True
    cap_fen: int = Field(gt=0, le=CEILING_FEN)
    term_months: int = Field(ge=1, le=360)
    repayment_method: str = Field(min_length=1, max_length=32)
    line_term_months: int = Field(default=12, ge=1, le=60, description="the line's validity")


class ReasonText(_Strict):
    zh: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=300)


class TestProduct(_Strict):
    """Product terms assumed by the embedded tests (the live ones come from lending)."""

    min_amount_fen: int = 100_000
    max_limit_fen: int = CEILING_FEN
    min_rate_bp: int = 300
    max_rate_bp: int = 1_800
    min_term_months: int = 1
    max_term_months: int = 36
    repayment_methods: tuple[str, ...] = (
        "interest_first",
        "equal_instalment",
        "equal_principal",
        "bullet",
    )


class TestExpectation(_Strict):
    outcome: Outcome
    codes: list[str] = Field(default_factory=list, description="codes that must be among hits")
    absent_codes: list[str] = Field(default_factory=list)
    grade: str | None = None
    limit_fen: int | None = None
    rate_bp: int | None = None


class PolicyTestCase(_Strict):
    name: str = Field(min_length=1, max_length=120)
    product_code: str
    features: dict[str, FeatureValue] = Field(default_factory=dict)
    pd: float = Field(ge=0, le=1)
    score_points: int = 600
    requested_term_months: int | None = None
    product: TestProduct = Field(default_factory=TestProduct)
    expect: TestExpectation


class PolicyDocument(_Strict):
    format: Literal["puhui.credit-policy"] = "puhui.credit-policy"
    format_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    description: str = ""
    parameters: PolicyParameters
    products: dict[str, ProductPolicy]
    reasons: dict[str, ReasonText]
    graph: dict[str, Any]
    test_defaults: dict[str, FeatureValue] = Field(default_factory=dict)
    tests: list[PolicyTestCase] = Field(default_factory=list)
    models: ModelChoice | None = None

    def canonical(self) -> bytes:
        data = self.model_dump(mode="json")
        if data.get("models") is None:  # documents without the field keep their old hash
            data.pop("models", None)
        return canonical_json(data)

    @property
    def model_choice(self) -> ModelChoice:
        return self.models or ModelChoice()

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


# --------------------------------------------------------------------------- validation


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else text


def _literal(expression: str) -> Any:
    try:
        return zen.evaluate_expression(expression)
    except Exception:
        return None


def _check_tables(doc: PolicyDocument, issues: list[Issue]) -> None:
    nodes = doc.graph.get("nodes")
    if not isinstance(nodes, list) or not isinstance(doc.graph.get("edges"), list):
        issues.append(Issue("graph", "图缺少 nodes 或 edges。", "The graph needs nodes and edges."))
        return
    kinds = [n.get("type") for n in nodes if isinstance(n, Mapping)]
    if kinds.count("inputNode") != 1 or kinds.count("outputNode") != 1:
        issues.append(
            Issue(
                "graph",
                "图须恰有一个输入节点和一个输出节点。",
                "The graph needs exactly one input node and one output node.",
            )
        )
    tables = tables_of(doc.graph)
    for stage in STAGES:
        table = tables.get(stage)
        if table is None:
            issues.append(
                Issue(
                    f"graph.{stage}",
                    f"缺少决策表 {stage}。",
                    f"The decision table {stage} is missing.",
                )
            )
            continue
        _check_table_shape(stage, table, issues)
        _check_rules(doc, stage, table, issues)


def _check_table_shape(stage: str, table: Table, issues: list[Issue]) -> None:
    """A stage's table: its hit policy, pass-through, output columns, and input columns that
    read known features."""
    where = f"graph.{stage}"
    if table.hit_policy != STAGE_HIT[stage]:
        issues.append(
            Issue(
                where,
                f"决策表 {stage} 的命中策略应为 {STAGE_HIT[stage]}。",
                f"The hit policy of {stage} must be {STAGE_HIT[stage]}.",
            )
        )
    if stage in FIRST_STAGES and not table.pass_through:
        issues.append(
            Issue(
                where,
                f"决策表 {stage} 须开启 passThrough，等级才能传到输出。",
                f"The decision table {stage} needs passThrough (the grade must reach the output).",
            )
        )
    fields = {str(o.get("field")) for o in table.outputs}
    for needed in STAGE_OUTPUTS[stage]:
        if needed not in fields:
            issues.append(
                Issue(
                    where,
                    f"决策表 {stage} 缺少输出列 {needed}。",
                    f"The decision table {stage} lacks the output column {needed}.",
                )
            )
    for col in table.inputs:
        fld = col.get("field")
        if fld and str(fld).split(".")[0] not in FEATURE_BY_NAME | dict.fromkeys(
            (*EXTRA_CONTEXT, "grading")
        ):
            issues.append(
                Issue(
                    f"{where}.inputs.{fld}",
                    f"输入列引用了未知特征 {fld}。",
                    f"An input column reads the unknown feature {fld}.",
                )
            )


def _check_rules(doc: PolicyDocument, stage: str, table: Table, issues: list[Issue]) -> None:
    """Each rule of a stage's table: a unique _id, conditions that parse, outputs that are
    valid for their column, and no cell of an unknown column."""
    input_ids = {str(c.get("id")): c for c in table.inputs}
    output_ids = {str(c.get("id")): c for c in table.outputs}
    seen: set[str] = set()
    for i, rule in enumerate(table.rules):
        rid = str(rule.get("_id", ""))
        rwhere = f"graph.{stage}.rules[{rid or i}]"
        if not rid or rid in seen:
            issues.append(Issue(rwhere, "规则缺少唯一的 _id。", "A rule lacks a unique _id."))
        seen.add(rid)
        for key, cell in rule.items():
            if key in ("_id", "_description"):
                continue
            text = str(cell or "").strip()
            if key in input_ids:
                if text:
                    _check_condition(input_ids[key], text, f"{rwhere}.{key}", issues)
            elif key in output_ids:
                _check_output(doc, stage, output_ids[key], text, rwhere, issues)
            else:
                issues.append(
                    Issue(
                        f"{rwhere}.{key}",
                        f"规则引用了不存在的列 {key}。",
                        f"The rule names the unknown column {key}.",
                    )
                )


def _check_condition(column: Mapping[str, Any], text: str, where: str, issues: list[Issue]) -> None:
    """A condition cell parses: a unary test on the column's field, or a full expression for a
    column without one."""
    try:
        if column.get("field"):
            zen.compile_unary_expression(text)
        else:
            zen.compile_expression(text)
    except Exception as exc:
        issues.append(
            Issue(
                where,
                f"条件 “{text}” 无法解析：{_first_line(str(exc))}",
                f"The condition '{text}' does not parse: {_first_line(str(exc))}",
            )
        )


def _check_output(
    doc: PolicyDocument,
    stage: str,
    column: Mapping[str, Any],
    text: str,
    where: str,
    issues: list[Issue],
) -> None:
    fld = str(column.get("field"))
    try:
        zen.compile_expression(text or "null")
    except Exception as exc:
        issues.append(
            Issue(
                f"{where}.{fld}",
                f"输出 “{text}” 无法解析：{_first_line(str(exc))}",
                f"The output '{text}' does not parse: {_first_line(str(exc))}",
            )
        )
        return
    value = _literal(text) if text else None
    if fld == "action" and (text or stage in COLLECT_STAGES) and value not in ACTIONS:
        issues.append(
            Issue(
                f"{where}.action",
                "action 须为 'decline'、'refer' 或 'flag'。",
                "action must be 'decline', 'refer' or 'flag'.",
            )
        )
    if fld == "code" and (text or stage in COLLECT_STAGES):
        _check_code(doc, value, where, issues)
    number = _int_or_none(value)
    if fld in ("spread_bp", "limit_multiple_bp") and not (
        number is not None and 0 <= number <= 100_000
    ):
        issues.append(
            Issue(
                f"{where}.{fld}",
                f"{fld} 须为 0 到 100000 之间的整数常量。",
                f"{fld} must be an integer literal from 0 to 100000.",
            )
        )


def _check_code(doc: PolicyDocument, value: Any, where: str, issues: list[Issue]) -> None:
    """A `code` output must be a string literal with text in the document's reasons."""
    if not isinstance(value, str) or not value:
        issues.append(
            Issue(f"{where}.code", "code 须为字符串常量。", "code must be a string literal.")
        )
    elif value not in doc.reasons:
        issues.append(
            Issue(
                f"{where}.code",
                f"原因代码 {value} 没有中英文说明（reasons）。",
                f"The reason code {value} has no text in reasons.",
            )
        )


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    outcome: str
    codes: tuple[str, ...]
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "outcome": self.outcome,
            "codes": list(self.codes),
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class ValidationResult:
    document: PolicyDocument | None
    issues: tuple[Issue, ...]
    tests: tuple[TestResult, ...] = ()

    @property
    def ok(self) -> bool:
        return self.document is not None and not self.issues and all(t.passed for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "issues": [i.to_dict() for i in self.issues],
            "tests": [t.to_dict() for t in self.tests],
        }


def parse_document(
    data: Mapping[str, Any] | str | bytes,
) -> tuple[PolicyDocument | None, list[Issue]]:
    """Parse a document; schema errors become issues."""
    try:
        raw = json.loads(data) if isinstance(data, str | bytes) else dict(data)
    except ValueError as exc:
        return None, [Issue("document", f"不是合法的 JSON：{exc}", f"Not valid JSON: {exc}")]
    try:
        return PolicyDocument.model_validate(raw), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "document"
            msg = str(err.get("msg", "invalid"))
            issues.append(Issue(where, f"字段无效：{msg}", f"Invalid field: {msg}"))
        return None, issues


def validate_document(data: Mapping[str, Any] | str | bytes | PolicyDocument) -> ValidationResult:
    """Parse, check the structure, compile with zen, and run the embedded tests."""
    if isinstance(data, PolicyDocument):
        doc: PolicyDocument | None = data
        issues: list[Issue] = []
    else:
        doc, issues = parse_document(data)
    if doc is None:
        return ValidationResult(None, tuple(issues))
    for code in BUILTIN_CODES:
        if code not in doc.reasons:
            issues.append(
                Issue(
                    f"reasons.{code}",
                    f"缺少内置原因代码 {code} 的说明。",
                    f"The built-in reason code {code} needs a text.",
                )
            )
    for code, product in doc.products.items():
        if product.cap_fen > doc.parameters.ceiling_fen:
            issues.append(
                Issue(
                    f"products.{code}.cap_fen",
                    "产品额度上限不得超过普惠单户上限。",
                    "A product cap may not exceed the per-borrower ceiling.",
                )
            )
    if not doc.tests:
        issues.append(
            Issue("tests", "策略须至少包含一个测试用例。", "A policy needs at least one test case.")
        )
    _check_tables(doc, issues)
    if issues:
        return ValidationResult(doc, tuple(issues))
    try:
        compiled = compile_policy(doc)
    except Exception as exc:
        return ValidationResult(
            doc,
            (
                Issue(
                    "graph",
                    f"规则图无法编译：{_first_line(str(exc))}",
                    f"The graph does not compile: {_first_line(str(exc))}",
                ),
            ),
        )
    return ValidationResult(doc, (), tuple(run_tests(compiled)))


# --------------------------------------------------------------------------- compilation


class CompiledPolicy:
    """A validated document with its zen decision, ready to evaluate (thread-safe)."""

    def __init__(self, document: PolicyDocument) -> None:
        self.document = document
        self.sha256 = document.sha256()
        self.decision = zen.ZenEngine().create_decision(json.dumps(document.graph))
        self.decision.validate()

    def evaluate_graph(self, context: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.decision.evaluate(dict(context))["result"]
        return result


_compiled_cache: dict[str, CompiledPolicy] = {}
_cache_lock = threading.Lock()


def compile_policy(document: PolicyDocument) -> CompiledPolicy:
    """The compiled policy, cached per process by the document's SHA-256."""
    key = document.sha256()
    compiled = _compiled_cache.get(key)
    if compiled is None:
        with _cache_lock:
            compiled = _compiled_cache.get(key)
            if compiled is None:
                compiled = CompiledPolicy(document)
                _compiled_cache[key] = compiled
    return compiled


# --------------------------------------------------------------------------- evaluation


class ProductTerms(_Strict):
    """What the decision needs to know of a lending product (stored with the decision)."""

    code: str
    min_amount_fen: int
    max_limit_fen: int
    min_rate_bp: int
    max_rate_bp: int
    min_term_months: int
    max_term_months: int
    repayment_methods: tuple[str, ...]


class ScoreInputs(_Strict):
    points: int
    pd: float
    reasons: list[dict[str, Any]] = Field(default_factory=list)
    model_id: str | None = None
    model_version: str | None = None


class DecisionInputs(_Strict):
    """Everything `decide` reads. Stored with each decision; replay feeds it back unchanged.

    `score` is the deciding model's; `scores` holds every model scored (role -> score: the
    scorecard, and the challenger when the policy names it), so replay can decide with either.
    """

    features: dict[str, FeatureValue]
    score: ScoreInputs
    product: ProductTerms
    requested_amount_fen: int
    requested_term_months: int | None = None
    scores: dict[str, ScoreInputs] = Field(default_factory=dict)


def deciding_score(doc: PolicyDocument, inputs: DecisionInputs) -> ScoreInputs:
    """The score the document's deciding model gave (`inputs.scores[role]`); decisions stored
    before the challenger, or without that model's score, fall back to `inputs.score`."""
    return inputs.scores.get(doc.model_choice.decides, inputs.score)


@dataclass(frozen=True)
class RuleHit:
    stage: str
    code: str
    action: str

    def to_dict(self) -> dict[str, str]:
        return {"stage": self.stage, "code": self.code, "action": self.action}


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str
    kind: Literal["rule", "score"] = "rule"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en, "kind": self.kind}


@dataclass(frozen=True)
class LimitCalculation:
    monthly_sales_fen: int
    by_sales_fen: int
    requested_fen: int
    product_cap_fen: int
    ceiling_room_fen: int
    group_room_fen: int
    binding: str
    limit_fen: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DecisionOutcome:
    outcome: Outcome
    hits: tuple[RuleHit, ...]
    grade: str | None
    spread_bp: int | None
    limit_multiple_bp: int | None
    limit_fen: int  # the offer (approve) or the proposal (refer); 0 when declined
    rate_bp: int | None
    term_months: int | None
    repayment_method: str | None
    line_term_months: int | None
    limit_calc: LimitCalculation | None
    reasons: tuple[Reason, ...]

    def summary(self) -> dict[str, Any]:
        """What replay compares: the outcome and the offered terms."""
        return {
            "outcome": self.outcome,
            "limit_fen": self.limit_fen,
            "rate_bp": self.rate_bp,
            "term_months": self.term_months,
            "codes": sorted(h.code for h in self.hits),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "hits": [h.to_dict() for h in self.hits],
            "grade": self.grade,
            "spread_bp": self.spread_bp,
            "limit_multiple_bp": self.limit_multiple_bp,
            "limit_fen": self.limit_fen,
            "rate_bp": self.rate_bp,
            "term_months": self.term_months,
            "repayment_method": self.repayment_method,
            "line_term_months": self.line_term_months,
            "limit_calc": self.limit_calc.to_dict() if self.limit_calc else None,
            "reasons": [r.to_dict() for r in self.reasons],
        }


MAX_REASONS = 4


def _context(inputs: DecisionInputs, score: ScoreInputs) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(inputs.features)
    ctx["pd"] = score.pd
    ctx["score_points"] = score.points
    ctx["product_code"] = inputs.product.code
    return ctx


def _hits(result: Mapping[str, Any]) -> list[RuleHit]:
    hits: list[RuleHit] = []
    for stage in COLLECT_STAGES:
        for row in result.get(stage) or []:
            if isinstance(row, Mapping) and row.get("code"):
                hits.append(RuleHit(stage, str(row["code"]), str(row.get("action") or "flag")))
    grading = result.get("grading")
    if isinstance(grading, Mapping) and grading.get("code") and grading.get("action"):
        hits.append(RuleHit("grading", str(grading["code"]), str(grading["action"])))
    return hits


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _limit(
    doc: PolicyDocument,
    inputs: DecisionInputs,
    product_cap_fen: int,
    multiple_bp: int,
) -> LimitCalculation:
    f = inputs.features
    sales = f.get("sales_12m_fen")
    sales_fen = sales if isinstance(sales, int) and not isinstance(sales, bool) else 0
    monthly = Decimal(sales_fen) / 12
    by_sales = int((monthly * multiple_bp / 10_000).to_integral_value(rounding=ROUND_DOWN))
    own = _as_int(f.get("borrower_exposure_fen"))
    group = _as_int(f.get("group_exposure_fen"))
    p = doc.parameters
    candidates = {
        "by_sales": by_sales,
        "requested": inputs.requested_amount_fen,
        "product_cap": product_cap_fen,
        "ceiling": p.ceiling_fen - own,
        "group_cap": p.group_cap_fen - group - own,
    }
    binding = min(candidates, key=lambda k: (candidates[k], k != "requested"))
    raw = max(0, candidates[binding])
    step = p.limit_round_fen
    limit = (raw // step) * step
    return LimitCalculation(
        monthly_sales_fen=int(monthly.to_integral_value(rounding=ROUND_DOWN)),
        by_sales_fen=by_sales,
        requested_fen=inputs.requested_amount_fen,
        product_cap_fen=product_cap_fen,
        ceiling_room_fen=candidates["ceiling"],
        group_room_fen=candidates["group_cap"],
        binding=binding,
        limit_fen=limit,
    )


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


_BINDING_CODE = {
    "by_sales": "LIMIT_BY_SALES",
    "product_cap": "LIMIT_BY_PRODUCT_CAP",
    "ceiling": "LIMIT_BY_CEILING",
    "group_cap": "LIMIT_BY_GROUP_CAP",
}


def _reason(doc: PolicyDocument, code: str) -> Reason:
    text = doc.reasons.get(code)
    if text is None:
        return Reason(code, code, code)
    return Reason(code, text.zh, text.en)


def score_reason(reason: Mapping[str, Any]) -> Reason:
    """A scorecard reason (a feature that cost points) in words."""
    name = str(reason.get("feature", ""))
    d = FEATURE_BY_NAME.get(name)
    bin_label = str(reason.get("bin", ""))
    lost = reason.get("points_lost", 0)
    zh_label = d.label_zh if d else name
    en_label = d.label_en if d else name
    zh_bin, en_bin = (f"（{bin_label}）", f" ({bin_label})") if bin_label else ("", "")
    return Reason(
        f"SCORE_{name.upper()}",
        f"{zh_label}{zh_bin}使评分降低 {lost} 分",
        f"{en_label}{en_bin} lowered the score by {lost} points",
        "score",
    )


def _grading(result: Mapping[str, Any]) -> tuple[str | None, int | None, int | None]:
    """The grade, spread and limit multiple the grading and pricing tables wrote, if any."""
    grading = result.get("grading") if isinstance(result.get("grading"), Mapping) else {}
    pricing = result.get("pricing") if isinstance(result.get("pricing"), Mapping) else {}
    grade = str(grading["grade"]) if grading and grading.get("grade") is not None else None
    spread = _int_or_none(pricing.get("spread_bp")) if pricing else None
    multiple = _int_or_none(pricing.get("limit_multiple_bp")) if pricing else None
    return grade, spread, multiple


class _Offer(NamedTuple):
    limit_calc: LimitCalculation
    rate_bp: int
    term_months: int
    repayment_method: str
    line_term_months: int


def _offer(
    doc: PolicyDocument,
    inputs: DecisionInputs,
    product_policy: ProductPolicy,
    spread: int,
    multiple: int,
    hits: list[RuleHit],
) -> _Offer:
    """Limit, rate, term and method of a graded application; appends the limit and pricing
    hits (binding cap, below minimum, above auto-approval, rate capped) to `hits`."""
    terms = inputs.product
    cap = min(terms.max_limit_fen, product_policy.cap_fen)
    limit_calc = _limit(doc, inputs, cap, multiple)
    declined = any(h.action == "decline" for h in hits)
    code = _BINDING_CODE.get(limit_calc.binding)
    if not declined and code:
        hits.append(RuleHit("limit", code, "flag"))
    if limit_calc.limit_fen < terms.min_amount_fen:
        if not declined:  # a declined case needs no second reason about its limit
            hits.append(RuleHit("limit", "LIMIT_BELOW_MINIMUM", "decline"))
    elif limit_calc.limit_fen > doc.parameters.auto_approve_max_fen:
        hits.append(RuleHit("limit", "AMOUNT_ABOVE_AUTO_APPROVAL", "refer"))
    wanted = doc.parameters.lpr_bp + spread
    rate = min(max(wanted, terms.min_rate_bp), terms.max_rate_bp)
    if rate != wanted:
        hits.append(RuleHit("pricing", "RATE_CAPPED", "flag"))
    requested_term = inputs.requested_term_months
    term = (
        requested_term
        if requested_term is not None
        and terms.min_term_months <= requested_term <= terms.max_term_months
        else min(max(product_policy.term_months, terms.min_term_months), terms.max_term_months)
    )
    method = product_policy.repayment_method
    if method not in terms.repayment_methods and terms.repayment_methods:
        method = terms.repayment_methods[0]
    return _Offer(limit_calc, rate, term, method, product_policy.line_term_months)


def _outcome(hits: list[RuleHit], offer: _Offer | None) -> Outcome:
    """Any decline hit declines; any refer hit, or no offer to make, refers; else approve."""
    actions = {h.action for h in hits}
    if "decline" in actions:
        return "decline"
    if "refer" in actions or offer is None:
        return "refer"
    return "approve"


def _reasons(
    doc: PolicyDocument, score: ScoreInputs, hits: list[RuleHit], outcome: Outcome
) -> tuple[Reason, ...]:
    """The outcome's own hits first (one per code), then the scorecard's reasons, at most
    MAX_REASONS."""
    reasons: list[Reason] = []
    primary = "decline" if outcome == "decline" else "refer" if outcome == "refer" else "flag"
    for hit in hits:
        if hit.action == primary and all(r.code != hit.code for r in reasons):
            reasons.append(_reason(doc, hit.code))
    for raw in score.reasons:
        if len(reasons) >= MAX_REASONS:
            break
        reasons.append(score_reason(raw))
    return tuple(reasons[:MAX_REASONS])


def decide(policy: CompiledPolicy, inputs: DecisionInputs) -> DecisionOutcome:
    """The outcome of one application under a policy (see the module docstring)."""
    doc = policy.document
    score = deciding_score(doc, inputs)
    result = policy.evaluate_graph(_context(inputs, score))
    hits = _hits(result)
    grade, spread, multiple = _grading(result)
    if grade is None or spread is None or multiple is None:
        hits.append(RuleHit("grading", "NO_GRADE", "refer"))

    product_policy = doc.products.get(inputs.product.code)
    offer: _Offer | None = None
    if product_policy is not None and multiple is not None and spread is not None:
        offer = _offer(doc, inputs, product_policy, spread, multiple, hits)

    outcome = _outcome(hits, offer)
    offered = offer if outcome != "decline" else None
    return DecisionOutcome(
        outcome=outcome,
        hits=tuple(hits),
        grade=grade,
        spread_bp=spread,
        limit_multiple_bp=multiple,
        limit_fen=offered.limit_calc.limit_fen if offered else 0,
        rate_bp=offered.rate_bp if offered else None,
        term_months=offered.term_months if offered else None,
        repayment_method=offered.repayment_method if offered else None,
        line_term_months=offered.line_term_months if offered else None,
        limit_calc=offer.limit_calc if offer else None,
        reasons=_reasons(doc, score, hits, outcome),
    )


# --------------------------------------------------------------------------- embedded tests


def case_inputs(doc: PolicyDocument, case: PolicyTestCase) -> DecisionInputs:
    features: dict[str, FeatureValue] = {name: None for name in FEATURE_BY_NAME}
    features.update(doc.test_defaults)
    features.update(case.features)
    requested = features.get("requested_amount_fen")
    p = case.product
    return DecisionInputs(
        features=features,
        score=ScoreInputs(points=case.score_points, pd=case.pd),
        product=ProductTerms(
            code=case.product_code,
            min_amount_fen=p.min_amount_fen,
            max_limit_fen=p.max_limit_fen,
            min_rate_bp=p.min_rate_bp,
            max_rate_bp=p.max_rate_bp,
            min_term_months=p.min_term_months,
            max_term_months=p.max_term_months,
            repayment_methods=p.repayment_methods,
        ),
        requested_amount_fen=requested if isinstance(requested, int) else 0,
        requested_term_months=case.requested_term_months,
    )


def run_tests(policy: CompiledPolicy) -> list[TestResult]:
    out: list[TestResult] = []
    for case in policy.document.tests:
        try:
            outcome = decide(policy, case_inputs(policy.document, case))
        except Exception as exc:
            out.append(TestResult(case.name, False, "error", (), (_first_line(str(exc)),)))
            continue
        codes = tuple(h.code for h in outcome.hits)
        problems: list[str] = []
        e = case.expect
        if outcome.outcome != e.outcome:
            problems.append(f"outcome {outcome.outcome} != expected {e.outcome}")
        problems += [f"missing code {c}" for c in e.codes if c not in codes]
        problems += [f"unexpected code {c}" for c in e.absent_codes if c in codes]
        if e.grade is not None and outcome.grade != e.grade:
            problems.append(f"grade {outcome.grade} != expected {e.grade}")
        if e.limit_fen is not None and outcome.limit_fen != e.limit_fen:
            problems.append(f"limit {outcome.limit_fen} != expected {e.limit_fen}")
        if e.rate_bp is not None and outcome.rate_bp != e.rate_bp:
            problems.append(f"rate {outcome.rate_bp} != expected {e.rate_bp}")
        out.append(TestResult(case.name, not problems, outcome.outcome, codes, tuple(problems)))
    return out


def document_sha256(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()
