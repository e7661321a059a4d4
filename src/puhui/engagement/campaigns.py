"""Campaigns (营销活动, issue 18): audience × channel × schedule, maker-checker, sent as a
recorded job with frequency caps, the marketing opt-out and quiet hours; the conversion funnel.

* ``create_draft`` (a customer manager or risk officer) → ``approve`` (anyone else: marketing
  compliance; the author never approves their own) → ``run_send`` (a recorded job
  ``campaign:<id>`` of :mod:`puhui.jobs.runner`, in batches, each committed with its cursor).
* Each enterprise of the audience gets one *touch*: sent; deferred (an SMS in the quiet hours,
  21:00–08:00 Asia/Shanghai, goes at 08:00 through ``release_deferred``, not dropped); opted out
  (read at the moment of sending, so an opt-out between two sends stops the second); capped (N
  marketing touches in 30 days across campaigns, ``PUHUI_CAMPAIGN_CAP_PER_30_DAYS``); no contact.
* Channels: SMS through the outbox (the legal representative's mobile, the template filled,
  the landing link ``/m/c/<token>``); an in-app message in the /m inbox; a call task for the
  manager or the remote service team, with the campaign's script.
* Funnel: message → visit (the landing) → application → drawdown, one row per (campaign,
  enterprise, stage): counted once however many times the link is opened.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit, outbox
from puhui.core.clock import SHANGHAI, Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.money import format_fen
from puhui.engagement import service as engagement_service
from puhui.engagement.campaign_rules import (
    STATUS_LABELS,
    AudienceFilter,
    AudienceKind,
    CallTeam,
    CampaignChannel,
    CampaignStatus,
    FilterInvalid,
    TemplateInvalid,
    TouchStatus,
    can_move,
    cap_reached,
    check_template,
    quiet_until,
    render_template,
)
from puhui.engagement.errors import (
    CampaignInvalid,
    CampaignNotDue,
    CampaignNotFound,
    CampaignSelfApproval,
    CampaignStateInvalid,
)
from puhui.engagement.models import (
    CallTask,
    Campaign,
    CampaignTouch,
    Conversion,
    InAppMessage,
    Offer,
    SegmentMembership,
)
from puhui.engagement.segments import Segment
from puhui.jobs.runner import Batch, RunResult, run_job
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service

SMS_TOPIC = "engagement.campaign"
STAGES = ("message", "visit", "application", "drawdown")
BATCH_SIZE = 200


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    audience_kind: AudienceKind
    audience: dict[str, Any]  # {"segment": ...} | {"run_id": ...} | the filter's conditions
    channel: CampaignChannel
    template: str
    scheduled_at: datetime
    call_script: str | None = None
    call_team: CallTeam | None = None


def _invalid_state(campaign: Campaign) -> CampaignStateInvalid:
    zh, en = STATUS_LABELS[CampaignStatus(campaign.status)]
    return CampaignStateInvalid(status=zh, status_en=en)


def _check_audience(kind: AudienceKind, audience: dict[str, Any]) -> dict[str, Any]:
    if kind == AudienceKind.SEGMENT:
        seg = str(audience.get("segment", ""))
        if seg not in {s.value for s in Segment}:
            raise CampaignInvalid(field="segment", reason=seg or "—")
        return {"segment": seg}
    if kind == AudienceKind.PRESCREEN:
        try:
            return {"run_id": str(uuid.UUID(str(audience.get("run_id", ""))))}
        except ValueError as exc:
            raise CampaignInvalid(field="run_id", reason="—") from exc
    try:
        return AudienceFilter.parse(audience).conditions
    except FilterInvalid as exc:
        raise CampaignInvalid(field="filter", reason=str(exc)) from exc


def create_draft(
    session: Session, clock: Clock, user_id: uuid.UUID, draft: CampaignDraft
) -> Campaign:
    """A new campaign, a draft until a second person approves it."""
    if not draft.name.strip():
        raise CampaignInvalid(field="name", reason="—")
    try:
        check_template(draft.template)
    except TemplateInvalid as exc:
        raise CampaignInvalid(field="template", reason=str(exc)) from exc
    if draft.channel == CampaignChannel.CALL and draft.call_team is None:
        raise CampaignInvalid(field="call_team", reason="—")
    now = clock.now()
    campaign = Campaign(
        name=draft.name.strip()[:200],
        status=CampaignStatus.DRAFT.value,
        audience_kind=draft.audience_kind.value,
        audience=_check_audience(draft.audience_kind, draft.audience),
        channel=draft.channel.value,
        template=draft.template.strip()[:500],
        call_script=(draft.call_script or "").strip()[:2000] or None,
        call_team=draft.call_team.value if draft.call_team else None,
        scheduled_at=draft.scheduled_at,
        created_by_id=user_id,
        approved_by_id=None,
        approved_at=None,
        sent_at=None,
        counts={},
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    audit.record(session, "engagement.campaign_drafted", "engagement_campaign", campaign.id,
                 after={"name": campaign.name, "channel": campaign.channel})  # fmt: skip
    return campaign


def get_campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def list_campaigns(session: Session, limit: int = 50) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(limit)))


def approve(session: Session, clock: Clock, campaign_id: uuid.UUID, user_id: uuid.UUID) -> Campaign:
    """Marketing compliance approves (maker-checker: never the author)."""
    campaign = get_campaign(session, campaign_id)
    if not can_move(campaign.status, CampaignStatus.APPROVED):
        raise _invalid_state(campaign)
    if campaign.created_by_id == user_id:
        raise CampaignSelfApproval()
    campaign.status = CampaignStatus.APPROVED.value
    campaign.approved_by_id = user_id
    campaign.approved_at = campaign.updated_at = clock.now()
    audit.record(session, "engagement.campaign_approved", "engagement_campaign", campaign.id)
    return campaign


def cancel(session: Session, clock: Clock, campaign_id: uuid.UUID) -> Campaign:
    campaign = get_campaign(session, campaign_id)
    if not can_move(campaign.status, CampaignStatus.CANCELLED):
        raise _invalid_state(campaign)
    campaign.status = CampaignStatus.CANCELLED.value
    campaign.updated_at = clock.now()
    audit.record(session, "engagement.campaign_cancelled", "engagement_campaign", campaign.id)
    return campaign


# --------------------------------------------------------------------------- audience


def audience_of(session: Session, campaign: Campaign, day: date) -> list[uuid.UUID]:
    """The enterprises the campaign addresses today, in id order (the job's cursor order)."""
    aud = campaign.audience
    if campaign.audience_kind == AudienceKind.SEGMENT:
        ids = set(
            session.scalars(
                select(SegmentMembership.enterprise_id).where(
                    SegmentMembership.segment == aud["segment"],
                    SegmentMembership.left_date.is_(None),
                )
            )
        )
    elif campaign.audience_kind == AudienceKind.PRESCREEN:
        ids = {
            e
            for e in session.scalars(
                select(Offer.enterprise_id).where(
                    Offer.run_id == uuid.UUID(aud["run_id"]),
                    Offer.state == "open",
                    Offer.valid_until >= day,
                    Offer.enterprise_id.is_not(None),
                )
            )
            if e is not None
        }
    else:
        ids = _filtered(session, AudienceFilter(dict(aud)), day)
    return sorted(ids)


def _filtered(session: Session, flt: AudienceFilter, day: date) -> set[uuid.UUID]:
    facts = engagement_service.segment_facts(session, day)
    members: dict[str, set[str]] = {}
    for ent, seg in session.execute(
        select(SegmentMembership.enterprise_id, SegmentMembership.segment).where(
            SegmentMembership.left_date.is_(None)
        )
    ):
        members.setdefault(str(ent), set()).add(seg)
    return {
        uuid.UUID(row["enterprise_id"])
        for row in facts.iter_rows(named=True)
        if flt.matches(row, members.get(row["enterprise_id"], set()))
    }


# --------------------------------------------------------------------------- sending


def _marketing_sent_at(session: Session, enterprise_id: uuid.UUID) -> list[datetime]:
    return [
        t
        for t in session.scalars(
            select(CampaignTouch.sent_at).where(
                CampaignTouch.enterprise_id == enterprise_id,
                CampaignTouch.status == TouchStatus.SENT.value,
            )
        )
        if t is not None
    ]


def _mobile(session: Session, cipher: FieldCipher, enterprise_id: uuid.UUID) -> str | None:
    reps = parties_service.legal_representatives_of(session, enterprise_id)
    if not reps:
        return None
    return parties_service.mobile_of(cipher, parties_service.get_person(session, reps[-1]))


def _offer_limit(session: Session, enterprise_id: uuid.UUID) -> int:
    best = session.scalar(
        select(func.max(Offer.indicative_limit_fen)).where(
            Offer.enterprise_id == enterprise_id, Offer.state == "open"
        )
    )
    return int(best or 0)


@dataclass(frozen=True)
class SendContext:
    clock: Clock
    cipher: FieldCipher
    cap: int


def _deliver(
    session: Session, ctx: SendContext, campaign: Campaign, touch: CampaignTouch
) -> TouchStatus:
    """Check the opt-out and the cap *now*, then send the touch on its channel (or defer it)."""
    now = ctx.clock.now()
    ent = touch.enterprise_id
    mobile = _mobile(session, ctx.cipher, ent)
    mobile_hash = ctx.cipher.lookup_hash(mobile, "mobile") if mobile else None
    if engagement_service.marketing_opted_out(session, [ent], mobile_hash):
        return TouchStatus.OPTED_OUT
    if cap_reached(_marketing_sent_at(session, ent), now, ctx.cap):
        return TouchStatus.CAPPED
    link = f"/m/c/{touch.token}"
    limit = _offer_limit(session, ent)
    values = {
        "name": parties_service.get_enterprise(session, ent).name,
        "link": link,
        "limit_yuan": format_fen(limit) if limit else "",
    }
    if campaign.channel == CampaignChannel.SMS:
        if mobile is None:
            return TouchStatus.NO_CONTACT
        wait = quiet_until(now)
        if wait is not None:
            touch.due_at = wait
            return TouchStatus.DEFERRED
        body = render_template(campaign.template, values)
        touch.outbox_message_id = outbox.enqueue_sms(
            session, ctx.clock, ctx.cipher, mobile, SMS_TOPIC, body,
            {"campaign_id": str(campaign.id)},
        ).id  # fmt: skip
    elif campaign.channel == CampaignChannel.IN_APP:
        session.add(
            InAppMessage(
                enterprise_id=ent, kind="marketing", topic=SMS_TOPIC,
                body=render_template(campaign.template, values)[:1000], link=link,
                created_at=now, read_at=None,
            )
        )  # fmt: skip
    else:
        session.add(
            CallTask(
                enterprise_id=ent, source="campaign", team=campaign.call_team or "manager",
                campaign_id=campaign.id, value_fen=limit, due_date=business_date(ctx.clock),
                script=campaign.call_script or campaign.template, outcome=None,
                outcome_note=None, done_at=None, done_by_id=None, created_at=now,
            )
        )  # fmt: skip
    touch.sent_at = now
    return TouchStatus.SENT


def _touch(session: Session, ctx: SendContext, campaign: Campaign, ent: uuid.UUID) -> str:
    touch = CampaignTouch(
        campaign_id=campaign.id,
        enterprise_id=ent,
        channel=campaign.channel,
        status=TouchStatus.SENT.value,
        token=secrets.token_urlsafe(16)[:22],
        due_at=None,
        sent_at=None,
        outbox_message_id=None,
        created_at=ctx.clock.now(),
    )
    session.add(touch)
    touch.status = _deliver(session, ctx, campaign, touch).value
    session.flush()
    return touch.status


@dataclass
class SendStep:
    """The campaign's audience in batches (cursor: the last enterprise id touched)."""

    ctx: SendContext
    campaign_id: uuid.UUID
    batch_size: int = BATCH_SIZE
    name: str = "send"

    def total(self, session: Session) -> int:
        campaign = get_campaign(session, self.campaign_id)
        return len(audience_of(session, campaign, business_date(self.ctx.clock)))

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        campaign = get_campaign(session, self.campaign_id)
        ids = audience_of(session, campaign, business_date(self.ctx.clock))
        todo = [e for e in ids if cursor is None or str(e) > cursor][: self.batch_size]
        totals: dict[str, int] = {}
        for ent in todo:
            status = _touch(session, self.ctx, campaign, ent)
            totals[status] = totals.get(status, 0) + 1
        done = len(todo) < self.batch_size
        if done:
            campaign.status = CampaignStatus.SENT.value
            campaign.sent_at = campaign.updated_at = self.ctx.clock.now()
            campaign.counts = _counts(session, campaign.id)
            audit.record(session, "engagement.campaign_sent", "engagement_campaign",
                         campaign.id, after=campaign.counts)  # fmt: skip
        return Batch(None if done else str(todo[-1]), items=len(todo), totals=totals)


def job_name(campaign_id: uuid.UUID) -> str:
    return f"campaign:{campaign_id.hex[:23]}"


def check_sendable(session: Session, clock: Clock, campaign_id: uuid.UUID) -> Campaign:
    campaign = get_campaign(session, campaign_id)
    if not can_move(campaign.status, CampaignStatus.SENT):
        raise _invalid_state(campaign)
    if campaign.scheduled_at > clock.now():
        raise CampaignNotDue(
            at=campaign.scheduled_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        )
    return campaign


def run_send(
    factory: sessionmaker[Session],
    clock: Clock,
    cipher: FieldCipher,
    campaign_id: uuid.UUID,
    cap: int,
) -> RunResult:
    """Send an approved, due campaign as a recorded job (resumable; never sent twice)."""
    with factory() as session:
        check_sendable(session, clock, campaign_id)
    step = SendStep(SendContext(clock, cipher, cap), campaign_id)
    return run_job(factory, clock, job_name(campaign_id), business_date(clock), [step])


def due_campaigns(session: Session, clock: Clock) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.status == CampaignStatus.APPROVED.value,
                Campaign.scheduled_at <= clock.now(),
            )
        )
    )


