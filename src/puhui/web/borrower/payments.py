"""The borrower's payout accounts on /m/payments: register an account (at this bank or
another), verify another bank's account by the account-name check or a micro-credit
(打款验证), see the payments made to them with their status.

Rules live in `payments` (accounts, service); this file renders them. Payments a form creates
go through the rails after the request committed (`service.run_rails`, a background task);
the sandbox (沙箱) is labelled wherever it shows, and in the sandbox the micro-credit's amount
is shown on screen, as the sandbox SMS shows its codes.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core import outbox
from puhui.core.auth import Principal, require_page
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError, Forbidden, InvalidInput
from puhui.core.models import Role, User
from puhui.core.money import yuan_to_fen
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.lending.purposes import LoanPurpose
from puhui.payments import accounts, agents, guardian
from puhui.payments import service as payments_service
from puhui.payments.rails import get_rail
from puhui.web.pages import FLASH, check_csrf, refuse, render

router = APIRouter(prefix="/m/payments", route_class=UnitOfWorkRoute, include_in_schema=False)
BORROWER = require_page(Role.BORROWER)
HOME = "/m/payments"


def _enterprise(principal: Principal) -> uuid.UUID:
    if not principal.enterprise_ids:
        raise Forbidden()
    return sorted(principal.enterprise_ids)[0]


def _page(request: Request, db: Session, rt: Runtime, principal: Principal) -> Response:
    lang = request_lang(request)
    enterprise_id = _enterprise(principal)
    own = accounts.accounts_of(db, enterprise_id)
    credits = {
        a.id: payments_service.get_payment(db, a.challenge_payment_id)
        for a in own
        if a.challenge_payment_id is not None
    }
    recent = payments_service.payments_of(db, enterprise_id, limit=20)
    return render(
        request,
        "m_payments.html",
        principal,
        large=bool(request.session.get("large")),
        L=lambda zh, en: zh if lang == "zh" else en,
        accounts=own,
        credits=credits,
        payments=recent,
        sandbox=get_rail().sandbox,
        added=request.query_params.get("added"),
    )


@router.get("", response_class=HTMLResponse)
def m_payments(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _page(request, db, rt, principal)


@router.post("/accounts", dependencies=[Depends(check_csrf)])
def m_add_account(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    holder_name: Annotated[str, Form()],
    number: Annotated[str, Form()],
    bank_code: Annotated[str, Form()],
    bank_name: Annotated[str, Form()] = "",
) -> Response:
    try:
        if not holder_name.strip():
            raise InvalidInput(field="holder_name")
        account = accounts.register_account(
            db,
            rt.clock,
            rt.cipher,
            _enterprise(principal),
            accounts.AccountInput(holder_name, number, bank_code, bank_name),
        )
    except DomainError as exc:
        typed = {"holder_name": holder_name, "bank_code": bank_code, "bank_name": bank_name}
        raise refuse(request, exc, HOME, typed=typed) from exc
    return RedirectResponse(f"{HOME}?added={account.id}", status_code=303)


@router.post("/accounts/{account_id}/name-check", dependencies=[Depends(check_csrf)])
def m_name_check(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        checker = accounts.build_name_check(rt.settings)
        accounts.verify_by_name(db, rt.clock, rt.cipher, account, checker)
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    return RedirectResponse(HOME, status_code=303)


@router.post("/accounts/{account_id}/micro-credit", dependencies=[Depends(check_csrf)])
def m_micro_credit(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        amount = accounts.start_micro_credit(db, rt.clock, rt.cipher, account)
        payments_service.create_verification_credit(db, rt.clock, account, amount)
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    background.add_task(run_rails, rt)
    return RedirectResponse(HOME, status_code=303)


@router.post("/accounts/{account_id}/confirm", dependencies=[Depends(check_csrf)])
def m_confirm(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    amount_yuan: Annotated[str, Form()],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        credit = (
            payments_service.get_payment(db, account.challenge_payment_id)
            if account.challenge_payment_id
            else None
        )
        fen = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        ok = accounts.confirm_micro_credit(
            db, rt.clock, rt.cipher, account, fen, credit is not None and credit.status == "settled"
        )
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    if not ok:
        lang = request_lang(request)
        message = (
            f"金额不符，还可尝试 {account.attempts_left} 次。"
            if lang == "zh"
            else f"That is not the amount; {account.attempts_left} tries left."
        )
        request.session[FLASH] = {"path": HOME, "error": message}
    return RedirectResponse(HOME, status_code=303)


@router.post("/accounts/{account_id}/receivables", dependencies=[Depends(check_csrf)])
def m_receivables_account(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    """Receivables' payouts (discount proceeds, clearing at maturity) go to this account."""
    try:
        payments_service.choose_receivables_account(
            db, rt.clock, _enterprise(principal), account_id
        )
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    return RedirectResponse(HOME, status_code=303)


