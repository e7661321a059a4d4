"""Job runs: one row per (job, business date) and one per step, with the step's checkpoint."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class JobRun(IdMixin, Base):
    __tablename__ = "jobs_run"
    __table_args__ = (UniqueConstraint("job", "business_date"),)

    job: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=1)  # 1 + the number of resumptions
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class JobRunStep(IdMixin, Base):
    """A step's progress: `cursor` is the checkpoint, written in each batch's transaction."""

    __tablename__ = "jobs_run_step"
    __table_args__ = (UniqueConstraint("run_id", "step"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs_run.id"))
    step: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    cursor: Mapped[str | None] = mapped_column(String(64))
    batches: Mapped[int] = mapped_column(default=0)
    items: Mapped[int] = mapped_column(default=0)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
