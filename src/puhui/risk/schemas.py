"""Request and response models of the risk API, and the StrEnums other domains may read."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import PlausibleDate, PositiveFen, SafeMultiline
from puhui.risk.models import (
    ActionKind as ActionKind,
)
from puhui.risk.models import (
    ActionStatus as ActionStatus,
)
from puhui.risk.models import (
    AlertStatus as AlertStatus,
)
from puhui.risk.models import (
    Disposition as Disposition,
)
from puhui.risk.models import (
    Level as Level,
)
from puhui.risk.models import (
    MonitorStatus as MonitorStatus,
)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertOut(_Out):
    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    signal_code: str
    level: Level
    status: AlertStatus
    assignee_user_id: uuid.UUID | None
    reasons: list[dict[str, Any]]
    business_date: date
    opened_at: datetime
    sla_due_at: datetime
    last_seen_date: date
    resolved_at: datetime | None
    disposition: Disposition | None
    resolution_note: str | None


class AlertNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: SafeMultiline = Field(default="", max_length=1000)


class AlertAssign(AlertNote):
    user_id: uuid.UUID


class AlertResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: Disposition
    note: SafeMultiline = Field(min_length=1, max_length=1000)


class ActionProposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enterprise_id: uuid.UUID
    kind: ActionKind
    reason: SafeMultiline = Field(min_length=1, max_length=500)
    line_id: uuid.UUID | None = None
    alert_id: uuid.UUID | None = None
    new_limit_fen: PositiveFen | None = None
    due_date: PlausibleDate | None = None

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.new_limit_fen is not None:
            out["new_limit_fen"] = self.new_limit_fen
        if self.due_date is not None:
            out["due_date"] = self.due_date.isoformat()
        return out


class ActionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: SafeMultiline = Field(default="", max_length=500)


class ActionOut(_Out):
    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    line_id: uuid.UUID | None
    alert_id: uuid.UUID | None
    kind: ActionKind
    status: ActionStatus
    params: dict[str, Any]
    reason: str
    automatic: bool
    proposed_by_name: str
    proposed_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_note: str | None


class RulesSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: dict[str, Any]
    note: SafeMultiline = Field(default="", max_length=1000)


class RulesDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: SafeMultiline = Field(default="", max_length=1000)


class RulesVersionOut(_Out):
    id: uuid.UUID
    name: str
    version: int
    status: str
    document_sha256: str
    diff: dict[str, Any]
    note: str
    submitted_by_name: str
    submitted_at: datetime
    approved_by_name: str | None
    approved_at: datetime | None
    activated_at: datetime | None


class ReplayRowOut(BaseModel):
    observation_id: uuid.UUID
    enterprise_id: uuid.UUID
    business_date: date
    level_then: str | None
    level_now: str | None
    codes_now: list[str]
    changed: bool
