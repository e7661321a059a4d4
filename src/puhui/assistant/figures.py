"""The signed-in borrower's own figures, read through the domains' public services (read-only).

Only the principal's own enterprises are read: credit lines through `list_lines(principal)`,
loans through `list_loans(enterprise_id=...)` for each of `principal.enterprise_ids`,
applications through `own_applications(principal)`. Nothing here writes; actions are links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from puhui.assistant.knowledge import Link
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.money import apply_rate_bp, format_fen
from puhui.decisioning import service as decisioning_service
from puhui.lending import service as lending_service
from puhui.lending.schemas import LoanDetailOut, LoanOut

_APPLICATION_STATUS = {
    "submitted": ("已提交，审批中", "submitted, being decided"),
    "approved": ("已批准，待签约", "approved, waiting for your signature"),
    "declined": ("未通过", "declined"),
    "referred": ("人工复核中", "with a reviewer"),
    "accepted": ("已签约生效", "signed and active"),
    "withdrawn": ("已撤回", "withdrawn"),
    "expired": ("已失效", "expired"),
}


@dataclass(frozen=True)
class Figures:
    """Sentences with the borrower's own numbers, and links to act on them."""

    lines_zh: tuple[str, ...] = ()
    lines_en: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()

    def text(self, lang: str) -> str:
        return "\n".join(self.lines_zh if lang == "zh" else self.lines_en)


def _active_lines(session: Session, principal: Principal) -> list:
    return [
        line
        for line in lending_service.list_lines(session, principal, limit=50)
        if line.enterprise_id in principal.enterprise_ids and line.status == "active"
    ]


def _active_loans(session: Session, principal: Principal) -> list[LoanOut]:
    loans: list[LoanOut] = []
    for enterprise_id in sorted(principal.enterprise_ids):
        for loan in lending_service.list_loans(session, enterprise_id=enterprise_id):
            if loan.status == "active" and loan.enterprise_id == enterprise_id:
                loans.append(LoanOut.model_validate(loan))
    return loans


def available_limit(session: Session, clock: Clock, principal: Principal) -> Figures:
    lines = _active_lines(session, principal)
    if not lines:
        return Figures(
            ("您目前没有生效的额度。",),
            ("You have no active credit line yet.",),
            (Link("/m/apply", "去申请", "Apply"),),
        )
    zh, en, links = [], [], []
    for line in lines:
        zh.append(
            f"额度 {line.reference}：可用 {format_fen(line.available_fen)}，"
            f"授信 {format_fen(line.limit_fen)}，有效期至 {line.expiry_date:%Y-%m-%d}。"
        )
        en.append(
            f"Line {line.reference}: {format_fen(line.available_fen)} available of "
            f"{format_fen(line.limit_fen)}, valid until {line.expiry_date:%Y-%m-%d}."
        )
        links.append(
            Link(f"/m/lines/{line.id}", f"打开额度 {line.reference}", f"Open line {line.reference}")
        )
    return Figures(tuple(zh), tuple(en), tuple(links))


def _next_due(detail: LoanDetailOut) -> tuple[str, int] | None:
    rows = [r for r in detail.schedule if r.status in ("scheduled", "billed")]
    if not rows:
        return None
    row = min(rows, key=lambda r: r.due_date)
    owed = row.principal_fen + row.interest_fen - row.principal_paid_fen - row.interest_paid_fen
    return f"{row.due_date:%Y-%m-%d}", owed


def next_instalment(session: Session, clock: Clock, principal: Principal) -> Figures:
    loans = _active_loans(session, principal)
    if not loans:
        return Figures(("您目前没有未结清的借款。",), ("You have no outstanding loan.",))
    zh, en, links = [], [], []
    for loan in loans:
        detail = lending_service.loan_detail(
            session, lending_service.get_loan_for(session, principal, loan.id)
        )
        due = _next_due(detail)
        if due is None:
            continue
        day, owed = due
        zh.append(f"借款 {loan.reference}：下期还款日 {day}，应还 {format_fen(owed)}。")
        en.append(f"Loan {loan.reference}: next instalment {format_fen(owed)} due {day}.")
        links.append(
            Link(f"/m/loans/{loan.id}", f"打开借款 {loan.reference}", f"Open loan {loan.reference}")
        )
    return Figures(tuple(zh), tuple(en), tuple(links))


