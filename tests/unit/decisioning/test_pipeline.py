"""The pure steps of a credit decision (`puhui.decisioning.pipeline`): channel, score, decide,
the decision's row and the history's reason — no database."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from puhui.core.auth import Principal
from puhui.core.crypto import FieldCipher
from puhui.core.models import Role
from puhui.datahub.payloads import RegistryPayload
from puhui.decisioning import pipeline
from puhui.decisioning.features import FEATURE_SET_VERSION, MODEL_FEATURES
from puhui.decisioning.lifecycle import SYSTEM_NAME, PolicyRef, seed_document
from puhui.decisioning.models import Application, ApplicationStatus, Decision
from puhui.decisioning.policy import (
    CompiledPolicy,
    PolicyDocument,
    ScoreInputs,
    case_inputs,
    compile_policy,
)
from puhui.decisioning.schemas import ApplicationCreate, AttributionIn
from puhui.decisioning.scoring import LoadedModel, baseline_artifact
from puhui.parties.models import Enterprise

CIPHER = FieldCipher.from_master(b"p" * 32)
AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def doc() -> PolicyDocument:
    return PolicyDocument.model_validate(seed_document())


@pytest.fixture(scope="module")
def compiled(doc: PolicyDocument) -> CompiledPolicy:
    return compile_policy(doc)


def _decided(doc: PolicyDocument, compiled: CompiledPolicy, case_name: str) -> pipeline.Decided:
    case = next(t for t in doc.tests if t.name.startswith(case_name))
    given = case_inputs(doc, case)
    return pipeline.decide(
        compiled,
        given.product,
        given.features,
        given.score,
        requested_amount_fen=given.requested_amount_fen,
        requested_term_months=given.requested_term_months,
    )


# --------------------------------------------------------------------------- rows


@pytest.mark.parametrize(
    ("row", "model"),
    [(pipeline.ApplicationRow, Application), (pipeline.DecisionRow, Decision)],
)
def test_a_row_has_one_field_per_column_of_its_table(row: type[Any], model: type[Any]) -> None:
    fields = sorted(f.name for f in dataclasses.fields(row))
    assert fields == sorted(c.key for c in model.__table__.columns)


# --------------------------------------------------------------------------- decide


def test_decide_approves_a_clean_enterprise_under_the_seed_policy(
    doc: PolicyDocument, compiled: CompiledPolicy
) -> None:
    decided = _decided(doc, compiled, "干净企业")
    assert decided.status == ApplicationStatus.APPROVED
    assert decided.outcome.grade == "A"
    assert decided.outcome.limit_fen == 100_000_000
    assert decided.outcome.rate_bp == 350
    assert decided.inputs.features == decided.features
    assert pipeline.decision_reason(decided) == "自动审批通过"


def test_decide_declines_a_dishonest_debtor_and_names_the_rule(
    doc: PolicyDocument, compiled: CompiledPolicy
) -> None:
    decided = _decided(doc, compiled, "失信被执行人")
    assert decided.status == ApplicationStatus.DECLINED
    assert decided.outcome.limit_fen == 0
    assert pipeline.decision_reason(decided) == "自动审批拒绝 KO_DISHONEST_DEBTOR"


def test_decide_refers_above_the_automatic_approval_limit(
    doc: PolicyDocument, compiled: CompiledPolicy
) -> None:
    decided = _decided(doc, compiled, "超自动审批权限")
    assert decided.status == ApplicationStatus.REFERRED
    reason = pipeline.decision_reason(decided)
    assert reason.startswith("转人工审批 ")
    assert "AMOUNT_ABOVE_AUTO_APPROVAL" in reason
    assert all(c not in reason for c in ("LIMIT_BY_", "RATE_CAPPED"))  # flags are not reasons


# --------------------------------------------------------------------------- score


def test_score_gives_the_policy_the_artifacts_points_pd_and_reasons() -> None:
    model = LoadedModel(baseline_artifact(), "baseline")
    features: dict[str, Any] = {name: None for name in MODEL_FEATURES}
    scored = pipeline.score(model, features)
    direct = model.artifact.score({name: None for name in MODEL_FEATURES})
    assert scored.model is model
    assert scored.inputs.points == direct.points
    assert scored.inputs.pd == direct.pd
    assert [r["code"] for r in scored.inputs.reasons] == [r.code for r in direct.reasons]
    assert set(scored.inputs.reasons[0]) == {
        "code", "feature", "value", "bin", "points_lost", "contribution", "threshold", "better"
    }  # fmt: skip
    assert (scored.inputs.model_id, scored.inputs.model_version) == (model.model_id, model.version)


# --------------------------------------------------------------------------- decision row


def test_the_automated_decision_row_carries_its_lineage(
    doc: PolicyDocument, compiled: CompiledPolicy
) -> None:
    decided = _decided(doc, compiled, "干净企业")
    model = LoadedModel(baseline_artifact(), "baseline")
    scored = pipeline.Scored(model, ScoreInputs(points=640, pd=0.0123456))
    ids = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    row = pipeline.automated_decision_row(
        decision_id=ids[0],
        application_id=ids[1],
        policy_ref=PolicyRef(ids[2], "default", 3),
        scored=scored,
        decided=decided,
        snapshot_ids=["s1", "s2"],
        credit_line_id=ids[3],
        latency_ms=12,
        decided_at=AT,
    )
    values = row.values()
    assert values["id"] == ids[0] and values["application_id"] == ids[1]
    assert values["kind"] == "automated" and values["outcome"] == "approve"
    assert values["policy_version_id"] == ids[2] and values["policy_version"] == 3
    assert values["model_id"] == model.model_id and values["model_version"] == model.version
    assert values["score_points"] == 640 and values["pd_ppm"] == 12346
    assert values["feature_set_version"] == FEATURE_SET_VERSION
    assert values["features"] is decided.features
    assert values["inputs"] == decided.inputs.model_dump(mode="json")
    assert values["snapshot_ids"] == ["s1", "s2"] and values["credit_line_id"] == ids[3]
    assert values["limit_fen"] == 100_000_000 and values["rate_bp"] == 350
    assert values["result"] == decided.outcome.to_dict()
    assert values["decided_by_id"] is None and values["decided_by_name"] == SYSTEM_NAME
    assert values["latency_ms"] == 12 and values["decided_at"] == AT
    Decision(**values)  # the ORM accepts them as they are


# --------------------------------------------------------------------------- channel


def _principal(role: Role) -> Principal:
    return Principal(uuid.uuid4(), "u", "U", role, frozenset())


def _data(attribution: AttributionIn | None = None) -> ApplicationCreate:
    return ApplicationCreate.model_construct(attribution=attribution)


ENTERPRISE = Enterprise(region_code="110105")


def test_a_team_code_names_the_channel() -> None:
    manager = uuid.uuid4()
    got = pipeline.channel_of(
        CIPHER,
        _principal(Role.BORROWER),
        _data(AttributionIn(manager_user_id=manager, team_code="T-7")),
        ENTERPRISE,
        None,
    )
    assert got == pipeline.ChannelOf("team:T-7", manager, "T-7", None)


def test_a_managers_code_names_the_manager() -> None:
    manager = uuid.uuid4()
    data = _data(AttributionIn(manager_user_id=manager))
    got = pipeline.channel_of(CIPHER, _principal(Role.BORROWER), data, ENTERPRISE, None)
    assert got == pipeline.ChannelOf(f"manager:{manager}", manager, None, None)


def test_a_customer_manager_applying_is_the_channel() -> None:
    principal = _principal(Role.CUSTOMER_MANAGER)
    got = pipeline.channel_of(CIPHER, principal, _data(), ENTERPRISE, None)
    assert got == pipeline.ChannelOf(f"manager:{principal.user_id}", principal.user_id, None, None)


def test_a_direct_application_is_counted_by_region_with_the_registrys_contact() -> None:
    registry = RegistryPayload.model_construct(contact_mobile="13800138000")
    got = pipeline.channel_of(CIPHER, _principal(Role.BORROWER), _data(), ENTERPRISE, registry)
    assert got.key == "direct:110105" and got.manager_id is None and got.team_code is None
    assert got.contact_mobile_hash == CIPHER.lookup_hash("13800138000", "mobile")
