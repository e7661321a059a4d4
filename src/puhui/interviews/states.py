"""The interview's states and the one transition table (pure).

created      the officer started it from the review page; the applicant is invited
joined       the applicant joined and consented to the recording
in_progress  both consented and the peer connection reached `connected`
completed    the checklist answered and the recording stored (final)
abandoned    given up from any open state (final)
"""

from __future__ import annotations

from enum import StrEnum


class InterviewStatus(StrEnum):
    CREATED = "created"
    JOINED = "joined"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ABANDONED = "abandoned"

    @property
    def closed(self) -> bool:
        return self in (InterviewStatus.COMPLETED, InterviewStatus.ABANDONED)

    def label(self, lang: str) -> str:
        zh, en = STATUS_LABELS[self]
        return zh if lang == "zh" else en


STATUS_LABELS: dict[InterviewStatus, tuple[str, str]] = {
    InterviewStatus.CREATED: ("已发起，待客户加入", "Started, waiting for the applicant"),
    InterviewStatus.JOINED: ("客户已加入", "Applicant joined"),
    InterviewStatus.IN_PROGRESS: ("面谈进行中", "In progress"),
    InterviewStatus.COMPLETED: ("已完成", "Completed"),
    InterviewStatus.ABANDONED: ("已放弃", "Abandoned"),
}

TRANSITIONS: dict[InterviewStatus, frozenset[InterviewStatus]] = {
    InterviewStatus.CREATED: frozenset({InterviewStatus.JOINED, InterviewStatus.ABANDONED}),
    InterviewStatus.JOINED: frozenset({InterviewStatus.IN_PROGRESS, InterviewStatus.ABANDONED}),
    InterviewStatus.IN_PROGRESS: frozenset({InterviewStatus.COMPLETED, InterviewStatus.ABANDONED}),
    InterviewStatus.COMPLETED: frozenset(),
    InterviewStatus.ABANDONED: frozenset(),
}


def can_move(current: InterviewStatus, target: InterviewStatus) -> bool:
    return target in TRANSITIONS[current]


class Party(StrEnum):
    """The two participants of an interview."""

    OFFICER = "officer"
    APPLICANT = "applicant"

    @property
    def other(self) -> Party:
        return Party.APPLICANT if self == Party.OFFICER else Party.OFFICER


class SubjectKind(StrEnum):
    """What an interview is evidence for (relief requests will be the second kind)."""

    DECISION_REVIEW = "decision_review"

    def label(self, lang: str) -> str:
        zh, en = SUBJECT_LABELS[self]
        return zh if lang == "zh" else en


SUBJECT_LABELS: dict[SubjectKind, tuple[str, str]] = {
    SubjectKind.DECISION_REVIEW: ("人工审批", "Decision review"),
}
