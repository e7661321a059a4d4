"""`/api/v1/assistant`: the chat endpoint for apps (a signed-in borrower's or a member of
staff's conversations; the /m page and the console desk call the same services)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from puhui.assistant import convenience, service
from puhui.assistant.schemas import (
    ConversationOut,
    ConversationStart,
    LinkOut,
    MessageIn,
    MessageOut,
    ReplyOut,
)
from puhui.core.auth import EVERYONE, Principal, require
from puhui.core.web import DB, ClockDep, UnitOfWorkRoute
from puhui.datahub.connectors import Connectors

router = APIRouter(prefix="/api/v1/assistant", route_class=UnitOfWorkRoute, tags=["assistant"])
Caller = Annotated[Principal, Depends(require(*EVERYONE))]


def personal_access(request: Request) -> convenience.Access:
    """The cipher and the personal connectors (便民查询), built when first needed (the startup
    only checks that production has no sandbox: building it generates the synthetic world)."""
    state = request.app.state

    def build() -> Connectors:
        from puhui.datahub.personal import build_personal_connectors

        connectors = getattr(state, "personal_connectors", None)
        if connectors is None:
            connectors = build_personal_connectors(state.runtime.settings.environment)
            state.personal_connectors = connectors
        return connectors

    return convenience.Access(state.runtime.cipher, build=build)


AccessDep = Annotated[convenience.Access, Depends(personal_access)]


def reply_out(reply: service.Reply, status: str, lang: str) -> ReplyOut:
    return ReplyOut(
        kind=reply.kind,
        intent=reply.intent,
        sub_intent=reply.extra.get("sub_intent"),
        confidence=None if reply.confidence is None else round(reply.confidence, 4),
        text=reply.text,
        options=list(reply.options),
        links=[LinkOut(href=k.href, label=k.zh if lang == "zh" else k.en) for k in reply.links],
        offer_lock=reply.offer_lock,
        status=status,
    )


@router.post("/conversations", status_code=201)
def start_conversation(
    body: ConversationStart, db: DB, clock: ClockDep, principal: Caller
) -> ConversationOut:
    return ConversationOut.model_validate(service.start(db, clock, principal, body.lang))


@router.post("/conversations/{conversation_id}/messages")
def say(
    conversation_id: uuid.UUID,
    body: MessageIn,
    db: DB,
    clock: ClockDep,
    principal: Caller,
    access: AccessDep,
) -> ReplyOut:
    """The customer's message and the assistant's reply (recognition + knowledge base + the
    borrower's own figures), a clarifying question, or a hand-off to the service desk."""
    conv = service.get_own(db, principal, conversation_id)
    reply = service.say(db, clock, conv, principal, body.text, access)
    return reply_out(reply, conv.status, conv.lang)


@router.get("/conversations/{conversation_id}/messages")
def messages(
    conversation_id: uuid.UUID, db: DB, principal: Caller, after: int = 0
) -> list[MessageOut]:
    conv = service.get_for(db, principal, conversation_id)
    return [MessageOut.model_validate(m) for m in service.messages_after(db, conv, after)]
