"""The demo: a fresh SQLite database with demo staff for every role and a living portfolio.

Enterprises of the synthetic world (the sandbox answers for them) apply through customer
managers' QR codes and are decided by the real decision service over the last weeks (on a
fixed clock); some offers are signed (contract + SMS code from the outbox), drawn, repaid, and
end of day runs for every business day up to yesterday. Two core enterprises issue supply-chain
receivables to demo firms on the way (:mod:`puhui.demo.receivables`). A few world firms are left
untouched so that an applicant can start the journey at /m/start with a QR code.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyotp

from puhui.core import auth, mfa, outbox
from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date
from puhui.core.db import unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.models import Role, User
from puhui.core.runtime import build_runtime
from puhui.identity import service as identity
from puhui.parties import service as parties
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

DEMO_PASSWORD = "Puhui-demo-2026"
DEMO_BORROWER_MOBILE = "13800138000"  # 陈示例, legal representative of the demo enterprise

DEMO_STAFF = [
    (Role.ADMIN, "admin", "系统管理员", "总行营业部"),
    (Role.CUSTOMER_MANAGER, "manager", "张经理", "杭州分行"),
    (Role.CUSTOMER_MANAGER, "manager2", "周经理", "宁波分行"),
    (Role.CREDIT_OFFICER, "officer", "李审批", "总行营业部"),
    (Role.CREDIT_OFFICER, "officer2", "王审批", "总行营业部"),
    (Role.RISK_OFFICER, "risk", "赵风控", "总行营业部"),
    (Role.RISK_OFFICER, "risk2", "吴风控", "总行营业部"),
    (Role.SERVICE_REP, "service", "钱客服", "总行营业部"),
    (Role.AUDITOR, "auditor", "孙审计", "总行营业部"),
]

# World firms the demo never applies for: the journey of a new applicant (/m/start) uses them.
RESERVED_FIRMS = 13
SHOWN_FIRMS = 6  # printed by `puhui demo`; `puhui demo firms` lists the ones still unused
HISTORY_DAYS = 30
PRODUCT = "weiyedai"
MAX_SIGNED = 8  # each contract renders a PDF with an embedded CJK font (about 1.5 s)


@dataclass(frozen=True)
class JourneyFirm:
    """A world firm the applicant can apply for (USCC, legal representative)."""

    uscc: str
    name: str
    rep_name: str
    resident_id: str
    mobile: str = ""  # the representative's registered mobile: sign in with it (three-factor)


def journey_firms(limit: int = RESERVED_FIRMS) -> list[JourneyFirm]:
    """The reserved firms of the default sandbox world (last non-large firms of the world)."""
    from puhui.datahub.sandbox import default_provider

    world = default_provider().world
    ent = world.enterprises
    found: list[JourneyFirm] = []
    for i in range(world.n_enterprises - 1, -1, -1):
        if ent["size_class"][i] == "large" or ent["status"][i] != ent["status"][0]:
            continue
        rep = world.people.row(int(ent["legal_rep_person_id"][i]), named=True)
        found.append(
            JourneyFirm(
                uscc=str(ent["uscc"][i]),
                name=str(ent["name"][i]),
                rep_name=str(rep["name"]),
                resident_id=str(rep["resident_id"]),
                mobile=str(rep["mobile"]),
            )
        )
        if len(found) >= limit:
            break
    return found


def unused_journey_firms(session: Any) -> list[JourneyFirm]:
    """The reserved firms not yet registered (nobody has applied for them)."""
    return [f for f in journey_firms() if parties.find_enterprise(session, f.uscc) is None]


def _principal(user: User) -> Principal:
    return auth.principal_of(user)


def _system(users: dict[str, uuid.UUID], session: Any) -> Principal:
    admin = session.get(User, users["admin"])
    assert admin is not None
    return _principal(admin)


def _code_from_outbox(session: Any, cipher: Any, message_id: uuid.UUID) -> str:
    row = outbox.get_message(session, message_id)
    assert row is not None
    match = re.search(r"(\d{6})", outbox.read_body(cipher, row))
    assert match is not None
    return match.group(1)


def build_demo(
    db_path: Path, *, enterprises: int = 300, seed: int = 20261123
) -> list[tuple[str, str, str, str]]:
    """The demo database; returns the logins (role, username, password, TOTP key). The demo's
    staff are enrolled in the second factor with a fresh random key each build, printed by
    `puhui demo` (labelled demo): add it to an authenticator app, or run
    `puhui users totp-code <username>` (refused in production)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    rt = build_runtime()
    upgrade(rt.settings.database_url)
    logins: list[tuple[str, str, str, str]] = []
    users: dict[str, uuid.UUID] = {}
    with unit_of_work(rt.session_factory) as session:
        for role, username, name, branch in DEMO_STAFF:
            user = auth.create_user(
                session,
                rt.clock,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                branch=branch,
            )
            users[username] = user.id
            secret = pyotp.random_base32()
            mfa.enrol_with_secret(session, rt.clock, rt.cipher, user, secret)
            logins.append((role.value, username, DEMO_PASSWORD, secret))
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
            PersonCreate(
                name="陈示例", resident_id="11010519491231002X", mobile=DEMO_BORROWER_MOBILE
            ),
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
        logins.append((Role.BORROWER.value, "borrower", DEMO_PASSWORD, ""))
        # The same enterprise's account on /m, where applicants sign in by SMS code (/m names
        # its accounts by a keyed hash of the mobile, core.auth.mobile_username): the demo
        # borrower's way in on a phone.
        phone_user = auth.create_user(
            session,
            rt.clock,
            username=auth.mobile_username(rt.cipher, DEMO_BORROWER_MOBILE),
            password=secrets.token_urlsafe(24) + "a1",
            role=Role.BORROWER,
            display_name="陈示例",
            enterprise_ids=[ent.id],
        )
        phone_user.mobile_enc = rt.cipher.encrypt(DEMO_BORROWER_MOBILE, "core_user.mobile")
        logins.append(
            ("borrower (/m)", DEMO_BORROWER_MOBILE, "短信验证码 SMS code (on screen)", "")
        )
    if enterprises > 0:
        _portfolio(rt, users, enterprises, seed)
        from puhui.demo import engagement as demo_engagement  # issue 18

        firms = journey_firms()
        demo_engagement.build(rt, ent.id, [firms[i] for i in demo_engagement.DEALER_FIRMS])
        print("沙箱企业，可在 /m/start 申请 · Sandbox enterprises to apply with at /m/start:")
        for firm in journey_firms(SHOWN_FIRMS):
            print(f"  {firm.uscc}  {firm.name}  {firm.rep_name}  {firm.resident_id}  {firm.mobile}")
        print(f"  … {RESERVED_FIRMS} in all; `uv run puhui demo firms` lists the unused ones")
    rt.engine.dispose()
    return logins


