"""Queries of the decisioning domain. Each function is one round trip: the decision's hot path
counts them. What concerns parties (the related-party group, the enterprises one person leads)
and lending (live credit limits) comes from `puhui.parties.service` and `puhui.lending.service`
as expressions, folded into a query here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select
from sqlalchemy.orm import Session

from puhui.decisioning.models import Application
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service


@cache
def _context_statement() -> Select[Any]:
    """Built once with bound parameters (building it costs more than running it). One row per
    member of the related-party group (the enterprise itself included) with its live limits,
    and on every row the same anti-fraud counts. A NULL person or phone matches nothing."""
    enterprise_id = bindparam("enterprise_id", type_=Application.enterprise_id.type)
    group = parties_service.related_group_subquery(enterprise_id)
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
    limits = lending_service.live_limit_sum(group.c.e)
    return select(group.c.e, limits, rep, phone, channel, own).select_from(group)


@dataclass(frozen=True)
class DecisionContext:
    """Puhui's own records at decision time, the application being decided counted in."""

    borrower_exposure_fen: int  # live limits of the enterprise
    group_exposure_fen: int  # live limits of the other members of its related-party group
    group_size: int
    counts: dict[str, int]


def decision_context(
    session: Session,
    *,
    enterprise_id: uuid.UUID,
    legal_rep_person_id: uuid.UUID | None,
    mobile_hash: str | None,
    channel_key: str,
    channel_since: datetime,
    enterprise_since: datetime,
) -> DecisionContext:
    """Exposures and anti-fraud counts in one query:

    * the live credit limits of the enterprise and of the rest of its related-party group
      (`puhui.parties.service.related_group`, `puhui.lending.service.live_limit_sum`);
    * enterprises naming this person their legal representative (parties);
    * enterprises that applied with this registered contact phone (keyed hash);
    * applications through the same channel since `channel_since`;
    * applications of this enterprise since `enterprise_since`.

    The application being decided is not written yet (the decision writes its rows last); it
    is counted as one of them.
    """
    rows = session.execute(
        _context_statement(),
        {
            "enterprise_id": enterprise_id,
            "person_id": legal_rep_person_id,
            "mobile_hash": mobile_hash,
            "channel_key": channel_key,
            "channel_since": channel_since,
            "enterprise_since": enterprise_since,
        },
    ).all()
    limits = {row[0]: int(row[1] or 0) for row in rows if row[0] is not None}
    own = limits.pop(enterprise_id, 0)
    first = rows[0]  # the enterprise itself is always a member
    this = 1  # the application being decided
    return DecisionContext(
        borrower_exposure_fen=own,
        group_exposure_fen=sum(limits.values()),
        group_size=len(limits) + 1,
        counts={
            "legal_rep_enterprise_count": int(first[2] or 0),
            "phone_enterprise_count": int(first[3] or 0) + (this if mobile_hash else 0),
            "applications_channel_3h": int(first[4] or 0) + this,
            "applications_enterprise_30d": int(first[5] or 0) + this,
        },
    )
