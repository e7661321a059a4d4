"""Applicant mobile web (/m): phone-first, zh-CN by default, English switch, large-type mode.

The journey: QR code → /m/start?ref=… (the manager or team is remembered) → mobile number and
one-time code (sandbox SMS outbox; the sandbox code is shown on screen, labelled 沙箱, only
when the SMS channel is the sandbox) → the enterprise (USCC), the legal representative and the
consents on one screen → the decision → contract preview and signing by code → drawdown →
repayment, with the schedule and a timeline of every step. A returning enterprise goes from the
QR code to the decision in three steps and three typed fields (mobile, code, amount).

Borrowers see only their own enterprises: every object is loaded through the domain services'
`*_for(principal, …)` functions or checked against `principal.enterprise_ids`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.consents import texts as consent_texts
from puhui.consents.schemas import DEFAULT_VALID_DAYS, Purpose
from puhui.core import audit, auth, otp, outbox
from puhui.core.auth import Principal, public, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.hardening import same_site_path
from puhui.core.models import Role, User
from puhui.core.money import format_fen, yuan_to_fen
from puhui.core.runtime import Runtime
from puhui.core.web import (
    DB,
    RuntimeDep,
    UnitOfWorkRoute,
    request_lang,
    runtime_of,
)
from puhui.datahub.router import get_connectors
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.scoring import store_for
from puhui.decisioning.service import ENTERPRISE_SOURCES
from puhui.lending import charges as lending_charges
from puhui.lending import service as lending_service
from puhui.lending.contracts import service as contracts
from puhui.parties import service as parties_service
from puhui.web import decisions as decision_views
from puhui.web import labels, qr
from puhui.web.borrower import payments as payment_pages
from puhui.web.pages import check_csrf, refuse, render, take_flash

router = APIRouter(prefix="/m", route_class=UnitOfWorkRoute, include_in_schema=False)

BORROWER = require_page(Role.BORROWER)
LOGIN_PURPOSE = "mobile.login"
LOGIN_TOPIC = "mobile.login_otp"
PRODUCT = "weiyedai"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
RESEND_SECONDS = int(otp.RESEND_INTERVAL.total_seconds())


# ------------------------------------------------------------------------------------ helpers


def rate_percent(rate_bp: int | None) -> str:
    if rate_bp is None:
        return "—"
    return f"{(Decimal(rate_bp) / 100).quantize(Decimal('0.01'))}%"


def _channels(request: Request, rt: Runtime) -> outbox.ChannelRegistry:
    return outbox.app_channels(request.app, rt.cipher, rt.clock)


def _sandbox(request: Request, rt: Runtime) -> outbox.SandboxSmsChannel | None:
    channel = _channels(request, rt).get(outbox.SMS)
    return channel if isinstance(channel, outbox.SandboxSmsChannel) else None


def _dispatch(request: Request, rt: Runtime, message_id: str | None) -> None:
    """Send a committed outbox message now (idempotent: only pending messages are sent)."""
    if not message_id:
        return
    outbox.dispatch_pending(
        rt.session_factory,
        _channels(request, rt),
        cipher=rt.cipher,
        clock=rt.clock,
        message_ids=[uuid.UUID(message_id)],
    )


def _sandbox_code(request: Request, rt: Runtime, mobile: str, topic: str) -> str | None:
    """The last code the sandbox 'sent' to this mobile, for showing on screen (sandbox only)."""
    channel = _sandbox(request, rt)
    if channel is None:
        return None
    inbox = channel.inbox(mobile, topic)
    if not inbox:
        return None
    match = re.search(r"验证码\s*(\d{6})|(\d{6})", inbox[-1].body)
    return next((g for g in match.groups() if g), None) if match else None


def _mrender(
    request: Request, name: str, principal: Principal | None = None, **ctx: Any
) -> Response:
    lang = request_lang(request)
    return render(
        request,
        name,
        principal,
        large=bool(request.session.get("large")),
        src_label=lambda s: labels.label("source", s, lang),
        rate_percent=rate_percent,
        L=lambda zh, en: zh if lang == "zh" else en,
        **ctx,
    )


def _cool_down(request: Request, rt: Runtime, key: str, exc: DomainError | None = None) -> None:
    """Remember when a code may be sent again (the resend button counts down to it)."""
    seconds = RESEND_SECONDS
    if exc is not None:
        seconds = int(exc.params.get("seconds", RESEND_SECONDS))
    request.session[key] = rt.clock.now().timestamp() + seconds


def _resend_in(request: Request, rt: Runtime, key: str) -> int:
    """Seconds until a code may be sent again (0: now)."""
    until = request.session.get(key)
    if not isinstance(until, int | float):
        return 0
    return max(0, int(until - rt.clock.now().timestamp() + 0.999))


def _mobile_of(request: Request, principal: Principal) -> str:
    """The signed-in applicant's mobile number (SMS sign-in): kept only encrypted on the user."""
    user = request.state.db.get(User, principal.user_id)
    if user is None or user.mobile_enc is None:
        return ""
    return str(runtime_of(request).cipher.decrypt(user.mobile_enc, "core_user.mobile"))


