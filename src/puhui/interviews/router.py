"""The signalling socket `/ws/interviews/{id}` and the staff's read API.

A socket is admitted by its first message, a ticket from the participant's page (see
`tickets.py`): the officer who runs the interview, or a borrower acting for its enterprise.
A wrong, expired, reused or foreign ticket, a closed interview or a cross-site origin closes
the socket with 4403; an interview that ends closes it with 4410, a flood with 4429. The relay
itself is `signalling.Hub`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from puhui.core.auth import Principal, require
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.web import DB, UnitOfWorkRoute
from puhui.interviews import service, tickets
from puhui.interviews.signalling import MAX_MESSAGES, Hub, parse_signal
from puhui.interviews.states import Party

READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.AUDITOR)
HELLO_SECONDS = 10

router = APIRouter(tags=["interviews"])
api = APIRouter(prefix="/api/v1/interviews", route_class=UnitOfWorkRoute, tags=["interviews"])


@api.get("/{interview_id}")
def get_interview(
    interview_id: uuid.UUID,
    db: DB,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> dict[str, Any]:
    """An interview's state, checklist answers and recording hash (staff who review)."""
    row = service.get_for_staff(db, interview_id)
    return {
        "id": str(row.id),
        "subject_kind": row.subject_kind,
        "subject_id": str(row.subject_id),
        "status": row.status,
        "officer": row.officer_name,
        "consents": sorted(p.value for p in service.consents_of(db, row.id)),
        "checklist_version": row.checklist_version,
        "checklist_answers": row.checklist_answers,
        "recording_sha256": row.recording_sha256,
        "recording_bytes": row.recording_bytes,
        "recording_purge_after": row.recording_purge_after,
        "recording_purged_at": row.recording_purged_at,
    }


def hub_of(app: FastAPI) -> Hub:
    hub = getattr(app.state, "interview_hub", None)
    if hub is None:
        hub = app.state.interview_hub = Hub()
    return hub


def _book(app: FastAPI) -> tickets.TicketBook:
    book = getattr(app.state, "interview_tickets", None)
    if book is None:
        book = app.state.interview_tickets = tickets.TicketBook()
    return book


def issue_ticket(
    runtime: Runtime, interview_id: uuid.UUID, user_id: uuid.UUID, party: Party
) -> str:
    key = service.keys_for(runtime.settings).ticket
    return tickets.issue(key, interview_id, user_id, party, runtime.clock.now().timestamp())


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next text frame; None for a binary one; WebSocketDisconnect when the peer left."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    return text if isinstance(text, str) else None


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(RuntimeError):  # the peer may have gone already
        await websocket.close(code)


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


def _state(runtime: Runtime, interview_id: uuid.UUID) -> service.SignalState | None:
    session = runtime.session_factory()
    try:
        return service.signal_state(session, interview_id)
    finally:
        session.close()


async def _admit(
    websocket: WebSocket, runtime: Runtime, interview_id: uuid.UUID
) -> tuple[tickets.Claim, service.SignalState] | None:
    try:
        text = await asyncio.wait_for(_receive_text(websocket), HELLO_SECONDS)
        hello = json.loads(text) if text is not None else None
    except (TimeoutError, ValueError, WebSocketDisconnect):
        return None
    now = runtime.clock.now().timestamp()
    key = service.keys_for(runtime.settings).ticket
    ticket = hello.get("ticket") if isinstance(hello, dict) else None
    claim = tickets.verify(key, ticket, interview_id, now)
    if claim is None or not _book(websocket.app).first_use(claim, now):
        return None
    state = await run_in_threadpool(_state, runtime, interview_id)
    if state is None or state.status.closed:
        return None
    if claim.party == Party.OFFICER and claim.user_id != state.officer_user_id:
        return None
    return claim, state


async def _announce(hub: Hub, interview_id: uuid.UUID, state: service.SignalState) -> None:
    hub.states[interview_id] = state
    await hub.broadcast(
        interview_id,
        {
            "type": "state",
            "status": state.status.value,
            "consented": sorted(p.value for p in state.consented),
            "present": sorted(p.value for p in hub.present(interview_id)),
            "media": state.media_allowed,
        },
    )


@router.websocket("/ws/interviews/{interview_id}")
async def signalling(websocket: WebSocket, interview_id: uuid.UUID) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if not _same_origin(websocket):
        await websocket.close(4403)
        return
    await websocket.accept()
    admitted = await _admit(websocket, runtime, interview_id)
    if admitted is None:
        await _close(websocket, 4403)
        return
    claim, state = admitted
    hub = hub_of(websocket.app)
    await hub.join(interview_id, claim.party, websocket)
    try:
        await _announce(hub, interview_id, state)
        await _relay(websocket, runtime, hub, interview_id, claim.party)
    except WebSocketDisconnect:
        pass
    finally:
        await hub.leave(interview_id, claim.party, websocket)
        if hub.present(interview_id):  # tell the other party, with the state as it is now
            latest = await run_in_threadpool(_state, runtime, interview_id)
            if latest is not None:
                await _announce(hub, interview_id, latest)
        else:
            hub.states.pop(interview_id, None)


async def _relay(
    websocket: WebSocket, runtime: Runtime, hub: Hub, interview_id: uuid.UUID, party: Party
) -> None:
    for _ in range(MAX_MESSAGES):
        text = await _receive_text(websocket)
        message = parse_signal(text) if text is not None else None
        if message is None:
            await websocket.send_text(json.dumps({"type": "error", "code": "bad_message"}))
            continue
        if message["type"] == "refresh":
            state = await run_in_threadpool(_state, runtime, interview_id)
            if state is None:
                await _close(websocket, 4410)
                return
            await _announce(hub, interview_id, state)
            if state.status.closed:
                await _close(websocket, 4410)  # the interview ended: nothing more to relay
                return
            continue
        current = hub.states.get(interview_id)
        if current is None or not current.media_allowed:
            await websocket.send_text(json.dumps({"type": "error", "code": "consent_missing"}))
            continue
        await hub.send(interview_id, party.other, {**message, "from": party.value})
    await _close(websocket, 4429)  # far more messages than a call needs