def overdue_amount(session: Session, clock: Clock, principal: Principal) -> Figures:
    loans = [loan for loan in _active_loans(session, principal) if loan.dpd > 0]
    if not loans:
        return Figures(("您目前没有逾期款项。",), ("Nothing of yours is overdue.",))
    zh, en, links = [], [], []
    for loan in loans:
        owed = (
            loan.overdue_principal_fen
            + loan.overdue_interest_fen
            + loan.penalty_accrued_fen
            + loan.compound_accrued_fen
        )
        zh.append(
            f"借款 {loan.reference}：已逾期 {loan.dpd} 天，逾期应还 {format_fen(owed)}（含罚息）。"
        )
        en.append(
            f"Loan {loan.reference}: {loan.dpd} days overdue, {format_fen(owed)} to "
            "pay including penalty interest."
        )
        links.append(
            Link(f"/m/loans/{loan.id}", f"去还款 {loan.reference}", f"Repay {loan.reference}")
        )
    return Figures(tuple(zh), tuple(en), tuple(links))


def prepayment_quote(session: Session, clock: Clock, principal: Principal) -> Figures:
    """An estimate of paying each loan off today: what is owed, accrued interest, the fee."""
    loans = _active_loans(session, principal)
    if not loans:
        return Figures(("您目前没有未结清的借款。",), ("You have no outstanding loan.",))
    zh, en, links = [], [], []
    for loan in loans:
        product = lending_service.get_product_or_default(session, clock, loan.product_code)
        principal_fen = loan.principal_outstanding_fen
        fee = apply_rate_bp(principal_fen, product.prepayment_fee_bp) if principal_fen else 0
        total = (
            principal_fen
            + loan.overdue_principal_fen
            + loan.overdue_interest_fen
            + loan.interest_accrued_fen
            + loan.interest_deferred_fen
            + loan.penalty_accrued_fen
            + loan.compound_accrued_fen
            + fee
        )
        zh.append(
            f"借款 {loan.reference}：今日全部结清约需 {format_fen(total)}"
            f"（其中提前还款费 {format_fen(fee)}），以还款页面试算为准。"
        )
        en.append(
            f"Loan {loan.reference}: paying it all off today comes to about "
            f"{format_fen(total)} (prepayment fee {format_fen(fee)}); the repayment page "
            "gives the exact figure."
        )
        links.append(
            Link(
                f"/m/loans/{loan.id}", f"提前还款 {loan.reference}", f"Repay {loan.reference} early"
            )
        )
    return Figures(tuple(zh), tuple(en), tuple(links))


def application_status(session: Session, clock: Clock, principal: Principal) -> Figures:
    apps = decisioning_service.own_applications(session, principal)[:3]
    apps = [a for a in apps if a.enterprise_id in principal.enterprise_ids]
    if not apps:
        return Figures(
            ("您还没有提交过申请。",),
            ("You have not applied yet.",),
            (Link("/m/apply", "去申请", "Apply"),),
        )
    zh, en, links = [], [], []
    for app in apps:
        szh, sen = _APPLICATION_STATUS.get(app.status, (app.status, app.status))
        zh.append(f"申请 {app.reference}（{app.created_at:%Y-%m-%d}）：{szh}。")
        en.append(f"Application {app.reference} ({app.created_at:%Y-%m-%d}): {sen}.")
        links.append(
            Link(
                f"/m/applications/{app.id}",
                f"查看申请 {app.reference}",
                f"Open application {app.reference}",
            )
        )
    return Figures(tuple(zh), tuple(en), tuple(links))


Reader = Callable[[Session, Clock, Principal], Figures]

# Which intents answer with the borrower's own figures.
READERS: dict[str, Reader] = {
    "credit_limit": available_limit,
    "limit_increase": available_limit,
    "drawdown": available_limit,
    "repayment": next_instalment,
    "repayment_schedule": next_instalment,
    "overdue": overdue_amount,
    "early_repayment": prepayment_quote,
    "application_status": application_status,
}


def for_intent(
    session: Session, clock: Clock, principal: Principal | None, intent: str
) -> Figures | None:
    reader = READERS.get(intent)
    if reader is None or principal is None or not principal.enterprise_ids or principal.is_staff:
        return None
    return reader(session, clock, principal)
