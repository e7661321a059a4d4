"""Queries of the decisioning domain. Each function is one round trip: the decision's hot path
counts them. What concerns parties (the related-party group, the enterprises one person leads)
comes from `puhui.parties.service`, as an expression where it is folded into a query here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from puhui.decisioning.models import Application
from puhui.parties import service as parties_service


def anti_fraud_counts(
    session: Session,
    *,
    enterprise_id: uuid.UUID,
    legal_rep_person_id: uuid.UUID | None,
    mobile_hash: str | None,
    channel_key: str,
    channel_since: datetime,
    enterprise_since: datetime,
) -> dict[str, int]:
    """The anti-fraud counts of Puhui's own records, in one query, counting the application
    being decided (not yet written: the decision writes its rows last) as one of them:

    * enterprises naming this person their legal representative (parties);
    * enterprises that applied with this registered contact phone (keyed hash);
    * applications through the same channel since `channel_since`;
    * applications of this enterprise since `enterprise_since`.
    """
    rep = (
        parties_service.led_by_count(legal_rep_person_id)
        if legal_rep_person_id is not None
        else literal(0)
    )
    phone = (
        select(func.count(func.distinct(Application.enterprise_id)))
        .where(
            Application.contact_mobile_hash == mobile_hash,
            Application.enterprise_id != enterprise_id,
        )
        .scalar_subquery()
        if mobile_hash
        else literal(0)
    )
    channel = (
        select(func.count())
        .select_from(Application)
        .where(Application.channel_key == channel_key, Application.created_at > channel_since)
        .scalar_subquery()
    )
    own = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.enterprise_id == enterprise_id, Application.created_at > enterprise_since
        )
        .scalar_subquery()
    )
    row = session.execute(select(rep, phone, channel, own)).one()
    this = 1  # the application being decided
    return {
        "legal_rep_enterprise_count": int(row[0] or 0),
        "phone_enterprise_count": int(row[1] or 0) + (this if mobile_hash else 0),
        "applications_channel_3h": int(row[2] or 0) + this,
        "applications_enterprise_30d": int(row[3] or 0) + this,
    }
