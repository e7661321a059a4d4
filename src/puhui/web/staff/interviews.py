"""The officer's side of a video interview (视频面谈): started from a review, run in the
interview room (consent, video, checklist, recording, completion), shown on the review page
(`review_panel`, included by review.html) and played back to staff who review.

The room's script (static/interview.js) keeps the call up while the officer works: the
checklist and the recording go by `fetch` (header `X-Puhui-Fetch`: refusals come back as
problem+json instead of a page); without the script the checklist is a plain form.
The recording upload path is `/console/interviews/{id}/recording` (its own body-size limit,
`PUHUI_INTERVIEW_RECORDING_MAX_BYTES`)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.responses import StreamingResponse as Streaming
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.interviews import checklist
from puhui.interviews import service as interviews_service
from puhui.interviews.errors import RecordingTooLarge
from puhui.interviews.router import issue_ticket
from puhui.interviews.states import InterviewStatus, Party, SubjectKind
from puhui.interviews.texts import RECORDING_CONSENT
from puhui.web.pages import check_csrf, page_error, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

OFFICERS = (Role.CREDIT_OFFICER,)
PLAYERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.AUDITOR)
Officer = Annotated[Principal, Depends(require_page(*OFFICERS))]


def review_panel(db: Session, review_id: uuid.UUID, lang: str) -> list[Any]:
    """The interviews of a review, for the review page's panel (`_interview.html`)."""
    rows = interviews_service.for_subject(db, SubjectKind.DECISION_REVIEW, review_id)
    return [interviews_service.view(db, r, lang) for r in rows]


def _fetch(request: Request) -> bool:
    return request.headers.get("x-puhui-fetch") == "1"


def _room(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    interview_id: uuid.UUID,
    **ctx: Any,
) -> Response:
    lang = request_lang(request)
    row = interviews_service.get_for_officer(db, principal, interview_id)
    return render(
        request,
        "interview.html",
        principal,
        iv=interviews_service.view(db, row, lang),
        consent_text=RECORDING_CONSENT.text(lang),
        answers=checklist.ANSWERS,
        ice=ice_servers(rt.settings.interview_ice_servers),
        open=not InterviewStatus(row.status).closed,
        status_labels=json.dumps(interviews_service.status_labels(lang), ensure_ascii=False),
        **ctx,
    )


def _refused(
    request: Request,
    exc: DomainError,
    db: Session,
    rt: Runtime,
    principal: Principal,
    interview_id: uuid.UUID,
) -> Exception:
    if _fetch(request):
        return exc
    return page_error(
        request, exc, lambda error: _room(request, db, rt, principal, interview_id, error=error)
    )


@router.post("/interviews", dependencies=[Depends(check_csrf)])
def interview_start(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Officer,
    subject_id: Annotated[uuid.UUID, Form()],
    subject_kind: Annotated[SubjectKind, Form()] = SubjectKind.DECISION_REVIEW,
) -> Response:
    row = interviews_service.start_interview(db, rt.clock, principal, subject_kind, subject_id)
    return RedirectResponse(f"/console/interviews/{row.id}", status_code=303)


