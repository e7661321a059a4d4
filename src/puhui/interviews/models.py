"""Interview tables: the interview (status along `states.TRANSITIONS`, checklist answers, the
recording's metadata), its status history, and each party's recording consent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Interview(IdMixin, Base):
    __tablename__ = "interviews_interview"
    __table_args__ = (
        Index("ix_interviews_interview_subject", "subject_kind", "subject_id"),
        Index("ix_interviews_interview_enterprise_status", "enterprise_id", "status"),
        Index("ix_interviews_interview_purge", "recording_purge_after"),
    )

    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID]
    subject_reference: Mapped[str] = mapped_column(String(40))
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    status: Mapped[str] = mapped_column(String(16))
    officer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    officer_name: Mapped[str] = mapped_column(String(100))
    applicant_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checklist_version: Mapped[str] = mapped_column(String(32))
    checklist_answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    checklist_answered_at: Mapped[datetime | None]
    # the recording: plaintext SHA-256 and size, the encrypted file's name under var/interviews
    recording_file: Mapped[str | None] = mapped_column(String(80))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))
    recording_bytes: Mapped[int | None]
    recording_mime: Mapped[str | None] = mapped_column(String(60))
    recording_key_id: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[datetime | None]
    recording_purge_after: Mapped[datetime | None]
    recording_purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    connected_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(500))


class InterviewEvent(IdMixin, Base):
    """History of an interview: every status change, who made it and why."""

    __tablename__ = "interviews_interview_event"

    interview_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interviews_interview.id"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]


class InterviewConsent(IdMixin, Base):
    """One party's consent to the recording: who, when, which text (version and hash)."""

    __tablename__ = "interviews_consent"
    __table_args__ = (UniqueConstraint("interview_id", "party"),)

    interview_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interviews_interview.id"))
    party: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    text_version: Mapped[str] = mapped_column(String(48))
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    consented_at: Mapped[datetime]