def _portfolio(rt: Any, users: dict[str, uuid.UUID], count: int, seed: int) -> None:
    """Applications over the last HISTORY_DAYS days, offers signed and drawn, end of day."""
    import random

    from puhui.datahub.sandbox import default_provider

    rng = random.Random(seed)
    world = default_provider().world
    env = _decision_env(rt)
    now = rt.clock.now().replace(microsecond=0)
    start = now - timedelta(days=HISTORY_DAYS)
    clock = FixedClock(start)
    candidates = _candidates(world, count)
    big = _biggest(world, candidates)
    loans: list[uuid.UUID] = []
    lines: list[uuid.UUID] = []
    max_signed = max(2, min(MAX_SIGNED, count // 6))
    for n, i in enumerate(candidates):
        day_index = n * (HISTORY_DAYS - 5) // len(candidates)  # spread evenly over the days
        clock.set(start + timedelta(days=day_index, hours=1 + n % 8))
        try:
            with unit_of_work(rt.session_factory) as session:
                principal = _acting_manager(session, clock, users, n)
                line_id = _apply(session, clock, env, principal, users, world, i, n, i in big, seed)
                if line_id is None or len(lines) >= max_signed or rng.random() > 0.5:
                    continue
                loans.append(_sign_and_draw(session, clock, rt, principal, line_id, i, rng))
                lines.append(line_id)
        except Exception as exc:  # a demo firm the services refuse is skipped, not fatal
            print(f"demo: skipped firm {i}: {type(exc).__name__}: {exc}")
    _days(rt, users, clock, rng, start, now, loans, lines)


def _decision_env(rt: Any) -> Any:
    from puhui.datahub.connectors import Connectors, SandboxConnector
    from puhui.decisioning import service as decisioning
    from puhui.decisioning.scoring import store_for

    return decisioning.DecisionEnv(
        connectors=Connectors(default=SandboxConnector.default()),
        cipher=rt.cipher,
        models=store_for(rt.settings.resolved_var_dir() / "models"),
    )


def _candidates(world: Any, count: int) -> list[int]:
    """The first `count` world firms the demo applies for: not large, not reserved."""
    ent = world.enterprises
    reserved = {f.uscc for f in journey_firms()}
    return [
        i
        for i in range(world.n_enterprises)
        if ent["size_class"][i] != "large" and str(ent["uscc"][i]) not in reserved
    ][:count]


def _biggest(world: Any, candidates: list[int]) -> set[int]:
    """The eighth of the candidates with the highest declared revenue (at least 3)."""
    ent = world.enterprises
    revenue = {i: int(ent["declared_annual_revenue_fen"][i] or 0) for i in candidates}
    return set(sorted(candidates, key=lambda i: -revenue[i])[: max(3, len(candidates) // 8)])


def _acting_manager(
    session: Any, clock: FixedClock, users: dict[str, uuid.UUID], n: int
) -> Principal:
    """The customer manager of the n-th application (the two take turns), as the audit actor."""
    from puhui.core import audit

    user = session.get(User, [users["manager"], users["manager2"]][n % 2])
    assert user is not None
    principal = _principal(user)
    audit.set_clock(session, clock)
    audit.set_actor(session, audit.Actor(user.id, user.username, user.role, "127.0.0.1"))
    return principal


def _apply(
    session: Any,
    clock: FixedClock,
    env: Any,
    principal: Principal,
    users: dict[str, uuid.UUID],
    world: Any,
    i: int,
    n: int,
    big: bool,
    seed: int,
) -> uuid.UUID | None:
    """World firm `i` applies through its manager; a third of the referrals go through the
    green channel. Returns the offered credit line, if any."""
    from puhui.decisioning import review
    from puhui.decisioning import service as decisioning
    from puhui.decisioning.schemas import (
        ApplicationCreate,
        AttributionIn,
        ConsentIn,
        LegalRepresentativeIn,
    )

    row = world.enterprises.row(i, named=True)
    rep = world.people.row(int(row["legal_rep_person_id"]), named=True)
    requested = int(row["requested_amount_fen"] or 30_000_000)
    requested = max(5_000_000, min(requested, 300_000_000))
    product = PRODUCT
    if big:  # a business loan above the automatic authority: the review queue
        product, requested = "jingyingdai", 900_000_000
    # The legal representative signs in with their own mobile: carrier three-factor through the
    # sandbox provider (the world's registered mobiles) before the personal-data consent counts.
    identity.ensure_three_factor(
        session,
        clock,
        env.cipher,
        _sandbox_identity(),
        name=rep["name"],
        resident_id=rep["resident_id"],
        mobile=rep["mobile"],
    )
    out = decisioning.apply(
        session,
        clock,
        env,
        principal,
        ApplicationCreate(
            uscc=row["uscc"],
            product_code=product,
            requested_amount_fen=requested,
            declared_annual_revenue_fen=row["declared_annual_revenue_fen"],
            legal_representative=LegalRepresentativeIn(
                name=rep["name"], resident_id=rep["resident_id"], mobile=rep["mobile"]
            ),
            attribution=AttributionIn(manager_user_id=principal.user_id),
            consent=ConsentIn(agree=True),
        ),
        idempotency_key=f"demo-{seed}-{i}",
    )
    if out.review_id is not None and n % 3 == 0:
        risk = session.get(User, users["risk"])
        assert risk is not None
        review.green_channel(session, clock, _principal(risk), out.review_id, "核心客户，优先审批")
    return out.credit_line_id


DEMO_CAPTURE = b"\x1a\x45\xdf\xa3" + b"puhui-demo-sandbox-capture" * 200


@lru_cache(maxsize=1)
def _sandbox_identity() -> Any:
    from puhui.datahub.identity_world import world_directory
    from puhui.identity.adapters import SandboxIdentityProvider

    return SandboxIdentityProvider(world_directory())


def _sign_and_draw(
    session: Any,
    clock: FixedClock,
    rt: Any,
    principal: Principal,
    line_id: uuid.UUID,
    i: int,
    rng: Any,
) -> uuid.UUID:
    """Sign the offer's contract (the code read from the outbox) and draw 20-40 % of the limit.
    Returns the loan."""
    from puhui.lending import service as lending
    from puhui.lending.contracts import service as contracts

    contract, _ = contracts.create_contract(session, clock, principal, line_id)
    # The first credit needs a face check: the demo passes one through the sandbox provider with
    # a synthetic recording (a WebM header and filler; the sandbox scores no face, see
    # identity.adapters), which is purged after the retention period like any capture.
    identity.verify_face(
        session,
        clock,
        rt.cipher,
        _sandbox_identity(),
        person_id=contract.legal_rep_person_id,
        video=DEMO_CAPTURE,
        content_type="video/webm",
        retention=timedelta(days=30),
    )
    sent = contracts.send_for_signature(session, clock, rt.cipher, principal, contract.id)
    code = _code_from_outbox(session, rt.cipher, sent.message_id)
    contracts.sign(session, clock, rt.cipher, principal, contract.id, code, ip="127.0.0.1")
    line = lending.get_line(session, line_id)
    amount = max(1_000_000, (line.limit_fen * rng.randint(2, 4) // 10) // 100 * 100)
    drawn = lending.draw(session, clock, line_id, amount, idempotency_key=f"demo-draw-{i}")
    return drawn.loan_id


def _days(
    rt: Any,
    users: dict[str, uuid.UUID],
    clock: FixedClock,
    rng: Any,
    start: datetime,
    now: datetime,
    loans: list[uuid.UUID],
    lines: list[uuid.UUID],
) -> None:
    """End of day for every business day up to yesterday; a few borrowers draw or prepay on the
    way. The supply chain's operations come in the morning, its day job after the end of day."""
    from puhui.demo.receivables import SupplyChain
    from puhui.lending import service as lending
    from puhui.risk import collections

    chain = SupplyChain(rt, users, list(lines))
    first = business_date(FixedClock(start))
    last = business_date(FixedClock(now)) - timedelta(days=1)
    day = first
    while day <= last:
        chain.morning(day)
        clock.set(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10))
        with unit_of_work(rt.session_factory) as session:
            if lines and rng.random() < 0.5:
                _draw_some(session, clock, rng, lines, loans, day)
            if loans and rng.random() < 0.4:
                _prepay_some(session, clock, rng, users, loans, day)
            clock.set(datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=15))
            lending.simulate_day(session, clock, day)
            collections.run_day(session, clock, rt.cipher, day)  # the queue, reminders
        chain.evening(day)
        day += timedelta(days=1)


def _draw_some(
    session: Any,
    clock: FixedClock,
    rng: Any,
    lines: list[uuid.UUID],
    loans: list[uuid.UUID],
    day: date,
) -> None:
    from puhui.lending import service as lending

    line_id = lines[rng.randrange(len(lines))]
    try:
        with session.begin_nested():
            drawn = lending.draw(
                session,
                clock,
                line_id,
                rng.randint(5, 20) * 1_000_000,
                idempotency_key=f"demo-draw-{line_id}-{day}",
            )
            loans.append(drawn.loan_id)
    except Exception as exc:
        _ = exc  # the line is used up: no drawdown that day


def _prepay_some(
    session: Any,
    clock: FixedClock,
    rng: Any,
    users: dict[str, uuid.UUID],
    loans: list[uuid.UUID],
    day: date,
) -> None:
    from puhui.lending import service as lending

    loan_id = loans[rng.randrange(len(loans))]
    try:
        with session.begin_nested():
            loan = lending.get_loan_for(session, _system(users, session), loan_id)
            share = rng.randint(10, 40)  # percent of the outstanding principal
            amount = loan.principal_outstanding_fen * share // 100 // 100 * 100
            lending.repay(
                session,
                clock,
                loan_id,
                max(amount, 100_000),
                idempotency_key=f"demo-repay-{loan_id}-{day}",
                kind="prepayment",
            )
    except Exception as exc:
        print(f"demo: repayment skipped: {type(exc).__name__}")
