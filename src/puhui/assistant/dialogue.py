"""What the assistant does with a recognised utterance (pure: the turn rule).

* a confident `human_agent` or `complaint` -> hand-off to the service desk;
* below the confidence threshold -> a clarifying question offering the two or three likeliest
  intents; the second unclear turn in a row -> hand-off;
* otherwise -> the intent's answer (and the unclear count starts again).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from puhui.assistant.intents import HAND_OFF
from puhui.assistant.recognition import Prediction

# Unclear turns in a row that send the conversation to a person.
UNCLEAR_LIMIT = 2


class TurnKind(StrEnum):
    answer = "answer"
    clarify = "clarify"
    hand_off = "hand_off"


class HandOffReason(StrEnum):
    asked = "asked"  # the customer asked for a person (intent human_agent or the button)
    complaint = "complaint"
    unclear = "unclear"  # twice not understood


@dataclass(frozen=True)
class Turn:
    kind: TurnKind
    intent: str | None
    options: tuple[str, ...] = ()
    reason: HandOffReason | None = None
    unclear_in_a_row: int = 0


def decide(prediction: Prediction, unclear_in_a_row: int) -> Turn:
    """The next turn, given the prediction and how many unclear turns came just before."""
    if not prediction.confident:
        unclear = unclear_in_a_row + 1
        if unclear >= UNCLEAR_LIMIT:
            return Turn(
                TurnKind.hand_off, None, reason=HandOffReason.unclear, unclear_in_a_row=unclear
            )
        return Turn(
            TurnKind.clarify, None, tuple(prediction.alternatives()), unclear_in_a_row=unclear
        )
    intent = prediction.intent
    if intent in HAND_OFF:
        reason = HandOffReason.complaint if intent == "complaint" else HandOffReason.asked
        return Turn(TurnKind.hand_off, intent, reason=reason)
    return Turn(TurnKind.answer, intent)
