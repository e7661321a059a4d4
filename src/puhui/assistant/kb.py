"""The knowledge base: versioned answers per intent, edited by staff with maker-checker.

An edit is a new version `pending`; a second member of staff approves it (it goes `live`, the
previous live version `retired`) or rejects it. Without any live version an intent answers with
`knowledge.DEFAULT_ANSWERS` (version 0).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.assistant import knowledge
from puhui.assistant.errors import (
    AnswerNotFound,
    AnswerNotPending,
    MessageEmpty,
    SameMakerChecker,
    UnknownIntent,
)
from puhui.assistant.intents import Intent
from puhui.assistant.models import KbAnswer
from puhui.assistant.states import AnswerStatus
from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock

MAX_ANSWER_CHARS = 2000


def live_answer(session: Session, intent: str, lang: str) -> str:
    row = session.execute(
        select(KbAnswer.answer_zh, KbAnswer.answer_en).where(
            KbAnswer.intent == intent, KbAnswer.status == AnswerStatus.LIVE.value
        )
    ).first()
    if row is None:
        return knowledge.default_answer(intent, lang)
    return str(row[0] if lang == "zh" else row[1])


@dataclass(frozen=True)
class IntentAnswers:
    intent: str
    live_version: int
    live_zh: str
    live_en: str
    pending: KbAnswer | None


def overview(session: Session) -> list[IntentAnswers]:
    rows = session.scalars(
        select(KbAnswer).where(
            KbAnswer.status.in_([AnswerStatus.LIVE.value, AnswerStatus.PENDING.value])
        )
    ).all()
    live = {r.intent: r for r in rows if r.status == AnswerStatus.LIVE.value}
    pending = {r.intent: r for r in rows if r.status == AnswerStatus.PENDING.value}
    out = []
    for intent in Intent:
        zh, en = knowledge.DEFAULT_ANSWERS[intent]
        row = live.get(intent.value)
        out.append(
            IntentAnswers(
                intent.value,
                row.version if row else 0,
                row.answer_zh if row else zh,
                row.answer_en if row else en,
                pending.get(intent.value),
            )
        )
    return out


def history(session: Session, intent: str) -> list[KbAnswer]:
    return list(
        session.scalars(
            select(KbAnswer).where(KbAnswer.intent == intent).order_by(KbAnswer.version.desc())
        )
    )


def propose(
    session: Session,
    clock: Clock,
    maker: Principal,
    intent: str,
    answer_zh: str,
    answer_en: str,
    note: str = "",
) -> KbAnswer:
    """A new version of the intent's answer, pending approval (a pending one is replaced)."""
    if intent not in Intent.__members__:
        raise UnknownIntent(intent=intent)
    zh, en = answer_zh.strip(), answer_en.strip()
    if not zh or not en or len(zh) > MAX_ANSWER_CHARS or len(en) > MAX_ANSWER_CHARS:
        raise MessageEmpty(max_chars=MAX_ANSWER_CHARS)
    for old in session.scalars(
        select(KbAnswer).where(
            KbAnswer.intent == intent, KbAnswer.status == AnswerStatus.PENDING.value
        )
    ):
        old.status = AnswerStatus.REJECTED.value
    version = (
        session.scalar(select(func.max(KbAnswer.version)).where(KbAnswer.intent == intent)) or 0
    ) + 1
    row = KbAnswer(
        intent=intent,
        version=version,
        status=AnswerStatus.PENDING.value,
        answer_zh=zh,
        answer_en=en,
        note=note.strip()[:500],
        made_by=maker.user_id,
        made_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "assistant.kb_propose",
        "kb_answer",
        row.id,
        after={"intent": intent, "version": version},
    )
    return row


def _pending(session: Session, answer_id: uuid.UUID) -> KbAnswer:
    row = session.get(KbAnswer, answer_id)
    if row is None:
        raise AnswerNotFound()
    if row.status != AnswerStatus.PENDING.value:
        raise AnswerNotPending()
    return row


def approve(session: Session, clock: Clock, checker: Principal, answer_id: uuid.UUID) -> KbAnswer:
    """The second pair of eyes: the version goes live, the previous live one retires."""
    row = _pending(session, answer_id)
    if row.made_by == checker.user_id:
        raise SameMakerChecker()
    for old in session.scalars(
        select(KbAnswer).where(
            KbAnswer.intent == row.intent, KbAnswer.status == AnswerStatus.LIVE.value
        )
    ):
        old.status = AnswerStatus.RETIRED.value
    session.flush()
    row.status = AnswerStatus.LIVE.value
    row.checked_by = checker.user_id
    row.checked_at = clock.now()
    audit.record(
        session,
        "assistant.kb_approve",
        "kb_answer",
        row.id,
        after={"intent": row.intent, "version": row.version},
    )
    return row


def reject(session: Session, clock: Clock, checker: Principal, answer_id: uuid.UUID) -> KbAnswer:
    row = _pending(session, answer_id)
    if row.made_by == checker.user_id:
        raise SameMakerChecker()
    row.status = AnswerStatus.REJECTED.value
    row.checked_by = checker.user_id
    row.checked_at = clock.now()
    audit.record(
        session,
        "assistant.kb_reject",
        "kb_answer",
        row.id,
        after={"intent": row.intent, "version": row.version},
    )
    return row
