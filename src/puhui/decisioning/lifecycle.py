"""Shared steps of the application life cycle: status transitions with history, exposures, the
credit-line offer, and the active policy. Used by `service` (automated decisions) and `review`
(manual decisions). Nothing here commits.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock, business_date
from puhui.core.ids import new_id
from puhui.decisioning.errors import InvalidApplicationTransition, NoActivePolicy
from puhui.decisioning.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    PolicyStatus,
    PolicyVersion,
)
from puhui.decisioning.policy import CompiledPolicy, PolicyDocument, compile_policy
from puhui.lending import service as lending_service
from puhui.lending.schemas import ProductBounds

SEED_POLICY_PATH = Path(__file__).parent / "policies" / "default.json"
SYSTEM_NAME = "system"


# --------------------------------------------------------------------------- transitions


def transition(
    session: Session,
    clock: Clock,
    app: Application,
    to: ApplicationStatus,
    reason: str,
    *,
    actor_id: uuid.UUID | None = None,
    actor_name: str = SYSTEM_NAME,
) -> None:
    current = ApplicationStatus(app.status)
    if to not in APPLICATION_TRANSITIONS[current]:
        raise InvalidApplicationTransition(
            from_status=current.value, to_status=to.value, from_zh=current.zh, to_zh=to.zh
        )
    now = clock.now()
    app.status = to.value
    app.updated_at = now
    if to in (ApplicationStatus.APPROVED, ApplicationStatus.DECLINED, ApplicationStatus.REFERRED):
        app.decided_at = now
    session.add(
        ApplicationEvent(**event_values(app.id, current, to, reason, actor_id, actor_name, now))
    )


def event_values(
    application_id: uuid.UUID,
    from_status: ApplicationStatus | None,
    to_status: ApplicationStatus,
    reason: str,
    actor_id: uuid.UUID | None,
    actor_name: str,
    occurred_at: datetime,
) -> dict[str, Any]:
    """The column values of one history row (`ApplicationEvent`)."""
    return {
        "id": new_id(),
        "application_id": application_id,
        "from_status": from_status.value if from_status is not None else None,
        "to_status": to_status.value,
        "reason": reason[:500],
        "actor_id": actor_id,
        "actor_name": actor_name,
        "occurred_at": occurred_at,
    }


# --------------------------------------------------------------------------- offers


def create_offer_line(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    product_code: str,
    decision_id: uuid.UUID,
    limit_fen: int,
    rate_bp: int,
    term_months: int,
    repayment_method: str,
    line_term_months: int,
    product: ProductBounds | None = None,
    new_decision: bool = False,
    guarantor_above_fen: int | None = None,
) -> uuid.UUID:
    """The credit line of an approved offer (pending signature), via the lending service
    (`product` and `new_decision`: see `lending.service.create_line_from_offer`). A limit above
    the policy's `guarantor_above_fen` requires a signed guarantee covering the limit before
    the line is activated (`lending.service.require_guarantee`)."""
    line = lending_service.create_line_from_offer(
        session,
        clock,
        enterprise_id=enterprise_id,
        product_code=product_code,
        limit_fen=limit_fen,
        rate_bp=rate_bp,
        term_months=term_months,
        expiry_date=lending_service.line_expiry_date(business_date(clock), line_term_months),
        decision_id=decision_id,
        repayment_method=repayment_method,
        product=product,
        new_decision=new_decision,
    )
    if guarantor_above_fen is not None and limit_fen > guarantor_above_fen:
        lending_service.require_guarantee(
            session, clock, line.id, limit_fen,
            f"额度超过 {guarantor_above_fen // 100} 元须保证人担保 (policy guarantor_above_fen)",
        )  # fmt: skip
    return line.id


# --------------------------------------------------------------------------- policies


_compiled_by_id: dict[uuid.UUID, CompiledPolicy] = {}
_compiled_lock = threading.Lock()


def compiled_for(row: PolicyVersion) -> CompiledPolicy:
    """The compiled policy of a stored version (versions are immutable: cached by id)."""
    compiled = _compiled_by_id.get(row.id)
    if compiled is None:
        doc = PolicyDocument.model_validate(row.document)
        compiled = compile_policy(doc)
        with _compiled_lock:
            _compiled_by_id[row.id] = compiled
    return compiled


def seed_document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED_POLICY_PATH.read_text(encoding="utf-8"))
    return data


def active_policy_row(session: Session) -> PolicyVersion | None:
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.status == PolicyStatus.ACTIVE.value)
        .order_by(PolicyVersion.activated_at.desc())
        .limit(1)
    )


def ensure_seed_policy(session: Session, clock: Clock) -> PolicyVersion:
    """The active policy; on a fresh database, the seed policy installed as version 1."""
    row = active_policy_row(session)
    if row is not None:
        return row
    if session.scalar(select(PolicyVersion.id).limit(1)) is not None:
        raise NoActivePolicy()
    doc = PolicyDocument.model_validate(seed_document())
    now = clock.now()
    row = PolicyVersion(
        name=doc.name,
        version=1,
        status=PolicyStatus.ACTIVE.value,
        document=doc.model_dump(mode="json"),
        document_sha256=doc.sha256(),
        base_version_id=None,
        diff={"counts": {"added": 1, "removed": 0, "changed": 0}, "changes": []},
        validation={"ok": True, "issues": [], "tests": [], "seed": True},
        note="初始授信政策（随系统安装） seed policy installed with the system",
        submitted_by_id=None,
        submitted_by_name=SYSTEM_NAME,
        submitted_at=now,
        approved_by_id=None,
        approved_by_name=SYSTEM_NAME,
        approved_at=now,
        approval_note="seed",
        activated_at=now,
        superseded_at=None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "policy.seed",
        "policy_version",
        row.id,
        after={"name": row.name, "version": 1, "sha256": row.document_sha256},
    )
    return row


@dataclass(frozen=True)
class PolicyRef:
    id: uuid.UUID
    name: str
    version: int


@cache
def _active_ref_statement() -> Select[uuid.UUID, str, int]:
    return (
        select(PolicyVersion.id, PolicyVersion.name, PolicyVersion.version)
        .where(PolicyVersion.status == PolicyStatus.ACTIVE.value)
        .order_by(PolicyVersion.activated_at.desc())
        .limit(1)
    )


def active_policy(session: Session, clock: Clock) -> tuple[PolicyRef, CompiledPolicy]:
    """The active version and its compiled form. Only its id is read when it is compiled
    already (versions are immutable), not its document: this runs on every decision."""
    found = session.execute(_active_ref_statement()).first()
    if found is None:
        row = ensure_seed_policy(session, clock)
        return PolicyRef(row.id, row.name, row.version), compiled_for(row)
    ref = PolicyRef(found[0], found[1], found[2])
    compiled = _compiled_by_id.get(ref.id)
    if compiled is None:
        stored = session.get(PolicyVersion, ref.id)
        assert stored is not None
        compiled = compiled_for(stored)
    return ref, compiled
