"""Manual review (人工审批) of referred applications: the queue, maker-checker, green channel.

A referred application opens a review due `review_sla_hours` after it was referred. A credit
officer approves or declines it with a mandatory reason; an approval above the policy's
`dual_control_above_fen` waits for a second officer (not the maker) to confirm, who may send it
back. The green channel (特事特办) puts a case at the front of the queue with its own, shorter
SLA clock (`green_channel_sla_hours` from the moment it was flagged). Every step is audited; the
final step stores a manual decision and, on approval, creates the credit line offer.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.ids import new_id
from puhui.core.money import format_fen
from puhui.decisioning import evidence, lifecycle, repository
from puhui.decisioning.errors import (
    OfferAboveCaps,
    ReviewAwaitingConfirmation,
    ReviewClosed,
    ReviewNotAwaitingConfirmation,
    ReviewNotFound,
    SameOfficer,
)
from puhui.decisioning.models import (
    Application,
    ApplicationStatus,
    Decision,
    DecisionKind,
    PolicyVersion,
    Review,
    ReviewStatus,
)
from puhui.decisioning.policy import PolicyDocument, PolicyParameters
from puhui.decisioning.schemas import ReasonOut, ReviewConfirm, ReviewDecide, ReviewOut

OPEN_STATUSES = (ReviewStatus.OPEN.value, ReviewStatus.AWAITING_CONFIRMATION.value)


def review_values(
    clock: Clock,
    application_id: uuid.UUID,
    decision_id: uuid.UUID,
    *,
    green_channel: bool,
    params: PolicyParameters,
) -> dict[str, Any]:
    """The column values of a new open review of a referred application (`Review`)."""
    now = clock.now()
    return {
        "id": new_id(),
        "application_id": application_id,
        "decision_id": decision_id,
        "status": ReviewStatus.OPEN.value,
        "green_channel": green_channel,
        "due_at": now + timedelta(hours=params.review_sla_hours),
        "dual_control_above_fen": params.dual_control_above_fen,
        "created_at": now,
    }


def get_review(session: Session, review_id: uuid.UUID) -> Review:
    row = session.get(Review, review_id)
    if row is None:
        raise ReviewNotFound()
    return row


def queue(
    session: Session, *, include_closed: bool = False, limit: int = 100
) -> list[tuple[Review, Application, Decision]]:
    """Open reviews: green channel first, then by due time (oldest first)."""
    query = (
        select(Review, Application, Decision)
        .join(Application, Application.id == Review.application_id)
        .join(Decision, Decision.id == Review.decision_id)
        .order_by(Review.green_channel.desc(), Review.due_at, Review.id)
        .limit(limit)
    )
    if not include_closed:
        query = query.where(Review.status.in_(OPEN_STATUSES))
    return [(r, a, d) for r, a, d in session.execute(query)]


def review_out(clock: Clock, row: Review, app: Application, decision: Decision) -> ReviewOut:
    now = clock.now()
    status = ReviewStatus(row.status)
    seconds = (row.due_at - now).total_seconds()
    proposal = {
        "limit_fen": decision.limit_fen,
        "rate_bp": decision.rate_bp,
        "term_months": decision.term_months,
        "repayment_method": decision.repayment_method,
        "grade": decision.grade,
        "score_points": decision.score_points,
        "pd": (decision.inputs or {}).get("score", {}).get("pd"),
        "hits": decision.rule_hits,
        "limit_calc": (decision.result or {}).get("limit_calc"),
    }
    return ReviewOut(
        id=row.id,
        application_id=app.id,
        application_reference=app.reference,
        enterprise_id=app.enterprise_id,
        product_code=app.product_code,
        requested_amount_fen=app.requested_amount_fen,
        status=status.value,
        green_channel=row.green_channel,
        green_channel_reason=row.green_channel_reason,
        due_at=row.due_at,
        overdue=not status.closed and now > row.due_at,
        minutes_left=int(seconds // 60),
        dual_control=_dual_control(row, decision),
        proposal=proposal,
        reasons=[ReasonOut(**r) for r in decision.reasons],
        maker_name=row.maker_name,
        maker_outcome=row.maker_outcome,
        maker_reason=row.maker_reason,
        maker_terms=row.maker_terms,
        checker_name=row.checker_name,
        checker_reason=row.checker_reason,
        created_at=row.created_at,
        closed_at=row.closed_at,
    )


def _dual_control(row: Review, decision: Decision) -> bool:
    made = int((row.maker_terms or {}).get("limit_fen") or 0)
    return max(made, decision.limit_fen) > row.dual_control_above_fen


def review_detail(session: Session, clock: Clock, review_id: uuid.UUID) -> ReviewOut:
    row = get_review(session, review_id)
    app = session.get(Application, row.application_id)
    decision = session.get(Decision, row.decision_id)
    assert app is not None and decision is not None
    return review_out(clock, row, app, decision)


def _policy_of(session: Session, decision: Decision) -> PolicyDocument | None:
    if decision.policy_version_id is None:
        return None
    row = session.get(PolicyVersion, decision.policy_version_id)
    return lifecycle.compiled_for(row).document if row is not None else None


def _guarantor_above(session: Session, decision: Decision) -> int | None:
    """The policy's limit above which a line needs a guarantor (None: never)."""
    doc = _policy_of(session, decision)
    return doc.parameters.guarantor_above_fen if doc is not None else None


