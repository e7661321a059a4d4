"""Statuses of the assistant's records and their transition tables (pure)."""

from __future__ import annotations

from enum import StrEnum


class ConversationStatus(StrEnum):
    BOT = "bot"  # the assistant answers
    WAITING = "waiting"  # handed off: in the service desk queue, no rep has answered yet
    WITH_AGENT = "with_agent"  # a service rep has answered
    CLOSED = "closed"


CONVERSATION_TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.BOT: frozenset({ConversationStatus.WAITING, ConversationStatus.CLOSED}),
    ConversationStatus.WAITING: frozenset(
        {ConversationStatus.WITH_AGENT, ConversationStatus.CLOSED}
    ),
    ConversationStatus.WITH_AGENT: frozenset({ConversationStatus.CLOSED}),
    ConversationStatus.CLOSED: frozenset(),
}

CONVERSATION_ZH = {
    ConversationStatus.BOT: "智能客服",
    ConversationStatus.WAITING: "排队待接入",
    ConversationStatus.WITH_AGENT: "人工服务中",
    ConversationStatus.CLOSED: "已结束",
}
CONVERSATION_EN = {
    ConversationStatus.BOT: "with the assistant",
    ConversationStatus.WAITING: "waiting for a rep",
    ConversationStatus.WITH_AGENT: "with a rep",
    ConversationStatus.CLOSED: "closed",
}


class Sender(StrEnum):
    CUSTOMER = "customer"
    ASSISTANT = "assistant"
    AGENT = "agent"
    SYSTEM = "system"


class AnswerStatus(StrEnum):
    PENDING = "pending"  # edited, waiting for a second member of staff
    LIVE = "live"
    RETIRED = "retired"  # replaced by a later live version
    REJECTED = "rejected"


ANSWER_TRANSITIONS: dict[AnswerStatus, frozenset[AnswerStatus]] = {
    AnswerStatus.PENDING: frozenset({AnswerStatus.LIVE, AnswerStatus.REJECTED}),
    AnswerStatus.LIVE: frozenset({AnswerStatus.RETIRED}),
    AnswerStatus.RETIRED: frozenset(),
    AnswerStatus.REJECTED: frozenset(),
}


class CallbackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


CALLBACK_TRANSITIONS: dict[CallbackStatus, frozenset[CallbackStatus]] = {
    CallbackStatus.OPEN: frozenset({CallbackStatus.DONE}),
    CallbackStatus.DONE: frozenset(),
}
