"""Public functions of the interviews domain. They never commit.

Interviews   start_interview, get_for_officer, get_for_applicant, get_for_staff,
             for_subject, invitations_for, view
Steps        record_consent, mark_connected, answer_checklist, store_recording, complete, abandon
Recordings   recording_stream (decrypted, for authorised staff), purge_expired_recordings
Signalling   signal_state (what the socket needs to know), keys_for (ticket and recording keys)

Who may do what: the officer who started an interview runs it (a credit officer); the
applicant is any borrower user acting for the subject's enterprise; other staff only read.
Someone else asking for an interview gets `interview_not_found`, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.config import Settings, get_settings
from puhui.core.crypto import load_master_key
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id
from puhui.core.models import Role
from puhui.decisioning import service as decisioning_service
from puhui.interviews import checklist, subjects, vault
from puhui.interviews.errors import (
    ChecklistIncomplete,
    ConsentMissing,
    InterviewAlreadyOpen,
    InterviewNotFound,
    InterviewSubjectClosed,
    InterviewWrongState,
    RecordingGone,
    RecordingInvalid,
    RecordingMissing,
    RecordingTooLarge,
)
from puhui.interviews.models import Interview, InterviewConsent, InterviewEvent
from puhui.interviews.states import STATUS_LABELS, InterviewStatus, Party, SubjectKind, can_move
from puhui.interviews.texts import RECORDING_CONSENT

EVIDENCE_KIND = "video_interview"
OPEN = tuple(s.value for s in InterviewStatus if not s.closed)
MIME_TYPES = ("video/webm", "video/mp4")


# ------------------------------------------------------------------------------------ keys


@dataclass(frozen=True)
class InterviewKeys:
    recording: bytes
    ticket: bytes


@lru_cache(maxsize=4)
def _keys(data_key: str, data_key_file: str, var_dir: str, environment: str) -> InterviewKeys:
    settings = Settings(
        data_key=data_key,
        data_key_file=Path(data_key_file) if data_key_file else None,
        var_dir=Path(var_dir),
        environment=environment,
    )
    master = load_master_key(settings)
    return InterviewKeys(
        recording=vault.derive_key(master, b"puhui/interviews/recording/v1"),
        ticket=vault.derive_key(master, b"puhui/interviews/ws-ticket/v1"),
    )


def keys_for(settings: Settings) -> InterviewKeys:
    """The recording and ticket keys, derived (HKDF) from the data key, once per process."""
    file = str(settings.data_key_file) if settings.data_key_file else ""
    return _keys(settings.data_key, file, str(settings.var_dir), settings.environment)


# --------------------------------------------------------------------------- interviews


def _move(
    session: Session,
    clock: Clock,
    row: Interview,
    target: InterviewStatus,
    reason: str,
    principal: Principal,
) -> None:
    current = InterviewStatus(row.status)
    if not can_move(current, target):
        raise _wrong_state(current, "move to " + target.value, "进入「" + target.label("zh") + "」")
    session.add(
        InterviewEvent(
            interview_id=row.id,
            from_status=current.value,
            to_status=target.value,
            reason=reason[:500],
            actor_id=principal.user_id,
            actor_name=principal.username,
            occurred_at=clock.now(),
        )
    )
    row.status = target.value
    audit.record(
        session,
        f"interview.{target.value}",
        "interview",
        row.id,
        before={"status": current.value},
        after={"status": target.value, "reason": reason[:500]},
    )


def _wrong_state(status: InterviewStatus, action_en: str, action_zh: str) -> InterviewWrongState:
    zh, en = STATUS_LABELS[status]
    return InterviewWrongState(status_zh=zh, status_en=en, action_zh=action_zh, action_en=action_en)


def start_interview(
    session: Session,
    clock: Clock,
    principal: Principal,
    kind: SubjectKind,
    subject_id: uuid.UUID,
) -> Interview:
    """A new interview about an open subject, run by this officer; one open interview a subject."""
    subject = subjects.resolve(session, clock, kind, subject_id)
    if not subject.open:
        raise InterviewSubjectClosed()
    taken = session.scalar(
        select(Interview.id).where(
            Interview.subject_kind == kind.value,
            Interview.subject_id == subject_id,
            Interview.status.in_(OPEN),
        )
    )
    if taken is not None:
        raise InterviewAlreadyOpen()
    now = clock.now()
    row = Interview(
        subject_kind=kind.value,
        subject_id=subject_id,
        subject_reference=subject.reference,
        enterprise_id=subject.enterprise_id,
        status=InterviewStatus.CREATED.value,
        officer_user_id=principal.user_id,
        officer_name=principal.username,
        checklist_version=checklist.CHECKLIST_VERSION,
        checklist_answers={},
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add(
        InterviewEvent(
            interview_id=row.id,
            from_status=None,
            to_status=row.status,
            reason="发起视频面谈",
            actor_id=principal.user_id,
            actor_name=principal.username,
            occurred_at=now,
        )
    )
    audit.record(
        session,
        "interview.create",
        "interview",
        row.id,
        after={"subject_kind": kind.value, "subject_id": str(subject_id)},
    )
    return row


def get_for_staff(session: Session, interview_id: uuid.UUID) -> Interview:
    row = session.get(Interview, interview_id)
    if row is None:
        raise InterviewNotFound()
    return row


def get_for_officer(session: Session, principal: Principal, interview_id: uuid.UUID) -> Interview:
    """The interview this officer runs (any other user: not found)."""
    row = session.get(Interview, interview_id)
    if row is None or row.officer_user_id != principal.user_id:
        raise InterviewNotFound()
    return row


def get_for_applicant(session: Session, principal: Principal, interview_id: uuid.UUID) -> Interview:
    """An interview of an enterprise this borrower acts for (anyone else: not found)."""
    row = session.get(Interview, interview_id)
    if (
        row is None
        or principal.role != Role.BORROWER
        or row.enterprise_id not in principal.enterprise_ids
    ):
        raise InterviewNotFound()
    return row


def for_subject(session: Session, kind: SubjectKind, subject_id: uuid.UUID) -> list[Interview]:
    return list(
        session.scalars(
            select(Interview)
            .where(Interview.subject_kind == kind.value, Interview.subject_id == subject_id)
            .order_by(Interview.created_at.desc(), Interview.id.desc())
        )
    )


def invitations_for(session: Session, principal: Principal) -> list[Interview]:
    """Open interviews of the enterprises this borrower acts for, newest first."""
    if not principal.enterprise_ids:
        return []
    return list(
        session.scalars(
            select(Interview)
            .where(
                Interview.enterprise_id.in_(sorted(principal.enterprise_ids)),
                Interview.status.in_(OPEN),
            )
            .order_by(Interview.created_at.desc(), Interview.id.desc())
        )
    )


def consents_of(session: Session, interview_id: uuid.UUID) -> dict[Party, InterviewConsent]:
    rows = session.scalars(
        select(InterviewConsent).where(InterviewConsent.interview_id == interview_id)
    )
    return {Party(r.party): r for r in rows}


# -------------------------------------------------------------------------------- steps


def _open(row: Interview, action_en: str, action_zh: str) -> InterviewStatus:
    status = InterviewStatus(row.status)
    if status.closed:
        raise _wrong_state(status, action_en, action_zh)
    return status


def record_consent(
    session: Session,
    clock: Clock,
    principal: Principal,
    row: Interview,
    party: Party,
    lang: str,
) -> InterviewConsent:
    """This party consents to the recording (the current text's version and hash); the
    applicant's consent is their joining. Consenting twice keeps the first."""
    _open(row, "take consent", "同意录像")
    existing = consents_of(session, row.id).get(party)
    if existing is not None:
        return existing
    consent = InterviewConsent(
        interview_id=row.id,
        party=party.value,
        user_id=principal.user_id,
        text_version=RECORDING_CONSENT.version,
        text_sha256=RECORDING_CONSENT.sha256,
        language="zh" if lang == "zh" else "en",
        consented_at=clock.now(),
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        "interview.consent",
        "interview",
        row.id,
        after={"party": party.value, "text_version": RECORDING_CONSENT.version},
    )
    if party == Party.APPLICANT:
        row.applicant_user_id = principal.user_id
        if row.status == InterviewStatus.CREATED:
            _move(session, clock, row, InterviewStatus.JOINED, "客户加入并同意录像", principal)
    return consent


def _require_consents(session: Session, row: Interview) -> None:
    if len(consents_of(session, row.id)) < 2:
        raise ConsentMissing()


def mark_connected(session: Session, clock: Clock, principal: Principal, row: Interview) -> None:
    """The officer's browser reports the peer connection `connected`: the interview is on."""
    status = _open(row, "start", "开始")
    _require_consents(session, row)
    if status == InterviewStatus.IN_PROGRESS:
        return
    _move(session, clock, row, InterviewStatus.IN_PROGRESS, "音视频已连通", principal)
    row.connected_at = clock.now()


def answer_checklist(
    session: Session, clock: Clock, principal: Principal, row: Interview, raw: dict[str, Any]
) -> dict[str, dict[str, str]]:
    """Store the officer's answers (merged with earlier ones); the answers so far."""
    _open(row, "answer the checklist", "填写核查清单")
    try:
        given = checklist.clean_answers(raw)
    except checklist.ChecklistInvalid as exc:
        raise InvalidInput(field=exc.field) from exc
    answers = {**(row.checklist_answers or {}), **given}
    row.checklist_answers = answers
    row.checklist_answered_at = clock.now()
    audit.record(session, "interview.checklist", "interview", row.id, after={"answers": given})
    return answers


def _looks_like_video(data: bytes, mime: str) -> bool:
    if mime == "video/webm":
        return data[:4] == b"\x1a\x45\xdf\xa3"  # EBML header
    return data[4:8] == b"ftyp"


def recordings_dir(settings: Settings) -> Path:
    return settings.resolved_var_dir() / "interviews"


def store_recording(
    session: Session,
    clock: Clock,
    settings: Settings,
    principal: Principal,
    row: Interview,
    data: bytes,
    mime: str,
) -> str:
    """Encrypt the officer's recording to var/interviews/ and keep its SHA-256; a new upload
    replaces the previous one. Only during the interview, on both consents."""
    status = _open(row, "take a recording", "上传录像")
    if status != InterviewStatus.IN_PROGRESS:
        raise _wrong_state(status, "take a recording", "上传录像")
    _require_consents(session, row)
    mime = mime.split(";")[0].strip().lower()
    if len(data) > settings.interview_recording_max_bytes:
        raise RecordingTooLarge(limit_mb=settings.interview_recording_max_bytes // (1 << 20))
    if not data or mime not in MIME_TYPES or not _looks_like_video(data, mime):
        raise RecordingInvalid(field="recording")
    name = f"{row.id}-{new_id().hex[-12:]}.rec"
    folder = recordings_dir(settings)
    digest = vault.write_sealed(keys_for(settings).recording, name, data, folder / name)
    _settle_files(
        session,
        keep=folder / name,
        drop=folder / row.recording_file if row.recording_file else None,
    )
    now = clock.now()
    row.recording_file = name
    row.recording_sha256 = digest
    row.recording_bytes = len(data)
    row.recording_mime = mime
    row.recording_key_id = vault.KEY_ID
    row.recorded_at = now
    row.recording_purge_after = now + timedelta(days=settings.interview_recording_retention_days)
    audit.record(
        session,
        "interview.recording",
        "interview",
        row.id,
        after={"sha256": digest, "bytes": len(data), "mime": mime},
    )
    return digest


def _settle_files(session: Session, *, keep: Path, drop: Path | None) -> None:
    """Files follow the transaction: on commit the replaced recording goes, on a rollback the
    new one (the row keeps naming the file it named before)."""
    committed = False

    def on_commit(_: Session) -> None:
        nonlocal committed
        committed = True
        if drop is not None:
            drop.unlink(missing_ok=True)

    def on_rollback(_: Session, __: object) -> None:
        if not committed:
            keep.unlink(missing_ok=True)

    event.listen(session, "after_commit", on_commit, once=True)
    event.listen(session, "after_soft_rollback", on_rollback, once=True)


def complete(session: Session, clock: Clock, principal: Principal, row: Interview) -> None:
    """Close the interview: every checklist item answered and the recording stored. Its hash
    and the checklist's outcome go into the subject's evidence (decisioning)."""
    status = _open(row, "complete", "完成")
    if status != InterviewStatus.IN_PROGRESS:
        raise _wrong_state(status, "complete", "完成")
    left = checklist.missing(row.checklist_answers or {})
    if left:
        raise ChecklistIncomplete(count=len(left))
    if not row.recording_sha256:
        raise RecordingMissing()
    _move(session, clock, row, InterviewStatus.COMPLETED, "面谈完成", principal)
    row.closed_at = clock.now()
    if SubjectKind(row.subject_kind) == SubjectKind.DECISION_REVIEW:
        decisioning_service.add_review_evidence(
            session,
            clock,
            principal,
            row.subject_id,
            kind=EVIDENCE_KIND,
            ref_id=row.id,
            sha256=row.recording_sha256,
            summary={
                "checklist_version": row.checklist_version,
                "answers": checklist.summary(row.checklist_answers),
                "recording_bytes": row.recording_bytes,
                "officer": row.officer_name,
            },
        )


def abandon(
    session: Session, clock: Clock, principal: Principal, row: Interview, reason: str
) -> None:
    _open(row, "be abandoned", "放弃")
    _move(session, clock, row, InterviewStatus.ABANDONED, reason or "放弃面谈", principal)
    row.closed_at = clock.now()
    row.close_reason = (reason or "")[:500] or None


# ---------------------------------------------------------------------------- recordings


def recording_stream(
    session: Session, settings: Settings, principal: Principal, row: Interview
) -> Iterator[bytes]:
    """The decrypted recording, segment by segment (audited: who played it)."""
    if row.recording_purged_at is not None:
        raise RecordingGone()
    if not row.recording_file:
        raise RecordingMissing()
    path = recordings_dir(settings) / row.recording_file
    if not path.exists():
        raise RecordingMissing()
    audit.record(session, "interview.recording_played", "interview", row.id, after={})
    return vault.open_sealed(keys_for(settings).recording, row.recording_file, path)


def purge_expired_recordings(
    session: Session, clock: Clock, settings: Settings | None = None
) -> int:
    """Destroy the recordings whose retention ended (the hash and the metadata stay, an audit
    event per recording); how many were destroyed. For the retention job; re-running is a no-op."""
    settings = settings or get_settings()
    now = clock.now()
    rows = session.scalars(
        select(Interview).where(
            Interview.recording_purge_after <= now, Interview.recording_purged_at.is_(None)
        )
    ).all()
    for row in rows:
        if row.recording_file:
            (recordings_dir(settings) / row.recording_file).unlink(missing_ok=True)
        row.recording_purged_at = now
        audit.record(
            session,
            "interview.recording_purged",
            "interview",
            row.id,
            after={"sha256": row.recording_sha256, "purge_after": row.recording_purge_after},
        )
    return len(rows)


# ---------------------------------------------------------------------------- signalling


@dataclass(frozen=True)
class SignalState:
    status: InterviewStatus
    consented: frozenset[Party]
    officer_user_id: uuid.UUID

    @property
    def media_allowed(self) -> bool:
        return not self.status.closed and len(self.consented) == 2


def signal_state(session: Session, interview_id: uuid.UUID) -> SignalState | None:
    row = session.get(Interview, interview_id)
    if row is None:
        return None
    return SignalState(
        status=InterviewStatus(row.status),
        consented=frozenset(consents_of(session, interview_id)),
        officer_user_id=row.officer_user_id,
    )


# --------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ChecklistRow:
    code: str
    text: str
    answer: str | None
    answer_label: str
    note: str


@dataclass(frozen=True)
class InterviewView:
    row: Interview
    status_label: str
    consents: dict[Party, InterviewConsent]
    checklist: list[ChecklistRow]
    subject_url: str
    purge_after: datetime | None


def status_labels(lang: str) -> dict[str, str]:
    """Every status's label in the page's language (the room's script shows them live)."""
    return {status.value: status.label(lang) for status in InterviewStatus}


def view(session: Session, row: Interview, lang: str) -> InterviewView:
    """What a page shows of an interview, labels in the page's language."""
    answers = row.checklist_answers or {}
    rows = []
    for item in checklist.ITEMS:
        given = answers.get(item.code) or {}
        answer = given.get("answer")
        labels = checklist.ANSWERS.get(answer or "", ("未回答", "Not answered"))
        rows.append(
            ChecklistRow(
                code=item.code,
                text=item.text(lang),
                answer=answer,
                answer_label=labels[0] if lang == "zh" else labels[1],
                note=given.get("note", ""),
            )
        )
    kind = SubjectKind(row.subject_kind)
    return InterviewView(
        row=row,
        status_label=InterviewStatus(row.status).label(lang),
        consents=consents_of(session, row.id),
        checklist=rows,
        subject_url=subjects.subject_url(kind, row.subject_id),
        purge_after=row.recording_purge_after,
    )
