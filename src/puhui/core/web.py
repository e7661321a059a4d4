"""HTTP plumbing shared by all routers: the unit-of-work route class and common dependencies.

`UnitOfWorkRoute` opens one Session per request, exposes it as `request.state.db` and owns its
one transaction. The outcome is what the endpoint did, never the response's status:

- it returned: commit, once, before the response leaves;
- it raised (a DomainError rendered as problem+json, anything else): roll back;
- it raised a `RefusedPage` (a form refused, see `puhui.web.pages.page_error`): roll back, then
  render the page the refusal carries — the form again with the message — in a fresh
  transaction that only reads, so the page shows nothing of the refused work either.

Either way the records kept despite a failure (`core.db.record_despite_failure`) are written
after, in a transaction of their own. Endpoints and pages never commit or roll back themselves.

Units of work running at once are fewer than the threads of the pool the endpoints, their
dependencies, the response validation and the commit run on (see `_units`); the others wait
without a thread. Otherwise, when every thread waits for a row lock (50 drawdowns at one credit
line), the transaction holding that lock finds no thread to finish and commit on, and the
server hangs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
import weakref
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.db import WRITE_EXPECTED, Outcome, end_unit_of_work, roll_back
from puhui.core.i18n import Lang, pick_language
from puhui.core.runtime import Runtime

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_unit_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _units(configured: int) -> CapacityLimiter:
    """The units of work this event loop runs at once: `configured` (settings.units_of_work),
    at most four fifths of its thread pool, so that threads are always left for the one
    holding a lock to finish and commit (40 threads: 32)."""
    loop = asyncio.get_running_loop()
    limiter = _unit_limiters.get(loop)
    if limiter is None:
        threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
        most = max(1, threads - max(1, threads // 5))
        limiter = CapacityLimiter(min(configured, most) if configured > 0 else most)
        _unit_limiters[loop] = limiter
    return limiter


class RefusedPage(Exception):
    """Raised by a page whose command was refused: `render()` builds the page to answer with
    (the form again, with the message). The route rolls back first, then calls it."""

    def __init__(self, render: Callable[[], Response]) -> None:
        super().__init__("refused page")
        self.render = render


def _answer_refusal(session: Session, refused: RefusedPage) -> Response:
    """Roll the refused work back, render the page in a new transaction, keep nothing of it."""
    try:
        roll_back(session)
        response = refused.render()
    finally:
        end_unit_of_work(session, Outcome.ROLL_BACK)
    return response


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            async with _units(runtime.settings.units_of_work):
                return await unit_of_work(request)

        async def unit_of_work(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            session = runtime.session_factory()
            audit.set_clock(session, runtime.clock)
            audit.set_actor(
                session,
                audit.Actor(
                    None, "anonymous", None, request.client.host if request.client else None
                ),
            )
            request.state.db = session
            WRITE_EXPECTED.set(request.method not in _READ_METHODS)
            # Commit (or roll back) and close in one thread hop.
            try:
                response = await original(request)
            except RefusedPage as refused:
                return await run_in_threadpool(_answer_refusal, session, refused)
            except BaseException:
                await run_in_threadpool(end_unit_of_work, session, Outcome.ROLL_BACK)
                raise
            await run_in_threadpool(end_unit_of_work, session, Outcome.COMMIT)
            return response

        return handler


# The dependencies below are `async def` on purpose: they only read request state, and FastAPI
# runs a plain `def` dependency on the thread pool — a thread hop per dependency per request.


async def get_db(request: Request) -> Session:
    session: Session = request.state.db
    return session


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_clock(request: Request) -> Clock:
    return runtime_of(request).clock


async def get_cipher(request: Request) -> FieldCipher:
    return runtime_of(request).cipher


async def get_lang(request: Request) -> Lang:
    return request_lang(request)


def request_lang(request: Request) -> Lang:
    chosen = request.query_params.get("lang") or (
        request.session.get("lang") if "session" in request.scope else None
    )
    if chosen in ("zh", "en"):
        return chosen  # type: ignore[return-value]
    return pick_language(request.headers.get("accept-language"))


DB = Annotated[Session, Depends(get_db)]
ClockDep = Annotated[Clock, Depends(get_clock)]
CipherDep = Annotated[FieldCipher, Depends(get_cipher)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
LangDep = Annotated[Lang, Depends(get_lang)]


def encode_cursor(value: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": str(value)}).encode()).decode()


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        return uuid.UUID(json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"])
    except (ValueError, KeyError, TypeError) as exc:
        from puhui.core.errors import InvalidInput

        raise InvalidInput(field="cursor") from exc


CursorQ = Annotated[str | None, Query(description="opaque cursor from next_cursor")]
LimitQ = Annotated[int, Query(ge=1, le=200)]


def iter_api_routes(app: Any) -> list[APIRoute]:
    """Every APIRoute of an app, also inside included routers (FastAPI keeps them nested)."""
    found: list[APIRoute] = []

    def walk(routes: Any) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(app.routes)
    return found


def cursor_page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """Cut rows fetched with `limit + 1` to one page and the cursor of the next (rows by id)."""
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1].id) if more and page else None
