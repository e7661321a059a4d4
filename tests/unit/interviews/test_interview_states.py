"""The interview's state machine: the transitions table, whole."""

from __future__ import annotations

import pytest

from puhui.interviews.states import (
    STATUS_LABELS,
    TRANSITIONS,
    InterviewStatus,
    Party,
    SubjectKind,
    can_move,
)

S = InterviewStatus
ALLOWED = {
    (S.CREATED, S.JOINED),
    (S.CREATED, S.ABANDONED),
    (S.JOINED, S.IN_PROGRESS),
    (S.JOINED, S.ABANDONED),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.ABANDONED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_pair_of_states_is_allowed_exactly_as_the_table_says(
    current: InterviewStatus, target: InterviewStatus
) -> None:
    assert can_move(current, target) is ((current, target) in ALLOWED)


def test_the_table_names_every_state_and_the_final_ones_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(S)
    assert {s for s in S if s.closed} == {S.COMPLETED, S.ABANDONED}
    assert all(not TRANSITIONS[s] for s in S if s.closed)
    # no way back: nothing returns to created, and in_progress is reached only through joined
    assert all(S.CREATED not in targets for targets in TRANSITIONS.values())
    assert [s for s in S if S.IN_PROGRESS in TRANSITIONS[s]] == [S.JOINED]


def test_labels_in_both_languages_for_every_state_and_subject() -> None:
    for status in S:
        zh, en = STATUS_LABELS[status]
        assert status.label("zh") == zh and status.label("en") == en and zh != en
    assert SubjectKind.DECISION_REVIEW.label("zh") == "人工审批"
    assert SubjectKind.DECISION_REVIEW.label("en") == "Decision review"


def test_each_party_has_the_other() -> None:
    assert Party.OFFICER.other == Party.APPLICANT and Party.APPLICANT.other == Party.OFFICER