def _decision_env(request: Request, rt: Runtime) -> decisioning_service.DecisionEnv:
    state = request.app.state
    env: decisioning_service.DecisionEnv | None = getattr(state, "decisioning_env", None)
    if env is None:
        env = decisioning_service.DecisionEnv(
            connectors=get_connectors(request),
            cipher=rt.cipher,
            models=store_for(rt.settings.resolved_var_dir() / "models"),
        )
        state.decisioning_env = env
    return env


@dataclass(frozen=True)
class Step:
    at: datetime
    title: str
    detail: str


def _timeline(session: Session, principal: Principal, lang: str) -> list[Step]:
    """Every step of the borrower's journey, oldest first (流程可视化)."""
    steps: list[Step] = []
    zh = lang == "zh"
    for app in decisioning_service.own_applications(session, principal):
        out = decisioning_service.application_out(session, app)
        for ev in out.history:
            # the stored reason is Chinese text: English shows the event's own label
            detail = ev.reason if zh else labels.label("event", ev.to_status, "en")
            steps.append(
                Step(ev.occurred_at, f"{'申请' if zh else 'Application'} {out.reference}", detail)
            )
        if out.credit_line_id:
            steps += _contract_steps(session, out.credit_line_id, zh)
            steps += _loan_steps(session, out.credit_line_id, zh)
    shanghai = ZoneInfo("Asia/Shanghai")
    return [
        Step(s.at.astimezone(shanghai) if s.at.tzinfo else s.at, s.title, s.detail)
        for s in sorted(steps, key=lambda s: s.at)
    ]


def _contract_steps(session: Session, line_id: uuid.UUID, zh: bool) -> list[Step]:
    steps: list[Step] = []
    for contract in contracts.contracts_of_line(session, line_id):
        if contract.sent_at:
            steps.append(
                Step(
                    contract.sent_at,
                    f"{'合同' if zh else 'Contract'} {contract.reference}",
                    "签署验证码已发送" if zh else "signing code sent",
                )
            )
        if contract.signed_at:
            steps.append(
                Step(
                    contract.signed_at,
                    f"{'合同' if zh else 'Contract'} {contract.reference}",
                    "已签署，额度生效" if zh else "signed, the line is active",
                )
            )
    return steps


def _loan_steps(session: Session, line_id: uuid.UUID, zh: bool) -> list[Step]:
    steps: list[Step] = []
    for loan in lending_service.list_loans(session, line_id=line_id):
        steps.append(
            Step(
                loan.created_at,
                f"{'借款' if zh else 'Loan'} {loan.reference}",
                f"{'放款' if zh else 'drawn'} {format_fen(loan.principal_fen)}",
            )
        )
        for rep in lending_service.repayments_of(session, loan.id):
            steps.append(
                Step(
                    rep.created_at,
                    f"{'还款' if zh else 'Repayment'} {rep.reference}",
                    format_fen(rep.amount_applied_fen),
                )
            )
    return steps


def _consent_items(lang: str) -> list[dict[str, Any]]:
    items = []
    for source in ENTERPRISE_SOURCES:
        text = consent_texts.current_text(source, Purpose.CREDIT_DECISION)
        items.append(
            {
                "source": source.value,
                "text": text.text("zh" if lang == "zh" else "en") if text else "",
                "version": text.version if text else "",
                "sha256": text.sha256("zh" if lang == "zh" else "en") if text else "",
            }
        )
    return items


# ------------------------------------------------------------------------ public: sign-in


