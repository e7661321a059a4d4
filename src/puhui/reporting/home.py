"""The staff home (工作台): per role, today's work as cards — reviews due with their SLA, policies
awaiting a second officer, receivables to watch, overdue loans, the day's numbers — each with
links to where the work is done.

Cards come from a registry: a provider is a function `(session, clock, principal) -> Card | None`
registered with the roles that see it (`@card(Role.X, ..., order=N)`), so a domain that brings
alerts or tasks (early warning, collections, the service desk) adds its own card without
touching the page. Each provider runs a bounded number of aggregate or LIMITed queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date, shanghai_midnight_utc
from puhui.core.models import AuditEvent, Role
from puhui.decisioning.models import (
    Application,
    Decision,
    DecisionKind,
    DecisionOutcome,
    PolicyStatus,
    PolicyVersion,
    Review,
)
from puhui.decisioning.review import OPEN_STATUSES
from puhui.lending.models import Loan
from puhui.parties.models import Enterprise
from puhui.receivables.models import CertificateRow
from puhui.receivables.state import CertificateStatus
from puhui.reporting import book
from puhui.reporting.sla import minutes_left as sla_minutes_left
from puhui.reporting.sla import sla_words
from puhui.risk.collection_models import CollectionCase

SHOWN = 5  # items listed on a card; the link leads to all of them


@dataclass(frozen=True, slots=True)
class Text:
    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True, slots=True)
class Item:
    label: Text
    detail: Text | None = None
    href: str | None = None
    tone: str = ""  # "", "overdue" or "due-soon"


@dataclass(frozen=True, slots=True)
class Card:
    key: str
    title: Text
    count: int | None = None
    items: tuple[Item, ...] = ()
    empty: Text = field(default_factory=lambda: Text("今天没有待办。", "Nothing to do today."))
    link: tuple[str, Text] | None = None
    title_hint: Text | None = None  # a definition shown on hover


Provider = Callable[[Session, Clock, Principal], Card | None]


@dataclass(frozen=True, slots=True)
class _Registered:
    roles: frozenset[Role]
    order: int
    provider: Provider


_REGISTRY: list[_Registered] = []


def card(*roles: Role, order: int = 50) -> Callable[[Provider], Provider]:
    """Register a home card for these roles (admins see every card); lower `order` first."""

    def register(provider: Provider) -> Provider:
        _REGISTRY.append(_Registered(frozenset(roles) | {Role.ADMIN}, order, provider))
        return provider

    return register


def cards_for(session: Session, clock: Clock, principal: Principal) -> list[Card]:
    """The cards of the principal's role, in order."""
    shown = sorted((r for r in _REGISTRY if principal.role in r.roles), key=lambda r: r.order)
    return [c for r in shown if (c := r.provider(session, clock, principal)) is not None]


# ------------------------------------------------------------------------------------ SLA


def sla_text(due_at: datetime, now: datetime) -> tuple[Text, str]:
    """Time left before `due_at`, or how long overdue, in `reporting.sla`'s one wording, and
    the tone: ("还剩 5 小时 20 分钟", ""), ("还剩 2 小时", "due-soon" under 4 hours), ("已超时
    3 天", "overdue"). Pure."""
    minutes = sla_minutes_left(due_at, now)
    zh, en = sla_words(minutes)
    if minutes < 0:
        return Text(zh, en), "overdue"
    return Text(zh, en), "due-soon" if minutes < 4 * 60 else ""


# ---------------------------------------------------------------------------------- cards


@card(Role.CREDIT_OFFICER, Role.RISK_OFFICER, order=10)
def reviews_due(session: Session, clock: Clock, principal: Principal) -> Card:
    now = clock.now()
    open_ = Review.status.in_(OPEN_STATUSES)
    total, overdue = session.execute(
        select(func.count(), func.count().filter(Review.due_at < now)).where(open_)
    ).one()
    rows = session.execute(
        select(Review.id, Review.due_at, Review.green_channel, Enterprise.name)
        .join(Application, Application.id == Review.application_id)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(open_)
        .order_by(Review.green_channel.desc(), Review.due_at, Review.id)
        .limit(SHOWN)
    ).all()
    items = []
    for review_id, due_at, green, name in rows:
        text, tone = sla_text(due_at, now)
        badge = Text("绿色通道 · ", "green channel · ") if green else Text("", "")
        items.append(
            Item(
                Text(f"{name}", f"{name}"),
                Text(badge.zh + text.zh, badge.en + text.en),
                f"/console/reviews/{review_id}",
                tone,
            )
        )
    return Card(
        "reviews",
        Text(f"待审批（{overdue} 笔已超时）", f"Reviews due ({overdue} overdue)"),
        int(total),
        tuple(items),
        Text("审批队列为空。", "The review queue is empty."),
        ("/console/reviews", Text("全部待审批", "All open reviews")),
        Text(
            "SLA 按政策的审批时限计算；绿色通道优先。",
            "SLA from the policy's review time; green channel first.",
        ),
    )


