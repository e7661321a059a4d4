"""The demo: a fresh SQLite database with demo staff for every role and a few enterprises."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from puhui.core import auth
from puhui.core.db import unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.models import Role
from puhui.core.runtime import build_runtime
from puhui.parties import service as parties
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

DEMO_PASSWORD = "Puhui-demo-2026"

DEMO_STAFF = [
    (Role.ADMIN, "admin", "系统管理员"),
    (Role.CUSTOMER_MANAGER, "manager", "张经理"),
    (Role.CREDIT_OFFICER, "officer", "李审批"),
    (Role.CREDIT_OFFICER, "officer2", "王审批"),
    (Role.RISK_OFFICER, "risk", "赵风控"),
    (Role.SERVICE_REP, "service", "钱客服"),
    (Role.AUDITOR, "auditor", "孙审计"),
]


def build_demo(
    db_path: Path, *, enterprises: int = 300, seed: int = 20261123
) -> list[tuple[str, str, str]]:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    rt = build_runtime()
    upgrade(rt.settings.database_url)
    logins: list[tuple[str, str, str]] = []
    with unit_of_work(rt.session_factory) as session:
        for role, username, name in DEMO_STAFF:
            auth.create_user(
                session,
                rt.clock,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                branch="总行营业部",
            )
            logins.append((role.value, username, DEMO_PASSWORD))
        ent = parties.create_enterprise(
            session,
            rt.clock,
            EnterpriseCreate(
                name="杭州示例精密机械有限公司",
                uscc="91330100799655058B",
                industry_section="C",
                region_code="330100",
                region_name="浙江省杭州市",
                registered_capital_fen=500_000_000,
                established_date=date(2015, 6, 1),
                size_class="small",
            ),
        )
        person = parties.create_person(
            session,
            rt.clock,
            rt.cipher,
            PersonCreate(name="陈示例", resident_id="11010519491231002X", mobile="13800138000"),
        )
        parties.add_relationship(
            session,
            rt.clock,
            ent.id,
            RelationshipCreate(kind="legal_representative", person_id=person.id),
        )
        auth.create_user(
            session,
            rt.clock,
            username="borrower",
            password=DEMO_PASSWORD,
            role=Role.BORROWER,
            display_name="陈示例",
            enterprise_ids=[ent.id],
        )
        logins.append((Role.BORROWER.value, "borrower", DEMO_PASSWORD))
    rt.engine.dispose()
    return logins