@router.get("/", dependencies=[Depends(public())])
def m_root(request: Request) -> Response:
    target = "/m/home" if request.session.get("sid") else "/m/start"
    return RedirectResponse(target, status_code=303)


@router.get("/start", response_class=HTMLResponse, dependencies=[Depends(public())])
def m_start(request: Request, db: DB, ref: str | None = None) -> Response:
    if ref:
        request.session["ref"] = ref[:64]
    attribution = qr.resolve_ref(db, request.session.get("ref"))
    return _mrender(request, "m_start.html", attribution=attribution)


@router.get("/settings/{what}", dependencies=[Depends(public())])
def m_settings(request: Request, what: str, back: str = "/m/start") -> Response:
    if what == "large":
        request.session["large"] = not request.session.get("large")
    elif what in ("zh", "en"):
        request.session["lang"] = what
    target = same_site_path(back, "/m/start")
    return RedirectResponse(target if target.startswith("/m") else "/m/start", status_code=303)


@router.post("/login/send", dependencies=[Depends(public()), Depends(check_csrf)])
def m_send_code(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    mobile: Annotated[str, Form()],
    back: Annotated[str, Form()] = "/m/start",
) -> Response:
    mobile = mobile.strip().replace(" ", "")
    back = back if back in ("/m/start", "/m/login/verify") else "/m/start"
    try:
        if not MOBILE_RE.match(mobile):
            raise InvalidInput(field="mobile")
        issued = otp.issue(db, rt.clock, rt.cipher, purpose=LOGIN_PURPOSE, subject=mobile)
        lang = request_lang(request)
        body = (
            f"【普惠】验证码 {issued.code}，用于登录普惠小微金融，5 分钟内有效。请勿告诉他人。"
            if lang == "zh"
            else f"[Puhui] Your sign-in code is {issued.code}, valid for 5 minutes."
        )
        message = outbox.enqueue_sms(
            db, rt.clock, rt.cipher, mobile, LOGIN_TOPIC, body, expires_at=issued.expires_at
        )
        otp.attach_message(issued.row, message.id)
    except DomainError as exc:
        if isinstance(exc, otp.OtpTooSoon):
            _cool_down(request, rt, "login_resend_after", exc)
        raise refuse(request, exc, back, typed={"mobile": mobile}) from exc
    _cool_down(request, rt, "login_resend_after")
    request.session["login_mobile"] = mobile
    request.session["login_message"] = str(message.id)
    return RedirectResponse("/m/login/verify", status_code=303)


@router.get("/login/verify", response_class=HTMLResponse, dependencies=[Depends(public())])
def m_verify_page(request: Request, rt: RuntimeDep) -> Response:
    mobile = request.session.get("login_mobile")
    if not isinstance(mobile, str):
        return RedirectResponse("/m/start", status_code=303)
    _dispatch(request, rt, request.session.get("login_message"))
    return _mrender(
        request,
        "m_verify.html",
        mobile=mobile,
        sandbox_code=_sandbox_code(request, rt, mobile, LOGIN_TOPIC),
        resend_in=_resend_in(request, rt, "login_resend_after"),
    )


