"""The steps of an automated credit decision; `service.apply` calls them in this order.

    check_request  the applicant agreed to the consents; a QR code's manager is one
    offering       the active policy and the product, which the policy must offer
    identify       the enterprise (registered from the business registration when new) and its
                   legal representative (created and linked when new)
    consent        both consent bundles granted at once (enterprise sources, the person's report)
    pull           the sources pulled through the hub, the registry's name of the legal
                   representative checked before the person's credit report is asked for
    channel_of     where the application came from (pure): channel key, manager, contact hash
    features       the features of the payloads and of Puhui's own records at decision time
    score          the champion scorecard's points, PD and reasons (pure, given the model);
                   `score_for`: the models the policy names (decides / shadows), each scored
    decide         the policy's outcome (pure): given the features, the score and the product
    persist        the offer line on approval, then the application, its history, the decision
                   (with its lineage), the review when referred, and the audit event

Each step raises a `DomainError` to refuse; the caller rolls everything back. The rows are
written once, at the end, with their final values (`ApplicationRow`, `DecisionRow`: one field per
column, Core INSERTs through `core.db.table_insert`, no ORM unit of work on this hot path).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.schemas import Channel, ConsentScope, Purpose
from puhui.consents.service import Bundle
from puhui.core import audit
from puhui.core.auth import Principal, link_enterprise
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.db import table_insert
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id, reference_from_id
from puhui.core.models import Role, User
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
from puhui.decisioning import policy as credit_policy
from puhui.decisioning.errors import (
    EnterpriseNotInRegistry,
    LegalRepMismatch,
    ProductNotOffered,
    UnknownProduct,
)
from puhui.decisioning.features import (
    FEATURE_SET_VERSION,
    ApplicationFacts,
    Features,
    SourceBundle,
    compute_features,
    model_inputs,
)
from puhui.decisioning.lifecycle import SYSTEM_NAME, PolicyRef, active_policy
from puhui.decisioning.model_choice import ModelChoice, Segment
from puhui.decisioning.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Decision,
    DecisionKind,
    Review,
)
from puhui.decisioning.policy import (
    CompiledPolicy,
    DecisionInputs,
    ProductTerms,
    ScoreInputs,
)
from puhui.decisioning.schemas import ApplicationCreate
from puhui.decisioning.scoring import (
    LoadedModel,
    ModelStore,
    challenger_store,
    shadow_candidate,
    store_for,
)
from puhui.lending import service as lending_service
from puhui.lending.schemas import ProductBounds
from puhui.parties import service as parties_service
from puhui.parties.errors import EnterpriseNotFound
from puhui.parties.schemas import (
    EnterpriseCreate,
    EnterpriseRecord,
    PersonCreate,
    PersonRecord,
    RelationKind,
    RelationshipCreate,
    SizeClass,
)

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
POST_LOAN_VALID_DAYS = 3 * 365  # post-loan monitoring: the life of a line and its loans
BURST_WINDOW = timedelta(hours=3)
REPEAT_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class DecisionEnv:
    """What a decision needs besides the session and the clock."""

    connectors: Connectors
    cipher: FieldCipher
    models: ModelStore


# =========================================================================== check_request


def check_request(session: Session, data: ApplicationCreate) -> None:
    """The applicant agreed to the consents; the customer manager of a QR code is an active
    customer manager."""
    if not data.consent.agree:
        raise ConsentMissing(
            field="consent.agree",
            sources=",".join(s.value for s in ENTERPRISE_SOURCES),
            purpose=PURPOSE.value,
            scope=ConsentScope.ENTERPRISE.value,
        )
    manager_id = data.attribution.manager_user_id if data.attribution else None
    if manager_id is None:
        return
    user = session.get(User, manager_id)
    if user is None or not user.is_active or user.role != Role.CUSTOMER_MANAGER.value:
        raise InvalidInput(field="attribution.manager_user_id")


# =========================================================================== offering


@dataclass(frozen=True)
class Offering:
    """The active policy and the product asked for (which that policy offers)."""

    policy_ref: PolicyRef  # the active version
    policy: CompiledPolicy
    product_row: ProductBounds
    product: ProductTerms


def terms_of(product: ProductBounds) -> ProductTerms:
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


def offering(session: Session, clock: Clock, data: ApplicationCreate) -> Offering:
    policy_ref, policy = active_policy(session, clock)
    code = data.product_code
    # on a fresh database the default catalogue is created on first use
    product_row = lending_service.product_bounds(session, clock, code)
    if product_row is None or not product_row.is_active:
        raise UnknownProduct(field="product_code", product_code=code)
    product = terms_of(product_row)
    product_policy = policy.document.products.get(product.code)
    if product_policy is None or not product_policy.enabled:
        raise ProductNotOffered(field="product_code", product_code=product.code)
    return Offering(policy_ref, policy, product_row, product)


# =========================================================================== identify


@dataclass(frozen=True)
class Applicant:
    enterprise: EnterpriseRecord
    # The legal representative, when given or already related. The object is kept, not only
    # its id: the session's identity map holds loaded rows weakly, and the hub's `get_person`
    # reads no row only while someone still refers to it (one SELECT per decision otherwise).
    legal_rep: PersonRecord | None

    @property
    def person_id(self) -> uuid.UUID | None:
        return self.legal_rep.id if self.legal_rep is not None else None


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
    known: PersonRecord | None,
) -> PersonRecord | None:
    """The legal representative in parties (created and linked when new); `known`: the one
    related already. The name is checked against the business registration once it is pulled
    (`check_registered_name`)."""
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
    elif known.id != person.id:
        raise LegalRepMismatch(field="legal_representative.resident_id")
    return person


def identify(
    session: Session, clock: Clock, env: DecisionEnv, principal: Principal, data: ApplicationCreate
) -> Applicant:
    """The enterprise (registered when new, and linked to a borrower who applies for it) and
    its legal representative. A borrower applying for a new enterprise must name the legal
    representative; one may apply only for an enterprise one acts for (else 404)."""
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
        return _recognise(session, clock, env, principal, enterprise, data, known_rep)
    legal_rep = _legal_rep_person(session, clock, env, enterprise, data, known_rep)
    return Applicant(enterprise, legal_rep)


def _recognise(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    principal: Principal,
    enterprise: EnterpriseRecord,
    data: ApplicationCreate,
    known_rep: PersonRecord | None,
) -> Applicant:
    """A borrower signed in with another mobile applies for an enterprise already known: the
    legal representative named as recorded (name and resident ID, the same proof a new
    enterprise's applicant gives) links the borrower to it; anything else is "not found", so
    that whether an enterprise banks here is never revealed."""
    if principal.role != Role.BORROWER or data.legal_representative is None or known_rep is None:
        raise EnterpriseNotFound()
    try:
        legal_rep = _legal_rep_person(session, clock, env, enterprise, data, known_rep)
    except LegalRepMismatch:
        raise EnterpriseNotFound() from None
    user = session.get(User, principal.user_id)
    if user is not None:
        link_enterprise(session, user, enterprise.id)
    return Applicant(enterprise, legal_rep)


# =========================================================================== consent


def consent(
    session: Session,
    clock: Clock,
    principal: Principal,
    data: ApplicationCreate,
    applicant: Applicant,
) -> list[object]:  # consents' own rows, handed back to the hub as they are
    """Both bundles granted in one go (the enterprise's sources; the legal representative's
    credit report when the person is known), so that both are pulled in one call."""
    bundles = [
        Bundle(
            ENTERPRISE_SOURCES,
            text_versions=dict(data.consent.text_versions),
            text_sha256=dict(data.consent.text_sha256),
        )
    ]
    if applicant.person_id is not None:
        bundles.append(Bundle(REP_SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, applicant.person_id))
    granted = consents_service.grant_bundles(
        session,
        clock,
        applicant.enterprise.id,
        bundles,
        PURPOSE,
        channel=Channel.API,
        granted_by=principal.user_id,
        text_lang=data.consent.text_lang,
    )
    if data.consent.post_loan_monitoring:
        # a separate consent (purpose, text, expiry of its own), never used for this decision
        consents_service.grant_bundles(
            session,
            clock,
            applicant.enterprise.id,
            [Bundle(ENTERPRISE_SOURCES)],
            Purpose.POST_LOAN_MONITORING,
            channel=Channel.API,
            granted_by=principal.user_id,
            text_lang=data.consent.text_lang,
            valid_days=POST_LOAN_VALID_DAYS,
        )
    return [c for bundle in granted for c in bundle]


# =========================================================================== pull


@dataclass(frozen=True)
class Pulled:
    snapshots: dict[SourceName, Snapshot]  # the enterprise's
    rep_snapshot: Snapshot | None  # the legal representative's credit report
    registry: RegistryPayload | None

    @property
    def snapshot_ids(self) -> list[str]:
        ids = [str(s.id) for s in self.snapshots.values()]
        if self.rep_snapshot is not None:
            ids.append(str(self.rep_snapshot.id))
        return ids


def typed(snapshot: Snapshot | None, model: type[Any]) -> Any:
    """A snapshot's payload as `model` (None without a snapshot)."""
    if snapshot is None:
        return None
    payload = snapshot.payload
    return payload if isinstance(payload, model) else model.model_validate(payload.model_dump())


def check_registered_name(data: ApplicationCreate, registry: RegistryPayload | None) -> None:
    """A legal representative named in the application is the one of the registration."""
    given = data.legal_representative
    if registry is not None and given is not None and registry.legal_representative != given.name:
        raise LegalRepMismatch(field="legal_representative.name")


def pull(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    data: ApplicationCreate,
    applicant: Applicant,
    consents: Sequence[object],
) -> Pulled:
    """The enterprise's sources first, then (the `gate`) the registry's name of the legal
    representative is checked, and only then the person's credit report asked for (an inquiry
    shows on it)."""
    person_id = applicant.person_id
    requests = [PullRequest(ENTERPRISE_SOURCES)]
    if person_id is not None:
        requests.append(PullRequest(REP_SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, person_id))

    def registered_name_checked(index: int, payloads: Mapping[SourceName, Any]) -> None:
        registry = payloads.get(SourceName.REGISTRY)
        check_registered_name(data, registry if isinstance(registry, RegistryPayload) else None)

    pulled = datahub_service.pull_many(
        session,
        clock,
        env.connectors,
        enterprise_id=applicant.enterprise.id,
        requests=requests,
        purpose=PURPOSE,
        cipher=env.cipher,
        consents=consents,
        gate=registered_name_checked,
    )
    snaps = pulled[0]
    registry: RegistryPayload | None = typed(snaps.get(SourceName.REGISTRY), RegistryPayload)
    if person_id is None:  # with a second request, the gate has checked the name already
        check_registered_name(data, registry)
    rep_snapshot = pulled[1][SourceName.CREDIT_BUREAU] if len(pulled) > 1 else None
    return Pulled(snaps, rep_snapshot, registry)


# =========================================================================== channel, features


@dataclass(frozen=True)
class ChannelOf:
    """Where an application came from."""

    key: str  # team:<code>, manager:<user id> or direct:<region code>
    manager_id: uuid.UUID | None
    team_code: str | None
    contact_mobile_hash: str | None  # of the registry's contact mobile


def channel_of(
    cipher: FieldCipher,
    principal: Principal,
    data: ApplicationCreate,
    enterprise: EnterpriseRecord,
    registry: RegistryPayload | None,
) -> ChannelOf:
    attribution = data.attribution
    manager_id = attribution.manager_user_id if attribution else None
    if manager_id is None and principal.role == Role.CUSTOMER_MANAGER:
        manager_id = principal.user_id
    if attribution and attribution.team_code:
        key = f"team:{attribution.team_code}"
    elif attribution and attribution.manager_user_id:
        key = f"manager:{attribution.manager_user_id}"
    elif principal.role == Role.CUSTOMER_MANAGER:
        key = f"manager:{principal.user_id}"
    else:
        key = f"direct:{enterprise.region_code}"
    contact = registry.contact_mobile if registry is not None else None
    mobile_hash = cipher.lookup_hash(contact, "mobile") if contact else None
    return ChannelOf(key, manager_id, attribution.team_code if attribution else None, mobile_hash)


def source_bundle(pulled: Pulled) -> SourceBundle:
    snaps = pulled.snapshots
    return SourceBundle(
        tax=typed(snaps.get(SourceName.TAX), TaxPayload),
        social_security=typed(snaps.get(SourceName.SOCIAL_SECURITY), SocialSecurityPayload),
        housing_fund=typed(snaps.get(SourceName.HOUSING_FUND), HousingFundPayload),
        registry=pulled.registry,
        judicial=typed(snaps.get(SourceName.JUDICIAL), JudicialPayload),
        utilities=typed(snaps.get(SourceName.UTILITIES), UtilitiesPayload),
        bureau_enterprise=typed(snaps.get(SourceName.CREDIT_BUREAU), CreditBureauPayload),
        bureau_legal_rep=typed(pulled.rep_snapshot, CreditBureauPayload),
    )


def own_records(
    session: Session, clock: Clock, applicant: Applicant, channel: ChannelOf
) -> dict[str, int]:
    """Puhui's own records at decision time (exposures, anti-fraud counts), the application
    being decided included (it is written after)."""
    now = clock.now()
    found = repository.decision_context(
        session,
        enterprise_id=applicant.enterprise.id,
        legal_rep_person_id=applicant.person_id,
        mobile_hash=channel.contact_mobile_hash,
        channel_key=channel.key,
        channel_since=now - BURST_WINDOW,
        enterprise_since=now - REPEAT_WINDOW,
    )
    return {
        "borrower_exposure_fen": found.exposure.borrower_fen,
        "group_exposure_fen": found.exposure.group_fen,
        "group_size": found.exposure.group_size,
        **found.counts,
    }


def features(
    session: Session,
    clock: Clock,
    data: ApplicationCreate,
    applicant: Applicant,
    pulled: Pulled,
    channel: ChannelOf,
) -> Features:
    facts = ApplicationFacts(
        requested_amount_fen=data.requested_amount_fen,
        declared_annual_revenue_fen=data.declared_annual_revenue_fen,
        context=own_records(session, clock, applicant, channel),
    )
    return compute_features(source_bundle(pulled), facts)


# =========================================================================== score, decide


@dataclass(frozen=True)
class Scored:
    model: LoadedModel  # the deciding model
    inputs: ScoreInputs  # its points, PD and reasons, as the policy reads them
    scores: dict[str, ScoreInputs] = field(default_factory=dict)  # every model scored, by role


def _score_inputs(model: LoadedModel, features: Features) -> ScoreInputs:
    scored = model.artifact.score(model_inputs(features))
    return ScoreInputs(
        points=scored.points,
        pd=scored.pd,
        reasons=[r.to_dict() for r in scored.reasons],
        model_id=model.model_id,
        model_version=model.version,
    )


def score(model: LoadedModel, features: Features) -> Scored:
    return Scored(model, _score_inputs(model, features))


def score_for(
    choice: ModelChoice, models: ModelStore, features: Features, segment: Segment | None = None
) -> Scored:
    """Score with every model the policy names: the deciding one (ModelUnavailable when it
    cannot be loaded) and the shadow, skipped when no challenger has been promoted (a shadow
    never stops a decision). Both scores go into the decision's inputs.

    Segment models: when the applicant's `segment` matches a rule of `choice.segments` whose
    model has a promoted champion, that model decides; its score is stored under the deciding
    role (so replay re-decides with it) and the fallback model's under `fallback`."""
    loaded: dict[str, LoadedModel] = {}
    for role in choice.roles:
        store = models if role == "scorecard" else challenger_store(models)
        if role != choice.decides and not store.available():
            continue
        loaded[role] = store.champion()
    for rule in choice.rules_for(segment):
        seg_store = store_for(models.registry_root, rule.model_id)
        if seg_store.available():
            loaded["fallback"] = loaded[choice.decides]
            loaded[choice.decides] = seg_store.champion()
            break
    candidate = shadow_candidate(models)
    if candidate is not None:
        loaded["candidate"] = candidate  # a retrained model in its shadow period
    scores = {role: _score_inputs(m, features) for role, m in loaded.items()}
    return Scored(loaded[choice.decides], scores[choice.decides], scores)


_OUTCOME_STATUS = {
    "approve": ApplicationStatus.APPROVED,
    "decline": ApplicationStatus.DECLINED,
    "refer": ApplicationStatus.REFERRED,
}


@dataclass(frozen=True)
class Decided:
    features: Features
    inputs: DecisionInputs  # stored with the decision; replay feeds it back unchanged
    outcome: credit_policy.DecisionOutcome

    @property
    def status(self) -> ApplicationStatus:
        return _OUTCOME_STATUS[self.outcome.outcome]


def decide(
    policy: CompiledPolicy,
    product: ProductTerms,
    features: Features,
    score: ScoreInputs,
    *,
    requested_amount_fen: int,
    requested_term_months: int | None,
    scores: dict[str, ScoreInputs] | None = None,
) -> Decided:
    inputs = DecisionInputs(
        features=features,
        score=score,
        product=product,
        requested_amount_fen=requested_amount_fen,
        requested_term_months=requested_term_months,
        # the scorecard alone: `score` says it all (the stored inputs stay as small as before)
        scores=scores if scores and set(scores) != {"scorecard"} else {},
    )
    return Decided(features, inputs, credit_policy.decide(policy, inputs))


# =========================================================================== persist


@dataclass(frozen=True)
class ApplicationRow:
    """A new `decisioning_application` row: one field per column (a test holds them equal)."""

    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    product_code: str
    requested_amount_fen: int
    requested_term_months: int | None
    declared_annual_revenue_fen: int | None
    status: str
    applicant_user_id: uuid.UUID | None
    applicant_role: str
    legal_rep_person_id: uuid.UUID | None
    contact_mobile_hash: str | None
    manager_user_id: uuid.UUID | None
    team_code: str | None
    channel_key: str
    green_channel: bool
    latest_decision_id: uuid.UUID | None
    credit_line_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None

    def values(self) -> dict[str, Any]:
        """The column values, for `table_insert` or the ORM constructor."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DecisionRow:
    """A new `decisioning_decision` row: one field per column (a test holds them equal)."""

    id: uuid.UUID
    application_id: uuid.UUID
    kind: str
    outcome: str
    feature_set_version: str
    features: dict[str, Any]
    snapshot_ids: list[str]
    inputs: dict[str, Any]
    policy_version_id: uuid.UUID | None
    policy_version: int | None
    model_id: str | None
    model_version: str | None
    score_points: int | None
    pd_ppm: int | None
    grade: str | None
    rule_hits: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    result: dict[str, Any]
    limit_fen: int
    rate_bp: int | None
    term_months: int | None
    repayment_method: str | None
    credit_line_id: uuid.UUID | None
    decided_by_id: uuid.UUID | None
    decided_by_name: str
    reason_text: str | None
    latency_ms: int
    decided_at: datetime

    def values(self) -> dict[str, Any]:
        """The column values, for `table_insert` or the ORM constructor."""
        return dict(self.__dict__)


def automated_decision_row(
    *,
    decision_id: uuid.UUID,
    application_id: uuid.UUID,
    policy_ref: PolicyRef,
    scored: Scored,
    decided: Decided,
    snapshot_ids: list[str],
    credit_line_id: uuid.UUID | None,
    latency_ms: int,
    decided_at: datetime,
) -> DecisionRow:
    """The automated decision with its lineage: inputs, snapshots, policy and model versions,
    rule hits and reasons (pure)."""
    outcome = decided.outcome
    return DecisionRow(
        id=decision_id,
        application_id=application_id,
        kind=DecisionKind.AUTOMATED.value,
        outcome=outcome.outcome,
        feature_set_version=FEATURE_SET_VERSION,
        features=decided.features,
        snapshot_ids=snapshot_ids,
        inputs=decided.inputs.model_dump(mode="json"),
        policy_version_id=policy_ref.id,
        policy_version=policy_ref.version,
        model_id=scored.model.model_id,
        model_version=scored.model.version,
        score_points=scored.inputs.points,
        pd_ppm=round(scored.inputs.pd * 1_000_000),
        grade=outcome.grade,
        rule_hits=[h.to_dict() for h in outcome.hits],
        reasons=[r.to_dict() for r in outcome.reasons],
        result=outcome.to_dict(),
        limit_fen=outcome.limit_fen,
        rate_bp=outcome.rate_bp,
        term_months=outcome.term_months,
        repayment_method=outcome.repayment_method,
        credit_line_id=credit_line_id,
        decided_by_id=None,
        decided_by_name=SYSTEM_NAME,
        reason_text=None,
        latency_ms=latency_ms,
        decided_at=decided_at,
    )


def decision_reason(decided: Decided) -> str:
    """The history's reason for the automated status change (pure)."""
    codes = ",".join(h.code for h in decided.outcome.hits if h.action != "flag")
    status = decided.status
    if status == ApplicationStatus.DECLINED:
        return f"自动审批拒绝 {codes}"
    if status == ApplicationStatus.REFERRED:
        return f"转人工审批 {codes}"
    return "自动审批通过"


def _offer_line(
    session: Session,
    clock: Clock,
    offer: Offering,
    enterprise_id: uuid.UUID,
    decision_id: uuid.UUID,
    decided: Decided,
) -> uuid.UUID | None:
    """On approval the credit line offer (pending signature), through lending."""
    outcome = decided.outcome
    if outcome.outcome != "approve":
        return None
    assert outcome.rate_bp is not None and outcome.term_months is not None
    return lifecycle.create_offer_line(
        session,
        clock,
        enterprise_id=enterprise_id,
        product_code=offer.product.code,
        decision_id=decision_id,
        limit_fen=outcome.limit_fen,
        rate_bp=outcome.rate_bp,
        term_months=outcome.term_months,
        repayment_method=outcome.repayment_method or "",
        line_term_months=outcome.line_term_months or 12,
        product=offer.product_row,
        new_decision=True,
        guarantor_above_fen=offer.policy.document.parameters.guarantor_above_fen,
    )


@dataclass(frozen=True)
class Persisted:
    application: ApplicationRow
    decision: DecisionRow
    events: list[dict[str, Any]]  # the history rows' values
    review_id: uuid.UUID | None


def persist(
    session: Session,
    clock: Clock,
    principal: Principal,
    data: ApplicationCreate,
    *,
    offer: Offering,
    applicant: Applicant,
    channel: ChannelOf,
    pulled: Pulled,
    scored: Scored,
    decided: Decided,
    received_at: datetime,
    latency_ms: int,
    offer_line: bool = True,
) -> Persisted:
    """Every row written once with its final values (nothing updated afterwards; no foreign key
    ties an application to its decision or line): the offer line first, as the decision and
    the application carry its id; Core INSERTs, as the rows are complete and not needed as
    session objects (the ORM's unit of work cost more than the statements)."""
    enterprise_id = applicant.enterprise.id
    decision_id = new_id()
    line_id = (
        _offer_line(session, clock, offer, enterprise_id, decision_id, decided)
        if offer_line
        else None
    )
    status = decided.status
    decided_at = clock.now()
    app_id = new_id()
    app = ApplicationRow(
        id=app_id,
        reference=reference_from_id("APP", app_id, business_date(clock)),
        enterprise_id=enterprise_id,
        product_code=offer.product.code,
        requested_amount_fen=data.requested_amount_fen,
        requested_term_months=data.requested_term_months,
        declared_annual_revenue_fen=data.declared_annual_revenue_fen,
        status=status.value,
        applicant_user_id=principal.user_id,
        applicant_role=principal.role.value,
        legal_rep_person_id=applicant.person_id,
        contact_mobile_hash=channel.contact_mobile_hash,
        manager_user_id=channel.manager_id,
        team_code=channel.team_code,
        channel_key=channel.key,
        green_channel=False,
        latest_decision_id=decision_id,
        credit_line_id=line_id,
        created_at=received_at,
        updated_at=decided_at,
        decided_at=decided_at,
    )
    submitted = ApplicationStatus.SUBMITTED
    actor_name = audit.current_actor(session).name
    events = [
        lifecycle.event_values(app_id, None, submitted, "提交申请", principal.user_id, actor_name,
                               received_at),
        lifecycle.event_values(app_id, submitted, status, decision_reason(decided), None,
                               SYSTEM_NAME, decided_at),
    ]  # fmt: skip
    decision = automated_decision_row(
        decision_id=decision_id,
        application_id=app_id,
        policy_ref=offer.policy_ref,
        scored=scored,
        decided=decided,
        snapshot_ids=pulled.snapshot_ids,
        credit_line_id=line_id,
        latency_ms=latency_ms,
        decided_at=decided_at,
    )
    session.execute(table_insert(Application), app.values())
    session.execute(table_insert(ApplicationEvent), events)
    session.execute(table_insert(Decision), decision.values())
    review_id: uuid.UUID | None = None
    if status == ApplicationStatus.REFERRED:
        params = offer.policy.document.parameters
        review_row = review.review_values(clock, app_id, decision_id, green_channel=False,
                                          params=params)  # fmt: skip
        session.execute(table_insert(Review), review_row)
        review_id = review_row["id"]
    _audit_decision(session, app, decision, offer, scored, decided)
    return Persisted(app, decision, events, review_id)


def _audit_decision(
    session: Session,
    app: ApplicationRow,
    decision: DecisionRow,
    offer: Offering,
    scored: Scored,
    decided: Decided,
) -> None:
    outcome = decided.outcome
    audit.record(
        session,
        "application.decide",
        "application",
        app.id,
        after={
            "reference": app.reference,
            "enterprise_id": app.enterprise_id,
            "product_code": app.product_code,
            "requested_amount_fen": app.requested_amount_fen,
            "decision_id": decision.id,
            "outcome": outcome.outcome,
            "limit_fen": outcome.limit_fen,
            "rate_bp": outcome.rate_bp,
            "policy_version": offer.policy_ref.version,
            "model_version": scored.model.version,
            "codes": [h.code for h in outcome.hits],
        },
    )
