"""Errors of the assistant domain, each with a stable code, an HTTP status and zh/en text."""

from __future__ import annotations

from puhui.core.errors import Conflict, DomainError, NotFound


class ConversationNotFound(NotFound):
    code = "assistant_conversation_not_found"
    message_zh = "未找到该会话。"
    message_en = "Conversation not found."


class ConversationClosed(Conflict):
    code = "assistant_conversation_closed"
    message_zh = "该会话已结束，请开始新的会话。"
    message_en = "This conversation has ended; start a new one."


class ConversationWrongState(Conflict):
    code = "assistant_conversation_wrong_state"
    message_zh = "会话当前状态为「{status_zh}」，不能{action_zh}。"
    message_en = "The conversation is {status_en}; it cannot {action_en}."


class MessageEmpty(DomainError):
    code = "assistant_message_empty"
    status = 422
    title_zh = "内容为空"
    title_en = "Empty message"
    message_zh = "请输入 1 到 {max_chars} 个字的内容。"
    message_en = "Type between 1 and {max_chars} characters."


class RatingInvalid(DomainError):
    code = "assistant_rating_invalid"
    status = 422
    title_zh = "评分无效"
    title_en = "Invalid rating"
    message_zh = "评分须为 1 到 5 星。"
    message_en = "The rating must be 1 to 5 stars."


class AnswerNotFound(NotFound):
    code = "assistant_answer_not_found"
    message_zh = "未找到该知识库答案版本。"
    message_en = "Knowledge-base answer version not found."


class AnswerNotPending(Conflict):
    code = "assistant_answer_not_pending"
    message_zh = "该答案版本不在待复核状态。"
    message_en = "This answer version is not waiting for approval."


class SameMakerChecker(Conflict):
    code = "assistant_same_maker_checker"
    message_zh = "不能复核自己提交的修改，请由另一位同事复核。"
    message_en = "You cannot approve your own edit: another member of staff must check it."


class UnknownIntent(DomainError):
    code = "assistant_unknown_intent"
    status = 422
    title_zh = "未知意图"
    title_en = "Unknown intent"
    message_zh = "没有这个意图：{intent}。"
    message_en = "No such intent: {intent}."


class CallbackNotFound(NotFound):
    code = "assistant_callback_not_found"
    message_zh = "未找到该回访任务。"
    message_en = "Callback task not found."


class NotLegalRepresentative(DomainError):
    code = "assistant_not_legal_representative"
    status = 403
    title_zh = "仅限法定代表人本人"
    title_en = "For the legal representative only"
    message_zh = "公积金、社保查询仅限以企业法定代表人本人登记的手机号登录后使用。"
    message_en = (
        "Housing-fund and social-security records are shown only to the legal representative, "
        "signed in with his or her own registered mobile."
    )
