"""Public functions of the assistant domain (services never commit).

Conversations  start, get_for, say, choose, ask_for_person, messages_after, rate, close
Service desk   queue, desk_reply, claim, customer_view (see `desk.py`), callbacks
Knowledge base live_answer, answers_overview, propose_answer, approve_answer, reject_answer
Safety         lock_sign_in (the fraud script's offer), unlock_sign_in (a rep, identity checked)
Retention      purge_conversations (registered in flows/retention.py)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from puhui.assistant import convenience, dialogue, figures, knowledge
from puhui.assistant.errors import (
    ConversationClosed,
    ConversationNotFound,
    ConversationWrongState,
    MessageEmpty,
    NotLegalRepresentative,
    RatingInvalid,
)
from puhui.assistant.intents import Intent, shipped_classifier
from puhui.assistant.kb import live_answer
from puhui.assistant.masking import mask
from puhui.assistant.models import Conversation, Message
from puhui.assistant.states import (
    CONVERSATION_EN,
    CONVERSATION_TRANSITIONS,
    CONVERSATION_ZH,
    ConversationStatus,
    Sender,
)
from puhui.core import audit, auth
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.errors import DomainError
from puhui.core.ids import new_id, reference_from_id
from puhui.core.models import User

MAX_CHARS = 500
# The first reply a handed-off customer may wait for (the desk shows what is late).
SLA = timedelta(minutes=10)
RETENTION = timedelta(days=365)  # the default of PUHUI_RETENTION_CONVERSATION_DAYS

_HAND_OFF_TEXT = {
    "asked": (
        "已为您转接人工客服，请稍候，客服会在这里回复您。",
        "You are being put through to a service rep, who will reply here.",
    ),
    "complaint": (
        "非常抱歉给您带来不好的体验，已为您转接人工客服处理。",
        "We are sorry for the trouble: a service rep will take this over.",
    ),
    "unclear": (
        "抱歉，我没能理解您的问题，已为您转接人工客服。",
        "Sorry, I could not understand; a service rep will take over.",
    ),
}


@dataclass(frozen=True)
class Reply:
    """What the assistant answers to one customer message."""

    kind: str  # answer | clarify | hand_off | relay (a rep is on the line: no bot answer)
    intent: str | None
    text: str
    options: tuple[str, ...] = ()
    links: tuple[knowledge.Link, ...] = ()
    offer_lock: bool = False
    confidence: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _now(clock: Clock) -> datetime:
    return clock.now()


def start(session: Session, clock: Clock, principal: Principal | None, lang: str) -> Conversation:
    now = _now(clock)
    row_id = new_id()
    enterprise_id = None
    if principal is not None and not principal.is_staff and principal.enterprise_ids:
        enterprise_id = sorted(principal.enterprise_ids)[0]
    conv = Conversation(
        id=row_id,
        reference=reference_from_id("CHAT", row_id, business_date(clock)),
        user_id=principal.user_id if principal is not None else None,
        enterprise_id=enterprise_id,
        lang="en" if lang == "en" else "zh",
        status=ConversationStatus.BOT.value,
        unclear_in_a_row=0,
        created_at=now,
        last_message_at=now,
        purge_after=now + RETENTION,
    )
    session.add(conv)
    session.flush()
    return conv


def get_for(
    session: Session,
    principal: Principal | None,
    conversation_id: uuid.UUID,
    *,
    anonymous_ok: bool = False,
) -> Conversation:
    """A conversation as the caller may see it: staff any, a borrower only its own, an
    anonymous visitor only the one its browser session started (`anonymous_ok`)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None:
        raise ConversationNotFound()
    if principal is not None and principal.is_staff:
        return conv
    if principal is not None and conv.user_id == principal.user_id:
        return conv
    if principal is None and anonymous_ok and conv.user_id is None:
        return conv
    raise ConversationNotFound()


def get_own(session: Session, principal: Principal, conversation_id: uuid.UUID) -> Conversation:
    """A conversation the caller speaks in as the customer: only its own (staff reply through
    the desk, never as the customer)."""
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.user_id != principal.user_id:
        raise ConversationNotFound()
    return conv


def _move(conv: Conversation, to: ConversationStatus, action_zh: str, action_en: str) -> None:
    current = ConversationStatus(conv.status)
    if to not in CONVERSATION_TRANSITIONS[current]:
        if current is ConversationStatus.CLOSED:
            raise ConversationClosed()
        raise ConversationWrongState(
            status_zh=CONVERSATION_ZH[current],
            status_en=CONVERSATION_EN[current],
            action_zh=action_zh,
            action_en=action_en,
        )
    conv.status = to.value


