"""The lending simulation with post-loan risk (issue 14): monitoring pulls under consent,
warnings raising alerts (red ones freezing the lines automatically), alerts worked through
their lifecycle, actions proposed and approved by two people — among the lending steps of
`test_lending_simulation` (drawdowns, repayments, days with the end of day ...).

After every step, besides the books (`assert_books`): at most one open alert per enterprise
and signal; a resolved alert has its disposition and freed its key; a frozen line and a line
with a loan past due refuse drawdowns (and a drawdown on them is refused); the enterprise
without a post-loan consent was never pulled; every observation's snapshots exist. On a
failure the message names the seed, the step and the action.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.decisioning.decisioning_world import register
from tests.integration.lending.lending_factories import assert_books, make_line
from tests.simulation.test_lending_simulation import LINES, World

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.consents.service import Bundle
from puhui.core.auth import principal_of
from puhui.core.clock import business_date
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import build_connectors
from puhui.lending import service as lending
from puhui.lending.models import CreditLine, LineStatus
from puhui.risk import actions, alerts, monitoring
from puhui.risk.models import Alert, AlertStatus, Disposition, Level, Observation

SEEDS = [5, 17]
STEPS = {"sqlite": 300, "postgresql": 100}
FIRMS = (11, 12)  # world firms: the first consents to monitoring, the second does not
SIGNALS = ("W_LAWSUIT", "W_ENFORCEMENT", "W_DPD", "W_SALES_DROP")


class RiskWorld(World):
    def __init__(self, session: Session, runtime: Runtime, rng: random.Random) -> None:
        self.session, self.clock, self.rng = session, runtime.clock, rng  # type: ignore[assignment]
        firms = [register(session, runtime, i, with_rep=False) for i in FIRMS]
        self.enterprises = [f.enterprise_id for f in firms]  # type: ignore[misc]
        self.lines: list[uuid.UUID] = []
        for ent, spec in zip(self.enterprises, (LINES[0], LINES[1]), strict=True):
            code, method, term, limit = spec
            self.lines.append(
                make_line(session, self.clock, ent, product_code=code, limit_fen=limit,  # type: ignore[arg-type]
                          rate_bp=435, term_months=term, method=method, expiry_days=400).id
            )  # fmt: skip
        consents_service.grant_bundles(
            session, self.clock, self.enterprises[0], [Bundle(monitoring.SOURCES)],  # type: ignore[arg-type]
            Purpose.POST_LOAN_MONITORING, valid_days=365,
        )  # fmt: skip
        self.env = monitoring.MonitorEnv(build_connectors(), runtime.cipher)
        self.maker = principal_of(make_user(session, runtime, Role.CUSTOMER_MANAGER))
        self.checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
        self.counts: Counter[str] = Counter()
        self.cpu_ms: Counter[str] = Counter()

    # --- risk actions ----------------------------------------------------------------------

    def monitor(self) -> str:
        ent = self.rng.choice(self.enterprises)
        out = monitoring.monitor_enterprise(
            self.session, self.clock, self.env, ent, business_date(self.clock)
        )
        return out.status

    def warn(self) -> None:
        ent = self.rng.choice(self.enterprises)
        level = self.rng.choice(list(Level))
        alert, _ = alerts.raise_alert(
            self.session, self.clock, enterprise_id=ent, signal_code=self.rng.choice(SIGNALS),
            level=level, reasons=[{"code": "W_SIM", "zh": "模拟预警", "en": "Simulated"}],
            evidence={}, day=business_date(self.clock),
        )  # fmt: skip
        if level is Level.RED:
            actions.act_automatically(
                self.session, self.clock, enterprise_id=ent,
                kinds=monitoring.AUTOMATIC_ACTIONS[Level.RED], reason="红色预警", alert_id=alert.id,
            )  # fmt: skip

    def work(self) -> str | None:
        open_ = alerts.list_alerts(self.session)
        if not open_:
            return "none"
        alert = self.rng.choice(open_)
        step = self.rng.choice(["assign", "investigate", "escalate", "resolve"])
        if step == "assign":
            alerts.assign(self.session, self.clock, alert.id, self.maker.user_id)
        elif step == "investigate":
            alerts.investigate(self.session, self.clock, alert.id, "核查")
        elif step == "escalate":
            alerts.escalate(self.session, self.clock, alert.id, "升级")
        else:
            alerts.resolve(self.session, self.clock, alert.id,
                           self.rng.choice(list(Disposition)), "模拟关闭")  # fmt: skip
        return None

    def act(self) -> None:
        line = self.line(self.rng.choice(self.lines))
        kind = self.rng.choice(["freeze", "unfreeze", "limit_cut", "watch", "unwatch"])
        params = {"new_limit_fen": max(1, line.limit_fen - self.rng.randint(0, 20_000_000))}
        action = actions.propose(
            self.session, self.clock, self.maker, enterprise_id=line.enterprise_id, kind=kind,
            reason="模拟措施", line_id=line.id, params=params,
        )  # fmt: skip
        if self.rng.random() < 0.8:
            actions.approve(self.session, self.clock, self.checker, action.id)
        else:
            actions.reject(self.session, self.clock, self.checker, action.id, "不同意")


def check_risk(world: RiskWorld) -> None:
    session = world.session
    dup = session.execute(
        select(Alert.enterprise_id, Alert.signal_code)
        .where(Alert.status != AlertStatus.RESOLVED.value)
        .group_by(Alert.enterprise_id, Alert.signal_code)
        .having(func.count() > 1)
    ).all()
    assert dup == [], f"more than one open alert: {dup}"
    for alert in session.scalars(select(Alert)):
        if alert.status == AlertStatus.RESOLVED.value:
            assert alert.disposition and alert.open_key is None, alert.reference
        else:
            assert alert.open_key == alerts.open_key(alert.enterprise_id, alert.signal_code)
    today = business_date(world.clock)
    for line in session.scalars(select(CreditLine).where(CreditLine.id.in_(world.lines))):
        refusal = lending.drawdown_refusal(session, line, today)
        if line.status == LineStatus.FROZEN:
            assert refusal is not None and refusal.code == "credit_line_frozen", line.reference
        past_due = lending.list_loans(session, line_id=line.id)
        if (
            line.status == LineStatus.ACTIVE
            and line.expiry_date >= today
            and any(loan.status == "active" and loan.dpd > 0 for loan in past_due)
        ):
            assert refusal is not None and refusal.code == "credit_line_overdue", line.reference
    unconsented = world.enterprises[1]
    assert datahub_service.count_snapshots(session, [unconsented]) == {}
    for obs in session.scalars(select(Observation)):
        found = datahub_service.snapshots(session, world.env.cipher,
                                          [uuid.UUID(i) for i in obs.snapshot_ids])  # fmt: skip
        assert len(found) == len(obs.snapshot_ids)


def run(session: Session, runtime: Runtime, seed: int, steps: int) -> Counter[str]:
    rng = random.Random(seed)
    world = RiskWorld(session, runtime, rng)
    plan: list[tuple[Callable[[], str | None], int]] = [
        (world.draw, 12), (world.deposit, 8), (world.spend, 6), (world.repay, 10),
        (world.next_day, 28), (world.monitor, 6), (world.warn, 6), (world.work, 8),
        (world.act, 5),
    ]  # fmt: skip
    funcs, weights = [f for f, _ in plan], [w for _, w in plan]
    for step in range(steps):
        action = rng.choices(funcs, weights)[0]
        name = action.__name__
        try:
            try:
                with session.begin_nested():
                    outcome = action()
                world.counts[f"{name}:{outcome}" if outcome else name] += 1
            except DomainError as refused:
                world.counts[f"{name}:{refused.code}"] += 1
            assert_books(session, full=step % 50 == 0)
            check_risk(world)
            session.expunge_all()
        except Exception as exc:
            raise AssertionError(
                f"risk simulation failed: seed={seed} step={step} action={name} "
                f"business_date={business_date(world.clock)}: {exc!r}"
            ) from exc
    assert_books(session, full=True)
    return world.counts


@pytest.mark.parametrize("seed", SEEDS)
def test_risk_simulation(session: Session, runtime: Runtime, seed: int) -> None:
    steps = STEPS[session.get_bind().dialect.name]
    counts = run(session, runtime, seed, steps)
    print(f"seed {seed}: {dict(sorted(counts.items()))}")
    assert counts["warn"] > 0 and counts["next_day"] > 0
    assert counts["monitor:pulled"] + counts["monitor:not_due"] > 0
    assert counts["monitor:unmonitored"] > 0
    assert any(k.startswith("draw:credit_line_frozen") for k in counts) or counts["act"] > 0