def _check_caps(session: Session, app: Application, decision: Decision, limit_fen: int) -> None:
    """A manual approval stays within the product cap, the 普惠 ceiling and the group cap,
    measured on the exposures of now (not of the automated decision)."""
    doc = _policy_of(session, decision)
    product = (decision.inputs or {}).get("product", {})
    caps: list[tuple[int, str, str]] = []
    if product.get("max_limit_fen"):
        caps.append((int(product["max_limit_fen"]), "产品上限", "product cap"))
    if doc is not None:
        exp = repository.exposure(session, app.enterprise_id)
        p = doc.parameters
        policy_product = doc.products.get(app.product_code)
        if policy_product is not None:
            caps.append((policy_product.cap_fen, "政策产品上限", "policy product cap"))
        caps.append((p.ceiling_fen - exp.borrower_fen, "普惠单户上限", "per-borrower ceiling"))
        caps.append(
            (p.group_cap_fen - exp.group_fen - exp.borrower_fen, "关联集团上限", "group cap")
        )
    for cap, what, what_en in caps:
        if limit_fen > cap:
            raise OfferAboveCaps(
                field="limit_fen",
                limit=format_fen(limit_fen),
                cap=format_fen(max(cap, 0)),
                what=what,
                what_en=what_en,
            )


def _terms(decision: Decision, body: ReviewDecide) -> dict[str, Any]:
    return {
        "limit_fen": body.limit_fen if body.limit_fen is not None else decision.limit_fen,
        "rate_bp": body.rate_bp if body.rate_bp is not None else decision.rate_bp,
        "term_months": body.term_months if body.term_months is not None else decision.term_months,
        "repayment_method": decision.repayment_method,
        "line_term_months": (decision.result or {}).get("line_term_months") or 12,
    }


def _finalize(
    session: Session,
    clock: Clock,
    row: Review,
    app: Application,
    auto: Decision,
    outcome: str,
    terms: dict[str, Any] | None,
    reason: str,
    principal: Principal,
) -> Decision:
    now = clock.now()
    approve = outcome == "approve"
    decision = Decision(
        id=new_id(),
        application_id=app.id,
        kind=DecisionKind.MANUAL.value,
        outcome=outcome,
        feature_set_version=auto.feature_set_version,
        features=auto.features,
        snapshot_ids=auto.snapshot_ids,
        inputs=auto.inputs,
        policy_version_id=auto.policy_version_id,
        policy_version=auto.policy_version,
        model_id=auto.model_id,
        model_version=auto.model_version,
        score_points=auto.score_points,
        pd_ppm=auto.pd_ppm,
        grade=auto.grade,
        rule_hits=auto.rule_hits,
        reasons=auto.reasons,
        result={
            **(auto.result or {}),
            "manual": {"outcome": outcome, "terms": terms},
            "evidence": evidence.evidence_refs(session, row.id),
        },
        limit_fen=int(terms["limit_fen"]) if approve and terms else 0,
        rate_bp=terms["rate_bp"] if approve and terms else None,
        term_months=terms["term_months"] if approve and terms else None,
        repayment_method=terms["repayment_method"] if approve and terms else None,
        credit_line_id=None,
        decided_by_id=principal.user_id,
        decided_by_name=principal.username,
        reason_text=reason,
        latency_ms=int((now - row.created_at).total_seconds() * 1000),
        decided_at=now,
    )
    app.latest_decision_id = decision.id
    row.status = ReviewStatus.APPROVED.value if approve else ReviewStatus.DECLINED.value
    row.final_decision_id = decision.id
    row.closed_at = now
    lifecycle.transition(
        session,
        clock,
        app,
        ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED,
        f"人工审批：{reason}",
        actor_id=principal.user_id,
        actor_name=principal.username,
    )
    if approve and terms:
        # the decision row is append-only: it goes in once the line (and its id) exists
        decision.credit_line_id = app.credit_line_id = lifecycle.create_offer_line(
            session,
            clock,
            enterprise_id=app.enterprise_id,
            product_code=app.product_code,
            decision_id=decision.id,
            limit_fen=int(terms["limit_fen"]),
            rate_bp=int(terms["rate_bp"]),
            term_months=int(terms["term_months"]),
            repayment_method=str(terms["repayment_method"]),
            line_term_months=int(terms["line_term_months"]),
            guarantor_above_fen=_guarantor_above(session, auto),
        )
    session.add(decision)
    session.flush()
    return decision


