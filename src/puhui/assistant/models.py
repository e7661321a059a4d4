"""Assistant tables: the knowledge base's answer versions (maker-checker), conversations with
their messages (customer, assistant, service rep; personal data masked before storing), and
the service desk's callback tasks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class KbAnswer(IdMixin, Base):
    """One version of an intent's answer. Only one version per intent is live; an edit is a new
    version pending approval by a second member of staff (maker-checker)."""

    __tablename__ = "assistant_kb_answer"
    __table_args__ = (
        UniqueConstraint("intent", "version"),
        Index("ix_assistant_kb_answer_intent_status", "intent", "status"),
    )

    intent: Mapped[str] = mapped_column(String(32))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    answer_zh: Mapped[str] = mapped_column(Text)
    answer_en: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500))
    made_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    made_at: Mapped[datetime]
    checked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checked_at: Mapped[datetime | None]


class Conversation(IdMixin, Base):
    """A chat with the assistant; after a hand-off, with a service rep in the desk queue."""

    __tablename__ = "assistant_conversation"
    __table_args__ = (
        Index("ix_assistant_conversation_status", "status", "handed_off_at"),
        Index("ix_assistant_conversation_enterprise", "enterprise_id"),
        Index("ix_assistant_conversation_purge", "purge_after"),
    )

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    lang: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    unclear_in_a_row: Mapped[int]
    hand_off_reason: Mapped[str | None] = mapped_column(String(16))
    handed_off_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    agent_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    first_reply_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    created_at: Mapped[datetime]
    last_message_at: Mapped[datetime]
    purge_after: Mapped[datetime]


class Message(IdMixin, Base):
    """One message; the text is stored with mobiles, resident IDs and card numbers masked."""

    __tablename__ = "assistant_message"
    __table_args__ = (Index("ix_assistant_message_conversation", "conversation_id", "seq"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assistant_conversation.id"))
    seq: Mapped[int]
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(32))
    confidence_pct: Mapped[int | None]
    agent_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class CallbackTask(IdMixin, Base):
    """A service rep's promise to call a customer back."""

    __tablename__ = "assistant_callback_task"
    __table_args__ = (Index("ix_assistant_callback_task_status", "status", "due_at"),)

    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assistant_conversation.id")
    )
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    note: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[datetime]
    done_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    done_at: Mapped[datetime | None]
