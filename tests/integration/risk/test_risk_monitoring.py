"""Post-loan monitoring (issue 14, item 1): never a pull without a live post_loan_monitoring
consent (the enterprise is listed unmonitored), pulls through the data hub with the snapshots'
lineage, a warning raises alerts and the red level freezes the line; re-running a date changes
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.decisioning.decisioning_world import register
from tests.integration.lending.lending_factories import at, draw, make_line

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.consents.service import Bundle
from puhui.core.clock import business_date
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import build_connectors
from puhui.lending import service as lending
from puhui.lending.models import Loan
from puhui.risk import actions, alerts, monitoring
from puhui.risk.models import MonitoredEnterprise, Observation


def _env(runtime: Runtime) -> monitoring.MonitorEnv:
    return monitoring.MonitorEnv(build_connectors(), runtime.cipher)


def _grant(session: Session, runtime: Runtime, enterprise_id: object) -> None:
    consents_service.grant_bundles(
        session,
        runtime.clock,
        enterprise_id,  # type: ignore[arg-type]
        [Bundle(monitoring.SOURCES)],
        Purpose.POST_LOAN_MONITORING,
        valid_days=365,
    )


def test_monitoring_pulls_only_under_a_live_consent_and_says_so(
    session: Session, runtime: Runtime
) -> None:
    clock = runtime.clock
    firm = register(session, runtime, 5, with_rep=False)
    assert firm.enterprise_id is not None
    ent_id = firm.enterprise_id
    make_line(session, clock, ent_id)  # type: ignore[arg-type]
    day = business_date(clock)
    env = _env(runtime)

    out = monitoring.monitor_enterprise(session, clock, env, ent_id, day)
    assert out.status == "unmonitored"
    state = session.scalars(select(MonitoredEnterprise)).one()
    assert (state.status, state.reason) == ("unmonitored", "no_consent")
    assert datahub_service.count_snapshots(session, [ent_id]) == {}  # nothing was asked
    # a credit-decision consent is not a monitoring consent
    consents_service.grant_bundles(
        session, clock, ent_id, [Bundle(monitoring.SOURCES)], Purpose.CREDIT_DECISION
    )
    assert monitoring.monitor_enterprise(session, clock, env, ent_id, day).status == "unmonitored"

    _grant(session, runtime, ent_id)
    out = monitoring.monitor_enterprise(session, clock, env, ent_id, day)
    assert out.status == "pulled"
    observation = session.scalars(select(Observation)).one()
    assert len(observation.snapshot_ids) == len(monitoring.SOURCES)  # the lineage
    assert observation.rules_version == 1 and observation.values  # the inputs behind signals
    assert state.status == "monitored" and state.consent_expires_at is not None
    assert state.next_due_date is not None and state.next_due_date > day
    # again the same day, or before it is due: nothing new
    assert monitoring.monitor_enterprise(session, clock, env, ent_id, day).status == "not_due"
    assert session.scalar(select(func.count()).select_from(Observation)) == 1


def test_a_red_warning_opens_alerts_freezes_the_line_and_a_rerun_changes_nothing(
    session: Session, runtime: Runtime
) -> None:
    clock = runtime.clock
    firm = register(session, runtime, 6, with_rep=False)
    ent_id = firm.enterprise_id
    assert ent_id is not None
    line = make_line(session, clock, ent_id)
    loan = draw(session, clock, line.id, 2_000_000)
    _grant(session, runtime, ent_id)
    session.get(Loan, loan.id).dpd = 45  # type: ignore[union-attr]  # as the end of day sets it
    session.commit()

    result = monitoring.run_monitor(
        runtime.session_factory, clock, _env(runtime), business_date(clock)
    )
    assert result.steps[0].totals.get("pulled") == 1 and result.steps[0].totals.get("red") == 1
    session.expire_all()
    opened = alerts.list_alerts(session, enterprise_id=ent_id)
    assert "W_DPD_30" in {a.signal_code for a in opened}
    assert all(a.level in {"red", "orange", "yellow"} for a in opened)
    assert lending.get_line(session, line.id).status == "frozen"
    assert actions.watch_entry(session, ent_id) is not None
    refusal = lending.drawdown_refusal(session, lending.get_line(session, line.id),
                                       business_date(clock))  # fmt: skip
    assert refusal is not None and refusal.code == "credit_line_frozen"

    again = monitoring.run_monitor(
        runtime.session_factory, clock, _env(runtime), business_date(clock)
    )
    assert again.already_completed
    # a week later (watch-listed: weekly) the same signal refreshes its alert, no new one
    at(clock, business_date(clock) + timedelta(days=7))
    monitoring.run_monitor(runtime.session_factory, clock, _env(runtime), business_date(clock))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Observation)) == 2
    assert len(alerts.list_alerts(session, enterprise_id=ent_id)) == len(opened)


def test_the_application_collects_the_post_loan_consent_with_its_own_expiry(
    session: Session, runtime: Runtime, client: Any, headers_for: Any
) -> None:
    from tests.integration.decisioning.decisioning_world import application_body

    firm = register(session, runtime, 9)
    body = application_body(firm, consent={"agree": True, "post_loan_monitoring": True})
    r = client.post(
        "/api/v1/applications",
        json=body,
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Idempotency-Key": "pl-1"},
    )
    assert r.status_code == 201, r.text
    now = runtime.clock.now()
    live = consents_service.live_consents(
        session, now, firm.enterprise_id, monitoring.SOURCES, Purpose.POST_LOAN_MONITORING
    )  # type: ignore[arg-type]
    assert set(live) == set(monitoring.SOURCES)
    assert all((c.expires_at - now).days >= 3 * 365 - 1 for c in live.values())
    credit = consents_service.live_consents(
        session, now, firm.enterprise_id, monitoring.SOURCES, Purpose.CREDIT_DECISION
    )  # type: ignore[arg-type]
    assert all(c.expires_at < min(x.expires_at for x in live.values()) for c in credit.values())


def test_a_warned_member_of_the_related_party_group_is_a_signal(
    session: Session, runtime: Runtime
) -> None:
    from tests.integration.lending.lending_factories import make_enterprise

    from puhui.parties import service as parties
    from puhui.parties.models import RelationKind
    from puhui.parties.schemas import RelationshipCreate
    from puhui.risk.models import Level

    clock = runtime.clock
    firm = register(session, runtime, 7)  # with its legal representative
    assert firm.enterprise_id is not None and firm.person_id is not None
    make_line(session, clock, firm.enterprise_id)
    sister = make_enterprise(session, clock, "同一法定代表人的关联企业")
    parties.add_relationship(
        session, clock, sister.id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=firm.person_id),
    )  # fmt: skip
    alerts.raise_alert(
        session, clock, enterprise_id=sister.id, signal_code="W_DISHONEST", level=Level.RED,
        reasons=[], evidence={}, day=business_date(clock),
    )  # fmt: skip
    _grant(session, runtime, firm.enterprise_id)
    out = monitoring.monitor_enterprise(
        session, clock, _env(runtime), firm.enterprise_id, business_date(clock)
    )
    assert out.status == "pulled"
    obs = monitoring.observations_of(session, firm.enterprise_id)[0]
    assert obs.values["group_member_warned"] is True
    assert "group_member_warned" in {h["code"] for h in obs.hits}
    assert firm.enterprise_id in monitoring.exposed_enterprise_ids(session)


def test_the_end_of_day_runs_the_monitoring_before_its_gate(
    session: Session, runtime: Runtime
) -> None:
    """`puhui eod run` carries risk's monitoring step (registered by the root CLI): the staggered
    pulls run inside the end of day's recorded job, just before the reconciliation gate."""
    import puhui.cli  # noqa: F401 -- mounts the sub-commands and registers the step
    from puhui.jobs.runner import run_job
    from puhui.lending import eod
    from puhui.lending.cli import run_steps

    clock = runtime.clock
    firm = register(session, runtime, 7, with_rep=False)
    ent_id = firm.enterprise_id
    assert ent_id is not None
    make_line(session, clock, ent_id)
    session.commit()
    day = business_date(clock)

    steps = run_steps(runtime, day, batch_size=100)
    names = [step.name for step in steps]
    assert names[-2:] == ["monitor", "reconciliation_gate"]
    result = run_job(runtime.session_factory, clock, eod.JOB_NAME, day, steps)
    monitor_step = next(s for s in result.steps if s.name == "monitor")
    assert monitor_step.totals.get("unmonitored") == 1  # no consent: listed, never pulled
    session.expire_all()
    state = session.scalars(select(MonitoredEnterprise)).one()
    assert (state.status, state.reason) == ("unmonitored", "no_consent")
