"""Servicing messages produced below engagement in the layers (risk's collections reminders,
lending's servicing notices), recorded as engagement's servicing notices (issue 18 item 2): the
customer's /m inbox shows them, a marketing opt-out never hides them. Subscribed in
`puhui.wiring`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.engagement import notices as engagement_notices
from puhui.lending.servicing.events import ServicingNoticeQueued
from puhui.risk.events import CustomerNoticeQueued


def on_customer_notice(session: Session, event: CustomerNoticeQueued) -> None:
    """A collections reminder was queued (its SMS by risk): the notice and its inbox message."""
    engagement_notices.record_notice(
        session,
        event.at,
        enterprise_id=event.enterprise_id,
        kind=engagement_notices.NoticeKind(event.kind),
        key=event.key,
        body=event.body,
        outbox_message_id=event.outbox_message_id,
    )


SERVICING_KINDS = {
    "loan_maturity": engagement_notices.NoticeKind.RENEWAL_OFFER,  # maturity: renewal offered
    "line_maturity": engagement_notices.NoticeKind.LIMIT_EXPIRY,
    "repricing": engagement_notices.NoticeKind.RATE_CHANGE,
    "limit_increase": engagement_notices.NoticeKind.LIMIT_INCREASE,
}


def on_servicing_notice(session: Session, event: ServicingNoticeQueued) -> None:
    """A servicing notice's SMS was queued by lending: the notice and its inbox message."""
    kind = SERVICING_KINDS.get(event.kind)
    if kind is None:  # a kind engagement does not know yet: its SMS went, no inbox copy
        return
    engagement_notices.record_notice(
        session,
        event.at,
        enterprise_id=event.enterprise_id,
        kind=kind,
        key=f"servicing:{event.notice_id}",
        body=event.body,
        outbox_message_id=event.outbox_message_id,
    )
