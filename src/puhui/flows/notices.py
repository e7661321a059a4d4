"""Servicing messages produced below engagement in the layers, recorded as engagement's
servicing notices (issue 18 item 2): the customer's /m inbox shows them, a marketing opt-out
never hides them. Subscribed in `puhui.wiring`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.engagement import notices as engagement_notices
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
