"""Evidence for a manual review (审批证据): what an officer gathered beyond the data sources —
today a video interview's recording hash and checklist outcome, given by the interviews domain
through `service.add_review_evidence`. Rows are append-only; the manual decision that closes
the review copies the list into its `result["evidence"]`, so the decision names what it rested on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.decisioning.errors import ReviewNotFound
from puhui.decisioning.models import Review, ReviewEvidence


@dataclass(frozen=True)
class EvidenceRecord:
    id: uuid.UUID
    review_id: uuid.UUID
    kind: str
    ref_id: uuid.UUID
    sha256: str | None
    summary: dict[str, Any]
    recorded_by_name: str
    recorded_at: datetime


def _record(row: ReviewEvidence) -> EvidenceRecord:
    return EvidenceRecord(
        id=row.id,
        review_id=row.review_id,
        kind=row.kind,
        ref_id=row.ref_id,
        sha256=row.sha256,
        summary=dict(row.summary),
        recorded_by_name=row.recorded_by_name,
        recorded_at=row.recorded_at,
    )


def add_review_evidence(
    session: Session,
    clock: Clock,
    principal: Principal,
    review_id: uuid.UUID,
    *,
    kind: str,
    ref_id: uuid.UUID,
    sha256: str | None,
    summary: dict[str, Any],
) -> EvidenceRecord:
    """Attach one piece of evidence to a review (audited)."""
    if session.get(Review, review_id) is None:
        raise ReviewNotFound()
    row = ReviewEvidence(
        review_id=review_id,
        kind=kind,
        ref_id=ref_id,
        sha256=sha256,
        summary=summary,
        recorded_by_id=principal.user_id,
        recorded_by_name=principal.username,
        recorded_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "review.evidence",
        "review",
        review_id,
        after={"kind": kind, "ref_id": str(ref_id), "sha256": sha256},
    )
    return _record(row)


def review_evidence(session: Session, review_id: uuid.UUID) -> list[EvidenceRecord]:
    rows = session.scalars(
        select(ReviewEvidence)
        .where(ReviewEvidence.review_id == review_id)
        .order_by(ReviewEvidence.recorded_at, ReviewEvidence.id)
    )
    return [_record(r) for r in rows]


def evidence_refs(session: Session, review_id: uuid.UUID) -> list[dict[str, Any]]:
    """The review's evidence as plain JSON, for the manual decision's result."""
    return [
        {"kind": e.kind, "ref_id": str(e.ref_id), "sha256": e.sha256, "summary": e.summary}
        for e in review_evidence(session, review_id)
    ]
