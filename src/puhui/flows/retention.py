"""Retention (PIPL art. 19, 47): personal data is kept no longer than its purpose needs; the
destruction job (`puhui retention run`) destroys what is past its period and leaves an audited
record of each destruction (data class, cut-off, count). The audit trail itself is kept.

A data class is destroyed by a *purger*: ``purger(session, clock, cutoff) -> int`` (how many
items it destroyed). The built-in classes are below; other domains plug theirs into
:data:`PURGERS` with :func:`register_purger` (the identity domain's captures, the interview
recordings, the assistant's conversations) — wired in ``puhui/wiring.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from puhui.assistant import service as assistant_service
from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.config import Settings
from puhui.core.models import ApiToken, LoginAttempt, OneTimeCode, OutboxMessage
from puhui.datahub import service as datahub_service
from puhui.identity import service as identity_service
from puhui.interviews import service as interviews_service

Purger = Callable[[Session, Clock, datetime], int]


@dataclass(frozen=True)
class DataClass:
    """A class of personal data with its retention setting and its purger."""

    name: str
    label_zh: str
    label_en: str
    setting: str  # the Settings attribute holding its period in days
    purger: Purger


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _snapshots(session: Session, clock: Clock, cutoff: datetime) -> int:
    return datahub_service.destroy_snapshots(session, fetched_before=cutoff)


def _otps(session: Session, clock: Clock, cutoff: datetime) -> int:
    return _rowcount(session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < cutoff)))


def _sessions(session: Session, clock: Clock, cutoff: datetime) -> int:
    tokens = session.execute(
        delete(ApiToken).where(or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff))
    )
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return _rowcount(tokens) + _rowcount(attempts)


def _messages(session: Session, clock: Clock, cutoff: datetime) -> int:
    done = or_(OutboxMessage.status != "pending", OutboxMessage.expires_at < cutoff)
    stmt = delete(OutboxMessage).where(OutboxMessage.created_at < cutoff, done)
    return _rowcount(session.execute(stmt))


PURGERS: list[DataClass] = [
    DataClass(
        "snapshots", "数据源快照", "data-source snapshots", "retention_snapshot_days", _snapshots
    ),
    DataClass("otps", "一次性验证码", "one-time codes", "retention_otp_days", _otps),
    DataClass(
        "sessions",
        "登录会话与尝试记录",
        "sessions and sign-in attempts",
        "retention_session_days",
        _sessions,
    ),
    DataClass("messages", "短信消息", "text messages", "retention_message_days", _messages),
    # Captures and recordings carry their own `purge_after` (set from the same settings when
    # they were stored), so these two ignore the cut-off.
    DataClass(
        "identity_captures",
        "实名核验影像（自拍视频、执照照片）",
        "identity captures (selfie videos, licence photos)",
        "retention_capture_days",
        lambda session, clock, _cutoff: identity_service.purge_expired_captures(session, clock),
    ),
    DataClass(
        "interview_recordings",
        "视频面谈录像",
        "video interview recordings",
        "retention_recording_days",
        lambda session, clock, _cutoff: interviews_service.purge_expired_recordings(session, clock),
    ),
    DataClass(
        "conversations",
        "智能客服与人工客服会话",
        "assistant and service desk conversations",
        "retention_conversation_days",
        assistant_service.purge_conversations,
    ),
]


def register_purger(name: str, label_zh: str, label_en: str, setting: str, purger: Purger) -> None:
    """Plug a data class into the destruction job (idempotent by name). The registration
    points waiting for their domains: "identity_captures" (``retention_capture_days``: the
    identity domain's ``purge_expired_captures``), "interview_recordings"
    (``retention_recording_days``), "conversations" (``retention_conversation_days``)."""
    PURGERS[:] = [p for p in PURGERS if p.name != name]
    PURGERS.append(DataClass(name, label_zh, label_en, setting, purger))


@dataclass(frozen=True)
class Destroyed:
    data_class: str
    label_zh: str
    label_en: str
    cutoff: datetime
    count: int


def run(session: Session, clock: Clock, settings: Settings) -> list[Destroyed]:
    """Destroy every data class's items older than its period; one audit record per class
    (also when nothing was due: the record shows the job ran). The caller commits."""
    now = clock.now()
    done: list[Destroyed] = []
    for data_class in PURGERS:
        days = int(getattr(settings, data_class.setting))
        cutoff = now - timedelta(days=days)
        count = data_class.purger(session, clock, cutoff)
        audit.record(
            session,
            "retention.destroy",
            "data_class",
            data_class.name,
            after={"cutoff": cutoff, "retention_days": days, "destroyed": count},
        )
        done.append(
            Destroyed(data_class.name, data_class.label_zh, data_class.label_en, cutoff, count)
        )
    return done
