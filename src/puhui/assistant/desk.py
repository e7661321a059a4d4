"""The service desk (远程客服): the queue of handed-off conversations, the customer view masked by
role, where a stuck application or drawdown stopped, and callback tasks. Read through the
domains' public services; the only writes are the desk's own (replies, callbacks)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.assistant.errors import CallbackNotFound, MessageEmpty
from puhui.assistant.models import CallbackTask, Conversation, Message
from puhui.assistant.states import CallbackStatus, ConversationStatus
from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import mask_mobile
from puhui.core.models import Role
from puhui.decisioning import service as decisioning_service
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service

# Roles that see an enterprise's identifiers in full on the desk; a service rep sees them masked.
UNMASKED_ROLES = frozenset({Role.ADMIN, Role.CUSTOMER_MANAGER, Role.CREDIT_OFFICER})


@dataclass(frozen=True)
class QueueItem:
    conversation: Conversation
    enterprise_name: str | None
    last_text: str
    waited_minutes: int
    late: bool


def queue(session: Session, clock: Clock, *, include_closed: bool = False) -> list[QueueItem]:
    """Handed-off conversations, oldest hand-off first; `late`: past the SLA without a reply."""
    statuses = [ConversationStatus.WAITING.value, ConversationStatus.WITH_AGENT.value]
    if include_closed:
        statuses.append(ConversationStatus.CLOSED.value)
    rows = session.scalars(
        select(Conversation)
        .where(Conversation.status.in_(statuses), Conversation.handed_off_at.is_not(None))
        .order_by(Conversation.handed_off_at)
        .limit(200)
    ).all()
    now = clock.now()
    out = []
    for conv in rows:
        last = session.scalar(
            select(Message.text)
            .where(Message.conversation_id == conv.id, Message.sender == "customer")
            .order_by(Message.seq.desc())
            .limit(1)
        )
        name = (
            parties_service.get_enterprise(session, conv.enterprise_id).name
            if conv.enterprise_id
            else None
        )
        assert conv.handed_off_at is not None
        waited = int((now - conv.handed_off_at).total_seconds() // 60)
        late = conv.first_reply_at is None and conv.sla_due_at is not None and now > conv.sla_due_at
        out.append(QueueItem(conv, name, (last or "")[:80], waited, late))
    return out


@dataclass(frozen=True)
class Stop:
    """Where a customer's application or credit line stopped, in words."""

    reference: str
    zh: str
    en: str
    href: str


@dataclass(frozen=True)
class CustomerView:
    enterprise_id: uuid.UUID
    name: str
    uscc: str  # masked for a service rep
    lines: list
    loans: list
    applications: list
    stops: list[Stop]
    conversations: list[Conversation]
    callbacks: list[CallbackTask]


def _mask_uscc(uscc: str) -> str:
    return uscc[:4] + "*" * (len(uscc) - 8) + uscc[-4:] if len(uscc) > 8 else "*" * len(uscc)


def _stops(
    enterprise_id: uuid.UUID,
    applications: list,
    lines: list,
) -> list[Stop]:
    """Guided assistance: the step each unfinished journey waits on."""
    home = f"/console/enterprises/{enterprise_id}"
    stops = []
    for app in applications:
        if app.status == "referred":
            stops.append(
                Stop(
                    app.reference,
                    "等待人工审批（审批员复核中）",
                    "waiting for a reviewer's decision",
                    home,
                )
            )
        elif app.status == "approved":
            stops.append(
                Stop(
                    app.reference,
                    "已批准，客户尚未签署合同（停在“签约”一步）",
                    "approved; the customer has not signed the contract yet",
                    home,
                )
            )
        elif app.status == "submitted":
            stops.append(
                Stop(
                    app.reference,
                    "已提交，决策未完成（停在“数据查询/决策”一步）",
                    "submitted; the decision has not finished (data or decision step)",
                    home,
                )
            )
    for line in lines:
        if line.status == "pending_signature":
            stops.append(
                Stop(
                    line.reference,
                    "额度待签约：合同验证码可能未收到或已过期",
                    "line waiting for signature: the contract code may not have "
                    "arrived or has expired",
                    home,
                )
            )
        elif line.status == "active" and line.used_fen == 0:
            stops.append(
                Stop(
                    line.reference,
                    "额度已生效但从未提款（停在“提款”一步）",
                    "line active but never drawn (the drawdown step)",
                    home,
                )
            )
        elif line.status == "frozen":
            stops.append(
                Stop(
                    line.reference,
                    "额度已冻结，提款会被拒绝",
                    "line frozen: drawdowns are refused",
                    home,
                )
            )
    return stops


def customer_view(session: Session, staff: Principal, enterprise_id: uuid.UUID) -> CustomerView:
    enterprise = parties_service.get_enterprise(session, enterprise_id)
    lines = lending_service.list_lines(session, staff, enterprise_id=enterprise_id, limit=20)
    loans = lending_service.list_loans(session, enterprise_id=enterprise_id)
    apps = decisioning_service.list_applications(
        session, staff, enterprise_id=enterprise_id, limit=10
    )
    convs = list(
        session.scalars(
            select(Conversation)
            .where(Conversation.enterprise_id == enterprise_id)
            .order_by(Conversation.created_at.desc())
            .limit(10)
        )
    )
    calls = list(
        session.scalars(
            select(CallbackTask)
            .where(CallbackTask.enterprise_id == enterprise_id)
            .order_by(CallbackTask.due_at.desc())
            .limit(10)
        )
    )
    uscc = enterprise.uscc if staff.role in UNMASKED_ROLES else _mask_uscc(enterprise.uscc)
    return CustomerView(
        enterprise.id,
        enterprise.name,
        uscc,
        list(lines),
        list(loans),
        list(apps),
        _stops(enterprise.id, list(apps), list(lines)),
        convs,
        calls,
    )


def masked_mobile(mobile: str) -> str:
    return mask_mobile(mobile)


# --- callback tasks -----------------------------------------------------------------------------


def add_callback(
    session: Session,
    clock: Clock,
    staff: Principal,
    *,
    due_at: datetime,
    note: str,
    conversation_id: uuid.UUID | None = None,
    enterprise_id: uuid.UUID | None = None,
) -> CallbackTask:
    note = note.strip()
    if not note or len(note) > 500:
        raise MessageEmpty(max_chars=500)
    task = CallbackTask(
        conversation_id=conversation_id,
        enterprise_id=enterprise_id,
        note=note,
        due_at=due_at,
        status=CallbackStatus.OPEN.value,
        created_by=staff.user_id,
        created_at=clock.now(),
    )
    session.add(task)
    session.flush()
    audit.record(
        session, "assistant.callback_add", "callback_task", task.id, after={"due_at": due_at}
    )
    return task


def open_callbacks(session: Session) -> list[CallbackTask]:
    return list(
        session.scalars(
            select(CallbackTask)
            .where(CallbackTask.status == CallbackStatus.OPEN.value)
            .order_by(CallbackTask.due_at)
            .limit(200)
        )
    )


def complete_callback(
    session: Session, clock: Clock, staff: Principal, task_id: uuid.UUID
) -> CallbackTask:
    task = session.get(CallbackTask, task_id)
    if task is None or task.status != CallbackStatus.OPEN.value:
        raise CallbackNotFound()
    task.status = CallbackStatus.DONE.value
    task.done_by = staff.user_id
    task.done_at = clock.now()
    audit.record(session, "assistant.callback_done", "callback_task", task.id)
    return task
