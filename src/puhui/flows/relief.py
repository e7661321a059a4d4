"""Relief across domains: a renewal (无还本续贷) needs a fresh approved credit decision.

Lending owns the loan and the renewal; decisioning owns the decision. Lending publishes
`RenewalDecisionCheck` before it changes anything and this flow's handler (subscribed in
`puhui.wiring`) refuses the renewal unless the cited decision is an approval of the loan's
enterprise taken within the configured number of days (`PUHUI_RENEWAL_DECISION_VALID_DAYS`).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from puhui.decisioning import service as decisioning_service
from puhui.decisioning.errors import ApplicationNotFound, DecisionNotFound
from puhui.lending.events import RenewalDecisionCheck
from puhui.lending.servicing.errors import RenewalDecisionRequired


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