def release_deferred(session: Session, clock: Clock, cipher: FieldCipher, cap: int) -> int:
    """SMS held back by the quiet hours whose time has come: checked again (opt-out, cap)
    and sent. Returns how many were sent."""
    now = clock.now()
    rows = session.scalars(
        select(CampaignTouch).where(
            CampaignTouch.status == TouchStatus.DEFERRED.value, CampaignTouch.due_at <= now
        )
    ).all()
    if quiet_until(now) is not None:
        return 0
    ctx = SendContext(clock, cipher, cap)
    sent = 0
    for touch in rows:
        campaign = get_campaign(session, touch.campaign_id)
        touch.status = _deliver(session, ctx, campaign, touch).value
        sent += touch.status == TouchStatus.SENT
        campaign.counts = _counts(session, campaign.id)
    session.flush()
    return sent


# --------------------------------------------------------------------------- conversion


def _record(
    session: Session,
    clock: Clock,
    campaign_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    stage: str,
    ref_id: uuid.UUID | None = None,
) -> bool:
    """One row per (campaign, enterprise, stage); False when it was already counted."""
    found = session.scalar(
        select(Conversion.id).where(
            Conversion.campaign_id == campaign_id,
            Conversion.enterprise_id == enterprise_id,
            Conversion.stage == stage,
        )
    )
    if found is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                Conversion(campaign_id=campaign_id, enterprise_id=enterprise_id, stage=stage,
                           ref_id=ref_id, reached_at=clock.now())
            )  # fmt: skip
    except IntegrityError:  # a concurrent first visit: counted by the other one
        return False
    return True


