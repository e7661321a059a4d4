"""Identity rules on a real database: personal-data consent and signing need three-factor,
face checks by rule, agents' authorisations, capture purging, the HTTP provider, production."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.identity_factories import FAKE_WEBM, verify_rep
from tests.integration.lending.contracts.conftest import (
    REP_MOBILE,
    StandInLines,
    add_legal_rep,
    lines,  # noqa: F401  (the fixture)
    make_resident_id,
    make_uscc,
    new_enterprise,
)
from tests.local_http import LocalServer

from puhui.consents import service as consents_service
from puhui.consents.models import ConsentScope, Purpose
from puhui.consents.sources import SourceName
from puhui.core import sms
from puhui.core.clock import FixedClock
from puhui.core.config import Settings
from puhui.core.runtime import Runtime
from puhui.identity import service as identity_service
from puhui.identity.adapters import HttpIdentityProvider, IdentitySettings, build_identity
from puhui.identity.errors import (
    AgentNotAuthorised,
    FaceCheckRequired,
    IdentityNotVerified,
    NotTheLegalRepresentative,
    VerificationFailed,
)
from puhui.identity.models import IdentityCapture, IdentityVerification
from puhui.identity.rules import AgentScope, FacePolicy
from puhui.lending.contracts import service as contracts

AGENT_MOBILE = "13700137000"


@pytest.fixture
def unverified(
    session: Session,
    runtime: Runtime,
    lines: StandInLines,  # noqa: F811
) -> dict[str, Any]:
    enterprise_id = new_enterprise(session, runtime, "杭州核验机械有限公司", make_uscc(7))
    rid = make_resident_id(7)
    person_id = add_legal_rep(session, runtime, enterprise_id, rid, REP_MOBILE, verified=False)
    session.commit()
    return {
        "enterprise_id": enterprise_id,
        "person_id": person_id,
        "resident_id": rid,
        "line": lines.add(enterprise_id),
    }


def _grant_bureau(session: Session, runtime: Runtime, w: dict[str, Any]) -> Any:
    return consents_service.grant(
        session,
        runtime.clock,
        enterprise_id=w["enterprise_id"],
        source=SourceName.CREDIT_BUREAU,
        purpose=Purpose.CREDIT_DECISION,
        scope=ConsentScope.LEGAL_REPRESENTATIVE,
        person_id=w["person_id"],
    )


def test_a_personal_data_consent_is_refused_until_three_factor_passes(
    session: Session, runtime: Runtime, unverified: dict[str, Any]
) -> None:
    with pytest.raises(IdentityNotVerified):
        _grant_bureau(session, runtime, unverified)
    session.rollback()
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id=unverified["resident_id"],
        mobile=REP_MOBILE,
        face=False,
    )
    assert _grant_bureau(session, runtime, unverified)


def test_a_failed_three_factor_is_kept_as_evidence_and_counts_for_nothing(
    session: Session, runtime: Runtime, unverified: dict[str, Any]
) -> None:
    from puhui.identity.adapters import ListedPeople, SandboxIdentityProvider

    people = ListedPeople()
    people.add("陈测试", unverified["resident_id"], REP_MOBILE)
    with pytest.raises(VerificationFailed):
        identity_service.verify_three_factor(
            session,
            runtime.clock,
            runtime.cipher,
            SandboxIdentityProvider(people),
            name="陈测试",
            resident_id=unverified["resident_id"],
            mobile="13900000001",
        )
    from puhui.core.db import roll_back

    roll_back(session)
    rows = session.scalars(select(IdentityVerification)).all()
    assert [(r.passed, r.reason) for r in rows] == [(False, "mobile_mismatch")]
    assert rows[0].mobile_hash and "13900000001" not in repr(rows[0].__dict__)
    with pytest.raises(IdentityNotVerified):
        _grant_bureau(session, runtime, unverified)


def test_signing_is_refused_until_verified_then_needs_a_face_check_on_first_credit(
    session: Session, runtime: Runtime, unverified: dict[str, Any], borrower_principal: Any
) -> None:
    contract, _ = contracts.create_contract(session, runtime.clock, None, unverified["line"].id)
    with pytest.raises(IdentityNotVerified):
        contracts.send_for_signature(session, runtime.clock, runtime.cipher, None, contract.id)
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id=unverified["resident_id"],
        mobile=REP_MOBILE,
        face=False,
    )
    sent = contracts.send_for_signature(session, runtime.clock, runtime.cipher, None, contract.id)
    assert sent.recipient_masked == "138****8000"
    principal = borrower_principal(unverified["enterprise_id"])
    with pytest.raises(FaceCheckRequired):
        contracts.sign(
            session, runtime.clock, runtime.cipher, principal, contract.id, "000000", ip="127.0.0.1"
        )
    identity_service.verify_face(
        session,
        runtime.clock,
        runtime.cipher,
        _sandbox_for(unverified),
        person_id=unverified["person_id"],
        video=FAKE_WEBM,
        content_type="video/webm",
        retention=timedelta(days=30),
    )
    # the face rule is satisfied now; the (wrong) code is what refuses
    from puhui.core.otp import OtpWrong

    with pytest.raises(OtpWrong):
        contracts.sign(
            session,
            runtime.clock,
            runtime.cipher,
            principal,
            contract.id,
            "000000",
            ip="127.0.0.1",
            face_policy=FacePolicy(),
        )


def _sandbox_for(w: dict[str, Any]) -> Any:
    from puhui.identity.adapters import ListedPeople, SandboxIdentityProvider

    people = ListedPeople()
    people.add("陈测试", w["resident_id"], REP_MOBILE)
    return SandboxIdentityProvider(people)


def test_agents_act_only_in_scope_and_before_expiry(
    session: Session, runtime: Runtime, unverified: dict[str, Any], clock: FixedClock
) -> None:
    w = unverified
    now = runtime.clock.now()
    ask = dict(enterprise_id=w["enterprise_id"], mobile=AGENT_MOBILE, scope=AgentScope.APPLY)
    with pytest.raises(AgentNotAuthorised):  # no authorisation
        identity_service.require_authority(session, runtime.cipher, now, **ask)  # type: ignore[arg-type]
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id=w["resident_id"],
        mobile=REP_MOBILE,
        face=False,
    )
    grant = dict(
        enterprise_id=w["enterprise_id"],
        rep_person_id=w["person_id"],
        grantor_user_id=None,
        agent_name="李经办",
        agent_mobile=AGENT_MOBILE,
        scopes=[AgentScope.APPLY],
        days=7,
    )
    with pytest.raises(NotTheLegalRepresentative):  # only the rep, by the verified mobile
        identity_service.grant_authorisation(
            session, runtime.clock, runtime.cipher, grantor_mobile="13900000009", **grant
        )  # type: ignore[arg-type]
    row = identity_service.grant_authorisation(
        session, runtime.clock, runtime.cipher, grantor_mobile=REP_MOBILE, **grant
    )  # type: ignore[arg-type]
    assert identity_service.require_authority(session, runtime.cipher, now, **ask) == row  # type: ignore[arg-type]
    # the legal representative needs no authorisation
    assert (
        identity_service.require_authority(
            session,
            runtime.cipher,
            now,
            enterprise_id=w["enterprise_id"],
            mobile=REP_MOBILE,
            scope=AgentScope.DRAWDOWN,
        )
        is None
    )
    with pytest.raises(AgentNotAuthorised):  # out of scope
        identity_service.require_authority(
            session,
            runtime.cipher,
            now,
            enterprise_id=w["enterprise_id"],
            mobile=AGENT_MOBILE,
            scope=AgentScope.DRAWDOWN,
        )
    with pytest.raises(AgentNotAuthorised):  # expired
        identity_service.require_authority(session, runtime.cipher, now + timedelta(days=8), **ask)  # type: ignore[arg-type]
    identity_service.revoke_authorisation(
        session,
        runtime.clock,
        runtime.cipher,
        authorisation_id=row.id,
        enterprise_ids=frozenset({w["enterprise_id"]}),
        grantor_mobile=REP_MOBILE,
    )
    with pytest.raises(AgentNotAuthorised):  # revoked
        identity_service.require_authority(session, runtime.cipher, now, **ask)  # type: ignore[arg-type]


def test_raw_captures_are_encrypted_and_purged_after_their_retention(
    session: Session, runtime: Runtime, unverified: dict[str, Any], clock: FixedClock
) -> None:
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id=unverified["resident_id"],
        mobile=REP_MOBILE,
        person_id=unverified["person_id"],
    )
    (capture,) = session.scalars(select(IdentityCapture)).all()
    assert capture.content_enc and FAKE_WEBM not in capture.content_enc
    assert identity_service.read_capture(runtime.cipher, capture) == FAKE_WEBM
    assert identity_service.purge_expired_captures(session, clock) == 0
    clock.advance(timedelta(days=31))
    assert identity_service.purge_expired_captures(session, clock) == 1
    session.refresh(capture)
    assert capture.content_enc is None and capture.purged_at is not None and capture.sha256


def test_the_http_provider_against_a_local_server() -> None:
    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path == "/three-factor":
            return 200, {"result": "match", "id": "cx-1"}
        if path == "/face":
            assert b"selfie" in body
            return 200, {"result": "match", "score": 0.62, "id": "fx-1"}
        return 500, {}

    with LocalServer(answer) as server:
        provider = HttpIdentityProvider(server.url, "k", sleep=lambda s: None)
        ok = provider.three_factor("陈测试", "11010519491231002X", REP_MOBILE)
        assert ok.passed and ok.provider_ref == "cx-1" and not ok.is_sandbox
        low = provider.face("陈测试", "11010519491231002X", FAKE_WEBM, "video/webm")
        assert not low.passed and low.score_bp == 6200  # below the pass mark
        with pytest.raises(VerificationFailed):
            provider.two_factor("陈测试", "11010519491231002X")  # 500 after the retries
    assert server.seen[0].headers["authorization"] == "Bearer k"
    assert len([s for s in server.seen if s.path == "/two-factor"]) == 3


def test_production_refuses_to_start_with_the_sandbox_identity_provider(
    settings: Settings,
) -> None:
    production = settings.model_copy(update={"environment": "production"})
    with pytest.raises(sms.SandboxNotAllowed):
        build_identity(production, lambda: None)  # type: ignore[arg-type,return-value]
    real = build_identity(
        production,
        lambda: None,  # type: ignore[arg-type,return-value]
        IdentitySettings(provider="http", base_url="http://127.0.0.1:9"),
    )
    assert not real.is_sandbox


@pytest.fixture
def borrower_principal() -> Any:
    from puhui.core.auth import Principal
    from puhui.core.models import Role

    def make(enterprise_id: uuid.UUID) -> Principal:
        return Principal(
            user_id=uuid.uuid4(),
            username="b",
            role=Role.BORROWER,
            display_name="b",
            enterprise_ids=frozenset({enterprise_id}),
        )

    return make


def test_an_agent_s_drawdown_or_repayment_stays_within_the_authorisation(
    session: Session, runtime: Runtime, unverified: dict[str, Any]
) -> None:
    w = unverified
    now = runtime.clock.now()
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id=w["resident_id"],
        mobile=REP_MOBILE,
        face=False,
    )
    identity_service.grant_authorisation(
        session,
        runtime.clock,
        runtime.cipher,
        enterprise_id=w["enterprise_id"],
        rep_person_id=w["person_id"],
        grantor_mobile=REP_MOBILE,
        grantor_user_id=None,
        agent_name="李经办",
        agent_mobile=AGENT_MOBILE,
        scopes=[AgentScope.APPLY, AgentScope.REPAYMENT],
        days=7,
    )

    def check(mobile: str, scope: AgentScope) -> None:
        identity_service.require_scope_if_agent(
            session,
            runtime.cipher,
            now,
            enterprise_id=w["enterprise_id"],
            mobile=mobile,
            scope=scope,
        )

    check(AGENT_MOBILE, AgentScope.REPAYMENT)
    with pytest.raises(AgentNotAuthorised):
        check(AGENT_MOBILE, AgentScope.DRAWDOWN)
    check(REP_MOBILE, AgentScope.DRAWDOWN)  # the representative
    check("13600000000", AgentScope.DRAWDOWN)  # no authorisation: the caller's own checks
