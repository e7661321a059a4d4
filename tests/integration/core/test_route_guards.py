"""Walks every registered route: an unauthenticated call and a wrong-role call must be refused.

A route that forgets its guard fails here. Public routes are listed below on purpose.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from puhui.core.auth import PublicRoute, RoleGuard
from puhui.core.models import Role
from puhui.core.web import iter_api_routes

PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/healthz"),
    # the API reference (public outside production; apidocs puts it behind a login there)
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/favicon.ico"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    ("GET", "/console/lang/{code}"),
    # the second factor after the password step (they serve only a session owing it)
    ("GET", "/console/login/second-factor"),
    ("POST", "/console/login/second-factor"),
    ("GET", "/console/login/enrol"),
    ("GET", "/console/login/enrol/qr.svg"),
    ("POST", "/console/login/enrol"),
    ("POST", "/console/login/webauthn/options"),
    ("POST", "/console/login/webauthn"),
    ("GET", "/console/login/sso"),
    ("GET", "/console/login/sso/callback"),
    # the applicant's mobile web: the QR landing page and sign-in by SMS code
    ("GET", "/m/"),
    ("GET", "/m/start"),
    ("GET", "/m/settings/{what}"),
    ("POST", "/m/login/send"),
    ("GET", "/m/login/verify"),
    ("POST", "/m/login/verify"),
    ("GET", "/m/rights/deleted"),
    # the service assistant answers visitors too (general questions, hand-off to a person); a
    # signed-in borrower's own figures only with the borrower's session (web/borrower/assistant)
    ("GET", "/m/assistant"),
    ("GET", "/m/assistant/messages"),
    ("POST", "/m/assistant/say"),
    ("POST", "/m/assistant/choose"),
    ("POST", "/m/assistant/person"),
    ("POST", "/m/assistant/rate"),
    ("POST", "/m/assistant/new"),
}


def _markers(dependant: Dependant) -> list[Any]:
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, RoleGuard | PublicRoute):
            found.append(dep.call)
        found.extend(_markers(dep))
    return found


def _routes(app: Any) -> list[tuple[str, APIRoute]]:
    out = []
    for route in iter_api_routes(app):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, route))
    return out


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_route_declares_roles_or_is_deliberately_public(app: Any) -> None:
    routes = _routes(app)
    assert len(routes) > 10
    problems = []
    for method, route in routes:
        marks = _markers(route.dependant)
        guards = [m for m in marks if isinstance(m, RoleGuard)]
        public = [m for m in marks if isinstance(m, PublicRoute)]
        if (method, route.path) in PUBLIC:
            if not public or guards:
                problems.append(f"{method} {route.path}: listed public but not marked public()")
        elif not guards:
            problems.append(f"{method} {route.path}: no role guard")
        elif public:
            problems.append(f"{method} {route.path}: marked public() but not listed as public")
    assert not problems, "\n".join(problems)


def test_unauthenticated_and_wrong_role_calls_are_refused(
    app: Any, client: TestClient, headers_for: Any
) -> None:
    checked = 0
    for method, route in _routes(app):
        if (method, route.path) in PUBLIC:
            continue
        url = _fill(route.path)
        anon = client.request(method, url, json={}, follow_redirects=False)
        if route.path.startswith(("/console", "/m/")):
            refused = anon.status_code in (401, 403) or (
                anon.status_code == 303 and anon.headers["location"].startswith("/console/login")
            )
        else:
            refused = anon.status_code == 401
        assert refused, f"{method} {route.path} answered {anon.status_code} without login"
        guards = [m for m in _markers(route.dependant) if isinstance(m, RoleGuard)]
        admitted = set().union(*(g.roles for g in guards))
        outsiders = [r for r in Role if r not in admitted]
        for role in outsiders:
            resp = client.request(
                method, url, json={}, headers=headers_for(role), follow_redirects=False
            )
            assert resp.status_code == 403, (
                f"{method} {route.path} answered {resp.status_code} to role {role.value}"
            )
            assert resp.json()["code"] == "forbidden"
        checked += 1
    assert checked > 10