def touch_by_token(session: Session, token: str) -> CampaignTouch | None:
    return session.scalar(select(CampaignTouch).where(CampaignTouch.token == token[:32]))


def record_visit(
    session: Session, clock: Clock, token: str, enterprise_ids: Sequence[uuid.UUID]
) -> CampaignTouch | None:
    """The landing link was opened by the enterprise it was sent to: a visit (once)."""
    touch = touch_by_token(session, token)
    if touch is None or touch.enterprise_id not in set(enterprise_ids):
        return None
    _record(session, clock, touch.campaign_id, touch.enterprise_id, "visit", touch.id)
    return touch


def record_application(
    session: Session,
    clock: Clock,
    campaign_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    application_id: uuid.UUID,
) -> bool:
    """An application after the campaign's landing (for the enterprise it was sent to)."""
    sent = session.scalar(
        select(CampaignTouch.id).where(
            CampaignTouch.campaign_id == campaign_id, CampaignTouch.enterprise_id == enterprise_id
        )
    )
    if sent is None:
        return False
    return _record(session, clock, campaign_id, enterprise_id, "application", application_id)


def record_drawdowns(session: Session, clock: Clock) -> int:
    """Enterprises that applied from a campaign and have drawn since: the funnel's last stage
    (from the lending service's facts; once per campaign and enterprise)."""
    applied = session.execute(
        select(Conversion.campaign_id, Conversion.enterprise_id, Conversion.reached_at).where(
            Conversion.stage == "application"
        )
    ).all()
    if not applied:
        return 0
    drawn = {f.enterprise_id: f.last_drawdown_date for f in lending_service.lending_facts(session)}
    added = 0
    for campaign_id, ent, at in applied:
        last = drawn.get(ent)
        if last is not None and last >= at.astimezone(SHANGHAI).date():
            added += _record(session, clock, campaign_id, ent, "drawdown")
    return added


