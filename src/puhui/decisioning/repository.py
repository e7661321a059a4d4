"""Queries of the decisioning domain. Each function is one round trip: the decision's hot path
counts them. What concerns parties (the related-party group, the enterprises one person leads)
comes from `puhui.parties.service`, as an expression where it is folded into a query here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from puhui.decisioning.models import Application
from puhui.parties import service as parties_service


@cache
def _anti_fraud_statement() -> Select[Any]:
    """Built once with bound parameters (building it costs more than running it). A NULL
    person or phone matches nothing, so their counts are 0."""
    enterprise_id = bindparam("enterprise_id", type_=Application.enterprise_id.type)
    rep = parties_service.led_by_count(bindparam("person_id", type_=Application.enterprise_id.type))
    phone = (
        select(func.count(func.distinct(Application.enterprise_id)))
        .where(
            Application.contact_mobile_hash == bindparam("mobile_hash", type_=String()),
            Application.enterprise_id != enterprise_id,
        )
        .scalar_subquery()
    )
    channel = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.channel_key == bindparam("channel_key", type_=String()),
            Application.created_at > bindparam("channel_since", type_=Application.created_at.type),
        )
        .scalar_subquery()
    )
    own = (
        select(func.count())
        .select_from(Application)
        .where(
            Application.enterprise_id == enterprise_id,
            Application.created_at
            > bindparam("enterprise_since", type_=Application.created_at.type),
        )
        .scalar_subquery()
    )
    return select(rep, phone, channel, own)


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
    row = session.execute(
        _anti_fraud_statement(),
        {
            "enterprise_id": enterprise_id,
            "person_id": legal_rep_person_id,
            "mobile_hash": mobile_hash,
            "channel_key": channel_key,
            "channel_since": channel_since,
            "enterprise_since": enterprise_since,
        },
    ).one()
    this = 1  # the application being decided
    return {
        "legal_rep_enterprise_count": int(row[0] or 0),
        "phone_enterprise_count": int(row[1] or 0) + (this if mobile_hash else 0),
        "applications_channel_3h": int(row[2] or 0) + this,
        "applications_enterprise_30d": int(row[3] or 0) + this,
    }