def _add(
    session: Session,
    clock: Clock,
    conv: Conversation,
    sender: Sender,
    text: str,
    *,
    intent: str | None = None,
    confidence: float | None = None,
    agent_name: str | None = None,
) -> Message:
    seq = (
        session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conv.id)) or 0
    ) + 1
    now = _now(clock)
    msg = Message(
        conversation_id=conv.id,
        seq=seq,
        sender=sender.value,
        text=mask(text),
        intent=intent,
        confidence_pct=None if confidence is None else round(confidence * 100),
        agent_name=agent_name,
        created_at=now,
    )
    session.add(msg)
    conv.last_message_at = now
    conv.purge_after = now + RETENTION
    session.flush()
    return msg


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text or len(text) > MAX_CHARS:
        raise MessageEmpty(max_chars=MAX_CHARS)
    return text


def say(
    session: Session,
    clock: Clock,
    conv: Conversation,
    principal: Principal | None,
    text: str,
    access: convenience.Access | None = None,
) -> Reply:
    """The customer's message: stored (masked); while a rep is on the line it waits for the
    rep, otherwise recognised and answered, clarified or handed off. A question about one's
    own 公积金 / 社保 (`out_of_scope` naming them) is a convenience query (`access` reads the
    records)."""
    text = _clean(text)
    if conv.status == ConversationStatus.CLOSED.value:
        raise ConversationClosed()
    prediction = shipped_classifier().rank(text)
    _add(
        session,
        clock,
        conv,
        Sender.CUSTOMER,
        text,
        intent=prediction.intent,
        confidence=prediction.confidence,
    )
    if conv.status != ConversationStatus.BOT.value:
        return Reply("relay", None, "")
    turn = dialogue.decide(prediction, conv.unclear_in_a_row)
    conv.unclear_in_a_row = turn.unclear_in_a_row
    if turn.kind is dialogue.TurnKind.clarify:
        reply = _clarify(conv, turn.options, prediction.confidence)
    elif turn.kind is dialogue.TurnKind.hand_off:
        assert turn.reason is not None
        return hand_off(session, clock, conv, turn.reason.value)
    else:
        assert turn.intent is not None
        wanted = convenience.topics(text) if turn.intent == Intent.out_of_scope else ()
        if wanted:
            reply = convenience_answer(
                session, clock, conv, principal, access, wanted, prediction.confidence
            )
        else:
            reply = answer(session, clock, conv, principal, turn.intent, prediction.confidence)
    _add(session, clock, conv, Sender.ASSISTANT, reply.text, intent=reply.intent)
    return reply


_RECORDS_LINK = knowledge.Link(convenience.PAGE, "公积金社保查询", "Housing fund & social security")
_CONVENIENCE_TEXT = {
    "sign_in": (
        "公积金、社保查询需企业法定代表人本人登录后使用：登录后直接问我，或打开“公积金社保查询”页面。",
        "Housing-fund and social-security records are for the legal representative, signed in: "
        "sign in and ask me again, or open the Housing fund & social security page.",
    ),
    "consent": (
        "查询您本人的公积金、社保缴存记录需要您本人授权（用途：便民查询，仅向您本人展示，"
        "可随时撤回）。请打开“公积金社保查询”页面阅读授权书，同意后即可查看。",
        "To show your own housing-fund and social-security records I need your own consent "
        "(purpose: convenience query, shown only to you, revocable at any time). Open the "
        "Housing fund & social security page, read the authorization and agree.",
    ),
    "page": (
        "请打开“公积金社保查询”页面查看您本人的记录。",
        "Open the Housing fund & social security page to see your own records.",
    ),
}


def convenience_answer(
    session: Session,
    clock: Clock,
    conv: Conversation,
    principal: Principal | None,
    access: convenience.Access | None,
    wanted: tuple[convenience.SourceName, ...],
    confidence: float | None = None,
) -> Reply:
    """The signed-in legal representative's own records under a live consent; otherwise what
    is missing (signing in, being the legal representative, the consent) and the way to it.
    Nobody else's records: the person is found from the caller's own sign-in mobile."""
    conv.unclear_in_a_row = 0
    zh = conv.lang == "zh"
    extra = {"sub_intent": "convenience_query"}
    rep = convenience.representative_of(session, access.cipher, principal) if access else None
    links: tuple[knowledge.Link, ...] = (_RECORDS_LINK,)
    if principal is None or principal.is_staff:
        key, links = "sign_in", (knowledge.Link("/m/start", "去登录", "Sign in"),)
    elif access is None:
        key = "page"
    elif rep is None:
        error = NotLegalRepresentative()
        text = error.message("zh" if zh else "en")
        return Reply("answer", Intent.out_of_scope, text, (), (), False, confidence, extra)
    elif not convenience.has_consent(session, clock, rep):
        key = "consent"
    else:
        try:
            records = convenience.read_records(session, clock, access, rep)
        except DomainError as exc:
            text = exc.message("zh" if zh else "en")
        else:
            text = convenience.summary(records, wanted, conv.lang)
        return Reply("answer", Intent.out_of_scope, text, (), links, False, confidence, extra)
    text = _CONVENIENCE_TEXT[key][0 if zh else 1]
    return Reply("answer", Intent.out_of_scope, text, (), links, False, confidence, extra)


