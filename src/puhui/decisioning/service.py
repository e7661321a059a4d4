"""Public functions of the decisioning domain (闪电贷). They never commit.

Applications  apply, get_application_for, list_applications, own_applications, application_out,
              withdraw, mark_offer_accepted, mark_offer_expired, take_approval_for_supply_chain
Decisions     get_decision, decision_out, replay
Policies      ensure_seed_policy, active_policy, submit_policy, approve_policy, reject_policy,
              list_policies, get_policy, policy_out
Reviews       see `puhui.decisioning.review`

`apply` is one unit of work: it registers the enterprise when it is new (from the public
business registration), grants the consents the decision needs (purpose credit_decision), pulls
the sources through the data hub (consent enforced, snapshots kept), computes the features,
scores them with the champion scorecard, evaluates the active policy, stores the decision with
its lineage, and on approval creates the credit line offer (pending signature) through lending.
A refusal anywhere raises and the caller rolls everything back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.schemas import Channel, ConsentScope, Purpose
from puhui.consents.service import Bundle
from puhui.core import audit, idempotency
from puhui.core.auth import Principal, link_enterprise
from puhui.core.clock import Clock, FixedClock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.db import table_insert
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id, reference_from_id
from puhui.core.models import Role, User
from puhui.core.money import format_fen
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import Connectors
from puhui.datahub.errors import SubjectUnknown
from puhui.datahub.payloads import (
    CreditBureauPayload,
    HousingFundPayload,
    JudicialPayload,
    RegistryPayload,
    SocialSecurityPayload,
    SourceName,
    TaxPayload,
    UtilitiesPayload,
)
from puhui.datahub.schemas import Snapshot
from puhui.datahub.service import PullRequest
from puhui.decisioning import lifecycle, repository, review
from puhui.decisioning.errors import (
    ApplicationNotFound,
    ApprovalNotUsable,
    DecisionNotFound,
    EnterpriseNotInRegistry,
    LegalRepMismatch,
    PolicyInvalid,
    PolicyNotFound,
    PolicyNotPending,
    PolicyStale,
    PolicyUnchanged,
    ProductNotOffered,
    SameOfficer,
    UnknownProduct,
)
from puhui.decisioning.features import (
    FEATURE_SET_VERSION,
    ApplicationFacts,
    SourceBundle,
    compute_features,
    model_inputs,
)
from puhui.decisioning.lifecycle import (
    SYSTEM_NAME,
    active_policy,
    active_policy_row,
    compiled_for,
    ensure_seed_policy,
)
from puhui.decisioning.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Decision,
    DecisionKind,
    DecisionOutcome,
    PolicyStatus,
    PolicyVersion,
    Review,
)
from puhui.decisioning.policy import (
    DecisionInputs,
    PolicyDocument,
    ProductTerms,
    ScoreInputs,
    decide,
    diff_documents,
    validate_document,
)
from puhui.decisioning.schemas import (
    ApplicationCreate,
    ApplicationEventOut,
    ApplicationOut,
    DecisionOut,
    DecisionSummary,
    PolicyVersionOut,
    ReasonOut,
    ReplayChange,
    ReplayReport,
    RuleHitOut,
)
from puhui.decisioning.scoring import ModelStore
from puhui.lending import service as lending_service
from puhui.lending.events import OfferAccepted, OfferLapsed
from puhui.lending.schemas import ProductBounds
from puhui.parties import service as parties_service
from puhui.parties.errors import EnterpriseNotFound
from puhui.parties.schemas import (
    EnterpriseCreate,
    EnterpriseRecord,
    PersonCreate,
    RelationKind,
    RelationshipCreate,
    SizeClass,
)

__all__ = [
    "DecisionEnv",
    "active_policy",
    "application_out",
    "apply",
    "approve_policy",
    "decision_out",
    "ensure_seed_policy",
    "get_application_for",
    "get_decision",
    "get_policy",
    "list_applications",
    "list_policies",
    "mark_offer_accepted",
    "mark_offer_expired",
    "own_applications",
    "policy_out",
    "reject_policy",
    "replay",
    "submit_policy",
    "take_approval_for_supply_chain",
    "withdraw",
]

ENTERPRISE_SOURCES: tuple[SourceName, ...] = (
    SourceName.TAX,
    SourceName.SOCIAL_SECURITY,
    SourceName.HOUSING_FUND,
    SourceName.REGISTRY,
    SourceName.JUDICIAL,
    SourceName.UTILITIES,
    SourceName.CREDIT_BUREAU,
)
REP_SOURCES: tuple[SourceName, ...] = (SourceName.CREDIT_BUREAU,)  # of the legal representative
PURPOSE = Purpose.CREDIT_DECISION
BURST_WINDOW = timedelta(hours=3)
REPEAT_WINDOW = timedelta(days=30)
IDEMPOTENCY_SCOPE = "decisioning.application"


@dataclass(frozen=True)
class DecisionEnv:
    """What a decision needs besides the session and the clock."""

    connectors: Connectors
    cipher: FieldCipher
    models: ModelStore


# =========================================================================== applications


_OUTCOME_STATUS = {
    "approve": ApplicationStatus.APPROVED,
    "decline": ApplicationStatus.DECLINED,
    "refer": ApplicationStatus.REFERRED,
}


def _product(session: Session, clock: Clock, code: str) -> ProductBounds:
    # on a fresh database the default catalogue is created on first use
    product = lending_service.product_bounds(session, clock, code)
    if product is None or not product.is_active:
        raise UnknownProduct(field="product_code", product_code=code)
    return product


def _terms_of(product: ProductBounds) -> ProductTerms:
    return ProductTerms(
        code=product.code,
        min_amount_fen=product.min_amount_fen,
        max_limit_fen=product.max_limit_fen,
        min_rate_bp=product.min_rate_bp,
        max_rate_bp=product.max_rate_bp,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        repayment_methods=tuple(product.repayment_methods),
    )


def _region_name(address: str) -> str:
    for marker in ("区", "县", "市"):
        at = address.find(marker)
        if 0 < at < 40:
            return address[: at + 1]
    return address[:100]


def _register_enterprise(
    session: Session, clock: Clock, env: DecisionEnv, uscc: str
) -> EnterpriseRecord:
    """A new enterprise from the public business registration (国家企业信用信息公示系统)."""
    connector = env.connectors.for_source(SourceName.REGISTRY)
    try:
        raw = connector.fetch(SourceName.REGISTRY, uscc, request_id=str(new_id()))
    except SubjectUnknown as exc:
        raise EnterpriseNotInRegistry(field="uscc", uscc=uscc) from exc
    if not isinstance(raw, RegistryPayload) or raw.subject_id != uscc:
        raise EnterpriseNotInRegistry(field="uscc", uscc=uscc)
    return parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name=raw.name,
            uscc=uscc,
            industry_section=raw.industry_code,
            region_code=raw.region_code,
            region_name=_region_name(raw.address),
            registered_capital_fen=raw.registered_capital_fen,
            established_date=raw.established_date,
            size_class=SizeClass.MICRO,
        ),
    )


def _legal_rep_person(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    enterprise: EnterpriseRecord,
    data: ApplicationCreate,
    known: uuid.UUID | None,
) -> uuid.UUID | None:
    """The legal representative's person id in parties (created and linked when new); `known`:
    the one related already. The name is checked against the business registration once it is
    pulled (`_check_registered_name`)."""
    given = data.legal_representative
    if given is None:
        return known
    person = parties_service.find_person_by_resident_id(session, env.cipher, given.resident_id)
    if person is None:
        person = parties_service.create_person(
            session,
            clock,
            env.cipher,
            PersonCreate(name=given.name, resident_id=given.resident_id, mobile=given.mobile),
        )
    elif person.name != given.name:
        raise LegalRepMismatch(field="legal_representative.name")
    if known is None:
        parties_service.add_relationship(
            session,
            clock,
            enterprise.id,
            RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
        )
    elif known != person.id:
        raise LegalRepMismatch(field="legal_representative.resident_id")
    return person.id


def _check_registered_name(data: ApplicationCreate, registry: RegistryPayload | None) -> None:
    """A legal representative named in the application is the one of the registration."""
    given = data.legal_representative
    if registry is not None and given is not None and registry.legal_representative != given.name:
        raise LegalRepMismatch(field="legal_representative.name")


def _check_attribution(session: Session, data: ApplicationCreate) -> None:
    """The customer manager of a QR code must be an active customer manager."""
    manager_id = data.attribution.manager_user_id if data.attribution else None
    if manager_id is None:
        return
    user = session.get(User, manager_id)
    if user is None or not user.is_active or user.role != Role.CUSTOMER_MANAGER.value:
        raise InvalidInput(field="attribution.manager_user_id")


def _channel_key(
    data: ApplicationCreate, principal: Principal, enterprise: EnterpriseRecord
) -> str:
    attribution = data.attribution
    if attribution and attribution.team_code:
        return f"team:{attribution.team_code}"
    if attribution and attribution.manager_user_id:
        return f"manager:{attribution.manager_user_id}"
    if principal.role == Role.CUSTOMER_MANAGER:
        return f"manager:{principal.user_id}"
    return f"direct:{enterprise.region_code}"


def _typed(snapshots: dict[SourceName, Snapshot], source: SourceName, model: type[Any]) -> Any:
    snap = snapshots.get(source)
    if snap is None:
        return None
    payload = snap.payload
    return payload if isinstance(payload, model) else model.model_validate(payload.model_dump())


def _context(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    person_id: uuid.UUID | None,
    mobile_hash: str | None,
    channel_key: str,
) -> dict[str, int]:
    """Puhui's own records at decision time (exposures, anti-fraud counts), the application
    being decided included (it is written after)."""
    now = clock.now()
    found = repository.decision_context(
        session,
        enterprise_id=enterprise_id,
        legal_rep_person_id=person_id,
        mobile_hash=mobile_hash,
        channel_key=channel_key,
        channel_since=now - BURST_WINDOW,
        enterprise_since=now - REPEAT_WINDOW,
    )
    return {
        "borrower_exposure_fen": found.exposure.borrower_fen,
        "group_exposure_fen": found.exposure.group_fen,
        "group_size": found.exposure.group_size,
        **found.counts,
    }


def apply(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    principal: Principal,
    data: ApplicationCreate,
    *,
    idempotency_key: str,
) -> ApplicationOut:
    """Take an application and decide it (see the module docstring)."""
    started = time.perf_counter()
    payload = data.model_dump(mode="json")
    scope = f"{IDEMPOTENCY_SCOPE}:{principal.user_id}"[:64]
    stored = idempotency.begin(session, scope, idempotency_key, payload)
    if stored is not None:
        return ApplicationOut.model_validate({**stored, "replayed": True})
    if not data.consent.agree:
        raise ConsentMissing(
            field="consent.agree",
            sources=",".join(s.value for s in ENTERPRISE_SOURCES),
            purpose=PURPOSE.value,
            scope=ConsentScope.ENTERPRISE.value,
        )

    _check_attribution(session, data)
    policy_row, policy = active_policy(session, clock)
    doc = policy.document
    product_row = _product(session, clock, data.product_code)
    product = _terms_of(product_row)
    product_policy = doc.products.get(product.code)
    if product_policy is None or not product_policy.enabled:
        raise ProductNotOffered(field="product_code", product_code=product.code)

    enterprise, known_rep = parties_service.find_enterprise_with_legal_rep(session, data.uscc)
    if enterprise is None:
        if principal.role == Role.BORROWER and data.legal_representative is None:
            raise InvalidInput(field="legal_representative")
        enterprise = _register_enterprise(session, clock, env, data.uscc)
        if principal.role == Role.BORROWER:
            user = session.get(User, principal.user_id)
            if user is not None:
                link_enterprise(session, user, enterprise.id)
    elif not principal.can_act_for(enterprise.id):
        raise EnterpriseNotFound()

    now = clock.now()
    actor = audit.current_actor(session)
    granted_by = principal.user_id
    channel = Channel.API
    # The legal representative first (the person is created and linked when new), so that both
    # consent bundles are granted in one go and both pulled in one call: the enterprise's sources
    # first, then (the `gate`) the registry's name of the legal representative is checked, and
    # only then the person's credit report asked for (an inquiry shows on it).
    known = known_rep.id if known_rep is not None else None
    person_id = _legal_rep_person(session, clock, env, enterprise, data, known)
    bundles = [
        Bundle(
            ENTERPRISE_SOURCES,
            text_versions=dict(data.consent.text_versions),
            text_sha256=dict(data.consent.text_sha256),
        )
    ]
    if person_id is not None:
        bundles.append(Bundle(REP_SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, person_id))
    granted = consents_service.grant_bundles(
        session,
        clock,
        enterprise.id,
        bundles,
        PURPOSE,
        channel=channel,
        granted_by=granted_by,
        text_lang=data.consent.text_lang,
    )
    requests = [PullRequest(ENTERPRISE_SOURCES)]
    if person_id is not None:
        requests.append(PullRequest(REP_SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, person_id))

    def registered_name_checked(index: int, payloads: Mapping[SourceName, Any]) -> None:
        registry = payloads.get(SourceName.REGISTRY)
        _check_registered_name(data, registry if isinstance(registry, RegistryPayload) else None)

    pulled = datahub_service.pull_many(
        session,
        clock,
        env.connectors,
        enterprise_id=enterprise.id,
        requests=requests,
        purpose=PURPOSE,
        cipher=env.cipher,
        consents=[consent for bundle in granted for consent in bundle],
        gate=registered_name_checked,
    )
    snaps = pulled[0]
    registry: RegistryPayload | None = _typed(snaps, SourceName.REGISTRY, RegistryPayload)
    if person_id is None:  # with a second request, the gate has checked the name already
        _check_registered_name(data, registry)
    rep_snapshot: Snapshot | None = pulled[1][SourceName.CREDIT_BUREAU] if len(pulled) > 1 else None

    attribution = data.attribution
    manager_id = attribution.manager_user_id if attribution else None
    if manager_id is None and principal.role == Role.CUSTOMER_MANAGER:
        manager_id = principal.user_id
    contact = registry.contact_mobile if registry is not None else None
    mobile_hash = env.cipher.lookup_hash(contact, "mobile") if contact else None
    channel_key = _channel_key(data, principal, enterprise)

    bundle = SourceBundle(
        tax=_typed(snaps, SourceName.TAX, TaxPayload),
        social_security=_typed(snaps, SourceName.SOCIAL_SECURITY, SocialSecurityPayload),
        housing_fund=_typed(snaps, SourceName.HOUSING_FUND, HousingFundPayload),
        registry=registry,
        judicial=_typed(snaps, SourceName.JUDICIAL, JudicialPayload),
        utilities=_typed(snaps, SourceName.UTILITIES, UtilitiesPayload),
        bureau_enterprise=_typed(snaps, SourceName.CREDIT_BUREAU, CreditBureauPayload),
        bureau_legal_rep=(
            _typed({SourceName.CREDIT_BUREAU: rep_snapshot}, SourceName.CREDIT_BUREAU,
                   CreditBureauPayload)
            if rep_snapshot is not None
            else None
        ),
    )  # fmt: skip
    facts = ApplicationFacts(
        requested_amount_fen=data.requested_amount_fen,
        declared_annual_revenue_fen=data.declared_annual_revenue_fen,
        context=_context(session, clock, enterprise.id, person_id, mobile_hash, channel_key),
    )
    features = compute_features(bundle, facts)
    model = env.models.champion()
    scored = model.artifact.score(model_inputs(features))
    inputs = DecisionInputs(
        features=features,
        score=ScoreInputs(
            points=scored.points,
            pd=scored.pd,
            reasons=[
                {"code": r.code, "feature": r.feature, "bin": r.bin, "points_lost": r.points_lost}
                for r in scored.reasons
            ],
        ),
        product=product,
        requested_amount_fen=data.requested_amount_fen,
        requested_term_months=data.requested_term_months,
    )
    outcome = decide(policy, inputs)
    snapshot_ids = [str(s.id) for s in snaps.values()]
    if rep_snapshot is not None:
        snapshot_ids.append(str(rep_snapshot.id))
    latency_ms = int((time.perf_counter() - started) * 1000)

    # The rows are written together at the end: each gets its final values before its INSERT,
    # so nothing is updated afterwards (no foreign key ties an application to its decision or
    # line). The offer line first: the decision and the application carry its id.
    decision_id = new_id()
    line_id: uuid.UUID | None = None
    if outcome.outcome == "approve":
        assert outcome.rate_bp is not None and outcome.term_months is not None
        line_id = lifecycle.create_offer_line(
            session,
            clock,
            enterprise_id=enterprise.id,
            product_code=product.code,
            decision_id=decision_id,
            limit_fen=outcome.limit_fen,
            rate_bp=outcome.rate_bp,
            term_months=outcome.term_months,
            repayment_method=outcome.repayment_method or "",
            line_term_months=outcome.line_term_months or 12,
            product=product_row,
            new_decision=True,
        )
    status = _OUTCOME_STATUS[outcome.outcome]
    decided_at = clock.now()
    app_id = new_id()
    app_values: dict[str, Any] = {
        "id": app_id,
        "reference": reference_from_id("APP", app_id, business_date(clock)),
        "enterprise_id": enterprise.id,
        "product_code": product.code,
        "requested_amount_fen": data.requested_amount_fen,
        "requested_term_months": data.requested_term_months,
        "declared_annual_revenue_fen": data.declared_annual_revenue_fen,
        "status": status.value,
        "applicant_user_id": principal.user_id,
        "applicant_role": principal.role.value,
        "legal_rep_person_id": person_id,
        "contact_mobile_hash": mobile_hash,
        "manager_user_id": manager_id,
        "team_code": attribution.team_code if attribution else None,
        "channel_key": channel_key,
        "green_channel": False,
        "latest_decision_id": decision_id,
        "credit_line_id": line_id,
        "created_at": now,
        "updated_at": decided_at,
        "decided_at": decided_at,
    }
    codes = ",".join(h.code for h in outcome.hits if h.action != "flag")
    reason = {
        ApplicationStatus.DECLINED: f"自动审批拒绝 {codes}",
        ApplicationStatus.REFERRED: f"转人工审批 {codes}",
    }.get(status, "自动审批通过")
    submitted = ApplicationStatus.SUBMITTED
    events = [
        lifecycle.event_values(app_id, None, submitted, "提交申请", principal.user_id, actor.name,
                               now),
        lifecycle.event_values(app_id, submitted, status, reason, None, SYSTEM_NAME, decided_at),
    ]  # fmt: skip
    decision_values: dict[str, Any] = {
        "id": decision_id,
        "application_id": app_id,
        "kind": DecisionKind.AUTOMATED.value,
        "outcome": outcome.outcome,
        "feature_set_version": FEATURE_SET_VERSION,
        "features": features,
        "snapshot_ids": snapshot_ids,
        "inputs": inputs.model_dump(mode="json"),
        "policy_version_id": policy_row.id,
        "policy_version": policy_row.version,
        "model_id": model.model_id,
        "model_version": model.version,
        "score_points": scored.points,
        "pd_ppm": round(scored.pd * 1_000_000),
        "grade": outcome.grade,
        "rule_hits": [h.to_dict() for h in outcome.hits],
        "reasons": [r.to_dict() for r in outcome.reasons],
        "result": outcome.to_dict(),
        "limit_fen": outcome.limit_fen,
        "rate_bp": outcome.rate_bp,
        "term_months": outcome.term_months,
        "repayment_method": outcome.repayment_method,
        "credit_line_id": line_id,
        "decided_by_id": None,
        "decided_by_name": SYSTEM_NAME,
        "reason_text": None,
        "latency_ms": latency_ms,
        "decided_at": decided_at,
    }
    # Core INSERTs: the rows are complete and not needed as session objects (the ORM's unit of
    # work cost more than the statements). No foreign key ties them to the offer line.
    session.execute(table_insert(Application), app_values)
    session.execute(table_insert(ApplicationEvent), events)
    session.execute(table_insert(Decision), decision_values)
    review_id: uuid.UUID | None = None
    if status == ApplicationStatus.REFERRED:
        review_row = review.review_values(
            clock, app_id, decision_id, green_channel=False, params=doc.parameters
        )
        session.execute(table_insert(Review), review_row)
        review_id = review_row["id"]
    audit.record(
        session,
        "application.decide",
        "application",
        app_id,
        after={
            "reference": app_values["reference"],
            "enterprise_id": enterprise.id,
            "product_code": product.code,
            "requested_amount_fen": data.requested_amount_fen,
            "decision_id": decision_id,
            "outcome": outcome.outcome,
            "limit_fen": outcome.limit_fen,
            "rate_bp": outcome.rate_bp,
            "policy_version": policy_row.version,
            "model_version": model.version,
            "codes": [h.code for h in outcome.hits],
        },
    )
    history = [ApplicationEventOut.model_validate(e) for e in events]
    out = _application_out(Application(**app_values), Decision(**decision_values), history,
                           review_id)  # fmt: skip
    idempotency.remember(
        session, clock, scope, idempotency_key, payload, out.model_dump(mode="json")
    )
    return out


def decision_summary(decision: Decision) -> DecisionSummary:
    pd = decision.inputs.get("score", {}).get("pd") if decision.inputs else None
    return DecisionSummary(
        id=decision.id,
        kind=decision.kind,
        outcome=decision.outcome,
        grade=decision.grade,
        score_points=decision.score_points,
        pd=pd,
        limit_fen=decision.limit_fen,
        rate_bp=decision.rate_bp,
        term_months=decision.term_months,
        repayment_method=decision.repayment_method,
        reasons=[ReasonOut(**r) for r in decision.reasons],
        policy_version=decision.policy_version,
        model_version=decision.model_version,
        credit_line_id=decision.credit_line_id,
        latency_ms=decision.latency_ms,
        decided_at=decision.decided_at,
    )


def _application_out(
    app: Application,
    decision: Decision | None,
    history: Sequence[ApplicationEventOut],
    review_id: uuid.UUID | None,
) -> ApplicationOut:
    status = ApplicationStatus(app.status)
    return ApplicationOut(
        id=app.id,
        reference=app.reference,
        enterprise_id=app.enterprise_id,
        product_code=app.product_code,
        requested_amount_fen=app.requested_amount_fen,
        requested_term_months=app.requested_term_months,
        status=status.value,
        status_zh=status.zh,
        channel_key=app.channel_key,
        green_channel=app.green_channel,
        credit_line_id=app.credit_line_id,
        created_at=app.created_at,
        decided_at=app.decided_at,
        decision=decision_summary(decision) if decision else None,
        history=list(history),
        review_id=review_id,
    )


def application_out(session: Session, app: Application) -> ApplicationOut:
    decision = session.get(Decision, app.latest_decision_id) if app.latest_decision_id else None
    events = session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app.id)
        .order_by(ApplicationEvent.occurred_at, ApplicationEvent.id)
    ).all()
    review_id = session.scalar(select(Review.id).where(Review.application_id == app.id))
    return _application_out(
        app, decision, [ApplicationEventOut.model_validate(e) for e in events], review_id
    )


def get_application(session: Session, application_id: uuid.UUID) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise ApplicationNotFound()
    return app


def get_application_for(
    session: Session, principal: Principal, application_id: uuid.UUID
) -> Application:
    """An application as the principal may see it: a borrower only its own (else 404)."""
    app = session.get(Application, application_id)
    if app is None or not principal.can_act_for(app.enterprise_id):
        raise ApplicationNotFound()
    return app


def list_applications(
    session: Session,
    principal: Principal,
    *,
    status: ApplicationStatus | None = None,
    enterprise_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> list[Application]:
    query = select(Application).order_by(Application.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Application.status == status.value)
    if enterprise_id is not None:
        query = query.where(Application.enterprise_id == enterprise_id)
    if not principal.is_staff:
        query = query.where(Application.enterprise_id.in_(list(principal.enterprise_ids)))
    if after is not None:
        query = query.where(Application.id < after)
    return list(session.scalars(query))


def own_applications(session: Session, principal: Principal) -> list[Application]:
    """Every application of the principal's enterprises, newest first (a borrower's journey)."""
    if not principal.enterprise_ids:
        return []
    return list(
        session.scalars(
            select(Application)
            .where(Application.enterprise_id.in_(list(principal.enterprise_ids)))
            .order_by(Application.created_at.desc())
        )
    )


def withdraw(
    session: Session, clock: Clock, principal: Principal, application_id: uuid.UUID, reason: str
) -> Application:
    """The applicant (or staff) withdraws an application that is not decided yet."""
    app = get_application_for(session, principal, application_id)
    lifecycle.transition(
        session,
        clock,
        app,
        ApplicationStatus.WITHDRAWN,
        reason,
        actor_id=principal.user_id,
        actor_name=principal.username,
    )
    review.withdraw_review(session, clock, app)
    audit.record(session, "application.withdraw", "application", app.id, after={"reason": reason})
    return app


def _application_of_line(session: Session, credit_line_id: uuid.UUID) -> Application | None:
    """The application whose offer made this credit line, if any."""
    return session.scalar(select(Application).where(Application.credit_line_id == credit_line_id))


def mark_offer_accepted(session: Session, event: OfferAccepted) -> None:
    """approved -> accepted once the line's contract is signed (handler of lending's
    `OfferAccepted`, subscribed in `puhui.wiring`)."""
    app = _application_of_line(session, event.line_id)
    if app is None or app.status == ApplicationStatus.ACCEPTED.value:
        return
    lifecycle.transition(
        session, FixedClock(event.at), app, ApplicationStatus.ACCEPTED, "合同已签署"
    )


def mark_offer_expired(session: Session, event: OfferLapsed) -> None:
    """approved -> expired once the offer's line lapsed unsigned (handler of lending's
    `OfferLapsed`, published by the end of day; subscribed in `puhui.wiring`)."""
    app = _application_of_line(session, event.line_id)
    if app is None or app.status != ApplicationStatus.APPROVED.value:
        return
    lifecycle.transition(
        session, FixedClock(event.at), app, ApplicationStatus.EXPIRED, event.reason
    )


def take_approval_for_supply_chain(
    session: Session,
    clock: Clock,
    principal: Principal,
    enterprise_id: uuid.UUID,
    reference: str,
    limit_fen: int,
) -> str:
    """An approved application's decision backs a core enterprise's supply-chain limit (the
    receivables domain calls this when a risk officer grants one "from a decision"); returns
    the application's reference as stored.

    The application must be the enterprise's and approved with its offer not yet taken; the
    limit must not exceed the decision's. The approved exposure then goes to the supply chain
    instead of a revolving line: the offer's line (pending signature) is closed and the
    application becomes ``accepted`` — one approval is never used twice. Raises and changes
    nothing otherwise.
    """
    app = session.scalar(
        select(Application)
        .where(Application.reference == reference.strip().upper())
        .with_for_update()
    )
    if app is None:
        raise ApplicationNotFound(field="application_reference")

    def refuse(why_zh: str, why_en: str) -> ApprovalNotUsable:
        return ApprovalNotUsable(
            field="application_reference",
            reference=app.reference,
            why_zh=why_zh,
            why_en=why_en,
        )

    if app.enterprise_id != enterprise_id:
        raise refuse("该申请不属于此企业。", "it is another enterprise's application.")
    if app.status != ApplicationStatus.APPROVED.value:
        status = ApplicationStatus(app.status)
        raise refuse(
            f"申请状态为“{status.zh}”，只有已批准且未签约的申请可以使用。",
            f"it is {status.value}; only an approved application whose offer is not taken can.",
        )
    decision = session.get(Decision, app.latest_decision_id) if app.latest_decision_id else None
    if decision is None or decision.outcome != DecisionOutcome.APPROVE.value:
        raise refuse("该申请没有批准决定。", "it has no approving decision.")
    if limit_fen > decision.limit_fen:
        asked, approved = format_fen(limit_fen), format_fen(decision.limit_fen)
        raise refuse(
            f"额度 {asked} 超过审批额度 {approved}。",
            f"the limit {asked} exceeds the approved {approved}.",
        )
    reason = "审批额度用于供应链核心企业额度"
    if app.credit_line_id is not None:
        lending_service.close(session, clock, app.credit_line_id, reason)
    lifecycle.transition(
        session,
        clock,
        app,
        ApplicationStatus.ACCEPTED,
        reason,
        actor_id=principal.user_id,
        actor_name=principal.username,
    )
    audit.record(
        session,
        "application.used_for_supply_chain",
        "application",
        app.id,
        after={"limit_fen": limit_fen, "decision_id": str(decision.id)},
    )
    return app.reference


# =========================================================================== decisions


def get_decision(session: Session, decision_id: uuid.UUID) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise DecisionNotFound()
    return decision


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        **decision_summary(decision).model_dump(),
        application_id=decision.application_id,
        feature_set_version=decision.feature_set_version,
        features=decision.features,
        snapshot_ids=[uuid.UUID(s) for s in decision.snapshot_ids],
        rule_hits=[RuleHitOut(**h) for h in decision.rule_hits],
        policy_version_id=decision.policy_version_id,
        model_id=decision.model_id,
        inputs=decision.inputs,
        result=decision.result,
        decided_by_name=decision.decided_by_name,
        reason_text=decision.reason_text,
    )


def _summary_of(result: dict[str, Any]) -> dict[str, Any]:
    offered = result.get("outcome") != "decline"
    return {
        "outcome": result.get("outcome"),
        "limit_fen": result.get("limit_fen") if offered else 0,
        "rate_bp": result.get("rate_bp") if offered else None,
        "term_months": result.get("term_months") if offered else None,
        "codes": sorted(h["code"] for h in result.get("hits", [])),
    }


def replay(
    session: Session,
    policy_version: int,
    *,
    policy_name: str | None = None,
    limit: int | None = None,
    made_under: int | None = None,
) -> ReplayReport:
    """Re-decide stored automated decisions from their stored inputs (no new pulls) under
    another policy version, and report what would change. `made_under` keeps only the
    decisions made under that version of the same policy."""
    name = policy_name
    if name is None:
        active = active_policy_row(session)
        name = active.name if active is not None else None
    row = session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.version == policy_version,
            *([PolicyVersion.name == name] if name else []),
        )
    )
    if row is None:
        raise PolicyNotFound()
    compiled = compiled_for(row)
    query = (
        select(Decision, Application.reference)
        .join(Application, Application.id == Decision.application_id)
        .where(Decision.kind == DecisionKind.AUTOMATED.value)
        .order_by(Decision.decided_at, Decision.id)
    )
    if made_under is not None:
        query = query.where(
            Decision.policy_version_id.in_(
                select(PolicyVersion.id).where(
                    PolicyVersion.name == row.name, PolicyVersion.version == made_under
                )
            )
        )
    if limit is not None:
        query = query.limit(limit)
    total = unchanged = 0
    transitions: dict[str, int] = {}
    changes: list[ReplayChange] = []
    for decision, reference in session.execute(query):
        total += 1
        old = _summary_of(decision.result)
        new = decide(compiled, DecisionInputs.model_validate(decision.inputs)).summary()
        if old == new:
            unchanged += 1
            continue
        key = f"{old['outcome']}->{new['outcome']}"
        transitions[key] = transitions.get(key, 0) + 1
        changes.append(
            ReplayChange(
                application_id=decision.application_id,
                reference=reference,
                decision_id=decision.id,
                old=old,
                new=new,
            )
        )
    return ReplayReport(
        policy_name=row.name,
        policy_version=row.version,
        decisions=total,
        unchanged=unchanged,
        changed=total - unchanged,
        transitions=transitions,
        changes=changes,
    )


# =========================================================================== policies


def _version_of(session: Session, version_id: uuid.UUID | None) -> int | None:
    if version_id is None:
        return None
    row = session.get(PolicyVersion, version_id)
    return row.version if row else None


def policy_out(
    session: Session, row: PolicyVersion, *, with_document: bool = False
) -> PolicyVersionOut:
    return PolicyVersionOut(
        id=row.id,
        name=row.name,
        version=row.version,
        status=row.status,
        document_sha256=row.document_sha256,
        note=row.note,
        submitted_by_name=row.submitted_by_name,
        submitted_at=row.submitted_at,
        approved_by_name=row.approved_by_name,
        approved_at=row.approved_at,
        approval_note=row.approval_note,
        activated_at=row.activated_at,
        superseded_at=row.superseded_at,
        base_version=_version_of(session, row.base_version_id),
        diff=row.diff,
        validation=row.validation,
        document=row.document if with_document else None,
    )


def list_policies(session: Session, *, name: str | None = None) -> list[PolicyVersion]:
    query = select(PolicyVersion).order_by(PolicyVersion.name, PolicyVersion.version.desc())
    if name:
        query = query.where(PolicyVersion.name == name)
    return list(session.scalars(query))


def get_policy(session: Session, version_id: uuid.UUID) -> PolicyVersion:
    row = session.get(PolicyVersion, version_id)
    if row is None:
        raise PolicyNotFound()
    return row


def find_policy(session: Session, version: int, name: str | None = None) -> PolicyVersion:
    query = select(PolicyVersion).where(PolicyVersion.version == version)
    if name:
        query = query.where(PolicyVersion.name == name)
    row = session.scalars(query.order_by(PolicyVersion.submitted_at.desc())).first()
    if row is None:
        raise PolicyNotFound()
    return row


def _summary_text(validation: dict[str, Any]) -> tuple[str, str]:
    issues = validation.get("issues", [])
    failed = [t for t in validation.get("tests", []) if not t.get("passed")]
    zh = "；".join(f"{i['where']}: {i['zh']}" for i in issues[:5])
    en = "; ".join(f"{i['where']}: {i['en']}" for i in issues[:5])
    if failed:
        names = ", ".join(t["name"] for t in failed[:5])
        zh = (zh + "；" if zh else "") + f"{len(failed)} 个测试用例未通过（{names}）"
        en = (en + "; " if en else "") + f"{len(failed)} test case(s) failed ({names})"
    return zh or "未知问题", en or "unknown problem"


def submit_policy(
    session: Session,
    clock: Clock,
    principal: Principal,
    document: dict[str, Any],
    note: str,
) -> PolicyVersion:
    """A risk officer submits a new version: validated, diffed against the active one, stored
    immutable as pending approval (a second risk officer must approve it)."""
    result = validate_document(document)
    validation = result.to_dict()
    if not result.ok or result.document is None:
        zh, en = _summary_text(validation)
        raise PolicyInvalid(validation, summary_zh=zh, summary_en=en)
    doc = result.document
    active = active_policy_row(session)
    if active is not None and active.document_sha256 == doc.sha256():
        raise PolicyUnchanged()
    base_doc = PolicyDocument.model_validate(active.document) if active is not None else None
    diff = diff_documents(base_doc, doc)
    last = session.scalar(
        select(PolicyVersion.version)
        .where(PolicyVersion.name == doc.name)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    now = clock.now()
    row = PolicyVersion(
        name=doc.name,
        version=(last or 0) + 1,
        status=PolicyStatus.PENDING_APPROVAL.value,
        document=doc.model_dump(mode="json"),
        document_sha256=doc.sha256(),
        base_version_id=active.id if active is not None else None,
        diff=diff.to_dict(),
        validation=validation,
        note=note,
        submitted_by_id=principal.user_id,
        submitted_by_name=principal.username,
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "policy.submit",
        "policy_version",
        row.id,
        after={
            "name": row.name,
            "version": row.version,
            "sha256": row.document_sha256,
            "base_version": active.version if active is not None else None,
            "changes": diff.counts(),
            "note": note,
        },
    )
    return row


def _pending(session: Session, version_id: uuid.UUID) -> PolicyVersion:
    row = get_policy(session, version_id)
    if row.status != PolicyStatus.PENDING_APPROVAL.value:
        raise PolicyNotPending(status=row.status)
    return row


def approve_policy(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> PolicyVersion:
    """A second risk officer approves: the version becomes active, the previous one superseded."""
    row = _pending(session, version_id)
    if row.submitted_by_id == principal.user_id:
        raise SameOfficer()
    active = active_policy_row(session)
    if (active.id if active is not None else None) != row.base_version_id:
        raise PolicyStale()
    result = validate_document(row.document)
    if not result.ok:
        zh, en = _summary_text(result.to_dict())
        raise PolicyInvalid(result.to_dict(), summary_zh=zh, summary_en=en)
    now = clock.now()
    if active is not None:
        active.status = PolicyStatus.SUPERSEDED.value
        active.superseded_at = now
    row.status = PolicyStatus.ACTIVE.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = now
    row.approval_note = note
    row.activated_at = now
    session.flush()
    audit.record(
        session,
        "policy.approve",
        "policy_version",
        row.id,
        before={"active_version": active.version if active is not None else None},
        after={"name": row.name, "version": row.version, "sha256": row.document_sha256,
               "note": note},
    )  # fmt: skip
    return row


def reject_policy(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> PolicyVersion:
    row = _pending(session, version_id)
    row.status = PolicyStatus.REJECTED.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = clock.now()
    row.approval_note = note
    session.flush()
    audit.record(
        session,
        "policy.reject",
        "policy_version",
        row.id,
        after={"name": row.name, "version": row.version, "note": note},
    )
    return row
