"""The request's unit of work ends by what the endpoint did, not by the response's status:
returned → commit; raised → roll back; a refused page → roll back, then the page is rendered
from a fresh transaction; records kept despite a failure are written either way."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, Request, Response
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.db import record_despite_failure
from puhui.core.errors import Conflict
from puhui.core.models import LoginAttempt
from puhui.core.runtime import Runtime
from puhui.core.web import DB, UnitOfWorkRoute
from puhui.web.pages import page_error

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _attempt(name: str) -> LoginAttempt:
    return LoginAttempt(username=name, ip="203.0.113.9", attempted_at=AT, succeeded=False)


def _count(session: Session, name: str) -> int:
    return int(session.scalar(select(func.count()).where(LoginAttempt.username == name)) or 0)


def _router() -> APIRouter:
    router = APIRouter(prefix="/uow-test", route_class=UnitOfWorkRoute)

    @router.post("/returns/{name}")
    def returns(name: str, db: DB) -> Response:
        db.add(_attempt(name))
        return Response(status_code=400)  # an error status, yet the endpoint returned: commit

    @router.post("/raises/{name}")
    def raises(name: str, db: DB) -> None:
        db.add(_attempt(name))
        db.flush()
        raise Conflict()

    @router.post("/crashes/{name}")
    def crashes(name: str, db: DB) -> None:
        db.add(_attempt(name))
        db.flush()
        raise RuntimeError("boom")

    @router.post("/keeps/{name}")
    def keeps(name: str, db: DB) -> None:
        db.add(_attempt(f"{name}-main"))
        record_despite_failure(db, lambda side: side.add(_attempt(f"{name}-side")))
        raise Conflict()

    @router.post("/refuses/{name}")
    def refuses(name: str, request: Request, db: DB) -> None:
        db.add(_attempt(name))
        db.flush()
        record_despite_failure(db, lambda side: side.add(_attempt(f"{name}-side")))

        def page(error: str) -> Response:  # rendered after the rollback: sees none of it
            seen = _count(db, name), _count(db, f"{name}-side")
            return Response(f"{error}|{seen[0]}|{seen[1]}", media_type="text/plain")

        raise page_error(request, Conflict(), page)

    return router


@pytest.fixture
def uow_client(runtime: Runtime) -> Iterator[TestClient]:
    from puhui.app import create_app

    app = create_app(runtime)
    app.include_router(_router())
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def _name() -> str:
    return f"uow-{uuid.uuid4().hex[:10]}"


def test_an_endpoint_that_returns_commits_whatever_the_status(
    uow_client: TestClient, session: Session
) -> None:
    name = _name()
    assert uow_client.post(f"/uow-test/returns/{name}").status_code == 400
    assert _count(session, name) == 1


def test_a_route_that_raises_after_writing_commits_nothing(
    uow_client: TestClient, session: Session
) -> None:
    refused, crashed = _name(), _name()
    r = uow_client.post(f"/uow-test/raises/{refused}")
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert uow_client.post(f"/uow-test/crashes/{crashed}").status_code == 500
    assert _count(session, refused) == 0 and _count(session, crashed) == 0


def test_a_record_kept_despite_failure_survives_the_rollback_alone(
    uow_client: TestClient, session: Session
) -> None:
    name = _name()
    assert uow_client.post(f"/uow-test/keeps/{name}").status_code == 409
    assert _count(session, f"{name}-main") == 0
    assert _count(session, f"{name}-side") == 1


def test_a_refused_page_is_rendered_after_the_rollback_and_keeps_nothing_half_done(
    uow_client: TestClient, session: Session
) -> None:
    name = _name()
    r = uow_client.post(f"/uow-test/refuses/{name}", headers={"Accept-Language": "en"})
    assert r.status_code == 409
    # The message in the user's language; the page saw no half-done write, and the side record.
    assert r.text == "The request conflicts with the current state.|0|1"
    assert _count(session, name) == 0 and _count(session, f"{name}-side") == 1
