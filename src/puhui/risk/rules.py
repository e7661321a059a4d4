"""Warning rules as a versioned JDM document (预警规则): signal hits -> 红/橙/黄 with reasons. Pure.

A rules document (JSON, ``RulesDocument``; the seed is ``rules/default.json``) holds

* ``version`` and ``signal_set_version`` - the rules are written against one signal set;
* ``signal_parameters`` - overrides of the signals' default parameters by signal code
  (``puhui.risk.signals.SIGNALS``), so a threshold change is a new rules version, not code;
* ``graph`` - a GoRules JDM graph evaluated by ``zen-engine`` (the machinery of the credit
  policies, ``puhui.decisioning.policy``). One decision table with ``outputPath`` ``warnings``
  and hit policy ``collect`` writes rows ``{code, level}``; ``level`` is ``red``, ``orange`` or
  ``yellow``. The table reads, for every signal code ``c``: ``c`` (true when it fired) and
  ``c_value`` (its value or null), plus ``hit_count`` (signals fired), ``family_count`` (distinct
  source families among them) and ``families_excluding_behaviour``;
* ``reasons`` - the zh/en text of every rule code;
* ``tests`` - cases (signals fired with values -> expected level and codes) the document must
  pass before anyone may approve it.

``evaluate_warning(doc, hits)`` gives the most severe level of the rows collected and their
reasons, most severe first; no row -> level ``None``. The same document and the same hits always
give the same warning, so a stored evaluation can be replayed under another version.
Maker-checker, diff and activation of documents live in the risk service (database side).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import zen
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from puhui.core.canonical import canonical_json
from puhui.decisioning.policy import ReasonText
from puhui.risk.signals import SIGNAL_SET_VERSION, SIGNALS, SignalHit

FORMAT = "puhui.warning-rules"
DEFAULT_RULES_PATH = Path(__file__).with_name("rules") / "default.json"
OUTPUT_PATH = "warnings"
LEVELS: tuple[Literal["red", "orange", "yellow"], ...] = ("red", "orange", "yellow")
LEVEL_RANK = {"red": 3, "orange": 2, "yellow": 1}
LEVEL_LABELS = {"red": ("红色预警", "Red"), "orange": ("橙色预警", "Orange"),
                "yellow": ("黄色预警", "Yellow")}  # fmt: skip
Level = Literal["red", "orange", "yellow"]


@dataclass(frozen=True)
class WarningReason:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Warning:  # the business word; shadows the builtin only inside this module
    level: Level | None
    reasons: list[WarningReason] = field(default_factory=list)
    levels_by_code: Mapping[str, Level] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesTestCase(_Strict):
    name: str = Field(min_length=1, max_length=120)
    signals: dict[str, float | None] = Field(
        default_factory=dict, description="signal code -> its value (null when it has none)"
    )
    expect_level: Level | None
    expect_codes: list[str] = Field(default_factory=list, description="codes among the reasons")


class RulesDocument(_Strict):
    format: Literal["puhui.warning-rules"] = "puhui.warning-rules"
    format_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    version: int = Field(ge=1)
    signal_set_version: str
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    description: str = ""
    signal_parameters: dict[str, dict[str, float]] = Field(default_factory=dict)
    reasons: dict[str, ReasonText]
    graph: dict[str, Any]
    tests: list[RulesTestCase] = Field(default_factory=list)

    def canonical(self) -> bytes:
        return canonical_json(self.model_dump(mode="json"))

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def parse_rules(data: Mapping[str, Any] | RulesDocument | str | bytes) -> RulesDocument:
    if isinstance(data, RulesDocument):
        return data
    if isinstance(data, str | bytes):
        return RulesDocument.model_validate_json(data)
    return RulesDocument.model_validate(dict(data))


def load_default_rules() -> dict[str, Any]:
    """The seed document as JSON data."""
    data: dict[str, Any] = json.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return data


# ----------------------------------------------------------------------------- compilation


class CompiledRules:
    """A parsed document with its zen decision, ready to evaluate (thread-safe)."""

    def __init__(self, document: RulesDocument) -> None:
        self.document = document
        self.sha256 = document.sha256()
        self.decision = zen.ZenEngine().create_decision(json.dumps(document.graph))
        self.decision.validate()

    def rows(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = self.decision.evaluate(dict(context))["result"]
        rows = result.get(OUTPUT_PATH) or []
        return [rows] if isinstance(rows, dict) else list(rows)


_compiled: dict[str, CompiledRules] = {}
_lock = threading.Lock()


def compile_rules(data: Mapping[str, Any] | RulesDocument | CompiledRules) -> CompiledRules:
    """The compiled rules, cached per process by the document's SHA-256 (a loop evaluating many
    enterprises compiles once and passes the ``CompiledRules`` on)."""
    if isinstance(data, CompiledRules):
        return data
    document = parse_rules(data)
    key = document.sha256()
    compiled = _compiled.get(key)
    if compiled is None:
        with _lock:
            compiled = _compiled.get(key)
            if compiled is None:
                compiled = CompiledRules(document)
                _compiled[key] = compiled
    return compiled


# ----------------------------------------------------------------------------- evaluation


def rules_context(values: Mapping[str, float | None]) -> dict[str, Any]:
    """The graph's input from the fired signals (code -> value)."""
    context: dict[str, Any] = {}
    for code in SIGNALS:
        context[code] = code in values
        context[f"{code}_value"] = values.get(code)
    families = {SIGNALS[c].family for c in values if c in SIGNALS}
    context["hit_count"] = len(values)
    context["family_count"] = len(families)
    context["families_excluding_behaviour"] = len(families - {"behaviour"})
    return context


