"""What an interview can be about, resolved through the owning domain's service: the
enterprise whose people may join, a human reference, and whether it is still open."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from puhui.core.clock import Clock
from puhui.decisioning import review as review_service
from puhui.interviews.states import SubjectKind


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: uuid.UUID
    enterprise_id: uuid.UUID
    reference: str
    open: bool


def resolve(session: Session, clock: Clock, kind: SubjectKind, subject_id: uuid.UUID) -> Subject:
    """The subject, or the owner's not-found error (`review_not_found`)."""
    if kind == SubjectKind.DECISION_REVIEW:
        out = review_service.review_detail(session, clock, subject_id)
        return Subject(
            kind=kind,
            id=subject_id,
            enterprise_id=out.enterprise_id,
            reference=out.application_reference,
            open=out.status in review_service.OPEN_STATUSES,
        )
    raise ValueError(kind)  # pragma: no cover - every SubjectKind is handled above


def subject_url(kind: SubjectKind, subject_id: uuid.UUID) -> str:
    """Where the subject lives in the console."""
    return {SubjectKind.DECISION_REVIEW: f"/console/reviews/{subject_id}"}[kind]