def verified_accounts(db: Session, enterprise_id: uuid.UUID) -> list[Any]:
    """The accounts a drawdown may be paid out to (for the draw form)."""
    return [a for a in accounts.accounts_of(db, enterprise_id) if a.status == "verified"]


def payout_choice(value: str) -> uuid.UUID | None:
    """The draw form's payout account (empty: the settlement account at this bank)."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidInput(field="payout_account_id") from exc


def run_rails(rt: Runtime) -> None:
    """After the request committed: send its payments and fetch the answers."""
    payments_service.run_rails(rt.session_factory, rt.clock, rt.cipher)


def purpose_choice(value: str) -> LoanPurpose | None:
    if not value:
        return None
    try:
        return LoanPurpose(value)
    except ValueError as exc:
        raise InvalidInput(field="purpose") from exc


PURPOSES = [p.value for p in LoanPurpose]


# --- trusted payees and the transfer guardian (/m/payments/guardian) -----------------------------

GUARDIAN = f"{HOME}/guardian"
SMS_KEY = "guardian_sms"


def _send_sms_later(
    request: Request, rt: Runtime, background: BackgroundTasks, sms_id: uuid.UUID
) -> None:
    """Remember the code's message for the sandbox display; send it once the request committed."""
    request.session[SMS_KEY] = str(sms_id)
    channels = outbox.app_channels(request.app, rt.cipher, rt.clock)
    background.add_task(
        outbox.dispatch_pending,
        rt.session_factory,
        channels,
        cipher=rt.cipher,
        clock=rt.clock,
        message_ids=[sms_id],
    )


def _sandbox_code(request: Request, db: Session, rt: Runtime) -> str | None:
    """The code the last SMS of this page carried — shown only while SMS is the sandbox."""
    channel = outbox.app_channels(request.app, rt.cipher, rt.clock).get(outbox.SMS)
    sms_id = request.session.get(SMS_KEY)
    if not isinstance(channel, outbox.SandboxSmsChannel) or not sms_id:
        return None
    row = outbox.get_message(db, uuid.UUID(sms_id))
    found = re.search(r"验证码 (\d{6})", outbox.read_body(rt.cipher, row)) if row else None
    return found.group(1) if found else None


def mobile_of(request: Request, rt: Runtime, principal: Principal) -> str:
    """The signed-in applicant's mobile (SMS sign-in), to tell the representative from an agent."""
    user = request.state.db.get(User, principal.user_id)
    if user is None or user.mobile_enc is None:
        return ""
    return str(rt.cipher.decrypt(user.mobile_enc, "core_user.mobile"))


def require_agent_limits(
    request: Request,
    db: Session,
    rt: Runtime,
    principal: Principal,
    enterprise_id: uuid.UUID,
    payout_account_id: uuid.UUID,
    amount_fen: int,
    source_type: str,
    key: str,
) -> None:
    """A payout an agent (经办人) initiates stays within the representative's limits."""
    agents.require_within_limits(
        db,
        rt.clock,
        rt.cipher,
        enterprise_id=enterprise_id,
        mobile=mobile_of(request, rt, principal),
        payout_account_id=payout_account_id,
        amount_fen=amount_fen,
        source_type=source_type,
        idempotency_key=key,
    )


