"""Staff console pages of the supply-chain receivables chain (应收款链), read through the
receivables service:

* ``/console/receivables`` — the certificates (status, issuer, face, maturity, live parts) and
  the log: its size and root, the latest signed checkpoints, the log's verifier key; an admin
  can sign the tree head now.
* ``/console/receivables/certificates/{id}`` — the provenance tree (parent → split parts →
  transfers → the bank's financed part; holder, status and amount of each, from which
  operation to which) and every operation of the certificate, each with its inclusion proof
  loaded on demand (htmx) from:
* ``/console/receivables/operations/{seq}/proof`` — the proof as an HTML fragment: leaf index,
  tree size, entry, audit path, root, the signed checkpoint of that size, and the result of the
  checks a participant makes with the pure modules (``merkle``, ``checkpoint``);
* ``/console/receivables/operations/{seq}`` — the operation (signed statement) with that proof,
  as a page (the no-JavaScript fallback and the target of seq links).

Borrowers (mobile web) see the certificates their enterprises are or were party to, with the
same tree and proofs: ``/m/receivables``, ``/m/receivables/{id}``,
``/m/receivables/operations/{seq}/proof``; the service's visibility rules apply (404 otherwise).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import MoneyFormatError, yuan_to_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.flows import supply_chain
from puhui.parties import service as parties_service
from puhui.parties.errors import EnterpriseNotFound
from puhui.receivables import service as receivables_service
from puhui.receivables.errors import ReceivablesError
from puhui.receivables.schemas import CertificateOut, LimitGrant, PartOut, ProvenanceNode
from puhui.reporting import lists
from puhui.web.pages import check_csrf, page_error, render, templates
from puhui.web.paging import pager

router = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)
STAFF = "/console/receivables"
MOBILE = "/m/receivables"

READERS = (
    Role.CUSTOMER_MANAGER,
    Role.CREDIT_OFFICER,
    Role.RISK_OFFICER,
    Role.AUDITOR,
    Role.ADMIN,
)
PUBLISHERS = (Role.ADMIN,)  # as POST /api/v1/receivables/checkpoints
GRANTERS = (Role.RISK_OFFICER, Role.ADMIN)  # as POST /api/v1/receivables/limits

LIVE = ("pending_accept", "held", "pending_transfer", "financed")

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "op": {
        "limit": ("授信额度", "limit"),
        "issue": ("签发", "issue"),
        "accept": ("签收", "accept"),
        "reject": ("拒收", "reject"),
        "cancel": ("撤销", "cancel"),
        "split": ("拆分", "split"),
        "transfer": ("转让", "transfer"),
        "accept_transfer": ("接收转让", "accept transfer"),
        "reject_transfer": ("拒收转让", "reject transfer"),
        "cancel_transfer": ("撤回转让", "cancel transfer"),
        "finance": ("贴现融资", "finance"),
        "pay": ("兑付", "pay"),
        "clear": ("清分", "clear"),
        "overdue": ("逾期", "overdue"),
    },
    "part": {
        "pending_accept": ("待签收", "pending acceptance"),
        "held": ("持有", "held"),
        "pending_transfer": ("转让中", "transfer offered"),
        "financed": ("银行持有（已贴现）", "held by the bank (financed)"),
        "cleared": ("已清分", "cleared"),
        "closed": ("已结束", "closed"),
    },
    "cert": {
        "pending": ("待签收", "pending"),
        "active": ("有效", "active"),
        "overdue": ("逾期", "overdue"),
        "paid": ("已兑付", "paid"),
        "cleared": ("已清分", "cleared"),
        "void": ("已作废", "void"),
    },
}


def _labeler(request: Request) -> Any:
    zh = request_lang(request) == "zh"

    def label(kind: str, value: str | None) -> str:
        if value is None:
            return ""
        pair = LABELS.get(kind, {}).get(value)
        return value if pair is None else pair[0 if zh else 1]

    return label


def rate_percent(rate_bp: int | None) -> str:
    if rate_bp is None:
        return "—"
    return f"{(Decimal(rate_bp) / 100).quantize(Decimal('0.01'))}%"


def live_parts(cert: CertificateOut) -> list[PartOut]:
    """Parts that currently hold value (the ones that sum to the face until clearing)."""
    return [p for p in cert.parts if p.status in LIVE]


def _holders(node: ProvenanceNode) -> set[str]:
    found = {node.holder}
    for child in node.children:
        found |= _holders(child)
    return found


def _render(request: Request, name: str, principal: Principal, **ctx: Any) -> Response:
    return render(
        request,
        name,
        principal,
        label=_labeler(request),
        rate_percent=rate_percent,
        **ctx,
    )


# ------------------------------------------------------------------------------ the list


@router.get(STAFF, response_class=HTMLResponse)
def certificates_page(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    status: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    return _list_page(request, db, principal, status=status, q=q, page=page)


def _list_page(
    request: Request,
    db: Session,
    principal: Principal,
    *,
    status: str | None = None,
    q: str | None = None,
    page: int = 1,
    **ctx: Any,
) -> Response:
    status = status if status in LABELS["cert"] else None
    found = lists.certificates(db, status=status, q=q, page=page)
    limits = receivables_service.list_limits(db)
    names = receivables_service.party_names(db, {x.party for x in limits})
    return _render(
        request,
        "receivables.html",
        principal,
        certs=found.rows,
        pager=pager(request, found),
        q=q,
        names=names,
        status=status,
        head=receivables_service.log_head(db),
        checkpoints=receivables_service.list_checkpoints(db, limit=10),
        limits=limits,
        can_publish=principal.role in PUBLISHERS,
        can_grant=principal.role in GRANTERS,
        pricing=receivables_service.list_pricing(db) if principal.role in GRANTERS else [],
        **ctx,
    )


@router.post(f"{STAFF}/limits", dependencies=[Depends(check_csrf)])
def grant_limit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*GRANTERS))],
    uscc: Annotated[str, Form(max_length=32)] = "",
    limit_yuan: Annotated[str, Form(max_length=32)] = "",
    grade: Annotated[str, Form(max_length=8)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    application_reference: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """Grant, change or (0) revoke a core enterprise's supply-chain limit, manually or from an
    approved application (as POST /api/v1/receivables/limits)."""
    form = {
        "uscc": uscc,
        "limit_yuan": limit_yuan,
        "grade": grade,
        "reason": reason,
        "application_reference": application_reference,
    }
    try:
        enterprise = parties_service.find_enterprise(db, uscc) if uscc.strip() else None
        if enterprise is None:
            raise EnterpriseNotFound(field="uscc")
        try:
            data = LimitGrant(
                enterprise_id=enterprise.id,
                limit_fen=yuan_to_fen(limit_yuan),  # 0 revokes
                grade=grade.strip().upper(),
                reason=reason.strip(),
                application_reference=application_reference.strip() or None,
            )
        except MoneyFormatError as exc:
            raise InvalidInput(field="limit_yuan") from exc
        except ValidationError as exc:  # the field the schema refused, by the form's name
            field = str(exc.errors()[0]["loc"][0])
            raise InvalidInput(field={"limit_fen": "limit_yuan"}.get(field, field)) from exc
        supply_chain.grant_supply_chain_limit(db, rt.clock, rt.cipher, principal, data)
    except (DomainError, ReceivablesError) as exc:
        raise page_error(
            request,
            exc,
            lambda error: _list_page(request, db, principal, grant_error=error, form=form),
        ) from exc
    return RedirectResponse(f"{STAFF}#limits", status_code=303)


@router.post(f"{STAFF}/checkpoints", dependencies=[Depends(check_csrf)])
def publish_checkpoint(
    db: DB,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require_page(*PUBLISHERS))],
) -> Response:
    """Sign the current tree head now (as POST /api/v1/receivables/checkpoints)."""
    receivables_service.publish_checkpoint(db, rt.clock, rt.cipher)
    return RedirectResponse("/console/receivables#checkpoints", status_code=303)


# ------------------------------------------------------------------------ a certificate


@router.get(STAFF + "/certificates/{cert_id}", response_class=HTMLResponse)
def certificate_page(
    request: Request,
    cert_id: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    return _render(
        request, "receivable.html", principal, **_certificate_context(db, principal, cert_id)
    )


def _certificate_context(db: Session, principal: Principal, cert_id: str) -> dict[str, Any]:
    """The provenance of a certificate as the principal may see it (404 otherwise)."""
    prov = receivables_service.provenance(db, principal, cert_id)
    cert = prov.certificate
    codes = {cert.issuer, cert.supplier, *(o.actor for o in prov.operations), *_holders(prov.tree)}
    codes |= {p.pending_to for p in cert.parts if p.pending_to}
    value_parts = [p for p in cert.parts if p.status != "closed"]  # live or cleared
    return {
        "prov": prov,
        "cert": cert,
        "names": receivables_service.party_names(db, codes),
        "ops_by_seq": {o.seq: o for o in prov.operations},
        "live": live_parts(cert),
        "value_fen": sum(p.amount_fen for p in value_parts),
        "value_parts": value_parts,
        "head": receivables_service.log_head(db),
    }


# ------------------------------------------------------------------- operations and proofs


def _proof_context(db: Session, principal: Principal, seq: int, size: int | None) -> dict[str, Any]:
    proof = receivables_service.inclusion_proof(db, principal, seq, size)
    return {
        "p": proof,
        "check": receivables_service.check_inclusion(db, proof),
        "head": receivables_service.log_head(db),
    }


@router.get(STAFF + "/operations/{seq}/proof", response_class=HTMLResponse)
def proof_fragment(
    request: Request,
    seq: int,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    size: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The inclusion proof of operation ``seq`` as an HTML fragment (for htmx)."""
    return _fragment(request, db, principal, seq, size)


