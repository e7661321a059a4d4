"""Queries of the decisioning domain. Each function is one round trip: the decision's hot path
counts them. What concerns parties (the related-party group, the enterprises one person leads),
lending (live credit limits) and receivables (supply-chain limits) comes from
`puhui.parties.service`, `puhui.lending.service` and `puhui.receivables.exposure` as
expressions, folded into a query here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    Subquery,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Session

from puhui.decisioning.models import Application
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.receivables import exposure as receivables_exposure


def _enterprise_id() -> BindParameter[Any]:
    return bindparam("enterprise_id", type_=Application.enterprise_id.type)


def _group_limits(
    enterprise_id: BindParameter[Any],
) -> tuple[Subquery, ColumnElement[Any], ColumnElement[Any]]:
    """The related-party group of `enterprise_id` (itself included) and, per member, the sum of
    its live credit limits, and its supply-chain limit as a core enterprise plus the signed
    guarantees it gives (counted like the supply-chain limits: in the group's exposure)."""
    group = parties_service.related_group_subquery(enterprise_id)
    member = group.c.e
    others = receivables_exposure.limit_sum(member) + lending_service.guaranteed_sum(member)
    return group, lending_service.live_limit_sum(member), others


@cache
def _exposure_statement() -> Select[Any]:
    group, lines, chain = _group_limits(_enterprise_id())
    return select(group.c.e, lines, chain).select_from(group)


@cache
def _context_statement() -> Select[Any]:
    """Built once with bound parameters (building it costs more than running it). One row per
    member of the related-party group (the enterprise itself included) with its live limits,
    and on every row the same anti-fraud counts. A NULL person or phone matches nothing."""
    enterprise_id = _enterprise_id()
    group, lines, chain = _group_limits(enterprise_id)
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
    return select(group.c.e, lines, chain, rep, phone, channel, own).select_from(group)


@dataclass(frozen=True)
class Exposure:
    """The bank's exposure to an enterprise and its related-party group: live credit limits,
    and supply-chain limits of core enterprises.

    ``borrower_fen`` (the 普惠 per-borrower ceiling's) counts the enterprise's own credit lines
    only; ``group_fen`` (the group cap's, with ``borrower_fen``) counts the other members'
    credit lines and every member's supply-chain limit and signed guarantees given, the
    enterprise's own included."""

    borrower_fen: int
    group_fen: int
    group_size: int


def _exposure_of(rows: Sequence[Any], enterprise_id: uuid.UUID) -> Exposure:
    """From rows (member, live credit limits, supply-chain limit, ...) of the group of
    `enterprise_id`."""
    lines = {row[0]: int(row[1] or 0) for row in rows if row[0] is not None}
    chain = sum(int(row[2] or 0) for row in rows if row[0] is not None)
    own = lines.pop(enterprise_id, 0)
    return Exposure(own, sum(lines.values()) + chain, len(lines) + 1)


def exposure(session: Session, enterprise_id: uuid.UUID) -> Exposure:
    """The exposure to the enterprise and to the rest of its related-party group, in one query
    (`parties.service.related_group_subquery`, `lending.live_limit_sum`,
    `receivables.exposure.limit_sum`)."""
    rows = session.execute(_exposure_statement(), {"enterprise_id": enterprise_id}).all()
    return _exposure_of(rows, enterprise_id)


@dataclass(frozen=True)
class DecisionContext:
    """Puhui's own records at decision time, the application being decided counted in."""

    exposure: Exposure
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
      (as `exposure`);
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
    first = rows[0]  # the enterprise itself is always a member
    this = 1  # the application being decided
    return DecisionContext(
        exposure=_exposure_of(rows, enterprise_id),
        counts={
            "legal_rep_enterprise_count": int(first[3] or 0),
            "phone_enterprise_count": int(first[4] or 0) + (this if mobile_hash else 0),
            "applications_channel_3h": int(first[5] or 0) + this,
            "applications_enterprise_30d": int(first[6] or 0) + this,
        },
    )