def _warning(doc: RulesDocument, rows: Sequence[Mapping[str, Any]]) -> Warning:
    best: dict[str, Level] = {}
    for row in rows:
        code, level = str(row.get("code")), row.get("level")
        if level not in LEVEL_RANK:
            raise ValueError(f"rule {code} gives an unknown level {level!r}")
        if code not in best or LEVEL_RANK[level] > LEVEL_RANK[best[code]]:
            best[code] = level
    ordered = sorted(best, key=lambda c: -LEVEL_RANK[best[c]])  # stable: table order within
    reasons = []
    for code in ordered:
        text = doc.reasons.get(code)
        reasons.append(WarningReason(code, text.zh if text else code, text.en if text else code))
    level = best[ordered[0]] if ordered else None
    return Warning(level, reasons, dict(best))


def evaluate_values(
    rules_doc: Mapping[str, Any] | RulesDocument | CompiledRules,
    values: Mapping[str, float | None],
) -> Warning:
    """The warning for fired signals given as code -> value (used by the document's tests)."""
    compiled = compile_rules(rules_doc)
    return _warning(compiled.document, compiled.rows(rules_context(values)))


def evaluate_warning(
    rules_doc: Mapping[str, Any] | RulesDocument | CompiledRules, hits: Sequence[SignalHit]
) -> Warning:
    """The warning level and its reasons for the signal hits of one enterprise-month."""
    return evaluate_values(rules_doc, {hit.code: hit.value for hit in hits})


def signal_parameters(rules_doc: Mapping[str, Any] | RulesDocument) -> dict[str, dict[str, float]]:
    """The document's overrides of signal parameters, for ``signals.evaluate_signals``."""
    return {k: dict(v) for k, v in parse_rules(rules_doc).signal_parameters.items()}


# ----------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class RulesTestResult:
    name: str
    passed: bool
    level: str | None
    codes: list[str]


def run_tests(rules_doc: Mapping[str, Any] | RulesDocument) -> list[RulesTestResult]:
    document = parse_rules(rules_doc)
    results = []
    for case in document.tests:
        warning = evaluate_values(document, case.signals)
        passed = warning.level == case.expect_level and set(case.expect_codes) <= set(warning.codes)
        results.append(RulesTestResult(case.name, passed, warning.level, warning.codes))
    return results


def validate_rules(data: Mapping[str, Any] | str | bytes) -> list[str]:
    """Problems of a rules document, in English (empty when it may be submitted): its shape,
    the signal set it names, parameters of unknown signals, codes without text, the graph's
    compilation, and its embedded tests."""
    try:
        document = parse_rules(data)
    except ValidationError as exc:
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    issues: list[str] = []
    if document.signal_set_version != SIGNAL_SET_VERSION:
        issues.append(f"written for signal set {document.signal_set_version}, "
                      f"the code has {SIGNAL_SET_VERSION}")  # fmt: skip
    for code, params in document.signal_parameters.items():
        if code not in SIGNALS:
            issues.append(f"signal_parameters: unknown signal {code}")
        elif unknown := set(params) - set(SIGNALS[code].parameters):
            issues.append(f"signal_parameters.{code}: unknown parameters {sorted(unknown)}")
    for case in document.tests:
        if unknown := set(case.signals) - set(SIGNALS):
            issues.append(f"test {case.name}: unknown signals {sorted(unknown)}")
    try:
        compiled = compile_rules(document)
    except Exception as exc:  # zen raises its own error types for a broken graph
        return [*issues, f"graph does not compile: {str(exc).splitlines()[0]}"]
    issues.extend(_missing_texts(compiled))
    if not issues:
        issues.extend(f"test fails: {r.name} (got {r.level}, {r.codes})"
                      for r in run_tests(document) if not r.passed)  # fmt: skip
    return issues


def _missing_texts(compiled: CompiledRules) -> list[str]:
    issues = []
    for node in compiled.document.graph.get("nodes", []):
        content = node.get("content") or {}
        outputs = {o["id"]: o["field"] for o in content.get("outputs", [])}
        for rule in content.get("rules", []):
            for column, name in outputs.items():
                cell = str(rule.get(column, "")).strip("'\"")
                if name == "code" and cell not in compiled.document.reasons:
                    issues.append(f"rule {rule.get('_id')}: code {cell} has no reason text")
                if name == "level" and cell not in LEVEL_RANK:
                    issues.append(f"rule {rule.get('_id')}: unknown level {cell}")
    return issues
