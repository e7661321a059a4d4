"""Contracts of the data hub: the snapshot callers receive, and the HTTP shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from puhui.consents.schemas import ConsentScope, Purpose
from puhui.datahub.models import SubjectType
from puhui.datahub.payloads import SourceName


class Snapshot(BaseModel):
    """One provider payload for one subject, validated, as the hub stored it.

    `pull_id` and `reused` describe the pull that returned it (None / False when read back for
    lineage with `snapshots()`); `consent_id` is the consent it was fetched under.
    """

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    source: SourceName
    subject_type: SubjectType
    subject_key: str
    enterprise_id: uuid.UUID
    person_id: uuid.UUID | None
    fetched_at: datetime
    request_id: str
    provider: str
    is_sandbox: bool
    payload_hash: str
    consent_id: uuid.UUID
    payload: SerializeAsAny[BaseModel]
    pull_id: uuid.UUID | None = None
    reused: bool = False


class PullRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceName] = Field(min_length=1, max_length=len(SourceName))
    purpose: Purpose
    scope: ConsentScope = ConsentScope.ENTERPRISE
    person_id: uuid.UUID | None = None
    refresh: bool = Field(default=False, description="fetch again even if a fresh snapshot exists")


class SnapshotOut(BaseModel):
    id: uuid.UUID
    source: SourceName
    subject_type: SubjectType
    subject_key: str
    enterprise_id: uuid.UUID
    person_id: uuid.UUID | None
    fetched_at: datetime
    request_id: str
    provider: str
    is_sandbox: bool
    payload_hash: str
    consent_id: uuid.UUID
    pull_id: uuid.UUID | None
    reused: bool
    payload: dict[str, Any]

    @classmethod
    def of(cls, snap: Snapshot) -> SnapshotOut:
        return cls(
            **snap.model_dump(exclude={"payload"}),
            payload=snap.payload.model_dump(mode="json"),
        )


class PullOut(BaseModel):
    """One line of an enterprise's data-access log (who read which source, when, why)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    person_id: uuid.UUID | None
    source: SourceName
    purpose: Purpose
    scope: ConsentScope
    consent_id: uuid.UUID
    snapshot_id: uuid.UUID
    reused: bool
    pulled_at: datetime
    actor_name: str