def _counts(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(CampaignTouch.status, func.count())
        .where(CampaignTouch.campaign_id == campaign_id)
        .group_by(CampaignTouch.status)
    ).all()
    return {str(s): int(n) for s, n in rows}


def funnel(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    """message (touches sent) → visit → application → drawdown, enterprises counted once."""
    sent = session.scalar(
        select(func.count()).where(
            CampaignTouch.campaign_id == campaign_id,
            CampaignTouch.status == TouchStatus.SENT.value,
        )
    )
    out = {"message": int(sent or 0)}
    rows = session.execute(
        select(Conversion.stage, func.count(func.distinct(Conversion.enterprise_id)))
        .where(Conversion.campaign_id == campaign_id)
        .group_by(Conversion.stage)
    ).all()
    got = {str(s): int(n) for s, n in rows}
    for stage in STAGES[1:]:
        out[stage] = got.get(stage, 0)
    return out


# --------------------------------------------------------------------------- in-app inbox


def inbox(
    session: Session, enterprise_ids: Sequence[uuid.UUID], limit: int = 50
) -> list[InAppMessage]:
    """The enterprise's in-app messages, newest first: marketing ones disappear at once after
    an opt-out; servicing ones always show."""
    if not enterprise_ids:
        return []
    query = select(InAppMessage).where(InAppMessage.enterprise_id.in_(list(enterprise_ids)))
    if engagement_service.marketing_opted_out(session, enterprise_ids, None):
        query = query.where(InAppMessage.kind != "marketing")
    return list(session.scalars(query.order_by(InAppMessage.created_at.desc()).limit(limit)))