def decide_review(
    session: Session, clock: Clock, principal: Principal, review_id: uuid.UUID, body: ReviewDecide
) -> Review:
    """The first officer's decision (maker). Above the dual-control amount an approval waits for
    a second officer; otherwise it is final."""
    row = get_review(session, review_id)
    status = ReviewStatus(row.status)
    if status.closed:
        raise ReviewClosed(status=status.value)
    if status == ReviewStatus.AWAITING_CONFIRMATION:
        raise ReviewAwaitingConfirmation(maker=row.maker_name or "")
    app = session.get(Application, row.application_id)
    auto = session.get(Decision, row.decision_id)
    assert app is not None and auto is not None
    terms = _terms(auto, body) if body.outcome == "approve" else None
    if terms is not None:
        if not terms["limit_fen"] or terms["rate_bp"] is None or terms["term_months"] is None:
            from puhui.core.errors import InvalidInput

            raise InvalidInput(field="limit_fen")
        _check_caps(session, app, auto, int(terms["limit_fen"]))
    now = clock.now()
    row.maker_id = principal.user_id
    row.maker_name = principal.username
    row.maker_outcome = body.outcome
    row.maker_reason = body.reason
    row.maker_terms = terms
    row.made_at = now
    audit.record(
        session,
        "review.decide",
        "review",
        row.id,
        after={"outcome": body.outcome, "reason": body.reason, "terms": terms},
    )
    if terms is not None and int(terms["limit_fen"]) > row.dual_control_above_fen:
        row.status = ReviewStatus.AWAITING_CONFIRMATION.value
        session.flush()
        return row
    _finalize(session, clock, row, app, auto, body.outcome, terms, body.reason, principal)
    return row


def confirm_review(
    session: Session, clock: Clock, principal: Principal, review_id: uuid.UUID, body: ReviewConfirm
) -> Review:
    """The second officer (checker, not the maker) confirms the maker's approval or sends the
    case back to the queue."""
    row = get_review(session, review_id)
    if ReviewStatus(row.status) != ReviewStatus.AWAITING_CONFIRMATION:
        raise ReviewNotAwaitingConfirmation()
    if row.maker_id == principal.user_id:
        raise SameOfficer()
    app = session.get(Application, row.application_id)
    auto = session.get(Decision, row.decision_id)
    assert app is not None and auto is not None
    now = clock.now()
    row.checker_id = principal.user_id
    row.checker_name = principal.username
    row.checker_reason = body.reason
    row.checked_at = now
    audit.record(
        session,
        "review.confirm" if body.agree else "review.send_back",
        "review",
        row.id,
        after={"agree": body.agree, "reason": body.reason, "maker": row.maker_name},
    )
    if not body.agree:
        row.status = ReviewStatus.OPEN.value
        session.flush()
        return row
    terms = row.maker_terms
    assert terms is not None
    _check_caps(session, app, auto, int(terms["limit_fen"]))
    reason = f"{row.maker_reason}（复核：{body.reason}）"
    _finalize(session, clock, row, app, auto, "approve", terms, reason, principal)
    return row


def green_channel(
    session: Session, clock: Clock, principal: Principal, review_id: uuid.UUID, reason: str
) -> Review:
    """特事特办: to the front of the queue, with the green-channel SLA from now."""
    row = get_review(session, review_id)
    status = ReviewStatus(row.status)
    if status.closed:
        raise ReviewClosed(status=status.value)
    app = session.get(Application, row.application_id)
    auto = session.get(Decision, row.decision_id)
    assert app is not None and auto is not None
    doc = _policy_of(session, auto)
    hours = doc.parameters.green_channel_sla_hours if doc is not None else 4
    now = clock.now()
    before = {"green_channel": row.green_channel, "due_at": row.due_at}
    row.green_channel = True
    row.green_channel_reason = reason
    row.green_channel_by_name = principal.username
    row.green_channel_at = now
    row.due_at = min(row.due_at, now + timedelta(hours=hours))
    app.green_channel = True
    session.flush()
    audit.record(
        session,
        "review.green_channel",
        "review",
        row.id,
        before=before,
        after={"green_channel": True, "due_at": row.due_at, "reason": reason},
    )
    return row


def withdraw_review(session: Session, clock: Clock, app: Application) -> None:
    row = session.scalar(select(Review).where(Review.application_id == app.id))
    if row is not None and not ReviewStatus(row.status).closed:
        row.status = ReviewStatus.WITHDRAWN.value
        row.closed_at = clock.now()
