"""HTTP shapes of the identity domain (masked: never a clear resident ID or mobile)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class ThreeFactorIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="the person's name")
    resident_id: str = Field(min_length=18, max_length=18, description="resident ID (18)")
    mobile: str = Field(min_length=11, max_length=11, description="mainland mobile number")


class VerificationOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="two_factor | three_factor | face")
    passed: bool
    reason: str
    provider: str
    sandbox: bool = Field(description="answered by the sandbox provider (沙箱), not a real one")
    mobile_masked: str | None
    score_bp: int | None
    evidence_sha256: str
    created_at: datetime
