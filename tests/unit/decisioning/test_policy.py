"""Credit policy documents: validation, evaluation, limits and pricing, diff (pure)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from puhui.decisioning.features import FEATURE_BY_NAME
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.policy import (
    CEILING_FEN,
    DecisionInputs,
    PolicyDocument,
    case_inputs,
    compile_policy,
    decide,
    validate_document,
)
from puhui.decisioning.policy_diff import diff_documents

WAN = 1_000_000  # 10,000 yuan in fen


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return seed_document()


def _doc(data: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument.model_validate(data)


def _inputs(doc: PolicyDocument, pd: float = 0.01, **features: Any) -> DecisionInputs:
    base = next(t for t in doc.tests if t.name.startswith("干净企业"))
    case = base.model_copy(update={"pd": pd, "features": features})
    return case_inputs(doc, case)


def _table(data: dict[str, Any], stage: str) -> dict[str, Any]:
    return next(
        n["content"]
        for n in data["graph"]["nodes"]
        if n.get("content", {}).get("outputPath") == stage
    )


def test_the_seed_policy_is_valid_and_passes_its_tests(seed: dict[str, Any]) -> None:
    result = validate_document(seed)
    assert result.ok, result.to_dict()
    assert len(result.tests) >= 20
    assert all(t.passed for t in result.tests)


def _cell(stage: str, column: str, value: str) -> Any:
    return lambda d: _table(d, stage)["rules"][0].update({column: value})


def _drop_node(node_id: str) -> Any:
    def edit(d: dict[str, Any]) -> None:
        d["graph"]["nodes"] = [n for n in d["graph"]["nodes"] if n["id"] != node_id]

    return edit


INVALID_EDITS: list[tuple[Any, str]] = [
    (_cell("knockouts", "t_knockouts_in_0", "== (("), "ko_dishonest"),
    (lambda d: _table(d, "knockouts")["inputs"][0].update({"field": "nope"}), "nope"),
    (_cell("knockouts", "t_knockouts_out_0", "'NO_TEXT_CODE'"), "code"),
    (_cell("knockouts", "t_knockouts_out_1", "'maybe'"), "action"),
    (lambda d: _table(d, "knockouts").update({"hitPolicy": "first"}), "knockouts"),
    (lambda d: _table(d, "grading").update({"passThrough": False}), "grading"),
    (_cell("pricing", "t_pricing_out_0", "'cheap'"), "spread_bp"),
    (_drop_node("t_anti_fraud"), "anti_fraud"),
    (lambda d: d["reasons"].pop("LIMIT_BY_CEILING"), "LIMIT_BY_CEILING"),
    (lambda d: d["parameters"].update({"ceiling_fen": CEILING_FEN + 1}), "ceiling_fen"),
    (lambda d: d.update({"tests": []}), "tests"),
]


@pytest.mark.parametrize(("edit", "where"), INVALID_EDITS)
def test_invalid_documents_are_refused_with_the_place(
    seed: dict[str, Any], edit: Any, where: str
) -> None:
    data = copy.deepcopy(seed)
    edit(data)
    result = validate_document(data)
    assert not result.ok
    assert any(where in i.where for i in result.issues), [i.to_dict() for i in result.issues]
    assert all(i.message_zh and i.message_en for i in result.issues)


def test_a_failing_embedded_test_makes_the_document_invalid(seed: dict[str, Any]) -> None:
    data = copy.deepcopy(seed)
    data["parameters"]["lpr_bp"] = 320
    result = validate_document(data)
    assert not result.ok and not result.issues
    failed = [t for t in result.tests if not t.passed]
    assert failed and "rate" in failed[0].problems[0]


def test_decline_wins_over_refer_and_reasons_come_in_both_languages(seed: dict[str, Any]) -> None:
    doc = _doc(seed)
    out = decide(compile_policy(doc), _inputs(doc, dishonest_debtor=True, phone_enterprise_count=9))
    assert out.outcome == "decline"
    assert out.limit_fen == 0 and out.rate_bp is None
    assert out.reasons[0].code == "KO_DISHONEST_DEBTOR"
    assert out.reasons[0].zh.startswith("企业被列入失信") and "dishonest" in out.reasons[0].en
    assert {h.code for h in out.hits} >= {"KO_DISHONEST_DEBTOR", "AF_SHARED_PHONE"}


def test_limit_is_the_smallest_cap_rounded_down(seed: dict[str, Any]) -> None:
    doc = _doc(seed)
    policy = compile_policy(doc)
    # 3 x monthly sales of 1,234,567.89 yuan/12 ... rounded down to 10,000 yuan
    out = decide(policy, _inputs(doc, sales_12m_fen=123_456_789, requested_amount_fen=500 * WAN))
    assert out.limit_calc is not None and out.limit_calc.binding == "by_sales"
    assert out.limit_fen == 30 * WAN  # 308,641.97 yuan -> 300,000
    assert out.limit_fen % doc.parameters.limit_round_fen == 0
    # the ceiling counts the borrower's existing lines, the group cap the whole group
    out = decide(
        policy,
        _inputs(doc, sales_12m_fen=5_000 * WAN * 12, borrower_exposure_fen=995 * WAN,
                requested_amount_fen=100 * WAN),
    )  # fmt: skip
    assert out.limit_fen == 5 * WAN and out.limit_calc and out.limit_calc.binding == "ceiling"
    out = decide(
        policy,
        _inputs(doc, sales_12m_fen=5_000 * WAN * 12, borrower_exposure_fen=100 * WAN,
                group_exposure_fen=1_390 * WAN, requested_amount_fen=100 * WAN),
    )  # fmt: skip
    assert out.limit_fen == 10 * WAN and out.limit_calc and out.limit_calc.binding == "group_cap"


def test_no_limit_ever_exceeds_a_cap(seed: dict[str, Any]) -> None:
    """Whatever the sales, the request and the exposures: limit <= every cap."""
    import random

    doc = _doc(seed)
    policy = compile_policy(doc)
    rng = random.Random(7)
    p = doc.parameters
    for _ in range(300):
        own = rng.choice([0, rng.randrange(0, 1_100 * WAN)])
        group = rng.choice([0, rng.randrange(0, 1_600 * WAN)])
        requested = rng.randrange(1, 1_200 * WAN)
        inputs = _inputs(
            doc,
            pd=rng.choice([0.01, 0.03, 0.05, 0.09]),
            sales_12m_fen=rng.randrange(0, 20_000 * WAN),
            borrower_exposure_fen=own,
            group_exposure_fen=group,
            requested_amount_fen=requested,
        )
        inputs = inputs.model_copy(update={"requested_amount_fen": requested})
        out = decide(policy, inputs)
        if out.outcome == "decline":
            assert out.limit_fen == 0
            continue
        assert out.limit_fen <= requested
        assert out.limit_fen + own <= p.ceiling_fen
        assert out.limit_fen + own + group <= p.group_cap_fen
        assert out.limit_fen <= doc.products["weiyedai"].cap_fen
        assert out.limit_fen >= inputs.product.min_amount_fen
        assert inputs.product.min_rate_bp <= (out.rate_bp or 0) <= inputs.product.max_rate_bp


def test_rate_is_lpr_plus_spread_within_the_product_bounds(seed: dict[str, Any]) -> None:
    data = copy.deepcopy(seed)
    doc = _doc(data)
    out = decide(compile_policy(doc), _inputs(doc, pd=0.03))
    assert out.grade == "B" and out.rate_bp == doc.parameters.lpr_bp + 120
    inputs = _inputs(doc, pd=0.03)
    narrow = inputs.model_copy(
        update={"product": inputs.product.model_copy(update={"max_rate_bp": 400})}
    )
    out = decide(compile_policy(doc), narrow)
    assert out.rate_bp == 400 and "RATE_CAPPED" in {h.code for h in out.hits}


def test_missing_values_never_trigger_a_rule(seed: dict[str, Any]) -> None:
    doc = _doc(seed)
    features = dict.fromkeys(FEATURE_BY_NAME)
    inputs = _inputs(doc).model_copy(
        update={"features": {**features, "sales_12m_fen": 600 * WAN * 12}}
    )
    out = decide(compile_policy(doc), inputs)
    assert [h.code for h in out.hits if h.action != "flag"] == []


def test_decisions_are_deterministic_and_survive_json(seed: dict[str, Any]) -> None:
    doc = _doc(seed)
    policy = compile_policy(doc)
    inputs = _inputs(doc, pd=0.0437, declared_to_tax_ratio=2.5, sales_trend_6m=-0.1234)
    again = DecisionInputs.model_validate(json.loads(json.dumps(inputs.model_dump(mode="json"))))
    assert again == inputs
    assert decide(policy, again).to_dict() == decide(policy, inputs).to_dict()


def test_diff_is_rule_level(seed: dict[str, Any]) -> None:
    old = _doc(seed)
    data = copy.deepcopy(seed)
    data["parameters"]["lpr_bp"] = 290
    ko = _table(data, "knockouts")
    ko["rules"] = [r for r in ko["rules"] if r["_id"] != "ko_abnormal"]
    new_rule = dict(ko["rules"][0], _id="ko_new", _description="new")
    ko["rules"].append(new_rule)
    ko["rules"][0]["t_knockouts_in_0"] = ""
    ko["rules"][0]["t_knockouts_in_6"] = "< 6"
    diff = diff_documents(old, _doc(data))
    got = {(c.kind, c.where, c.key) for c in diff.changes}
    assert ("changed", "parameters", "lpr_bp") in got
    assert ("removed", "tables.knockouts.rules", "ko_abnormal") in got
    assert ("added", "tables.knockouts.rules", "ko_new") in got
    assert ("changed", "tables.knockouts.rules", "ko_dishonest") in got
    changed = next(c for c in diff.changes if c.key == "ko_dishonest")
    assert changed.old["dishonest_debtor"] == "== true"
    assert changed.new["enterprise_age_months"] == "< 6"
    text = diff.render()
    assert "- tables.knockouts.rules ko_abnormal" in text
    assert "+ tables.knockouts.rules ko_new" in text
    assert diff_documents(old, old).empty