def _agent_rows(
    request: Request, db: Session, rt: Runtime, principal: Principal, enterprise_id: uuid.UUID
) -> list[dict[str, Any]] | None:
    """The live agents and their limits, for the legal representative only (None otherwise)."""
    from puhui.identity import service as identity_service

    mobile = mobile_of(request, rt, principal)
    if not agents.is_representative(db, rt.cipher, rt.clock, enterprise_id, mobile):
        return None
    now = rt.clock.now()
    limits = agents.limits_by_authorisation(db, enterprise_id)
    rows = []
    for grant in identity_service.authorisations_of(db, enterprise_id):
        if not grant.is_live(now):
            continue
        row = limits.get(grant.id)
        rows.append(
            {
                "grant": grant,
                "limits": row,
                "per_payment": _yuan_text(row.per_payment_cap_fen if row else None),
                "per_day": _yuan_text(row.per_day_cap_fen if row else None),
                "paid": agents.paid_today(db, rt.clock, grant.id),
            }
        )
    return rows


def _yuan_text(fen: int | None) -> str:
    """A limit as typed in the form (yuan, two decimals), empty for none."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _guardian_page(request: Request, db: Session, rt: Runtime, principal: Principal) -> Response:
    lang = request_lang(request)
    enterprise_id = _enterprise(principal)
    own = accounts.accounts_of(db, enterprise_id)
    large = bool(request.session.get("large"))
    return render(
        request,
        "m_guardian.html",
        principal,
        large=large,
        L=lambda zh, en: zh if lang == "zh" else en,
        setting=guardian.protection_of(db, rt.clock, rt.cipher, enterprise_id, large_type=large),
        agent_rows=_agent_rows(request, db, rt, principal, enterprise_id),
        accounts=[a for a in own if a.status == "verified"],
        transfers=guardian.transfers_of(db, enterprise_id),
        names={a.id: f"{a.holder_name} {a.number_masked}" for a in own},
        now=rt.clock.now(),
        sandbox_code=_sandbox_code(request, db, rt),
        key=secrets.token_urlsafe(12),
    )


@router.get("/guardian", response_class=HTMLResponse)
def m_guardian(
    request: Request, db: DB, rt: RuntimeDep, principal: Annotated[Principal, Depends(BORROWER)]
) -> Response:
    return _guardian_page(request, db, rt, principal)


@router.post("/guardian/trusted-only", dependencies=[Depends(check_csrf)])
def m_trusted_only(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    on: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """On: anyone acting for the enterprise. Off: only with the legal representative's code."""
    try:
        if on == "yes":
            guardian.set_trusted_only(db, rt.clock, _enterprise(principal), True)
        else:
            guardian.turn_off_trusted_only(
                db, rt.clock, rt.cipher, _enterprise(principal), code.strip()
            )
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN) from exc
    request.session.pop(SMS_KEY, None)
    return RedirectResponse(GUARDIAN, status_code=303)


@router.post("/guardian/trusted-only/code", dependencies=[Depends(check_csrf)])
def m_trusted_only_code(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    """A code to the legal representative's mobile, to switch "trusted payees only" off."""
    return _code_to_representative(
        request, db, rt, background, principal, guardian.request_trusted_only_off, "off"
    )


def _code_to_representative(
    request: Request,
    db: Session,
    rt: Runtime,
    background: BackgroundTasks,
    principal: Principal,
    ask: Callable[[Session, Clock, FieldCipher, uuid.UUID], uuid.UUID],
    flag: str,
) -> Response:
    """Send the code `ask` issues to the legal representative's mobile, then back to the
    guardian page with `flag` set (the page shows the code field)."""
    try:
        sms_id = ask(db, rt.clock, rt.cipher, _enterprise(principal))
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN) from exc
    _send_sms_later(request, rt, background, sms_id)
    return RedirectResponse(f"{GUARDIAN}?{flag}=1", status_code=303)


def _limit_fen(value: str, field: str) -> int | None:
    return yuan_to_fen(value, field=field, positive=True) if value.strip() else None