@card(Role.RISK_OFFICER, Role.CREDIT_OFFICER, Role.AUDITOR, order=20)
def policies_pending(session: Session, clock: Clock, principal: Principal) -> Card:
    rows = session.execute(
        select(
            PolicyVersion.name,
            PolicyVersion.version,
            PolicyVersion.submitted_by_id,
            PolicyVersion.submitted_by_name,
            PolicyVersion.note,
        )
        .where(PolicyVersion.status == PolicyStatus.PENDING_APPROVAL.value)
        .order_by(PolicyVersion.submitted_at)
        .limit(SHOWN)
    ).all()
    items = []
    for name, version, by_id, by_name, note in rows:
        mine = by_id == principal.user_id
        who = Text(f"{by_name} 提交", f"submitted by {by_name}")
        hint = Text("（您提交的，须另一位风控审批）", " (yours: another officer approves)")
        items.append(
            Item(
                Text(f"{name} v{version}：{note}", f"{name} v{version}: {note}"),
                Text(who.zh + (hint.zh if mine else ""), who.en + (hint.en if mine else "")),
                "/console/policies#pending",
                "" if mine or principal.role != Role.RISK_OFFICER else "due-soon",
            )
        )
    return Card(
        "policies",
        Text("待审批的政策版本", "Policies awaiting approval"),
        len(items),
        tuple(items),
        Text("没有待审批的政策版本。", "No policy version awaits approval."),
        ("/console/policies", Text("版本与审批", "Versions and approval")),
    )


@card(Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, order=30)
def receivables_watch(session: Session, clock: Clock, principal: Principal) -> Card:
    today = business_date(clock)
    soon = today + timedelta(days=7)
    live = (CertificateStatus.ACTIVE.value, CertificateStatus.PENDING.value)
    overdue, maturing = session.execute(
        select(
            func.count().filter(CertificateRow.status == CertificateStatus.OVERDUE.value),
            func.count().filter(
                CertificateRow.status.in_(live), CertificateRow.maturity_date <= soon
            ),
        )
    ).one()
    items = (
        Item(
            Text("逾期未兑付的凭证", "Certificates overdue"),
            Text(f"{overdue} 张", f"{overdue}"),
            "/console/receivables",
            "overdue" if overdue else "",
        ),
        Item(
            Text("7 天内到期", "Maturing within 7 days"),
            Text(f"{maturing} 张", f"{maturing}"),
            "/console/receivables",
            "due-soon" if maturing else "",
        ),
    )
    return Card(
        "receivables",
        Text("应收款链", "Supply-chain receivables"),
        int(overdue) + int(maturing),
        items,
        link=("/console/receivables", Text("全部凭证", "All certificates")),
    )


@card(Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, order=40)
def overdue_loans(session: Session, clock: Clock, principal: Principal) -> Card:
    mine = principal.user_id if principal.role == Role.CUSTOMER_MANAGER else None
    in_scope = book.loans_in_scope(book.Scope(manager_id=mine))
    rows = session.execute(
        select(Loan.id, Loan.reference, Loan.dpd, Enterprise.name)
        .join(Enterprise, Enterprise.id == Loan.enterprise_id)
        .where(in_scope, Loan.dpd > 0)
        .order_by(Loan.dpd.desc(), Loan.id)
        .limit(SHOWN)
    ).all()
    total = session.scalar(select(func.count()).select_from(Loan).where(in_scope, Loan.dpd > 0))
    items = tuple(
        Item(
            Text(name, name),
            Text(f"{ref} · 逾期 {dpd} 天", f"{ref} · {dpd} days past due"),
            f"/console/loans/{loan_id}",
            "overdue",
        )
        for loan_id, ref, dpd, name in rows
    )
    return Card(
        "alerts",
        Text("提醒：逾期贷款", "Alerts: loans past due"),
        int(total or 0),
        items,
        Text("没有逾期贷款。", "No loan is past due."),
        ("/console/cockpit", Text("风险图表", "Risk charts")),
    )


