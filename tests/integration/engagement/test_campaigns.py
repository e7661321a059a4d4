"""Campaigns, servicing notices, conversion and the workbench through the database (SQLite and
PostgreSQL): issue 18 items 3 and 4."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import make_user
from tests.integration.lending.lending_factories import at, draw, make_enterprise, make_line

from puhui.core import outbox
from puhui.core.clock import business_date
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.engagement import campaigns, eod, notices, workbench
from puhui.engagement import service as engagement
from puhui.engagement.campaign_rules import (
    AudienceKind,
    CallOutcome,
    CallTeam,
    CampaignChannel,
    CampaignStatus,
)
from puhui.engagement.errors import CampaignSelfApproval, CampaignStateInvalid
from puhui.engagement.models import CallTask, CampaignTouch
from puhui.parties import service as parties_service
from puhui.parties.schemas import PersonCreate, RelationshipCreate

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(rng: random.Random) -> str:
    head = "110105" + f"{rng.randint(1960, 1999)}0101" + f"{rng.randint(100, 999)}"
    return head + "10X98765432"[sum(int(d) * w for d, w in zip(head, _W, strict=True)) % 11]


def customer(session: Session, runtime: Runtime, name: str, mobile: str) -> uuid.UUID:
    """An enterprise with a legal representative whose registered mobile is ``mobile``."""
    ent = make_enterprise(session, runtime.clock, name)  # type: ignore[arg-type]
    person = parties_service.create_person(
        session, runtime.clock, runtime.cipher,
        PersonCreate(name="王测试", resident_id=resident_id(random.Random(mobile)), mobile=mobile),
    )  # fmt: skip
    parties_service.add_relationship(
        session, runtime.clock, ent.id,
        RelationshipCreate(kind="legal_representative", person_id=person.id),
    )  # fmt: skip
    return ent.id


def _sms_to(session: Session, runtime: Runtime, mobile: str, topic: str) -> int:
    h = runtime.cipher.lookup_hash(mobile, "mobile")
    return int(
        session.scalar(
            select(func.count()).where(
                OutboxMessage.recipient_hash == h, OutboxMessage.topic == topic
            )
        )
        or 0
    )


def _campaign(
    session: Session,
    runtime: Runtime,
    maker: uuid.UUID,
    checker: uuid.UUID,
    channel: CampaignChannel = CampaignChannel.SMS,
) -> uuid.UUID:
    draft = campaigns.CampaignDraft(
        name="新开户关怀", audience_kind=AudienceKind.SEGMENT, audience={"segment": "new_account"},
        channel=channel, template="{name}您好，欢迎办理线上经营贷，详情 {link}",
        scheduled_at=runtime.clock.now(), call_script="介绍产品", call_team=CallTeam.REMOTE,
    )  # fmt: skip
    campaign = campaigns.create_draft(session, runtime.clock, maker, draft)
    campaigns.approve(session, runtime.clock, campaign.id, checker)
    session.commit()
    return campaign.id


@pytest.fixture
def people(session: Session, runtime: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    maker = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    checker = make_user(session, runtime, Role.RISK_OFFICER)
    return maker.id, checker.id


def test_draft_approved_sent_with_a_cap_and_an_opt_out_between_two_sends(
    session: Session,
    runtime: Runtime,
    bound: sessionmaker[Session],
    people: tuple[uuid.UUID, uuid.UUID],
) -> None:
    clock, cipher = runtime.clock, runtime.cipher
    maker, checker = people
    a = customer(session, runtime, "甲贸易有限公司", "13700000001")
    b = customer(session, runtime, "乙贸易有限公司", "13700000002")
    engagement.run_segments(session, clock, business_date(clock))
    draft = campaigns.create_draft(
        session, clock, maker,
        campaigns.CampaignDraft(
            name="x", audience_kind=AudienceKind.SEGMENT, audience={"segment": "new_account"},
            channel=CampaignChannel.SMS, template="{name} {link}", scheduled_at=clock.now(),
        ),
    )  # fmt: skip
    with pytest.raises(CampaignSelfApproval):  # maker-checker
        campaigns.approve(session, clock, draft.id, maker)
    with pytest.raises(CampaignStateInvalid):  # a draft is never sent
        campaigns.check_sendable(session, clock, draft.id)
    campaigns.cancel(session, clock, draft.id)
    session.commit()

    first = _campaign(session, runtime, maker, checker)
    result = campaigns.run_send(bound, clock, cipher, first, cap=2)  # type: ignore[arg-type]
    assert result.steps[0].totals == {"sent": 2}
    assert _sms_to(session, runtime, "13700000001", campaigns.SMS_TOPIC) == 1
    session.expire_all()
    assert campaigns.get_campaign(session, first).status == CampaignStatus.SENT
    again = campaigns.run_send  # sending a sent campaign again is refused
    with pytest.raises(CampaignStateInvalid):
        again(bound, clock, cipher, first, cap=2)  # type: ignore[arg-type]

    # between the two sends, 甲 opts out of marketing: the second campaign skips it
    engagement.opt_out_of_marketing(session, clock, [a], None, "m")
    session.commit()
    clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    second = _campaign(session, runtime, maker, checker)
    result = campaigns.run_send(bound, clock, cipher, second, cap=2)  # type: ignore[arg-type]
    assert result.steps[0].totals == {"sent": 1, "opted_out": 1}
    assert _sms_to(session, runtime, "13700000001", campaigns.SMS_TOPIC) == 1
    assert _sms_to(session, runtime, "13700000002", campaigns.SMS_TOPIC) == 2

    # 乙 has had two marketing touches in 30 days: the third campaign (in-app) is capped
    third = _campaign(session, runtime, maker, checker, CampaignChannel.IN_APP)
    result = campaigns.run_send(bound, clock, cipher, third, cap=2)  # type: ignore[arg-type]
    assert result.steps[0].totals == {"opted_out": 1, "capped": 1}
    assert campaigns.inbox(session, [b]) == []
    # 31 days later the window has moved on
    clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
    fourth = _campaign(session, runtime, maker, checker, CampaignChannel.IN_APP)
    campaigns.run_send(bound, clock, cipher, fourth, cap=2)  # type: ignore[arg-type]
    assert [m.kind for m in campaigns.inbox(session, [b])] == ["marketing"]


def test_servicing_notices_still_reach_an_opted_out_enterprise(
    session: Session, runtime: Runtime
) -> None:
    clock = runtime.clock
    ent = customer(session, runtime, "丙制造有限公司", "13700000003")
    engagement.opt_out_of_marketing(session, clock, [ent], None, "m")
    body = "您的借据 DRW-1 将于 12月10日 到期应还 1,000.00 元。"
    for _ in range(2):  # once per key
        notices.send_notice(session, clock, runtime.cipher, enterprise_id=ent,
                            kind=notices.NoticeKind.REPAYMENT_DUE, key="repay:DRW-1:T-3",
                            body=body)  # fmt: skip
    assert _sms_to(session, runtime, "13700000003", notices.SMS_TOPIC) == 1
    assert [(m.kind, m.body) for m in campaigns.inbox(session, [ent])] == [("servicing", body)]


def test_quiet_hours_defer_and_an_opt_out_before_the_morning_stops_it(
    session: Session,
    runtime: Runtime,
    bound: sessionmaker[Session],
    people: tuple[uuid.UUID, uuid.UUID],
) -> None:
    clock, cipher = runtime.clock, runtime.cipher
    a = customer(session, runtime, "丁贸易有限公司", "13700000004")
    customer(session, runtime, "戊贸易有限公司", "13700000005")
    day = business_date(clock)
    engagement.run_segments(session, clock, day)
    at(clock, day, hour=22)  # type: ignore[arg-type]
    cid = _campaign(session, runtime, *people)
    result = campaigns.run_send(bound, clock, cipher, cid, cap=3)  # type: ignore[arg-type]
    assert result.steps[0].totals == {"deferred": 2}
    assert _sms_to(session, runtime, "13700000005", campaigns.SMS_TOPIC) == 0
    at(clock, day, hour=23)  # type: ignore[arg-type]
    assert campaigns.release_deferred(session, clock, cipher, 3) == 0  # still quiet
    engagement.opt_out_of_marketing(session, clock, [a], None, "m")
    at(clock, day + timedelta(days=1), hour=8)  # type: ignore[arg-type]
    assert campaigns.release_deferred(session, clock, cipher, 3) == 1
    assert _sms_to(session, runtime, "13700000005", campaigns.SMS_TOPIC) == 1
    assert _sms_to(session, runtime, "13700000004", campaigns.SMS_TOPIC) == 0
    assert campaigns.get_campaign(session, cid).counts == {"sent": 1, "opted_out": 1}


def test_conversion_is_counted_once_per_enterprise(
    session: Session,
    runtime: Runtime,
    bound: sessionmaker[Session],
    people: tuple[uuid.UUID, uuid.UUID],
) -> None:
    clock, cipher = runtime.clock, runtime.cipher
    ent = customer(session, runtime, "己贸易有限公司", "13700000006")
    customer(session, runtime, "庚贸易有限公司", "13700000007")
    engagement.run_segments(session, clock, business_date(clock))
    cid = _campaign(session, runtime, *people, channel=CampaignChannel.IN_APP)
    campaigns.run_send(bound, clock, cipher, cid, cap=3)  # type: ignore[arg-type]
    touch = session.scalars(select(CampaignTouch).where(CampaignTouch.enterprise_id == ent)).one()
    assert campaigns.record_visit(session, clock, touch.token, [uuid.uuid4()]) is None  # not theirs
    for _ in range(3):
        assert campaigns.record_visit(session, clock, touch.token, [ent]) is not None
    app_id = uuid.uuid4()
    assert campaigns.record_application(session, clock, touch.id, ent, app_id)
    assert not campaigns.record_application(session, clock, touch.id, ent, uuid.uuid4())
    assert not campaigns.record_application(session, clock, touch.id, uuid.uuid4(), app_id)
    line = make_line(session, clock, ent)  # type: ignore[arg-type]
    draw(session, clock, line.id, 1_000_000)  # type: ignore[arg-type]
    assert campaigns.record_drawdowns(session, clock) == 1
    assert campaigns.record_drawdowns(session, clock) == 0
    assert campaigns.funnel(session, cid) == {
        "message": 2, "visit": 1, "application": 1, "drawdown": 1,
    }  # fmt: skip


def test_the_engagement_end_of_day_segments_and_builds_the_workbench(
    session: Session,
    runtime: Runtime,
    bound: sessionmaker[Session],
    people: tuple[uuid.UUID, uuid.UUID],
) -> None:
    clock = runtime.clock
    renew = customer(session, runtime, "辛贸易有限公司", "13700000008")
    line = make_line(session, clock, renew, expiry_days=20, limit_fen=90_000_000)  # type: ignore[arg-type]
    session.commit()
    day = business_date(clock)
    result = eod.run_eod(bound, clock, day)  # type: ignore[arg-type]
    assert [s.name for s in result.steps] == ["segments", "conversions", "tasks"]
    assert eod.run_eod(bound, clock, day).already_completed  # type: ignore[arg-type]
    session.expire_all()
    assert engagement.run_segments(session, clock, day).counts["renewal_due"]["members"] == 1
    mine = workbench.open_tasks(session, CallTeam.MANAGER, day)
    assert [(r.task.source, r.task.value_fen) for r in mine] == [("renewal", 90_000_000)]
    remote = workbench.open_tasks(session, CallTeam.REMOTE, day)
    assert [r.task.source for r in remote] == ["unfinished_drawdown"]  # signed, never drawn
    # a call outcome closes the task; "call back" keeps it for tomorrow
    task = mine[0].task
    workbench.record_outcome(session, clock, people[0], task.id, "call_back", "下午再打")
    assert workbench.open_tasks(session, CallTeam.MANAGER, day)[0].due is False
    workbench.record_outcome(session, clock, people[0], task.id, CallOutcome.INTERESTED.value)
    assert workbench.open_tasks(session, CallTeam.MANAGER, day) == []
    # the next day nothing new for the same source while a task is open, none after it closed
    assert workbench.build_tasks(session, clock, day + timedelta(days=1)) == 1  # renewal again
    assert session.scalar(select(func.count()).select_from(CallTask)) == 3
    # the customer draws on their own: the remote team's task closes at the next end of day
    draw(session, clock, line.id, 1_000_000)  # type: ignore[arg-type]
    workbench.build_tasks(session, clock, day + timedelta(days=2))
    assert workbench.open_tasks(session, CallTeam.REMOTE, day) == []
    assert remote[0].task.outcome == "resolved"


def test_outbox_still_sends_campaign_sms_in_the_sandbox(
    session: Session,
    runtime: Runtime,
    bound: sessionmaker[Session],
    people: tuple[uuid.UUID, uuid.UUID],
) -> None:
    clock, cipher = runtime.clock, runtime.cipher
    customer(session, runtime, "壬贸易有限公司", "13700000009")
    engagement.run_segments(session, clock, business_date(clock))
    cid = _campaign(session, runtime, *people)
    campaigns.run_send(bound, clock, cipher, cid, cap=3)  # type: ignore[arg-type]
    channels = outbox.sandbox_registry(cipher, clock)
    report = outbox.dispatch_pending(bound, channels, cipher=cipher, clock=clock)  # type: ignore[arg-type]
    assert report.sent >= 1
    inbox = channels[outbox.SMS].inbox("13700000009", campaigns.SMS_TOPIC)  # type: ignore[attr-defined]
    assert len(inbox) == 1 and "/m/c/" in inbox[0].body and inbox[0].body.endswith("拒收请回T")


def test_collections_reminders_reach_the_inbox_through_the_notices_after_an_opt_out(
    session: Session, runtime: Runtime
) -> None:
    """Routed: risk's repayment reminders become engagement's servicing notices (an event and a
    flows handler) — fails without the routing: the inbox would stay empty."""
    from tests.integration.lending.lending_factories import START

    from puhui.lending import service as lending
    from puhui.lending.products import JINGYINGDAI
    from puhui.lending.schedules import RepaymentMethod
    from puhui.risk import collections

    clock = runtime.clock
    at(clock, START)  # type: ignore[arg-type]
    ent = customer(session, runtime, "癸贸易有限公司", "13700000010")
    line = make_line(session, clock, ent, product_code=JINGYINGDAI,  # type: ignore[arg-type]
                     method=RepaymentMethod.EQUAL_INSTALMENT, term_months=6)  # fmt: skip
    draw(session, clock, line.id, 3_000_000, term_months=6)  # type: ignore[arg-type]
    engagement.opt_out_of_marketing(session, clock, [ent], None, "m")
    due = lending.unpaid_instalments_due_on(
        session, [START + timedelta(days=d) for d in range(1, 40)]
    )[0].due_date
    day = due - timedelta(days=3)
    at(clock, day, hour=20)  # type: ignore[arg-type]
    assert collections.send_reminders(session, clock, runtime.cipher, day) == 1
    got = campaigns.inbox(session, [ent])
    assert [(m.kind, m.topic) for m in got] == [("servicing", "repayment_due")]
    assert [n.kind for n in notices.notices_of(session, ent)] == ["repayment_due"]
    assert notices.notices_of(session, ent)[0].outbox_message_id is not None


def test_a_custom_filter_is_named_conditions_never_sql_and_never_everyone(
    session: Session, runtime: Runtime, people: tuple[uuid.UUID, uuid.UUID]
) -> None:
    from puhui.engagement.errors import CampaignInvalid

    clock = runtime.clock
    big = customer(session, runtime, "大额度贸易有限公司", "13700000011")
    small = customer(session, runtime, "小额度贸易有限公司", "13700000012")
    make_line(session, clock, big, limit_fen=200_000_000)  # type: ignore[arg-type]
    make_line(session, clock, small, limit_fen=10_000_000)  # type: ignore[arg-type]

    def draft(audience: dict[str, str]) -> campaigns.CampaignDraft:
        return campaigns.CampaignDraft(
            name="f", audience_kind=AudienceKind.FILTER, audience=audience,
            channel=CampaignChannel.IN_APP, template="{name}", scheduled_at=clock.now(),
        )  # fmt: skip

    for bad in ({"name": "x' OR 1=1 --"}, {}, {"size_class": ""}):
        with pytest.raises(CampaignInvalid):
            campaigns.create_draft(session, clock, people[0], draft(bad))
    c = campaigns.create_draft(
        session, clock, people[0], draft({"min_active_limit_fen": "100000000"})
    )
    who = campaigns.audience_of(session, c, business_date(clock))
    assert [r.enterprise_id for r in who] == [big]


def test_servicing_notices_reach_the_inbox_through_the_notices_after_an_opt_out(
    session: Session, runtime: Runtime
) -> None:
    """Routed: lending's servicing notices (here a line's maturity) become engagement's
    servicing notices — fails without the routing: the inbox would stay empty."""
    from puhui.lending.servicing import eod as servicing_eod

    clock = runtime.clock
    ent = customer(session, runtime, "子贸易有限公司", "13700000013")
    make_line(session, clock, ent, expiry_days=20)  # type: ignore[arg-type]
    engagement.opt_out_of_marketing(session, clock, [ent], None, "m")
    day = business_date(clock)
    assert servicing_eod.maturity_notices(session, clock, day)["line_notices"] == 1
    assert servicing_eod.notify_pending(session, clock, runtime.cipher) == 1
    got = campaigns.inbox(session, [ent])
    assert [(m.kind, m.topic) for m in got] == [("servicing", "limit_expiry")]
    assert "到期" in got[0].body
    assert servicing_eod.notify_pending(session, clock, runtime.cipher) == 0  # once
    assert len(notices.notices_of(session, ent)) == 1


def test_puhui_eod_run_runs_the_engagement_job_after_the_close(
    session: Session, runtime: Runtime
) -> None:
    """The root CLI registers engagement's daily job in `puhui eod run` (lending.cli.AFTER_JOBS):
    the same recorded job as `puhui engagement eod`, once per date."""
    import puhui.cli  # noqa: F401 -- mounts the sub-commands and registers the hooks
    from puhui.lending.cli import AFTER_JOBS

    assert eod.run_after_eod in AFTER_JOBS
    day = business_date(runtime.clock)
    first = eod.run_after_eod(runtime, day)
    assert not first.already_completed
    assert [s.name for s in first.steps] == [
        "segments", "conversions", "tasks", "contract_reminders",
    ]  # fmt: skip
    assert eod.run_eod(runtime.session_factory, runtime.clock, day).already_completed


def test_a_line_waiting_for_its_signature_gets_a_notice_then_reminders_until_signed(
    session: Session, runtime: Runtime
) -> None:
    """待签合同: the first evening, 3 and 7 days after the offer while unsigned, each once; a
    signed line gets nothing more."""
    from puhui.lending import service as lending

    clock = runtime.clock
    ent = customer(session, runtime, "庚机械有限公司", "13700000011")
    line = make_line(session, clock, ent, limit_fen=30_000_000, activate=False)  # type: ignore[arg-type]
    day = business_date(clock)

    def sent() -> int:
        return _sms_to(session, runtime, "13700000011", notices.SMS_TOPIC)

    assert notices.contract_reminders(session, clock, runtime.cipher, day) >= 1
    assert sent() == 1
    (message,) = campaigns.inbox(session, [ent])
    assert "300,000.00" in message.body and "签署" in message.body
    assert message.link == f"/m/lines/{line.id}"
    notices.contract_reminders(session, clock, runtime.cipher, day)
    notices.contract_reminders(session, clock, runtime.cipher, day + timedelta(days=2))
    assert sent() == 1  # once per step
    notices.contract_reminders(session, clock, runtime.cipher, day + timedelta(days=3))
    assert sent() == 2
    lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    notices.contract_reminders(session, clock, runtime.cipher, day + timedelta(days=7))
    assert sent() == 2  # signed: no more
