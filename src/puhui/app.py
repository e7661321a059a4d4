"""create_app(): routers, error handlers, sessions, static files, console."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from puhui import __version__
from puhui.core import hardening, problems
from puhui.core.runtime import Runtime, build_runtime
from puhui.wiring import wire

STATIC_DIR = Path(__file__).parent / "web" / "static"


def _secret_key(runtime: Runtime) -> str:
    if runtime.settings.secret_key:
        return runtime.settings.secret_key
    hardening.require_secret_key(runtime.settings)
    path = runtime.settings.resolved_var_dir() / "secret.key"
    if not path.exists():
        hardening.write_private(path, secrets.token_urlsafe(48).encode())
    return path.read_text().strip()


def create_app(runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime()
    wire()  # the domain events' handlers (puhui.wiring), before any request runs
    app = FastAPI(
        title="Puhui 普惠 API",
        version=__version__,
        description="Contactless digital lending for small and micro enterprises. "
        "Errors are RFC 9457 problem+json; send `Accept-Language: en` for English.",
    )
    app.state.runtime = runtime
    app.state.clock = runtime.clock
    app.add_middleware(
        hardening.EncryptedSessionMiddleware,
        secret_key=_secret_key(runtime),
        session_cookie="puhui_session",
        same_site="lax",
        https_only=runtime.settings.cookie_secure,
        max_age=runtime.settings.token_ttl_minutes * 60,
    )
    problems.install(app)
    hardening.install(app, runtime.settings)
    from puhui.receivables.errors import ReceivablesError

    problems.install_problem_type(app, ReceivablesError)

    from puhui.consents.router import router as consents_router
    from puhui.core.router import router as core_router
    from puhui.datahub.router import router as datahub_router
    from puhui.decisioning.router import router as decisioning_router
    from puhui.flows.supply_chain import router as supply_chain_router
    from puhui.ledger.router import router as ledger_router
    from puhui.lending.contracts.router import router as contracts_router
    from puhui.lending.router import router as lending_router
    from puhui.parties.router import router as parties_router
    from puhui.receivables.router import router as receivables_router
    from puhui.web.borrower.pages import router as mobile_router
    from puhui.web.qr import router as qr_router
    from puhui.web.staff.cockpit import router as cockpit_router
    from puhui.web.staff.pages import router as staff_pages_router
    from puhui.web.staff.receivables import router as receivables_pages_router
    from puhui.web.staff.router import router as console_router

    for router in (
        core_router,
        parties_router,
        consents_router,
        datahub_router,
        ledger_router,
        contracts_router,
        lending_router,
        decisioning_router,
        receivables_router,
        supply_chain_router,
        console_router,
        qr_router,
        staff_pages_router,
        receivables_pages_router,
        cockpit_router,
        mobile_router,
    ):
        app.include_router(router)

    from puhui.core.health import router as health_router

    app.include_router(health_router)
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
