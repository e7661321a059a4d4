"""Schemathesis over the whole published API as three roles — a credit officer (staff), a
borrower with an API token and one enterprise, and an anonymous caller — on SQLite and on
PostgreSQL: no server error and no response that breaks the OpenAPI document the app
publishes (schema, content type, status code), for valid and for invalid requests.

Bounded: `POSITIVE` valid requests per operation and role, `NEGATIVE` invalid ones
(derandomized, so a failure replays). Every operation is tried; failures are gathered and
reported together.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role

# generated requests per operation: valid ones per role (anonymous calls stop at the guard:
# a few show that they do, cleanly), invalid ones as staff
POSITIVE = {"credit_officer": 12, "borrower": 12, "anonymous": 3}
NEGATIVE = 4
CALLS = [0]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]


def _roles(session: Session, clock: FixedClock, headers_for: Any) -> dict[str, dict[str, str]]:
    ent = make_enterprise(session, clock, f"杭州模糊测试{uuid.uuid4().hex[:6]}有限公司")
    make_line(session, clock, ent.id)
    session.commit()
    return {
        "credit_officer": headers_for(Role.CREDIT_OFFICER),
        "borrower": headers_for(Role.BORROWER, [ent.id]),
        "anonymous": {},
    }


def _run_operation(
    operation: Any, mode: GenerationMode, headers: dict[str, str], examples: int
) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        CALLS[0] += 1
        response = case.call(headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            found.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
            raise

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body): nothing to try
        pass
    except Exception as exc:  # the first failure of this operation is enough to report
        if not found:
            found.append(f"{operation.label} [{mode.value}]: {type(exc).__name__}: {exc}"[:1500])
    return found


def test_the_api_holds_for_three_roles(
    app: Any, session: Session, clock: FixedClock, headers_for: Any
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    roles = _roles(session, clock, headers_for)
    CALLS[0] = 0
    started = time.perf_counter()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for role, headers in roles.items():
            failures.extend(
                _run_operation(operation, GenerationMode.POSITIVE, headers, POSITIVE[role])
            )
        # invalid requests (their generation is the slow part: rejection sampling) as staff,
        # whom the guards let through to the validation
        staff = roles["credit_officer"]
        failures.extend(_run_operation(operation, GenerationMode.NEGATIVE, staff, NEGATIVE))
    elapsed = time.perf_counter() - started
    print(f"schemathesis: {operations} operations, {CALLS[0]} requests in {elapsed:.0f} s")
    assert operations > 50
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def app(runtime: Any) -> Any:
    from puhui.app import create_app

    return create_app(runtime)
