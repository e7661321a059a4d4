"""Video interviews over HTTP and the signalling socket, on SQLite and PostgreSQL: the whole
interview (consents, relay, checklist, encrypted recording, completion, evidence in the
decision), who may join the socket, the state guards, and the retention purge."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from interview_world import WEBM, Case, bearer, referred_case
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import AuditEvent, Role, User
from puhui.core.runtime import Runtime
from puhui.decisioning import review as review_service
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.models import Decision
from puhui.decisioning.schemas import ReviewDecide
from puhui.interviews import checklist
from puhui.interviews import service as interviews_service
from puhui.interviews.models import Interview

FETCH = {"X-Puhui-Fetch": "1"}


def _start(client: TestClient, officer: dict[str, str], case: Case) -> uuid.UUID:
    r = client.post(
        "/console/interviews",
        data={"subject_kind": "decision_review", "subject_id": str(case.review_id)},
        headers=officer,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return uuid.UUID(r.headers["location"].rsplit("/", 1)[1])


def _consent(client: TestClient, headers: dict[str, str], base: str) -> None:
    r = client.post(
        f"{base}/consent", data={"agree": "yes"}, headers=headers, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def _ticket(client: TestClient, headers: dict[str, str], url: str) -> str:
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["ticket"])


def _status(session: Session, interview_id: uuid.UUID) -> str:
    session.expire_all()
    return str(session.scalar(select(Interview.status).where(Interview.id == interview_id)))


def _state(ws: Any) -> dict[str, Any]:
    while True:
        msg = ws.receive_json()
        if msg["type"] == "state":
            return dict(msg)


def _parties(session: Session, runtime: Runtime, case: Case) -> tuple[dict[str, str], ...]:
    officer = bearer(session, runtime, Role.CREDIT_OFFICER)
    applicant = bearer(session, runtime, Role.BORROWER, enterprise_ids=[case.enterprise_id])
    return officer, applicant


def _answer_all(client: TestClient, officer: dict[str, str], iid: uuid.UUID) -> None:
    form = {f"answer_{c}": "yes" for c in checklist.CODES}
    form["note_business_operating"] = "视频中可见门店正常营业"
    r = client.post(f"/console/interviews/{iid}/checklist", data=form, headers={**officer, **FETCH})
    assert r.status_code == 204, r.text


def test_a_whole_interview_leaves_an_encrypted_recording_and_its_hash_in_the_decision(
    session: Session, runtime: Runtime, client: TestClient
) -> None:
    case = referred_case(session, runtime)
    officer, applicant = _parties(session, runtime, case)
    iid = _start(client, officer, case)
    console, mobile = f"/console/interviews/{iid}", f"/m/interviews/{iid}"
    assert _status(session, iid) == "created"
    # the applicant finds the invitation on /m and joins by consenting
    invitations = client.get("/m/interviews", headers=applicant)
    assert invitations.status_code == 200 and f"/m/interviews/{iid}" in invitations.text
    _consent(client, applicant, mobile)
    assert _status(session, iid) == "joined"
    # media may not start before the officer's consent: the socket refuses to relay
    with client.websocket_connect(f"/ws/interviews/{iid}") as early:
        early.send_text(json.dumps({"ticket": _ticket(client, applicant, f"{mobile}/ticket")}))
        assert _state(early)["media"] is False
        early.send_text(json.dumps({"type": "signal", "kind": "ready", "data": {}}))
        assert early.receive_json() == {"type": "error", "code": "consent_missing"}
    _consent(client, officer, console)
    consents = interviews_service.consents_of(session, iid)
    assert {c.text_version for c in consents.values()} == {"interview-recording-2026-12-v1"}

    with (
        client.websocket_connect(f"/ws/interviews/{iid}") as off,
        client.websocket_connect(f"/ws/interviews/{iid}") as app,
    ):
        off.send_text(json.dumps({"ticket": _ticket(client, officer, f"{console}/ticket")}))
        assert _state(off)["present"] == ["officer"]
        app.send_text(json.dumps({"ticket": _ticket(client, applicant, f"{mobile}/ticket")}))
        state = _state(app)
        assert state["present"] == ["applicant", "officer"] and state["media"] is True
        assert _state(off)["consented"] == ["applicant", "officer"]
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        off.send_text(json.dumps({"type": "signal", "kind": "offer", "data": offer}))
        relayed = app.receive_json()
        assert relayed == {"type": "signal", "kind": "offer", "data": offer, "from": "officer"}
        app.send_text(json.dumps({"type": "signal", "kind": "answer", "data": {"sdp": "a"}}))
        assert off.receive_json()["kind"] == "answer"

    assert client.post(f"{console}/connected", headers=officer).status_code == 204
    assert _status(session, iid) == "in_progress"
    _answer_all(client, officer, iid)
    up = client.post(
        f"{console}/recording", content=WEBM, headers={**officer, "Content-Type": "video/webm"}
    )
    assert up.status_code == 200, up.text
    assert up.json() == {"sha256": hashlib.sha256(WEBM).hexdigest(), "bytes": len(WEBM)}
    (stored,) = (runtime.settings.var_dir / "interviews").glob(f"{iid}-*.rec")
    assert b"PLAINTEXT-VIDEO-FRAME" not in stored.read_bytes()
    # a second take replaces the first: one file, the new hash
    second = WEBM + b"second take"
    again = client.post(
        f"{console}/recording", content=second, headers={**officer, "Content-Type": "video/webm"}
    )
    assert again.status_code == 200
    (stored,) = (runtime.settings.var_dir / "interviews").glob(f"{iid}-*.rec")
    digest = hashlib.sha256(second).hexdigest()
    assert again.json()["sha256"] == digest

    done = client.post(f"{console}/complete", headers=officer, follow_redirects=False)
    assert (
        done.status_code == 303 and done.headers["location"] == f"/console/reviews/{case.review_id}"
    )
    assert _status(session, iid) == "completed"
    evidence = decisioning_service.review_evidence(session, case.review_id)
    assert [(e.kind, e.ref_id, e.sha256) for e in evidence] == [("video_interview", iid, digest)]
    assert evidence[0].summary["answers"] == {"yes": len(checklist.CODES), "no": 0, "unclear": 0}

    # the review page shows the state, the answers and the hash; staff who review play it back
    page = client.get(f"/console/reviews/{case.review_id}", headers=officer)
    assert digest in page.text and "视频中可见门店正常营业" in page.text
    risk = bearer(session, runtime, Role.RISK_OFFICER)
    played = client.get(f"{console}/recording", headers=risk)
    assert played.status_code == 200 and played.content == second
    for who in (applicant, bearer(session, runtime, Role.CUSTOMER_MANAGER)):
        assert client.get(f"{console}/recording", headers=who).status_code == 403
        assert client.get(f"/api/v1/interviews/{iid}", headers=who).status_code == 403
    session.expire_all()
    played_by = session.scalars(
        select(AuditEvent.actor_role).where(
            AuditEvent.action == "interview.recording_played",
            AuditEvent.entity_id == str(iid),
        )
    ).all()
    assert played_by == ["risk_officer"]
    api = client.get(f"/api/v1/interviews/{iid}", headers=risk).json()
    assert api["status"] == "completed" and api["recording_sha256"] == digest
    assert api["consents"] == ["applicant", "officer"]
    # both rooms read in English too, and say the interview is over
    english = client.get(f"{console}?lang=en", headers=officer)
    assert english.status_code == 200 and "Video interview" in english.text
    assert "Completed" in english.text and "完成" not in english.text
    assert "This interview has ended" in client.get(f"{mobile}?lang=en", headers=applicant).text

    # the manual decision that closes the review names its evidence
    user = session.scalar(select(User).where(User.role == Role.CREDIT_OFFICER.value))
    assert user is not None
    body = ReviewDecide.model_validate({"outcome": "decline", "reason": "面谈核实后拒绝"})
    review_service.decide_review(session, runtime.clock, principal_of(user), case.review_id, body)
    final = session.scalars(
        select(Decision).where(
            Decision.application_id == case.application_id,
            Decision.kind == "manual",
        )
    ).one()
    assert final.result["evidence"][0]["sha256"] == digest


def _hello(client: TestClient, iid: uuid.UUID, ticket: Any) -> int:
    """The close code the socket answers a hello with this ticket."""
    with client.websocket_connect(f"/ws/interviews/{iid}") as ws:
        ws.send_text(json.dumps({"ticket": ticket}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value.code


def test_only_the_two_participants_of_that_interview_get_into_its_socket(
    session: Session, runtime: Runtime, client: TestClient
) -> None:
    case, other_case = referred_case(session, runtime), referred_case(session, runtime)
    officer, applicant = _parties(session, runtime, case)
    iid = _start(client, officer, case)
    other_iid = _start(client, officer, other_case)
    console, mobile = f"/console/interviews/{iid}", f"/m/interviews/{iid}"
    # a borrower of another enterprise and another credit officer get no ticket (as if absent)
    wrong_borrower = bearer(
        session, runtime, Role.BORROWER, enterprise_ids=[other_case.enterprise_id]
    )
    assert client.get(f"{mobile}/ticket", headers=wrong_borrower).status_code == 404
    assert client.get(mobile, headers=wrong_borrower).status_code == 404
    other_officer = bearer(session, runtime, Role.CREDIT_OFFICER)
    assert client.get(f"{console}/ticket", headers=other_officer).status_code == 404
    # staff roles cannot take the applicant's seat, borrowers not the officer's
    assert client.get(f"{mobile}/ticket", headers=officer).status_code == 403
    assert client.get(f"{console}/ticket", headers=applicant).status_code == 403
    assert client.get(f"{console}/ticket", follow_redirects=False).status_code in (303, 307)
    # no ticket, a forged one, one of another interview, one used twice: closed with 4403
    assert _hello(client, iid, None) == 4403
    good = _ticket(client, applicant, f"{mobile}/ticket")
    assert _hello(client, iid, good[:-1] + ("0" if good[-1] != "0" else "1")) == 4403
    theirs = _ticket(client, officer, f"/console/interviews/{other_iid}/ticket")
    assert _hello(client, iid, theirs) == 4403
    with client.websocket_connect(f"/ws/interviews/{iid}") as ws:
        ws.send_text(json.dumps({"ticket": good}))
        assert _state(ws)["present"] == ["applicant"]
    assert _hello(client, iid, good) == 4403
    # a binary hello, or any page of another site, gets nowhere either
    with client.websocket_connect(f"/ws/interviews/{iid}") as ws:
        ws.send_bytes(b"\x00ticket")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            f"/ws/interviews/{iid}", headers={"origin": "https://evil.example"}
        ) as ws,
    ):
        ws.receive_json()
    # inside, anything but a WebRTC signal is answered with an error and not relayed
    with client.websocket_connect(f"/ws/interviews/{iid}") as ws:
        ws.send_text(json.dumps({"ticket": _ticket(client, applicant, f"{mobile}/ticket")}))
        _state(ws)
        ws.send_text('{"type": "signal", "kind": "exec", "data": {}}')
        assert ws.receive_json() == {"type": "error", "code": "bad_message"}
        ws.send_bytes(b"\x01")
        assert ws.receive_json() == {"type": "error", "code": "bad_message"}
    # a closed interview admits nobody
    client.post(f"{console}/abandon", data={"reason": "客户无法出镜"}, headers=officer)
    assert _status(session, iid) == "abandoned"
    assert _hello(client, iid, _ticket(client, applicant, f"{mobile}/ticket")) == 4403


def test_the_steps_are_refused_out_of_order(
    session: Session, runtime: Runtime, client: TestClient
) -> None:
    case = referred_case(session, runtime)
    officer, applicant = _parties(session, runtime, case)
    iid = _start(client, officer, case)
    console = f"/console/interviews/{iid}"
    again = client.post(
        "/console/interviews",
        data={"subject_id": str(case.review_id)},
        headers={**officer, "Accept-Language": "en"},
    )
    assert again.status_code == 409 and again.json()["code"] == "interview_already_open"
    # no media before both consents; no recording before the call connected
    connected = client.post(f"{console}/connected", headers=officer)
    assert connected.status_code == 409 and connected.json()["code"] == "interview_consent_missing"
    _consent(client, applicant, f"/m/interviews/{iid}")
    _consent(client, officer, console)
    early = client.post(
        f"{console}/recording", content=WEBM, headers={**officer, "Content-Type": "video/webm"}
    )
    assert early.status_code == 409 and early.json()["code"] == "interview_wrong_state"
    client.post(f"{console}/connected", headers=officer)
    # not a video, too large
    for content, mime in ((b"hello", "video/webm"), (WEBM, "text/plain"), (b"", "video/webm")):
        bad = client.post(
            f"{console}/recording", content=content, headers={**officer, "Content-Type": mime}
        )
        assert bad.status_code == 422 and bad.json()["code"] == "interview_recording_invalid"
    runtime.settings.interview_recording_max_bytes = 1000
    big = client.post(
        f"{console}/recording", content=WEBM, headers={**officer, "Content-Type": "video/webm"}
    )
    assert big.status_code == 413 and big.json()["code"] == "interview_recording_too_large"
    # no completion without the whole checklist and the recording
    partial = client.post(
        f"{console}/checklist", data={"answer_loan_purpose": "no"}, headers={**officer, **FETCH}
    )
    assert partial.status_code == 204
    bad = client.post(
        f"{console}/checklist",
        data={"answer_loan_purpose": "perhaps"},
        headers={**officer, **FETCH},
    )
    assert bad.status_code == 422
    incomplete = client.post(f"{console}/complete", headers={**officer, **FETCH})
    assert incomplete.status_code == 422
    assert incomplete.json()["code"] == "interview_checklist_incomplete"
    _answer_all(client, officer, iid)
    missing = client.post(f"{console}/complete", headers={**officer, **FETCH})
    assert missing.status_code == 409 and missing.json()["code"] == "interview_recording_missing"
    # a closed review takes no new interview
    client.post(f"{console}/abandon", headers=officer)
    session.expire_all()
    user = session.scalar(select(User).where(User.role == Role.CREDIT_OFFICER.value))
    assert user is not None
    body = ReviewDecide.model_validate({"outcome": "decline", "reason": "不符合条件"})
    review_service.decide_review(session, runtime.clock, principal_of(user), case.review_id, body)
    session.commit()
    closed = client.post(
        "/console/interviews", data={"subject_id": str(case.review_id)}, headers=officer
    )
    assert closed.status_code == 409 and closed.json()["code"] == "interview_subject_closed"


def test_recordings_are_destroyed_after_their_retention_and_only_once(
    session: Session, runtime: Runtime, client: TestClient
) -> None:
    case = referred_case(session, runtime)
    officer, applicant = _parties(session, runtime, case)
    iid = _start(client, officer, case)
    console = f"/console/interviews/{iid}"
    _consent(client, applicant, f"/m/interviews/{iid}")
    _consent(client, officer, console)
    client.post(f"{console}/connected", headers=officer)
    headers = {**officer, "Content-Type": "video/webm"}
    assert client.post(f"{console}/recording", content=WEBM, headers=headers).status_code == 200
    (stored,) = (runtime.settings.var_dir / "interviews").glob(f"{iid}-*.rec")
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    days = runtime.settings.interview_recording_retention_days
    assert interviews_service.purge_expired_recordings(session, clock, runtime.settings) == 0
    later = FixedClock(clock.now() + timedelta(days=days, seconds=1))
    assert interviews_service.purge_expired_recordings(session, later, runtime.settings) == 1
    session.commit()
    assert not stored.exists()
    assert interviews_service.purge_expired_recordings(session, later, runtime.settings) == 0
    gone = client.get(f"{console}/recording", headers={**officer, "Accept-Language": "en"})
    assert gone.status_code == 410 and gone.json()["code"] == "interview_recording_gone"
    row = interviews_service.get_for_staff(session, iid)
    assert row.recording_sha256 == hashlib.sha256(WEBM).hexdigest()  # the hash stays


def test_a_recording_whose_transaction_rolls_back_leaves_no_file(
    session: Session, runtime: Runtime, client: TestClient
) -> None:
    case = referred_case(session, runtime)
    officer, applicant = _parties(session, runtime, case)
    iid = _start(client, officer, case)
    console = f"/console/interviews/{iid}"
    _consent(client, applicant, f"/m/interviews/{iid}")
    _consent(client, officer, console)
    client.post(f"{console}/connected", headers=officer)
    session.expire_all()
    row = interviews_service.get_for_staff(session, iid)
    user = session.get(User, row.officer_user_id)
    assert user is not None
    interviews_service.store_recording(
        session, runtime.clock, runtime.settings, principal_of(user), row, WEBM, "video/webm"
    )
    folder = runtime.settings.var_dir / "interviews"
    assert len(list(folder.glob(f"{iid}-*.rec"))) == 1
    session.rollback()
    assert list(folder.glob(f"{iid}-*.rec")) == []
    assert interviews_service.get_for_staff(session, iid).recording_sha256 is None
