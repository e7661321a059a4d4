"""create_app(): routers, error handlers, sessions, static files, console."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from puhui import __version__
from puhui.core import hardening, problems, sms
from puhui.core.ratelimit import Gcra, RateLimitMiddleware
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
    # Production refuses to start with a sandbox SMS channel (issue 15, finding 1).
    app_channels = sms.build_channels(runtime.settings, runtime.cipher, runtime.clock)
    from puhui.datahub.identity_world import world_directory
    from puhui.identity.adapters import build_identity

    identity_providers = build_identity(runtime.settings, world_directory)  # sandbox: dev only
    from puhui.receivables.prices import build_price_feed

    price_feed = build_price_feed(runtime.settings)  # the sandbox: dev/demo/test only
    from puhui.datahub.personal import check_personal_provider

    check_personal_provider(runtime.settings.environment)  # 便民查询's sandbox: dev only
    if runtime.settings.environment == "production":  # nor with the sandbox contract seal
        from puhui.lending.contracts.pdf import contract_settings

        seal = contract_settings()
        if not (seal.signing_cert and seal.signing_key and seal.trust_root and seal.tsa_url):
            raise RuntimeError(
                "production needs PUHUI_CONTRACT_SIGNING_CERT, _SIGNING_KEY, _TRUST_ROOT and "
                "_TSA_URL: the sandbox certificate and timestamper are refused"
            )
    wire()  # the domain events' handlers (puhui.wiring), before any request runs
    app = FastAPI(
        title="Puhui 普惠 API",
        version=__version__,
        description="Contactless digital lending for small and micro enterprises. "
        "Errors are RFC 9457 problem+json; send `Accept-Language: en` for English.",
        docs_url=None,  # served offline by puhui.web.apidocs (vendored Swagger UI)
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.state.clock = runtime.clock
    if runtime.settings.assistant_warm_start:
        from puhui.assistant.intents import warm_start

        warm_start()
    app.state.outbox_channels = app_channels
    app.state.identity = identity_providers
    app.state.price_feed = price_feed
    app.add_middleware(
        hardening.EncryptedSessionMiddleware,
        secret_key=_secret_key(runtime),
        session_cookie="puhui_session",
        same_site="lax",
        https_only=runtime.settings.cookie_secure,
        max_age=runtime.settings.token_ttl_minutes * 60,
        clock=runtime.clock,
    )
    if runtime.settings.api_rate_per_second > 0:
        limiter = Gcra(runtime.settings.api_rate_per_second, runtime.settings.api_rate_burst)
        app.add_middleware(RateLimitMiddleware, limiter=limiter)
    problems.install(app)
    from puhui.web.pages import problem_page

    app.state.problem_page = problem_page  # errors as pages for people (core.problems.respond)
    hardening.install(app, runtime.settings)
    from puhui.receivables.errors import ReceivablesError

    problems.install_problem_type(app, ReceivablesError)

    from puhui.assistant.router import router as assistant_router
    from puhui.consents.router import router as consents_router
    from puhui.core.router import router as core_router
    from puhui.datahub.router import router as datahub_router
    from puhui.decisioning.router import router as decisioning_router
    from puhui.flows.supply_chain import router as supply_chain_router
    from puhui.identity.router import router as identity_router
    from puhui.interviews.router import api as interviews_api
    from puhui.interviews.router import router as interviews_socket
    from puhui.iot.router import router as collateral_router
    from puhui.ledger.router import router as ledger_router
    from puhui.lending.charges_router import router as charges_router
    from puhui.lending.contracts.router import router as contracts_router
    from puhui.lending.router import router as lending_router
    from puhui.parties.router import router as parties_router
    from puhui.receivables.router import router as receivables_router
    from puhui.receivables.supply_router import router as supply_router
    from puhui.risk.router import router as risk_router
    from puhui.web.borrower.assistant import router as mobile_assistant_router
    from puhui.web.borrower.convenience import router as mobile_convenience_router
    from puhui.web.borrower.guarantees import router as guarantee_pages_router
    from puhui.web.borrower.identity import router as mobile_identity_router
    from puhui.web.borrower.interviews import router as mobile_interviews_router
    from puhui.web.borrower.offers import router as mobile_offers_router
    from puhui.web.borrower.pages import router as mobile_router
    from puhui.web.borrower.relief import router as relief_pages_router
    from puhui.web.borrower.rights import router as rights_router
    from puhui.web.qr import router as qr_router
    from puhui.web.staff.account import router as account_router
    from puhui.web.staff.campaigns import router as campaigns_pages_router
    from puhui.web.staff.cockpit import router as cockpit_router
    from puhui.web.staff.collections import router as collections_pages_router
    from puhui.web.staff.desk import router as desk_router
    from puhui.web.staff.engagement import router as engagement_pages_router
    from puhui.web.staff.interviews import router as interviews_pages_router
    from puhui.web.staff.iot import router as iot_pages_router
    from puhui.web.staff.models import router as models_pages_router
    from puhui.web.staff.pages import router as staff_pages_router
    from puhui.web.staff.passkeys import router as passkeys_router
    from puhui.web.staff.policy_editor import router as policy_editor_router
    from puhui.web.staff.receivables import router as receivables_pages_router
    from puhui.web.staff.risk import router as risk_pages_router
    from puhui.web.staff.router import router as console_router
    from puhui.web.staff.security import router as security_pages_router
    from puhui.web.staff.servicing import router as servicing_pages_router
    from puhui.web.staff.servicing_ops import router as servicing_ops_router
    from puhui.web.staff.sso import router as sso_router
    from puhui.web.staff.supply import router as supply_pages_router

    for router in (
        core_router,
        parties_router,
        consents_router,
        identity_router,
        datahub_router,
        ledger_router,
        contracts_router,
        lending_router,
        decisioning_router,
        receivables_router,
        supply_router,
        risk_router,
        supply_chain_router,
        console_router,
        account_router,
        passkeys_router,
        sso_router,
        qr_router,
        policy_editor_router,  # before staff_pages_router: /console/policies/{id}/{action}
        staff_pages_router,
        receivables_pages_router,
        supply_pages_router,
        risk_pages_router,
        cockpit_router,
        models_pages_router,
        engagement_pages_router,
        campaigns_pages_router,
        mobile_offers_router,
        collections_pages_router,
        mobile_router,
        interviews_api,
        interviews_socket,
        interviews_pages_router,
        mobile_interviews_router,
        rights_router,
        mobile_identity_router,
        assistant_router,
        mobile_assistant_router,
        mobile_convenience_router,
        desk_router,
        servicing_pages_router,
        security_pages_router,
        servicing_ops_router,
        relief_pages_router,
        iot_pages_router,
        collateral_router,
        charges_router,
        guarantee_pages_router,
    ):
        app.include_router(router)
    _payment_pages(app, runtime)

    from puhui.core.health import router as health_router

    app.include_router(health_router)
    from puhui.web.apidocs import docs_router

    production = runtime.settings.environment == "production"
    app.include_router(docs_router(production=production, static_dir=STATIC_DIR))
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _payment_pages(app: FastAPI, runtime: Runtime) -> None:
    """The payments pages (borrower and console); the rail is built first, so production
    refuses to start with the sandbox rail."""
    from puhui.payments import rails
    from puhui.web.borrower.payments import router as mobile_payments_router
    from puhui.web.staff.payments import router as payments_pages_router

    rails.configure(runtime.settings)
    from puhui.datahub import invoices  # the invoice check of entrusted payments: likewise

    invoices.configure(runtime.settings)
    app.include_router(mobile_payments_router)
    app.include_router(payments_pages_router)
