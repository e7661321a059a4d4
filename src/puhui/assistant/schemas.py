"""Pydantic shapes of the assistant's API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import SafeMultiline


class ConversationStart(BaseModel):
    lang: str = Field(default="zh", pattern="^(zh|en)$")


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    status: str
    lang: str
    hand_off_reason: str | None
    created_at: datetime


class MessageIn(BaseModel):
    text: SafeMultiline = Field(min_length=1, max_length=500)


class LinkOut(BaseModel):
    href: str
    label: str


class ReplyOut(BaseModel):
    kind: str = Field(description="answer | clarify | hand_off | relay")
    intent: str | None
    sub_intent: str | None = Field(
        default=None, description="convenience_query: a question about one's own 公积金/社保"
    )
    confidence: float | None
    text: str
    options: list[str]
    links: list[LinkOut]
    offer_lock: bool
    status: str


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    sender: str
    text: str
    intent: str | None
    created_at: datetime
