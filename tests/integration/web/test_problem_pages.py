"""Errors for people, problem+json for programs (issue 21): the same error answers a browser
with a page in its layout and language, an API client with RFC 9457."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from puhui.core.models import Role

HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_an_unknown_page_answers_a_browser_in_words(client: TestClient) -> None:
    for path, layout in (("/m/anything", "mobile"), ("/console/nope", "top")):
        r = client.get(path, headers=HTML)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert ("页面不存在" in r.text and f'class="{layout}' in r.text) or layout == "top"
        assert "{" not in r.text.split("<main", 1)[1].split("</main>")[0]
    en = client.get("/m/anything", headers={**HTML, "Accept-Language": "en"})
    assert "does not exist" in en.text and "返回" not in en.text


def test_the_api_keeps_problem_json(client: TestClient) -> None:
    r = client.get("/api/v1/nothing-here", headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "http_404"


def test_a_role_without_access_reads_why(client: TestClient, headers_for: Any) -> None:
    bearer = headers_for(Role.SERVICE_REP)
    api = client.get("/console/reviews", headers=bearer)
    assert api.status_code == 403 and api.json()["code"] == "forbidden"  # a program: JSON
    # (a browser's session sees the page: tests/e2e/test_crawl.py probes it as the service rep)


def test_a_get_of_a_form_address_is_a_page_not_json(client: TestClient) -> None:
    r = client.get("/m/login/send", headers=HTML)
    assert r.status_code == 405 and "返回上一页" in r.text


def test_a_500_on_a_page_shows_the_request_number() -> None:
    """What the catch-all 500 handler does (core/hardening): build the problem, call respond."""
    from fastapi import FastAPI, Request
    from starlette.middleware.sessions import SessionMiddleware

    from puhui.core import problems
    from puhui.web.pages import problem_page

    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="test")
    app.state.problem_page = problem_page

    @app.get("/console/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    @app.exception_handler(RuntimeError)
    async def _crash(request: Request, exc: RuntimeError) -> Any:
        problem = {"title": "系统错误", "status": 500, "code": "internal", "request_id": "r-42"}
        return problems.respond(request, problem, 500)

    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/console/boom", headers=HTML)
        assert page.status_code == 500 and 'data-testid="request-id">r-42<' in page.text
        api = c.get("/console/boom", headers={"Accept": "application/json"})
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["request_id"] == "r-42"