_INTENT_WORDS: dict[str, tuple[str, str]] = {
    "apply_loan": ("申请贷款", "applying for a loan"),
    "eligibility": ("申请条件", "who can apply"),
    "documents": ("申请材料", "documents"),
    "application_status": ("申请进度", "application status"),
    "credit_limit": ("查询额度", "my credit limit"),
    "limit_increase": ("提高额度", "a higher limit"),
    "interest_rate": ("利率利息", "interest rate"),
    "drawdown": ("提款用款", "drawing money"),
    "repayment": ("还款", "repaying"),
    "early_repayment": ("提前还款", "repaying early"),
    "repayment_schedule": ("还款计划", "repayment schedule"),
    "overdue": ("逾期", "overdue payments"),
    "deferral": ("延期还款", "deferring a payment"),
    "renewal": ("续贷续期", "renewing"),
    "contract": ("合同签署", "the contract"),
    "consent": ("数据授权", "data authorization"),
    "receivables": ("应收账款凭证", "receivable certificates"),
    "account_security": ("登录与账户安全", "sign-in and account security"),
    "fraud_report": ("防诈骗", "reporting fraud"),
    "fees": ("费用", "fees"),
    "complaint": ("投诉", "a complaint"),
    "human_agent": ("转人工", "a person"),
    "greeting": ("问候", "greeting"),
    "out_of_scope": ("其他问题", "something else"),
}


def intent_words(intent: str, lang: str) -> str:
    zh, en = _INTENT_WORDS.get(intent, (intent, intent))
    return zh if lang == "zh" else en


def _clarify(conv: Conversation, options: tuple[str, ...], confidence: float) -> Reply:
    words = [intent_words(o, conv.lang) for o in options]
    if conv.lang == "zh":
        text = (
            "我不太确定您想问的是：" + "、".join(f"“{w}”" for w in words) + "？请点选或换个说法。"
        )
    else:
        text = (
            "I am not sure whether you mean "
            + ", ".join(f'"{w}"' for w in words)
            + ". Pick one or say it another way."
        )
    return Reply("clarify", None, text, options=options, confidence=confidence)


def answer(
    session: Session,
    clock: Clock,
    conv: Conversation,
    principal: Principal | None,
    intent: str,
    confidence: float | None = None,
) -> Reply:
    """The live knowledge-base answer, the borrower's own figures where the intent needs them,
    and links into the normal flows."""
    conv.unclear_in_a_row = 0
    text = live_answer(session, intent, conv.lang)
    links = knowledge.LINKS.get(intent, ())
    own = figures.for_intent(session, clock, principal, intent)
    if own is not None:
        text = text + "\n" + own.text(conv.lang)
        links = own.links or links
    if intent == Intent.account_security and principal is None:
        links = (knowledge.Link("/m/start", "去登录", "Sign in"),)
    return Reply(
        "answer",
        intent,
        text,
        links=tuple(links),
        confidence=confidence,
        offer_lock=intent == Intent.fraud_report
        and principal is not None
        and not principal.is_staff,
    )


def choose(
    session: Session, clock: Clock, conv: Conversation, principal: Principal | None, intent: str
) -> Reply:
    """The customer picked one of the clarifying question's options."""
    if intent not in Intent.__members__:
        from puhui.assistant.errors import UnknownIntent

        raise UnknownIntent(intent=intent)
    if conv.status != ConversationStatus.BOT.value:
        raise (
            ConversationClosed()
            if conv.status == "closed"
            else ConversationWrongState(
                status_zh=CONVERSATION_ZH[ConversationStatus(conv.status)],
                status_en=CONVERSATION_EN[ConversationStatus(conv.status)],
                action_zh="选择问题",
                action_en="take a choice",
            )
        )
    _add(session, clock, conv, Sender.CUSTOMER, intent_words(intent, conv.lang), intent=intent)
    if intent in ("human_agent", "complaint"):
        return hand_off(session, clock, conv, "asked" if intent == "human_agent" else "complaint")
    reply = answer(session, clock, conv, principal, intent)
    _add(session, clock, conv, Sender.ASSISTANT, reply.text, intent=intent)
    return reply


