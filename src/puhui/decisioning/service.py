"""Public functions of the decisioning domain (闪电贷). They never commit.

Applications  apply, get_application_for, list_applications, own_applications, application_out,
              withdraw, mark_offer_accepted, mark_offer_expired, take_approval_for_supply_chain
Decisions     get_decision, decision_out, replay
Policies      ensure_seed_policy, active_policy, submit_policy, approve_policy, reject_policy,
              list_policies, get_policy, policy_out
Reviews       see `puhui.decisioning.review`; their evidence: add_review_evidence, review_evidence

`apply` is one unit of work: it registers the enterprise when it is new (from the public
business registration), grants the consents the decision needs (purpose credit_decision), pulls
the sources through the data hub (consent enforced, snapshots kept), computes the features,
scores them with the champion scorecard, evaluates the active policy, stores the decision with
its lineage, and on approval creates the credit line offer (pending signature) through lending.
A refusal anywhere raises and the caller rolls everything back. Those steps are named
functions in `pipeline.py`; `apply` calls them in order. Policy authoring lives in
`policies.py` and is re-exported here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, idempotency
from puhui.core.auth import Principal
from puhui.core.clock import Clock, FixedClock
from puhui.core.money import format_fen
from puhui.decisioning import lifecycle, pipeline, review
from puhui.decisioning.errors import (
    ApplicationNotFound,
    ApprovalNotUsable,
    DecisionNotFound,
    PolicyNotFound,
)
from puhui.decisioning.evidence import (  # noqa: F401 - the public face of review evidence
    EvidenceRecord,
    add_review_evidence,
    review_evidence,
)
from puhui.decisioning.lifecycle import (
    active_policy,
    active_policy_row,
    compiled_for,
    ensure_seed_policy,
)
from puhui.decisioning.model_choice import segment_of
from puhui.decisioning.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Decision,
    DecisionKind,
    DecisionOutcome,
    PolicyVersion,
    Review,
)
from puhui.decisioning.pipeline import ENTERPRISE_SOURCES, DecisionEnv
from puhui.decisioning.policies import (
    approve_policy,
    find_policy,
    get_policy,
    list_policies,
    policy_out,
    reject_policy,
    submit_policy,
)
from puhui.decisioning.policy import (
    DecisionInputs,
    decide,
)
from puhui.decisioning.schemas import (
    ApplicationCreate,
    ApplicationEventOut,
    ApplicationOut,
    DecisionOut,
    DecisionSummary,
    ReasonOut,
    ReplayChange,
    ReplayReport,
    RuleHitOut,
)
from puhui.lending import service as lending_service
from puhui.lending.events import OfferAccepted, OfferLapsed

__all__ = [
    "ENTERPRISE_SOURCES",
    "DecisionEnv",
    "active_policy",
    "application_out",
    "apply",
    "approve_policy",
    "decision_out",
    "ensure_seed_policy",
    "find_policy",
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

IDEMPOTENCY_SCOPE = "decisioning.application"


# =========================================================================== applications


def apply(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    principal: Principal,
    data: ApplicationCreate,
    *,
    idempotency_key: str,
    offer_line: bool = True,
) -> ApplicationOut:
    """Take an application and decide it (see the module docstring; the steps are in
    `puhui.decisioning.pipeline`). `offer_line=False`: a fresh decision on an enterprise already
    served (a renewal's, issue 17) that offers no new line."""
    started = time.perf_counter()
    payload = data.model_dump(mode="json")
    scope = f"{IDEMPOTENCY_SCOPE}:{principal.user_id}"[:64]
    stored = idempotency.begin(session, scope, idempotency_key, payload)
    if stored is not None:
        return ApplicationOut.model_validate({**stored, "replayed": True})
    pipeline.check_request(session, data)
    offer = pipeline.offering(session, clock, data)
    applicant = pipeline.identify(session, clock, env, principal, data)
    received_at = clock.now()
    consents = pipeline.consent(session, clock, principal, data, applicant)
    pulled = pipeline.pull(session, clock, env, data, applicant, consents)
    enterprise = applicant.enterprise
    channel = pipeline.channel_of(env.cipher, principal, data, enterprise, pulled.registry)
    features = pipeline.features(session, clock, data, applicant, pulled, channel)
    industry = pulled.registry.industry_code if pulled.registry is not None else None
    scored = pipeline.score_for(
        offer.policy.document.model_choice, env.models, features, segment_of(industry, features)
    )
    decided = pipeline.decide(
        offer.policy,
        offer.product,
        features,
        scored.inputs,
        requested_amount_fen=data.requested_amount_fen,
        requested_term_months=data.requested_term_months,
        scores=scored.scores,
    )
    latency_ms = int((time.perf_counter() - started) * 1000)
    written = pipeline.persist(
        session,
        clock,
        principal,
        data,
        offer=offer,
        applicant=applicant,
        channel=channel,
        pulled=pulled,
        scored=scored,
        decided=decided,
        received_at=received_at,
        latency_ms=latency_ms,
        offer_line=offer_line,
    )
    out = _application_out(
        Application(**written.application.values()),
        Decision(**written.decision.values()),
        [ApplicationEventOut.model_validate(e) for e in written.events],
        written.review_id,
    )
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


def customer_manager_of(session: Session, enterprise_id: uuid.UUID) -> uuid.UUID | None:
    """The enterprise's customer manager: the one attributed on its latest application that
    names one (risk assigns the enterprise's alerts to them)."""
    return session.scalar(
        select(Application.manager_user_id)
        .where(Application.enterprise_id == enterprise_id, Application.manager_user_id.is_not(None))
        .order_by(Application.created_at.desc())
        .limit(1)
    )


def current_managers(
    session: Session, enterprise_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each enterprise's current customer manager (as `customer_manager_of`), for those that
    have one."""
    from puhui.decisioning import managers  # managers imports this module

    return managers.current_of(session, enterprise_ids)


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


def latest_feature_values(
    session: Session, names: Sequence[str]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Per enterprise, the named features of its latest decision (engagement's segments read
    sales and headcount this way: data of a decision already taken, not a new pull)."""
    out: dict[uuid.UUID, dict[str, Any]] = {}
    rows = session.execute(
        select(Application.enterprise_id, Decision.features)
        .join(Decision, Decision.application_id == Application.id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    )
    for enterprise_id, features in rows:
        if enterprise_id not in out:
            out[enterprise_id] = {n: (features or {}).get(n) for n in names}
    return out
