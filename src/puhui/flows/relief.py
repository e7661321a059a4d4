"""Relief across domains: a renewal (无还本续贷) needs a fresh approved credit decision.

Lending owns the loan and the renewal; decisioning owns the decision. Lending publishes
`RenewalDecisionCheck` before it changes anything and this flow's handler (subscribed in
`puhui.wiring`) refuses the renewal unless the cited decision is an approval of the loan's
enterprise taken within the configured number of days (`PUHUI_RENEWAL_DECISION_VALID_DAYS`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import InvalidInput
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.errors import ApplicationNotFound, DecisionNotFound
from puhui.decisioning.schemas import ApplicationCreate, ConsentIn
from puhui.decisioning.service import DecisionEnv
from puhui.lending import service as lending_service
from puhui.lending.events import RenewalDecisionCheck
from puhui.lending.servicing import service as requests
from puhui.lending.servicing.errors import RenewalDecisionRequired
from puhui.lending.servicing.service import ReliefRequest, ReliefRequestKind
from puhui.parties import service as parties_service


def check_renewal_decision(session: Session, event: RenewalDecisionCheck) -> None:
    """Refuse the renewal unless `event.decision_id` is an approval of the loan's enterprise
    taken at most `event.valid_days` days before the renewal."""
    days = event.valid_days

    def refuse(why_zh: str, why_en: str) -> RenewalDecisionRequired:
        return RenewalDecisionRequired(days=days, why_zh=why_zh, why_en=why_en)

    try:
        decision = decisioning_service.get_decision(session, event.decision_id)
        application = decisioning_service.get_application(session, decision.application_id)
    except (DecisionNotFound, ApplicationNotFound):
        raise refuse("未找到该审批决定。", "the decision was not found.") from None
    if application.enterprise_id != event.enterprise_id:
        raise refuse("该决定不属于本企业。", "the decision is another enterprise's.")
    if decision.outcome != decisioning_service.DecisionOutcome.APPROVE:
        raise refuse("该决定未通过审批。", "the decision is not an approval.")
    decided_at = decision.decided_at
    if decided_at.tzinfo is None:
        decided_at = decided_at.replace(tzinfo=event.at.tzinfo)
    if decided_at < event.at - timedelta(days=days) or decided_at > event.at:
        raise refuse("该决定已过有效期，请重新审批。", "the decision is too old; decide again.")


# --------------------------------------------------------------------- relief requests


def fresh_decision_data(
    uscc: str, product_code: str, amount_fen: int, consent: ConsentIn
) -> ApplicationCreate:
    """The application a renewal's fresh decision decides: the enterprise's outstanding
    principal on the loan's product, under the consent the requester gave."""
    return ApplicationCreate(
        uscc=uscc,
        product_code=product_code,
        requested_amount_fen=amount_fen,
        consent=consent,
    )


def submit_relief_request(
    session: Session,
    clock: Clock,
    env: DecisionEnv,
    principal: Principal,
    loan_id: uuid.UUID,
    *,
    kind: ReliefRequestKind,
    months: int,
    reason: str,
    consent: ConsentIn | None,
    documents: list[requests.Document] | None = None,
) -> ReliefRequest:
    """File a relief request; for a renewal, take the fresh credit decision now (the
    enterprise's data re-pulled under the consent given with the request) and record it. A
    renewal without the consent is refused (nothing stays)."""
    req = requests.submit(
        session,
        clock,
        principal,
        loan_id,
        kind=kind,
        months=months,
        reason=reason,
        documents=documents,
    )
    if kind == ReliefRequestKind.RENEWAL:
        if consent is None:
            raise InvalidInput(field="consent.agree")
        loan = lending_service.get_loan_for(session, principal, loan_id)
        enterprise = parties_service.get_enterprise(session, loan.enterprise_id)
        data = fresh_decision_data(enterprise.uscc, loan.product_code, req.principal_fen, consent)
        out = decisioning_service.apply(
            session, clock, env, principal, data, idempotency_key=f"relief:{req.id}",
            offer_line=False,
        )  # fmt: skip
        assert out.decision is not None
        requests.attach_decision(
            session,
            req,
            application_id=out.id,
            decision_id=out.decision.id,
            outcome=out.decision.outcome,
        )
    return req


def refresh_decision(session: Session, req: ReliefRequest) -> None:
    """A referred fresh decision may since have been decided by a credit officer: cite the
    application's latest decision."""
    if req.application_id is None:
        return
    app = decisioning_service.get_application(session, req.application_id)
    if app.latest_decision_id is not None and app.latest_decision_id != req.decision_id:
        latest = decisioning_service.get_decision(session, app.latest_decision_id)
        requests.attach_decision(
            session,
            req,
            application_id=app.id,
            decision_id=latest.id,
            outcome=latest.outcome,
        )