@router.post("/guardian/agents/{authorisation_id}", dependencies=[Depends(check_csrf)])
def m_agent_limits(
    request: Request,
    authorisation_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    per_payment_yuan: Annotated[str, Form()] = "",
    per_day_yuan: Annotated[str, Form()] = "",
    trusted_only: Annotated[str, Form()] = "",
) -> Response:
    """The legal representative sets an agent's payment limits."""
    try:
        agents.set_limits(
            db,
            rt.clock,
            rt.cipher,
            enterprise_id=_enterprise(principal),
            representative_mobile=mobile_of(request, rt, principal),
            authorisation_id=authorisation_id,
            limits=agents.Limits(
                _limit_fen(per_payment_yuan, "per_payment_yuan"),
                _limit_fen(per_day_yuan, "per_day_yuan"),
                trusted_only == "yes",
            ),
        )
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN) from exc
    return RedirectResponse(GUARDIAN, status_code=303)


@router.post("/guardian/code", dependencies=[Depends(check_csrf)])
def m_guardian_code(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    """A code to the legal representative's mobile, to name or change the guardian."""
    return _code_to_representative(
        request, db, rt, background, principal, guardian.request_guardian_change, "sent"
    )


@router.post("/guardian/name", dependencies=[Depends(check_csrf)])
def m_guardian_name(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
    name: Annotated[str, Form()],
    mobile: Annotated[str, Form()],
    code: Annotated[str, Form()],
) -> Response:
    try:
        guardian.confirm_guardian_change(
            db, rt.clock, rt.cipher, _enterprise(principal), name, mobile, code.strip()
        )
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN, typed={"name": name, "mobile": mobile}) from exc
    request.session.pop(SMS_KEY, None)
    return RedirectResponse(GUARDIAN, status_code=303)


@router.post("/guardian/trust/{account_id}", dependencies=[Depends(check_csrf)])
def m_trust(
    request: Request,
    account_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(BORROWER)],
) -> Response:
    try:
        account = accounts.get_account(db, _enterprise(principal), account_id)
        guardian.trust_payee(db, rt.clock, account)
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN) from exc
    return RedirectResponse(GUARDIAN, status_code=303)


@router.post("/guardian/transfers", dependencies=[Depends(check_csrf)])
def m_transfer(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
    key: Annotated[str, Form()],
    payout_account_id: Annotated[str, Form()],
    amount_yuan: Annotated[str, Form()],
) -> Response:
    try:
        account_id = payout_choice(payout_account_id)
        if account_id is None:
            raise InvalidInput(field="payout_account_id")
        amount_fen = yuan_to_fen(amount_yuan, field="amount_yuan", positive=True)
        idempotency_key = f"transfer:{principal.user_id}:{key}"
        enterprise_id = _enterprise(principal)
        require_agent_limits(
            request,
            db,
            rt,
            principal,
            enterprise_id,
            account_id,
            amount_fen,
            "transfer",
            idempotency_key,
        )
        outcome = guardian.transfer(
            db, rt.clock, rt.cipher, enterprise_id, account_id, amount_fen, idempotency_key
        )
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN, typed={"amount_yuan": amount_yuan}) from exc
    if outcome.sms_id is not None:
        _send_sms_later(request, rt, background, outcome.sms_id)
    else:
        background.add_task(run_rails, rt)
    return RedirectResponse(GUARDIAN, status_code=303)


@router.post("/guardian/transfers/{transfer_id}/confirm", dependencies=[Depends(check_csrf)])
def m_confirm_transfer(
    request: Request,
    transfer_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(BORROWER)],
    code: Annotated[str, Form()],
) -> Response:
    try:
        guardian.confirm_transfer(
            db, rt.clock, rt.cipher, _enterprise(principal), transfer_id, code.strip()
        )
    except DomainError as exc:
        raise refuse(request, exc, GUARDIAN) from exc
    request.session.pop(SMS_KEY, None)
    background.add_task(run_rails, rt)
    return RedirectResponse(GUARDIAN, status_code=303)
