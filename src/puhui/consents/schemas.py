"""HTTP and service contracts of the consents domain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from puhui.consents.models import Channel, ConsentScope, ConsentStatus, Purpose
from puhui.consents.sources import SourceName
from puhui.core.types import SafeMultiline, StrictInt

DEFAULT_VALID_DAYS = 365
MAX_VALID_DAYS = 3 * 365


class ConsentGrantRequest(BaseModel):
    """The one-screen consent of an application: several sources for one purpose and scope."""

    model_config = ConfigDict(extra="forbid")

    sources: list[SourceName] = Field(min_length=1, max_length=len(SourceName))
    purpose: Purpose
    scope: ConsentScope = ConsentScope.ENTERPRISE
    person_id: uuid.UUID | None = Field(
        default=None, description="the legal representative, for scope legal_representative"
    )
    channel: Channel = Channel.API
    text_lang: Literal["zh", "en"] = "zh"
    text_versions: dict[SourceName, str] = Field(
        default_factory=dict, description="version shown per source; the current one if absent"
    )
    text_sha256: dict[SourceName, str] = Field(
        default_factory=dict,
        description="SHA-256 of the text shown per source, checked against the catalogue",
    )
    valid_days: StrictInt = Field(default=DEFAULT_VALID_DAYS, ge=1, le=MAX_VALID_DAYS)

    @field_validator("sources")
    @classmethod
    def _unique(cls, value: list[SourceName]) -> list[SourceName]:
        return list(dict.fromkeys(value))


class ConsentRevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SafeMultiline | None = Field(default=None, max_length=200)


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    person_id: uuid.UUID | None
    source: SourceName
    purpose: Purpose
    scope: ConsentScope
    channel: Channel
    text_version: str
    text_lang: str
    text_sha256: str
    granted_at: datetime
    expires_at: datetime
    granted_by_user_id: uuid.UUID | None
    revoked_at: datetime | None
    revoked_by_user_id: uuid.UUID | None
    revoke_reason: str | None
    superseded_by_id: uuid.UUID | None
    status: ConsentStatus


class ConsentTextOut(BaseModel):
    source: SourceName
    purpose: Purpose
    version: str
    lang: Literal["zh", "en"]
    title: str
    text: str
    sha256: str


@dataclass(frozen=True)
class ConsentRef:
    """A live consent as another domain needs it (the data hub: which consent allowed a pull)."""

    id: uuid.UUID
    source: SourceName
    scope: ConsentScope
    person_id: uuid.UUID | None