@router.post("/login/verify", dependencies=[Depends(public()), Depends(check_csrf)])
def m_verify_submit(
    request: Request, db: DB, rt: RuntimeDep, code: Annotated[str, Form()]
) -> Response:
    mobile = request.session.get("login_mobile")
    if not isinstance(mobile, str):
        return RedirectResponse("/m/start", status_code=303)
    try:
        otp.verify(db, rt.clock, rt.cipher, purpose=LOGIN_PURPOSE, subject=mobile, code=code)
    except DomainError as exc:
        raise refuse(request, exc, "/m/login/verify") from exc
    username = auth.mobile_username(rt.cipher, mobile)
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        user = auth.create_user(
            db,
            rt.clock,
            username=username,
            password=secrets.token_urlsafe(24) + "a1",
            role=Role.BORROWER,
            display_name=f"{mobile[:3]}****{mobile[-4:]}",
        )
        user.mobile_enc = rt.cipher.encrypt(mobile, "core_user.mobile")
    elif user.role != Role.BORROWER.value or not user.is_active:
        raise refuse(request, InvalidInput(field="mobile"), "/m/start")
    audit.set_actor(db, audit.Actor(user.id, user.username, user.role, auth.client_ip(request)))
    secret = auth.start_session(
        db,
        rt.clock,
        user,
        ip=auth.client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        method="sms",
        ttl_minutes=rt.settings.token_ttl_minutes,
        complete=True,
    )
    keep = {k: request.session.get(k) for k in ("ref", "lang", "large", "csrf")}
    request.session.clear()
    request.session.update({k: v for k, v in keep.items() if v is not None})
    request.session[auth.SESSION_KEY] = secret
    # From a QR code (or with no enterprise yet) straight to the application: step 3 of 3.
    target = "/m/apply" if request.session.get("ref") or not user.enterprises else "/m/home"
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def m_logout(
    request: Request, db: DB, rt: RuntimeDep, _: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    secret = request.session.get(auth.SESSION_KEY)
    if isinstance(secret, str):
        auth.end_session(db, rt.clock, secret)
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/m/start", status_code=303)


# -------------------------------------------------------------------- the borrower's pages


@router.get("/home", response_class=HTMLResponse)
def m_home(
    request: Request, db: DB, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    own = decisioning_service.own_applications(db, principal)
    apps = [decisioning_service.application_out(db, a) for a in own]
    lines = lending_service.list_lines(db, principal, limit=50)
    enterprises = [parties_service.get_enterprise(db, e) for e in principal.enterprise_ids]
    from puhui.lending import guarantees as lending_guarantees  # a guarantor's banner
    from puhui.web.borrower.relief import maturing  # the renewal offer's banner (issue 17)

    return _mrender(
        request, "m_home.html", principal, apps=apps, lines=lines, enterprises=enterprises,
        maturing=maturing(db, runtime_of(request).clock, principal),
        to_guarantee=lending_guarantees.guarantees_to_sign(db, principal.enterprise_ids),
    )  # fmt: skip


@router.get("/apply", response_class=HTMLResponse)
def m_apply_page(
    request: Request, db: DB, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _apply_form(request, db, principal)


def _consent_versions(consents: list[dict[str, Any]]) -> str:
    return ";".join(f"{c['source']}={c['version']}" for c in consents)


def _apply_form(request: Request, db: Session, principal: Principal) -> Response:
    """The form; after a refusal (Post/Redirect/Get) with everything typed, the consent tick
    included — but only while the consent texts are the versions that were agreed to."""
    ctx: dict[str, Any] = take_flash(request)
    enterprises = [parties_service.get_enterprise(db, e) for e in principal.enterprise_ids]
    attribution = qr.resolve_ref(db, request.session.get("ref"))
    consents = _consent_items(request_lang(request))
    typed = ctx.get("typed")
    if isinstance(typed, dict):
        same_texts = typed.get("consent_versions") == _consent_versions(consents)
        ctx["agreed"] = typed.get("agree") == "yes" and same_texts
        ctx["consents_changed"] = typed.get("agree") == "yes" and not same_texts
    else:
        previous = decisioning_service.own_applications(db, principal)
        if previous:  # a returning enterprise: last amount, nothing to type
            ctx["typed"] = {"amount_yuan": str(previous[0].requested_amount_fen // 100)}
    from puhui.web.borrower.identity import licence_prefill  # identity hook: licence OCR

    ctx.setdefault("licence", licence_prefill(request))
    if ctx["licence"] and ctx["licence"].get("uscc"):
        before = ctx.get("typed")
        kept: dict[str, Any] = before if isinstance(before, dict) else {}
        if not kept.get("uscc"):
            ctx["typed"] = {**kept, **{k: ctx["licence"][k] for k in ("uscc", "rep_name")}}
    return _mrender(
        request,
        "m_apply.html",
        principal,
        enterprises=enterprises,
        consents=consents,
        valid_days=DEFAULT_VALID_DAYS,
        attribution=attribution,
        key=secrets.token_urlsafe(12),
        **ctx,
    )


@router.post("/apply", dependencies=[Depends(check_csrf)])
def m_apply_submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    key: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
    uscc: Annotated[str, Form()] = "",
    rep_name: Annotated[str, Form()] = "",
    rep_resident_id: Annotated[str, Form()] = "",
    agree: Annotated[str | None, Form()] = None,
    post_loan: Annotated[str | None, Form()] = None,
) -> Response:
    from pydantic import ValidationError

    from puhui.decisioning.schemas import (
        ApplicationCreate,
        AttributionIn,
        ConsentIn,
        LegalRepresentativeIn,
    )

    lang = request_lang(request)
    typed = {
        "uscc": uscc,
        "rep_name": rep_name,
        "rep_resident_id": rep_resident_id,
        "amount_yuan": amount_yuan,
        "agree": "yes" if agree == "yes" else "",
        "consent_versions": _consent_versions(_consent_items(lang)),
    }
    try:
        amount_fen = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        attribution = qr.resolve_ref(db, request.session.get("ref"))
        rep = None
        if rep_name.strip() or rep_resident_id.strip():
            rep = LegalRepresentativeIn(
                name=rep_name.strip(),
                resident_id=rep_resident_id.strip().upper(),
                mobile=_mobile_of(request, principal),
            )
        from puhui.web.borrower.identity import check_applicant  # identity hook (issue 15)

        check_applicant(
            request,
            db,
            rt,
            principal,
            uscc=uscc,
            rep_name=rep_name,
            rep_resident_id=rep_resident_id,
        )
        consents = _consent_items(lang)
        data = ApplicationCreate(
            uscc=uscc.strip().upper(),
            product_code=PRODUCT,
            requested_amount_fen=amount_fen,
            legal_representative=rep,
            attribution=AttributionIn(
                manager_user_id=attribution.manager_user_id, team_code=attribution.team_code
            )
            if attribution
            else None,
            consent=ConsentIn(
                agree=agree == "yes",
                text_lang=lang,
                text_versions={c["source"]: c["version"] for c in consents if c["version"]},
                text_sha256={c["source"]: c["sha256"] for c in consents if c["sha256"]},
                post_loan_monitoring=post_loan == "yes",
            ),
        )
        out = decisioning_service.apply(
            db, rt.clock, _decision_env(request, rt), principal, data, idempotency_key=key
        )
        from puhui.web.borrower.offers import applied_from_offer  # engagement hook (issue 18)

        applied_from_offer(request, rt, principal, out.id)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "form"
        raise refuse(request, InvalidInput(field=field), "/m/apply", typed=typed) from exc
    except DomainError as exc:  # nothing of a refused application stays: the route rolls back
        raise refuse(request, exc, "/m/apply", typed=typed) from exc
    return RedirectResponse(f"/m/applications/{out.id}", status_code=303)


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def m_application(
    request: Request,
    application_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    app = decisioning_service.get_application_for(db, principal, application_id)
    out = decisioning_service.application_out(db, app)
    line = lending_service.get_line(db, out.credit_line_id) if out.credit_line_id else None
    lang = request_lang(request)
    reasons: list[str] = []
    note = None
    if out.decision is not None:
        decision = decisioning_service.get_decision(db, out.decision.id)
        reasons = decision_views.reason_lines(decision.inputs, decision.reasons, lang)
        if out.decision.outcome == "approve":
            calc = (decision.result or {}).get("limit_calc")
            note = decision_views.limit_note(
                out.requested_amount_fen, out.decision.limit_fen, calc, lang
            )
    return _mrender(
        request,
        "m_application.html",
        principal,
        app=out,
        line=line,
        reasons=reasons,
        limit_note=note,
    )


@router.post("/lines/{line_id}/contract", dependencies=[Depends(check_csrf)])
def m_contract_create(
    line_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    lending_service.get_line_for(db, principal, line_id)
    contract, _ = contracts.create_contract(db, rt.clock, principal, line_id)
    return RedirectResponse(f"/m/contracts/{contract.id}", status_code=303)


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def m_contract(
    request: Request,
    contract_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    contract = contracts.get_contract_for(db, principal, contract_id)
    sandbox_code = None
    message_id = request.session.get(f"contract_msg:{contract_id}")
    if message_id and contract.status != "signed":
        _dispatch(request, rt, message_id)
        from puhui.identity import service as identity_service  # the code's true recipient

        verified = identity_service.require_verified_rep(
            db, rt.clock.now(), contract.legal_rep_person_id
        )
        mobile = identity_service.verified_mobile(rt.cipher, verified)
        sandbox_code = _sandbox_code(request, rt, mobile, contracts.SMS_TOPIC)
    return _mrender(
        request,
        "m_contract.html",
        principal,
        contract=contract,
        terms=contracts.terms_of(contract),
        sent=bool(message_id),
        sandbox_code=sandbox_code,
        resend_in=_resend_in(request, rt, f"contract_resend_after:{contract_id}"),
    )


@router.get("/contracts/{contract_id}/document")
def m_contract_pdf(
    contract_id: uuid.UUID, db: DB, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    contract = contracts.get_contract_for(db, principal, contract_id)
    contracts.record_download(db, contract)
    return Response(
        content=contract.document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{contract.reference}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/contracts/{contract_id}/send", dependencies=[Depends(check_csrf)])
def m_contract_send(
    request: Request,
    contract_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    back = f"/m/contracts/{contract_id}"
    try:
        sent = contracts.send_for_signature(db, rt.clock, rt.cipher, principal, contract_id)
    except DomainError as exc:
        if isinstance(exc, otp.OtpTooSoon):
            _cool_down(request, rt, f"contract_resend_after:{contract_id}", exc)
        raise refuse(request, exc, back) from exc
    _cool_down(request, rt, f"contract_resend_after:{contract_id}")
    request.session[f"contract_msg:{contract_id}"] = str(sent.message_id)
    return RedirectResponse(f"/m/contracts/{contract_id}", status_code=303)


@router.post("/contracts/{contract_id}/sign", dependencies=[Depends(check_csrf)])
def m_contract_sign(
    request: Request,
    contract_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    code: Annotated[str, Form()],
) -> Response:
    try:
        contracts.sign(
            db,
            rt.clock,
            rt.cipher,
            principal,
            contract_id,
            code.strip(),
            ip=auth.client_ip(request),
            user_agent=request.headers.get("user-agent"),
            device_hash=_device_hash(request, rt),
        )
    except DomainError as exc:
        face = exc.code == "identity_face_required"
        face_url = f"/m/identity/face?next=/m/contracts/{contract_id}" if face else None
        raise refuse(request, exc, f"/m/contracts/{contract_id}", face_url=face_url) from exc
    contract = contracts.get_contract(db, contract_id)
    request.session.pop(f"contract_msg:{contract_id}", None)
    return RedirectResponse(f"/m/lines/{contract.credit_line_id}", status_code=303)


def _agent_scope(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    enterprise_id: uuid.UUID,
    scope: str,
) -> None:
    """An agent (经办人) stays within the legal representative's authorisation (identity hook)."""
    from puhui.identity import service as identity_service
    from puhui.identity.rules import AgentScope

    identity_service.require_scope_if_agent(
        db,
        rt.cipher,
        rt.clock.now(),
        enterprise_id=enterprise_id,
        mobile=_mobile_of(request, principal),
        scope=AgentScope(scope),
    )


def _device_hash(request: Request, rt: Runtime) -> str:
    from puhui.web.borrower.identity import device_hash  # identity hook: the new-device rule

    return device_hash(request, rt.cipher)


@router.get("/lines/{line_id}", response_class=HTMLResponse)
def m_line(
    request: Request,
    line_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    return _line_page(request, db, rt, principal, line_id)


def _line_page(
    request: Request, db: Session, rt: Runtime, principal: Principal, line_id: uuid.UUID
) -> Response:
    line = lending_service.get_line_for(db, principal, line_id)
    loans = lending_service.list_loans(db, line_id=line_id)
    refusal = lending_service.drawdown_refusal(db, line, business_date(rt.clock))
    return _mrender(
        request,
        "m_line.html",
        principal,
        line=line,
        loans=loans,
        refusal=refusal.message(request_lang(request)) if refusal else None,
        available_fen=line.limit_fen - line.used_fen,
        key=secrets.token_urlsafe(12),
        payout_accounts=payment_pages.verified_accounts(db, line.enterprise_id),
        purposes=payment_pages.PURPOSES,
    )


@router.post("/lines/{line_id}/drawdowns", dependencies=[Depends(check_csrf)])
def m_draw(
    request: Request,
    line_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    key: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
    background: BackgroundTasks,
    payout_account_id: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = "",
    invoice_number: Annotated[str, Form()] = "",
) -> Response:
    line = lending_service.get_line_for(db, principal, line_id)
    try:
        _agent_scope(request, db, rt, principal, line.enterprise_id, "drawdown")
        payout = payment_pages.payout_choice(payout_account_id)
        if payout is not None:  # an agent's payout stays within the representative's limits
            payment_pages.require_agent_limits(
                request,
                db,
                rt,
                principal,
                line.enterprise_id,
                payout,
                yuan_to_fen(amount_yuan, field="amount_yuan", positive=True),
                "drawdown",
                f"drawdown:{line_id}:{key}",
            )
        out = lending_service.draw(
            db,
            rt.clock,
            line_id,
            yuan_to_fen(amount_yuan, field="amount_yuan", positive=True),
            idempotency_key=key,
            payout_account_id=payout,
            purpose=payment_pages.purpose_choice(purpose),
            invoice_number=invoice_number or None,
        )
    except DomainError as exc:
        typed = {"amount_yuan": amount_yuan, "invoice_number": invoice_number}
        raise refuse(request, exc, f"/m/lines/{line_id}", typed=typed) from exc
    if payout is not None:  # through the rails once this request committed
        background.add_task(payment_pages.run_rails, rt)
    return RedirectResponse(f"/m/loans/{out.loan_id}", status_code=303)


@router.get("/loans/{loan_id}", response_class=HTMLResponse)
def m_loan(
    request: Request,
    loan_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    return _loan_page(request, db, principal, loan_id)


def _loan_page(request: Request, db: Session, principal: Principal, loan_id: uuid.UUID) -> Response:
    """The loan, its schedule and repayments; after a repayment what it applied and what is
    left; a settled loan says so, with its date, and offers no repayment."""
    loan = lending_service.get_loan_for(db, principal, loan_id)
    detail = lending_service.loan_detail(db, loan)
    repayments = lending_service.repayments_of(db, loan_id)
    shown = request.query_params.get("r")
    last = next((r for r in repayments if str(r.id) == shown), None)
    settled = detail.status == "paid_off"
    settled_on = max((r.business_date for r in repayments), default=None) if settled else None
    return _mrender(
        request,
        "m_loan.html",
        principal,
        loan=detail,
        schedule=decision_views.schedule_rows(
            detail.schedule,
            lending_service.prepaid_instalments(db, loan_id) if settled else [],
            settled,
        ),
        repayments=repayments,
        repayment=last,
        settled=settled,
        settled_on=settled_on,
        balance_fen=lending_service.settlement_balance(db, loan.enterprise_id),
        key=secrets.token_urlsafe(12),
        charges=lending_charges.charges_of(db, loan_id),
    )


@router.post("/loans/{loan_id}/repayments", dependencies=[Depends(check_csrf)])
def m_repay(
    request: Request,
    loan_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    key: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
) -> Response:
    loan = lending_service.get_loan_for(db, principal, loan_id)
    try:
        _agent_scope(request, db, rt, principal, loan.enterprise_id, "repayment")
        out = lending_service.repay(
            db,
            rt.clock,
            loan_id,
            yuan_to_fen(amount_yuan, field="amount_yuan", positive=True),
            idempotency_key=key,
            kind="prepayment",
        )
    except DomainError as exc:
        typed = {"amount_yuan": amount_yuan}
        raise refuse(request, exc, f"/m/loans/{loan_id}", typed=typed) from exc
    return RedirectResponse(f"/m/loans/{loan_id}?repaid=1&r={out.id}", status_code=303)


@router.get("/amount", response_class=HTMLResponse)
def m_amount_hint(
    request: Request,
    _: Annotated[Principal, Depends(BORROWER)],
    amount_yuan: str = "",
) -> Response:
    """The amount as it will be read ("= ¥100,000.00"), or the formats accepted: the form's
    hint, loaded as one types (htmx)."""
    zh = request_lang(request) == "zh"
    text = "可填写 100000、100,000.00 或 10万" if zh else "e.g. 100000, 100,000.00 or 10万"
    if amount_yuan.strip():
        try:
            text = "= " + format_fen(yuan_to_fen(amount_yuan, field="amount_yuan", positive=True))
        except DomainError:
            text = (
                "无法识别。可填写如 100000、100,000.00 或 10万"
                if zh
                else "Not understood. Write e.g. 100000, 100,000.00 or 10万"
            )
    return HTMLResponse(text)


@router.get("/timeline", response_class=HTMLResponse)
def m_timeline(
    request: Request, db: DB, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    steps = _timeline(db, principal, request_lang(request))
    return _mrender(request, "m_timeline.html", principal, steps=steps)