def hand_off(session: Session, clock: Clock, conv: Conversation, reason: str) -> Reply:
    """Into the service desk queue with the transcript; the SLA clock starts."""
    if conv.status != ConversationStatus.BOT.value:
        return Reply("relay", None, "")
    _move(conv, ConversationStatus.WAITING, "转人工", "be handed off")
    now = _now(clock)
    conv.hand_off_reason = reason
    conv.handed_off_at = now
    conv.sla_due_at = now + SLA
    zh, en = _HAND_OFF_TEXT[reason]
    text = zh if conv.lang == "zh" else en
    _add(session, clock, conv, Sender.SYSTEM, text)
    audit.record(
        session,
        "assistant.hand_off",
        "conversation",
        conv.id,
        after={"reason": reason, "reference": conv.reference},
    )
    return Reply("hand_off", None, text, extra={"reason": reason})


def ask_for_person(session: Session, clock: Clock, conv: Conversation) -> Reply:
    return hand_off(session, clock, conv, "asked")


def messages_after(session: Session, conv: Conversation, after_seq: int = 0) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conv.id, Message.seq > after_seq)
            .order_by(Message.seq)
        )
    )


def rate(session: Session, clock: Clock, conv: Conversation, stars: int) -> None:
    """The customer's satisfaction (1-5) at the end; it also ends the conversation."""
    if stars not in range(1, 6):
        raise RatingInvalid()
    if conv.status != ConversationStatus.CLOSED.value:
        close(session, clock, conv, by="customer")
    conv.rating = stars
    audit.record(session, "assistant.rate", "conversation", conv.id, after={"rating": stars})


def close(session: Session, clock: Clock, conv: Conversation, *, by: str) -> None:
    _move(conv, ConversationStatus.CLOSED, "结束", "be closed")
    conv.closed_at = _now(clock)
    text = (
        "会话已结束，感谢您的使用。"
        if conv.lang == "zh"
        else "The conversation has ended. Thank you."
    )
    _add(session, clock, conv, Sender.SYSTEM, text)
    audit.record(session, "assistant.close", "conversation", conv.id, after={"by": by})


def desk_reply(
    session: Session, clock: Clock, conv: Conversation, agent: Principal, text: str
) -> Message:
    """A service rep answers in the console: the first reply stops the SLA clock."""
    text = _clean(text)
    if conv.status == ConversationStatus.WAITING.value:
        _move(conv, ConversationStatus.WITH_AGENT, "接入", "be taken")
        conv.agent_user_id = agent.user_id
        conv.first_reply_at = _now(clock)
    elif conv.status != ConversationStatus.WITH_AGENT.value:
        raise (
            ConversationClosed()
            if conv.status == "closed"
            else ConversationWrongState(
                status_zh=CONVERSATION_ZH[ConversationStatus(conv.status)],
                status_en=CONVERSATION_EN[ConversationStatus(conv.status)],
                action_zh="由人工回复",
                action_en="take a rep's reply",
            )
        )
    return _add(session, clock, conv, Sender.AGENT, text, agent_name=agent.display_name)


# --- safety -------------------------------------------------------------------------------------


def lock_sign_in(session: Session, clock: Clock, principal: Principal) -> int:
    """The fraud script's offer, taken: the account can no longer sign in and every session and
    token ends at once (a service rep unlocks it after checking the person's identity)."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise ConversationNotFound()
    user.is_active = False
    ended = auth.revoke_user_sessions(session, clock, user.id)
    audit.record(session, "assistant.lock_sign_in", "user", user.id, after={"ended": ended})
    return ended


def unlock_sign_in(session: Session, clock: Clock, user_id: uuid.UUID) -> None:
    user = session.get(User, user_id)
    if user is None or user.role != "borrower":
        raise ConversationNotFound()
    user.is_active = True
    audit.record(session, "assistant.unlock_sign_in", "user", user.id)


# --- retention ----------------------------------------------------------------------------------


def purge_conversations(session: Session, clock: Clock, cutoff: datetime) -> int:
    """Destroy conversations (and their messages) whose last message is older than the cutoff
    and that are closed or long idle; how many conversations went."""
    ids = list(
        session.scalars(select(Conversation.id).where(Conversation.last_message_at < cutoff))
    )
    if not ids:
        return 0
    from puhui.assistant.models import CallbackTask

    session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
    session.execute(delete(CallbackTask).where(CallbackTask.conversation_id.in_(ids)))
    session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return len(ids)


def sign_in_locked(session: Session, conv: Conversation) -> bool:
    """Whether the conversation's borrower has locked (or been locked out of) sign-in."""
    if conv.user_id is None:
        return False
    user = session.get(User, conv.user_id)
    return user is not None and not user.is_active