@card(Role.AUDITOR, order=15)
def audit_today(session: Session, clock: Clock, principal: Principal) -> Card:
    start = shanghai_midnight_utc(business_date(clock))
    count = session.scalar(select(func.count()).where(AuditEvent.occurred_at >= start))
    return Card(
        "audit",
        Text("今日审计事件", "Audit events today"),
        int(count or 0),
        (
            Item(
                Text("核验审计链并查看明细", "Verify the chain and read the events"),
                None,
                "/console/audit",
            ),
        ),
        link=("/console/audit", Text("全部事件", "All events")),
    )


@card(Role.SERVICE_REP, order=5)
def service_desk(session: Session, clock: Clock, principal: Principal) -> Card:
    """A service rep's way in until the service desk brings its own tasks (it registers a card)."""
    return Card(
        "service",
        Text("客户查询", "Customer enquiries"),
        None,
        (
            Item(
                Text("按名称或统一社会信用代码查找客户", "Find a customer by name or USCC"),
                None,
                "/console/enterprises",
            ),
        ),
        link=("/console/enterprises", Text("客户查询", "Look a customer up")),
    )


@card(*Role, order=90)
def day_numbers(session: Session, clock: Clock, principal: Principal) -> Card | None:
    """Today's applications and decisions, and the book (the cockpit's definitions)."""
    if principal.role == Role.BORROWER:
        return None
    mine = principal.user_id if principal.role == Role.CUSTOMER_MANAGER else None
    scope = book.Scope(manager_id=mine)
    start = shanghai_midnight_utc(business_date(clock))
    apps_today = session.scalar(
        select(func.count())
        .select_from(Application)
        .where(*book.in_scope(scope), Application.created_at >= start)
    )
    final = Decision.kind.in_((DecisionKind.AUTOMATED.value, DecisionKind.MANUAL.value))
    approved, declined = session.execute(
        select(
            func.count().filter(Decision.outcome == DecisionOutcome.APPROVE.value),
            func.count().filter(Decision.outcome == DecisionOutcome.DECLINE.value),
        )
        .join(Application, Application.id == Decision.application_id)
        .where(*book.in_scope(scope), final, Decision.decided_at >= start)
    ).one()
    totals = book.book_totals(session, scope)
    link = "/console/portfolio" if principal.role == Role.CUSTOMER_MANAGER else "/console/cockpit"
    return Card(
        "numbers",
        Text("今日数据", "Today's numbers"),
        None,
        (
            Item(Text("今日申请", "Applications today"), Text(str(apps_today), str(apps_today))),
            Item(
                Text("今日批准 / 拒绝", "Approved / declined today"),
                Text(f"{approved} / {declined}", f"{approved} / {declined}"),
            ),
            Item(
                Text("贷款余额", "Outstanding balance"),
                Text(_yuan(totals.balance_fen), _yuan(totals.balance_fen)),
                link,
            ),
            Item(
                Text("逾期金额", "Overdue"),
                Text(_yuan(totals.overdue_fen), _yuan(totals.overdue_fen)),
                link,
                "overdue" if totals.overdue_fen else "",
            ),
        ),
        link=(link, Text("查看明细", "Details")),
        title_hint=Text(*book.DEFINITIONS["balance_fen"]),
    )


def _yuan(fen: int) -> str:
    from puhui.core.money import format_fen

    return format_fen(fen)


# ------------------------------------------------------------------------------- risk (R1)

_LEVELS = (
    ("red", "红色预警", "Red"),
    ("orange", "橙色预警", "Orange"),
    ("yellow", "黄色预警", "Yellow"),
)