@router.get("/interviews/{interview_id}", response_class=HTMLResponse)
def interview_room(
    request: Request, interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> Response:
    return _room(request, db, rt, principal, interview_id)


@router.get("/interviews/{interview_id}/ticket")
def interview_ticket(
    interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> dict[str, str]:
    """A one-minute ticket for the signalling socket (the officer who runs the interview)."""
    row = interviews_service.get_for_officer(db, principal, interview_id)
    return {"ticket": issue_ticket(rt, row.id, principal.user_id, Party.OFFICER)}


@router.post("/interviews/{interview_id}/consent", dependencies=[Depends(check_csrf)])
def interview_consent(
    request: Request,
    interview_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Officer,
    agree: Annotated[str, Form()] = "",
) -> Response:
    try:
        row = interviews_service.get_for_officer(db, principal, interview_id)
        if agree != "yes":
            raise InvalidInput(field="agree")
        lang = request_lang(request)
        interviews_service.record_consent(db, rt.clock, principal, row, Party.OFFICER, lang)
    except DomainError as exc:
        raise _refused(request, exc, db, rt, principal, interview_id) from exc
    return RedirectResponse(f"/console/interviews/{interview_id}", status_code=303)


@router.post("/interviews/{interview_id}/connected", dependencies=[Depends(check_csrf)])
def interview_connected(
    interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> Response:
    """The room's script: the peer connection reached `connected`."""
    row = interviews_service.get_for_officer(db, principal, interview_id)
    interviews_service.mark_connected(db, rt.clock, principal, row)
    return Response(status_code=204)


@router.post("/interviews/{interview_id}/checklist", dependencies=[Depends(check_csrf)])
async def interview_checklist(
    request: Request, interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> Response:
    form = await request.form()
    raw = {
        code: {
            "answer": str(form.get(f"answer_{code}") or ""),
            "note": str(form.get(f"note_{code}") or ""),
        }
        for code in checklist.CODES
    }

    def save() -> None:
        row = interviews_service.get_for_officer(db, principal, interview_id)
        interviews_service.answer_checklist(db, rt.clock, principal, row, raw)

    try:
        await run_in_threadpool(save)
    except DomainError as exc:
        raise _refused(request, exc, db, rt, principal, interview_id) from exc
    if _fetch(request):
        return Response(status_code=204)
    return RedirectResponse(f"/console/interviews/{interview_id}", status_code=303)


@router.post("/interviews/{interview_id}/recording", dependencies=[Depends(check_csrf)])
async def interview_recording_upload(
    request: Request, interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> JSONResponse:
    """The officer's recording, the whole file in the body (video/webm or video/mp4)."""
    limit = rt.settings.interview_recording_max_bytes
    too_large = RecordingTooLarge(limit_mb=limit // (1 << 20))
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    mime = request.headers.get("content-type", "")

    def store() -> str:
        row = interviews_service.get_for_officer(db, principal, interview_id)
        return interviews_service.store_recording(
            db, rt.clock, rt.settings, principal, row, b"".join(chunks), mime
        )

    digest = await run_in_threadpool(store)
    return JSONResponse({"sha256": digest, "bytes": size})


@router.post("/interviews/{interview_id}/complete", dependencies=[Depends(check_csrf)])
def interview_complete(
    request: Request, interview_id: uuid.UUID, db: DB, rt: RuntimeDep, principal: Officer
) -> Response:
    try:
        row = interviews_service.get_for_officer(db, principal, interview_id)
        interviews_service.complete(db, rt.clock, principal, row)
        target = interviews_service.view(db, row, "zh").subject_url
    except DomainError as exc:
        raise _refused(request, exc, db, rt, principal, interview_id) from exc
    return RedirectResponse(target, status_code=303)


@router.post("/interviews/{interview_id}/abandon", dependencies=[Depends(check_csrf)])
def interview_abandon(
    request: Request,
    interview_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Officer,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        row = interviews_service.get_for_officer(db, principal, interview_id)
        interviews_service.abandon(db, rt.clock, principal, row, reason.strip())
        target = interviews_service.view(db, row, "zh").subject_url
    except DomainError as exc:
        raise _refused(request, exc, db, rt, principal, interview_id) from exc
    return RedirectResponse(target, status_code=303)


@router.get("/interviews/{interview_id}/recording")
def interview_recording_play(
    interview_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*PLAYERS))],
) -> Response:
    """The decrypted recording, streamed (staff who review; each playback audited)."""
    row = interviews_service.get_for_staff(db, interview_id)
    stream = interviews_service.recording_stream(db, rt.settings, principal, row)
    return Streaming(
        stream,
        media_type=row.recording_mime or "video/webm",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def ice_servers(raw: str) -> str:
    """The configured ICE servers as JSON for the page (an invalid setting: none)."""
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return "[]"
    return json.dumps(value if isinstance(value, list) else [])
