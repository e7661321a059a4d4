"""Queries of the decisioning domain, including the read-only look-ups it needs over parties.

The related-party group (same legal representative, actual controller or shareholder) and the
"enterprises of one person" count read `parties_relationship` directly: the parties service has
no reverse look-up yet (person -> enterprises). They are plain SELECTs and never write. Each
function is one round trip: the decision's hot path counts them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, literal, select, union
from sqlalchemy.orm import Session

from puhui.decisioning.models import Application
from puhui.parties.models import RelationKind, Relationship

GROUP_PERSON_KINDS = (
    RelationKind.LEGAL_REPRESENTATIVE.value,
    RelationKind.ACTUAL_CONTROLLER.value,
    RelationKind.SHAREHOLDER.value,
)


def related_group(session: Session, enterprise_id: uuid.UUID) -> set[uuid.UUID]:
    """Enterprises sharing a legal representative, an actual controller or a shareholder (a
    person) with `enterprise_id`, holding shares in it or held by it; itself included."""
    people = (
        select(Relationship.person_id)
        .where(
            Relationship.enterprise_id == enterprise_id,
            Relationship.kind.in_(GROUP_PERSON_KINDS),
            Relationship.person_id.is_not(None),
        )
        .scalar_subquery()
    )
    shareholder = RelationKind.SHAREHOLDER.value
    query = union(
        select(literal(enterprise_id, Relationship.enterprise_id.type).label("e")),
        select(Relationship.enterprise_id.label("e")).where(
            Relationship.person_id.in_(people), Relationship.kind.in_(GROUP_PERSON_KINDS)
        ),
        select(Relationship.related_enterprise_id.label("e")).where(
            Relationship.enterprise_id == enterprise_id,
            Relationship.kind == shareholder,
            Relationship.related_enterprise_id.is_not(None),
        ),
        select(Relationship.enterprise_id.label("e")).where(
            Relationship.related_enterprise_id == enterprise_id,
            Relationship.kind == shareholder,
        ),
    )
    return {e for e in session.scalars(select(query.subquery().c.e)) if e is not None}


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
    """The anti-fraud counts of Puhui's own records, in one query:

    * enterprises naming this person their legal representative (parties);
    * enterprises that applied with this registered contact phone (keyed hash);
    * applications through the same channel since `channel_since`;
    * applications of this enterprise since `enterprise_since`.
    """
    rep = (
        select(func.count(func.distinct(Relationship.enterprise_id)))
        .where(
            Relationship.person_id == legal_rep_person_id,
            Relationship.kind == RelationKind.LEGAL_REPRESENTATIVE.value,
        )
        .scalar_subquery()
        if legal_rep_person_id is not None
        else literal(0)
    )
    phone = (
        select(func.count(func.distinct(Application.enterprise_id)))
        .where(Application.contact_mobile_hash == mobile_hash)
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
    return {
        "legal_rep_enterprise_count": int(row[0] or 0),
        "phone_enterprise_count": int(row[1] or 0),
        "applications_channel_3h": int(row[2] or 0),
        "applications_enterprise_30d": int(row[3] or 0),
    }