@card(Role.RISK_OFFICER, Role.CUSTOMER_MANAGER, order=25)
def warnings_by_level(session: Session, clock: Clock, principal: Principal) -> Card:
    """Open post-loan warnings by level and age (opened within a day, 1–7 days, older), with
    how many are past their SLA — one aggregate query."""
    from puhui.risk.models import OPEN_ALERT_STATUSES, Alert

    now = clock.now()
    day_ago, week_ago = now - timedelta(days=1), now - timedelta(days=7)
    rows = session.execute(
        select(
            Alert.level,
            func.count(),
            func.count().filter(Alert.opened_at >= day_ago),
            func.count().filter(Alert.opened_at < day_ago, Alert.opened_at >= week_ago),
            func.count().filter(Alert.opened_at < week_ago),
            func.count().filter(Alert.sla_due_at < now),
        )
        .where(Alert.status.in_([s.value for s in OPEN_ALERT_STATUSES]))
        .group_by(Alert.level)
    ).all()
    by_level = {r[0]: r[1:] for r in rows}
    items = []
    for code, zh, en in _LEVELS:
        total, fresh, week, older, late = by_level.get(code, (0, 0, 0, 0, 0))
        if not total:
            continue
        items.append(
            Item(
                Text(f"{zh} {total}", f"{en} {total}"),
                Text(
                    f"1 天内 {fresh} · 1–7 天 {week} · 7 天以上 {older} · 超时 {late}",
                    f"<1 day {fresh} · 1–7 days {week} · >7 days {older} · past SLA {late}",
                ),
                "/console/risk",
                "overdue" if late else "",
            )
        )
    return Card(
        "risk_warnings",
        Text("贷后预警", "Post-loan warnings"),
        sum(r[1] for r in rows),
        tuple(items),
        empty=Text("没有未关闭的预警。", "No open warnings."),
        link=("/console/risk", Text("风险工作台", "Risk workbench")),
        title_hint=Text(
            "贷后监测发现、尚未关闭的预警，按级别与发现时长统计；超时指超过该级别的处理时限。",
            "Open warnings from post-loan monitoring by level and age; past SLA: beyond the "
            "level's deadline.",
        ),
    )


_METRIC = {
    "score_psi": Text("评分分布偏移 PSI", "Score shift (PSI)"),
    "csi": Text("特征偏移 CSI", "Feature shift (CSI)"),
    "calibration": Text("校准偏差", "Calibration off"),
    "override_rate": Text("人工推翻率", "Override rate"),
}


@card(Role.RISK_OFFICER, Role.AUDITOR, order=22)
def model_alerts(session: Session, clock: Clock, principal: Principal) -> Card:
    """Open model-monitoring alerts (issue 22, item 6)."""
    from puhui.decisioning.model_ops_models import AlertStatus, ModelAlert

    open_ = ModelAlert.status == AlertStatus.OPEN.value
    total = session.scalar(select(func.count()).select_from(ModelAlert).where(open_)) or 0
    rows = session.scalars(
        select(ModelAlert).where(open_).order_by(ModelAlert.created_at.desc()).limit(SHOWN)
    ).all()
    items = []
    for a in rows:
        what = _METRIC.get(a.metric, Text(a.metric, a.metric))
        subject = f" · {a.subject}" if a.subject else ""
        items.append(
            Item(
                Text(f"{a.model_id} {a.model_version} · {a.month}：{what.zh}{subject}",
                     f"{a.model_id} {a.model_version} · {a.month}: {what.en}{subject}"),
                Text(f"{a.value:.3f}（阈值 {a.threshold:g}）", f"{a.value:.3f} (threshold "
                     f"{a.threshold:g})"),
                "/console/models#alerts",
                "overdue" if a.severity == "alert" else "due-soon",
            )
        )  # fmt: skip
    return Card(
        "model_alerts",
        Text("模型监控预警", "Model monitoring alerts"),
        int(total),
        tuple(items),
        Text("没有未处理的模型预警。", "No open model alert."),
        ("/console/models", Text("模型监控与重训", "Monitoring and retraining")),
    )


@card(Role.SERVICE_REP, Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, order=35)
def collections_queue(session: Session, clock: Clock, principal: Principal) -> Card:
    """Open collection cases for the principal's role (risk/collections.py), worst first."""
    mine = CollectionCase.status != "closed"
    if principal.role != Role.ADMIN:
        mine = mine & (CollectionCase.assignee_role == principal.role.value)
    rows = session.execute(
        select(CollectionCase.id, CollectionCase.loan_reference, CollectionCase.bucket,
               CollectionCase.dpd, CollectionCase.enterprise_name)
        .where(mine)
        .order_by(CollectionCase.dpd.desc(), CollectionCase.id)
        .limit(SHOWN)
    ).all()  # fmt: skip
    total = session.scalar(select(func.count()).select_from(CollectionCase).where(mine))
    items = tuple(
        Item(
            Text(name, name),
            Text(f"{ref} · {bucket} · 逾期 {dpd} 天", f"{ref} · {bucket} · {dpd} days past due"),
            f"/console/collections/{case_id}",
            "overdue",
        )
        for case_id, ref, bucket, dpd, name in rows
    )
    return Card(
        "collections",
        Text("催收任务", "Collections"),
        int(total or 0),
        items,
        Text("没有待催收的贷款。", "No loan to collect."),
        ("/console/collections", Text("催收队列", "Collections queue")),
    )


# engagement's cards (issue 18) register themselves on import
from puhui.reporting import engagement as _engagement  # noqa: E402, F401
