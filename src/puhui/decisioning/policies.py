"""Policy authoring (maker-checker): a risk officer submits a new version of the credit policy
(validated, diffed against the active one, stored immutable as pending approval), a second risk
officer approves it (it becomes active, the previous one superseded) or rejects it; versions are
listed and read. Evaluation and the document model are in `policy.py`; the active policy and its
compiled form in `lifecycle.py`. Re-exported by `service`. Never commits.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.decisioning.errors import (
    PolicyInvalid,
    PolicyNotFound,
    PolicyNotPending,
    PolicyStale,
    PolicyUnchanged,
    SameOfficer,
)
from puhui.decisioning.lifecycle import active_policy_row
from puhui.decisioning.models import PolicyStatus, PolicyVersion
from puhui.decisioning.policy import PolicyDocument, validate_document
from puhui.decisioning.policy_diff import diff_documents
from puhui.decisioning.schemas import PolicyVersionOut

__all__ = [
    "approve_policy",
    "find_policy",
    "get_policy",
    "list_policies",
    "policy_out",
    "reject_policy",
    "submit_policy",
]


def _version_of(session: Session, version_id: uuid.UUID | None) -> int | None:
    if version_id is None:
        return None
    row = session.get(PolicyVersion, version_id)
    return row.version if row else None


def policy_out(
    session: Session, row: PolicyVersion, *, with_document: bool = False
) -> PolicyVersionOut:
    return PolicyVersionOut(
        id=row.id,
        name=row.name,
        version=row.version,
        status=row.status,
        document_sha256=row.document_sha256,
        note=row.note,
        submitted_by_name=row.submitted_by_name,
        submitted_at=row.submitted_at,
        approved_by_name=row.approved_by_name,
        approved_at=row.approved_at,
        approval_note=row.approval_note,
        activated_at=row.activated_at,
        superseded_at=row.superseded_at,
        base_version=_version_of(session, row.base_version_id),
        diff=row.diff,
        validation=row.validation,
        document=row.document if with_document else None,
    )


def list_policies(session: Session, *, name: str | None = None) -> list[PolicyVersion]:
    query = select(PolicyVersion).order_by(PolicyVersion.name, PolicyVersion.version.desc())
    if name:
        query = query.where(PolicyVersion.name == name)
    return list(session.scalars(query))


def get_policy(session: Session, version_id: uuid.UUID) -> PolicyVersion:
    row = session.get(PolicyVersion, version_id)
    if row is None:
        raise PolicyNotFound()
    return row


def find_policy(session: Session, version: int, name: str | None = None) -> PolicyVersion:
    query = select(PolicyVersion).where(PolicyVersion.version == version)
    if name:
        query = query.where(PolicyVersion.name == name)
    row = session.scalars(query.order_by(PolicyVersion.submitted_at.desc())).first()
    if row is None:
        raise PolicyNotFound()
    return row


def _summary_text(validation: dict[str, Any]) -> tuple[str, str]:
    issues = validation.get("issues", [])
    failed = [t for t in validation.get("tests", []) if not t.get("passed")]
    zh = "；".join(f"{i['where']}: {i['zh']}" for i in issues[:5])
    en = "; ".join(f"{i['where']}: {i['en']}" for i in issues[:5])
    if failed:
        names = ", ".join(t["name"] for t in failed[:5])
        zh = (zh + "；" if zh else "") + f"{len(failed)} 个测试用例未通过（{names}）"
        en = (en + "; " if en else "") + f"{len(failed)} test case(s) failed ({names})"
    return zh or "未知问题", en or "unknown problem"


def submit_policy(
    session: Session,
    clock: Clock,
    principal: Principal,
    document: dict[str, Any],
    note: str,
) -> PolicyVersion:
    """A risk officer submits a new version: validated, diffed against the active one, stored
    immutable as pending approval (a second risk officer must approve it)."""
    result = validate_document(document)
    validation = result.to_dict()
    if not result.ok or result.document is None:
        zh, en = _summary_text(validation)
        raise PolicyInvalid(validation, summary_zh=zh, summary_en=en)
    doc = result.document
    active = active_policy_row(session)
    if active is not None and active.document_sha256 == doc.sha256():
        raise PolicyUnchanged()
    base_doc = PolicyDocument.model_validate(active.document) if active is not None else None
    diff = diff_documents(base_doc, doc)
    last = session.scalar(
        select(PolicyVersion.version)
        .where(PolicyVersion.name == doc.name)
        .order_by(PolicyVersion.version.desc())
        .limit(1)
    )
    now = clock.now()
    row = PolicyVersion(
        name=doc.name,
        version=(last or 0) + 1,
        status=PolicyStatus.PENDING_APPROVAL.value,
        document=doc.model_dump(mode="json"),
        document_sha256=doc.sha256(),
        base_version_id=active.id if active is not None else None,
        diff=diff.to_dict(),
        validation=validation,
        note=note,
        submitted_by_id=principal.user_id,
        submitted_by_name=principal.username,
        submitted_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "policy.submit",
        "policy_version",
        row.id,
        after={
            "name": row.name,
            "version": row.version,
            "sha256": row.document_sha256,
            "base_version": active.version if active is not None else None,
            "changes": diff.counts(),
            "note": note,
        },
    )
    return row


def _pending(session: Session, version_id: uuid.UUID) -> PolicyVersion:
    row = get_policy(session, version_id)
    if row.status != PolicyStatus.PENDING_APPROVAL.value:
        raise PolicyNotPending(status=row.status)
    return row


def approve_policy(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> PolicyVersion:
    """A second risk officer approves: the version becomes active, the previous one superseded."""
    row = _pending(session, version_id)
    if row.submitted_by_id == principal.user_id:
        raise SameOfficer()
    active = active_policy_row(session)
    if (active.id if active is not None else None) != row.base_version_id:
        raise PolicyStale()
    result = validate_document(row.document)
    if not result.ok:
        zh, en = _summary_text(result.to_dict())
        raise PolicyInvalid(result.to_dict(), summary_zh=zh, summary_en=en)
    now = clock.now()
    if active is not None:
        active.status = PolicyStatus.SUPERSEDED.value
        active.superseded_at = now
    row.status = PolicyStatus.ACTIVE.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = now
    row.approval_note = note
    row.activated_at = now
    session.flush()
    audit.record(
        session,
        "policy.approve",
        "policy_version",
        row.id,
        before={"active_version": active.version if active is not None else None},
        after={"name": row.name, "version": row.version, "sha256": row.document_sha256,
               "note": note},
    )  # fmt: skip
    return row


def reject_policy(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> PolicyVersion:
    row = _pending(session, version_id)
    row.status = PolicyStatus.REJECTED.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = clock.now()
    row.approval_note = note
    session.flush()
    audit.record(
        session,
        "policy.reject",
        "policy_version",
        row.id,
        after={"name": row.name, "version": row.version, "note": note},
    )
    return row