def _fragment(
    request: Request, db: Session, principal: Principal, seq: int, size: int | None
) -> Response:
    return templates.TemplateResponse(
        request,
        "_receivable_proof.html",
        {"lang": request_lang(request), **_proof_context(db, principal, seq, size)},
    )


@router.get(STAFF + "/operations/{seq}", response_class=HTMLResponse)
def operation_page(
    request: Request,
    seq: int,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    size: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    entry = receivables_service.get_operation(db, principal, seq)
    ctx = _proof_context(db, principal, seq, size)
    return _render(
        request,
        "receivable_op.html",
        principal,
        entry=entry,
        statement_text=json.dumps(entry.statement, ensure_ascii=False, indent=2),
        names=receivables_service.party_names(db, {entry.actor}),
        **ctx,
    )


# ------------------------------------------------------------- the borrower's mobile pages


def _mrender(request: Request, name: str, principal: Principal, **ctx: Any) -> Response:
    zh = request_lang(request) == "zh"
    return _render(
        request,
        name,
        principal,
        large=bool(request.session.get("large")),
        L=lambda a, b: a if zh else b,
        **ctx,
    )


@router.get(MOBILE, response_class=HTMLResponse)
def m_certificates(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.BORROWER))],
) -> Response:
    """The certificates the borrower's enterprises are or were party to."""
    certs = receivables_service.list_certificates(db, principal, limit=200)
    names = receivables_service.party_names(
        db, {c.issuer for c in certs} | {p.holder for c in certs for p in c.parts}
    )
    own = receivables_service.party_codes(db, principal)
    return _mrender(
        request,
        "m_receivables.html",
        principal,
        certs=certs,
        names=names,
        mine={c.id: [p for p in live_parts(c) if p.holder in own] for c in certs},
    )


@router.get(MOBILE + "/{cert_id}", response_class=HTMLResponse)
def m_certificate(
    request: Request,
    cert_id: str,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.BORROWER))],
) -> Response:
    """A certificate the borrower's enterprise is or was party to: the provenance tree and the
    operations, each with its inclusion proof (htmx); 404 for any other."""
    ctx = _certificate_context(db, principal, cert_id)
    return _mrender(
        request,
        "m_receivable.html",
        principal,
        own=receivables_service.party_codes(db, principal),
        **ctx,
    )


@router.get(MOBILE + "/operations/{seq}/proof", response_class=HTMLResponse)
def m_proof_fragment(
    request: Request,
    seq: int,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(Role.BORROWER))],
    size: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The inclusion proof of an operation of a certificate the borrower is party to."""
    return _fragment(request, db, principal, seq, size)
