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

from sqlalchemy import ColumnElement, func, or_, select
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
        conditions = AudienceFilter.parse(audience).conditions
    except FilterInvalid as exc:
        raise CampaignInvalid(field="filter", reason=str(exc)) from exc
    if not conditions:  # a filter must narrow: "everyone" is not an audience
        raise CampaignInvalid(field="filter", reason="—")
    return conditions


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


@dataclass(frozen=True)
class Recipient:
    """An enterprise, or the mobile a pre-approved invitation is addressed to (a dealer not yet
    registered here: only the keyed hash of its mobile is kept)."""

    enterprise_id: uuid.UUID | None
    mobile_hash: str | None = None
    name: str = ""

    @property
    def key(self) -> str:
        return f"e:{self.enterprise_id}" if self.enterprise_id else f"m:{self.mobile_hash}"


def audience_of(session: Session, campaign: Campaign, day: date) -> list[Recipient]:
    """Who the campaign addresses today, in key order (the send job's cursor order)."""
    aud = campaign.audience
    if campaign.audience_kind == AudienceKind.SEGMENT:
        found = [
            Recipient(e)
            for e in session.scalars(
                select(SegmentMembership.enterprise_id).where(
                    SegmentMembership.segment == aud["segment"],
                    SegmentMembership.left_date.is_(None),
                )
            )
        ]
    elif campaign.audience_kind == AudienceKind.PRESCREEN:
        found = [
            Recipient(e, None if e else h, name)
            for e, h, name in session.execute(
                select(Offer.enterprise_id, Offer.contact_mobile_hash, Offer.name).where(
                    Offer.run_id == uuid.UUID(aud["run_id"]),
                    Offer.state == "open",
                    Offer.valid_until >= day,
                    Offer.enterprise_id.is_not(None) | Offer.contact_mobile_hash.is_not(None),
                )
            )
        ]
    else:
        found = [Recipient(e) for e in _filtered(session, AudienceFilter(dict(aud)), day)]
    return sorted({r.key: r for r in found}.values(), key=lambda r: r.key)


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


def _marketing_sent_at(session: Session, touch: CampaignTouch) -> list[datetime]:
    """When this recipient had marketing touches (any campaign): by enterprise and by mobile."""
    whose: list[ColumnElement[bool]] = []
    if touch.enterprise_id is not None:
        whose.append(CampaignTouch.enterprise_id == touch.enterprise_id)
    if touch.mobile_hash is not None:
        whose.append(CampaignTouch.mobile_hash == touch.mobile_hash)
    rows = session.scalars(
        select(CampaignTouch.sent_at).where(
            or_(*whose), CampaignTouch.status == TouchStatus.SENT.value
        )
    )
    return [t for t in rows if t is not None]


def _mobile(session: Session, cipher: FieldCipher, enterprise_id: uuid.UUID | None) -> str | None:
    reps = parties_service.legal_representatives_of(session, enterprise_id) if enterprise_id else []
    if not reps:
        return None
    return parties_service.mobile_of(cipher, parties_service.get_person(session, reps[-1]))


def _offer_limit(session: Session, touch: CampaignTouch) -> int:
    whose = (
        Offer.enterprise_id == touch.enterprise_id
        if touch.enterprise_id
        else Offer.contact_mobile_hash == touch.mobile_hash
    )
    best = session.scalar(
        select(func.max(Offer.indicative_limit_fen)).where(whose, Offer.state == "open")
    )
    return int(best or 0)


@dataclass(frozen=True)
class SendContext:
    clock: Clock
    cipher: FieldCipher
    cap: int


def _values(session: Session, touch: CampaignTouch, name: str) -> tuple[dict[str, str], int]:
    limit = _offer_limit(session, touch)
    if touch.enterprise_id is not None:
        name = parties_service.get_enterprise(session, touch.enterprise_id).name
    values = {
        "name": name,
        "link": f"/m/c/{touch.token}",
        "limit_yuan": format_fen(limit) if limit else "",
    }
    return values, limit


def _deliver(
    session: Session, ctx: SendContext, campaign: Campaign, touch: CampaignTouch, name: str = ""
) -> TouchStatus:
    """Check the opt-out and the cap *now*, then send the touch on its channel (or defer it)."""
    now = ctx.clock.now()
    ent = touch.enterprise_id
    mobile = _mobile(session, ctx.cipher, ent)
    hashes = {touch.mobile_hash, ctx.cipher.lookup_hash(mobile, "mobile") if mobile else None}
    ents = [ent] if ent else []
    if engagement_service.marketing_opted_out(session, ents, None) or any(
        engagement_service.marketing_opted_out(session, [], h) for h in hashes if h
    ):
        return TouchStatus.OPTED_OUT
    if cap_reached(_marketing_sent_at(session, touch), now, ctx.cap):
        return TouchStatus.CAPPED
    values, limit = _values(session, touch, name)
    if campaign.channel == CampaignChannel.SMS:
        if mobile is None:  # a list's dealer: only the hash of its mobile is kept
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
                enterprise_id=ent, mobile_hash=None if ent else touch.mobile_hash,
                kind="marketing", topic=SMS_TOPIC, link=values["link"],
                body=render_template(campaign.template, values)[:1000],
                created_at=now, read_at=None,
            )
        )  # fmt: skip
    else:
        if ent is None:
            return TouchStatus.NO_CONTACT
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


def _touch(session: Session, ctx: SendContext, campaign: Campaign, who: Recipient) -> str:
    touch = CampaignTouch(
        campaign_id=campaign.id,
        recipient=who.key,
        enterprise_id=who.enterprise_id,
        mobile_hash=who.mobile_hash,
        channel=campaign.channel,
        status=TouchStatus.SENT.value,
        token=secrets.token_urlsafe(16)[:22],
        due_at=None,
        sent_at=None,
        outbox_message_id=None,
        created_at=ctx.clock.now(),
    )
    session.add(touch)
    touch.status = _deliver(session, ctx, campaign, touch, who.name).value
    session.flush()
    return touch.status


@dataclass
class SendStep:
    """The campaign's audience in batches (cursor: the last recipient key touched)."""

    ctx: SendContext
    campaign_id: uuid.UUID
    batch_size: int = BATCH_SIZE
    name: str = "send"

    def total(self, session: Session) -> int:
        campaign = get_campaign(session, self.campaign_id)
        return len(audience_of(session, campaign, business_date(self.ctx.clock)))

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        campaign = get_campaign(session, self.campaign_id)
        everyone = audience_of(session, campaign, business_date(self.ctx.clock))
        todo = [r for r in everyone if cursor is None or r.key > cursor][: self.batch_size]
        totals: dict[str, int] = {}
        for who in todo:
            status = _touch(session, self.ctx, campaign, who)
            totals[status] = totals.get(status, 0) + 1
        done = len(todo) < self.batch_size
        if done:
            campaign.status = CampaignStatus.SENT.value
            campaign.sent_at = campaign.updated_at = self.ctx.clock.now()
            campaign.counts = _counts(session, campaign.id)
            audit.record(session, "engagement.campaign_sent", "engagement_campaign",
                         campaign.id, after=campaign.counts)  # fmt: skip
        return Batch(None if done else todo[-1].key, items=len(todo), totals=totals)


def job_name(campaign_id: uuid.UUID) -> str:
    return f"campaign:{campaign_id.hex[:23]}"


def check_sendable(session: Session, clock: Clock, campaign_id: uuid.UUID) -> Campaign:
    campaign = get_campaign(session, campaign_id)
    if not can_move(campaign.status, CampaignStatus.SENT):
        raise _invalid_state(campaign)
    if campaign.scheduled_at > clock.now():
        at = campaign.scheduled_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        raise CampaignNotDue(at=at)
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
    if quiet_until(now) is not None:
        return 0
    rows = session.scalars(
        select(CampaignTouch).where(
            CampaignTouch.status == TouchStatus.DEFERRED.value, CampaignTouch.due_at <= now
        )
    ).all()
    ctx = SendContext(clock, cipher, cap)
    sent = 0
    for touch in rows:
        campaign = get_campaign(session, touch.campaign_id)
        touch.status = _deliver(session, ctx, campaign, touch).value
        sent += touch.status == TouchStatus.SENT
        session.flush()
        campaign.counts = _counts(session, campaign.id)
    session.flush()
    return sent


# --------------------------------------------------------------------------- conversion


def _record(
    session: Session,
    clock: Clock,
    touch: CampaignTouch,
    stage: str,
    enterprise_id: uuid.UUID | None = None,
    ref_id: uuid.UUID | None = None,
) -> bool:
    """One row per (campaign, recipient, stage); False when it was already counted."""
    found = session.scalar(
        select(Conversion.id).where(
            Conversion.campaign_id == touch.campaign_id,
            Conversion.touch_id == touch.id,
            Conversion.stage == stage,
        )
    )
    if found is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                Conversion(campaign_id=touch.campaign_id, touch_id=touch.id, stage=stage,
                           enterprise_id=enterprise_id or touch.enterprise_id, ref_id=ref_id,
                           reached_at=clock.now())
            )  # fmt: skip
    except IntegrityError:  # a concurrent first visit: counted by the other one
        return False
    return True


def touch_by_token(session: Session, token: str) -> CampaignTouch | None:
    return session.scalar(select(CampaignTouch).where(CampaignTouch.token == token[:32]))


def _is_for(
    touch: CampaignTouch, enterprise_ids: Sequence[uuid.UUID], mobile_hash: str | None
) -> bool:
    return touch.enterprise_id in set(enterprise_ids) or (
        touch.mobile_hash is not None and touch.mobile_hash == mobile_hash
    )


def record_visit(
    session: Session,
    clock: Clock,
    token: str,
    enterprise_ids: Sequence[uuid.UUID],
    mobile_hash: str | None = None,
) -> CampaignTouch | None:
    """The landing link was opened by the recipient it was sent to: a visit (counted once)."""
    touch = touch_by_token(session, token)
    if touch is None or not _is_for(touch, enterprise_ids, mobile_hash):
        return None
    _record(session, clock, touch, "visit")
    return touch


def record_application(
    session: Session,
    clock: Clock,
    touch_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    application_id: uuid.UUID,
) -> bool:
    """An application after the campaign's landing, by the enterprise the touch was for (or,
    for an invitation by mobile, the enterprise that applied)."""
    touch = session.get(CampaignTouch, touch_id)
    if touch is None or touch.enterprise_id not in (None, enterprise_id):
        return False
    return _record(session, clock, touch, "application", enterprise_id, application_id)


def record_drawdowns(session: Session, clock: Clock) -> int:
    """Recipients that applied from a campaign and have drawn since: the funnel's last stage
    (from the lending service's facts; once per campaign and recipient)."""
    applied = session.execute(
        select(Conversion.touch_id, Conversion.enterprise_id, Conversion.reached_at).where(
            Conversion.stage == "application"
        )
    ).all()
    if not applied:
        return 0
    drawn = {f.enterprise_id: f.last_drawdown_date for f in lending_service.lending_facts(session)}
    added = 0
    for touch_id, ent, at in applied:
        last = drawn.get(ent) if ent else None
        touch = session.get(CampaignTouch, touch_id)
        if touch is not None and last is not None and last >= at.astimezone(SHANGHAI).date():
            added += _record(session, clock, touch, "drawdown", ent)
    return added


def _counts(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(CampaignTouch.status, func.count())
        .where(CampaignTouch.campaign_id == campaign_id)
        .group_by(CampaignTouch.status)
    ).all()
    return {str(s): int(n) for s, n in rows}


def funnel(session: Session, campaign_id: uuid.UUID) -> dict[str, int]:
    """message (touches sent) → visit → application → drawdown, each recipient counted once."""
    sent = session.scalar(
        select(func.count()).where(
            CampaignTouch.campaign_id == campaign_id,
            CampaignTouch.status == TouchStatus.SENT.value,
        )
    )
    out = {"message": int(sent or 0)}
    rows = session.execute(
        select(Conversion.stage, func.count(func.distinct(Conversion.touch_id)))
        .where(Conversion.campaign_id == campaign_id)
        .group_by(Conversion.stage)
    ).all()
    got = {str(s): int(n) for s, n in rows}
    for stage in STAGES[1:]:
        out[stage] = got.get(stage, 0)
    return out


# --------------------------------------------------------------------------- in-app inbox


def inbox(
    session: Session,
    enterprise_ids: Sequence[uuid.UUID],
    mobile_hash: str | None = None,
    limit: int = 50,
) -> list[InAppMessage]:
    """The recipient's in-app messages, newest first: marketing ones disappear at once after
    an opt-out; servicing ones always show."""
    whose: list[ColumnElement[bool]] = []
    if enterprise_ids:
        whose.append(InAppMessage.enterprise_id.in_(list(enterprise_ids)))
    if mobile_hash:
        whose.append(InAppMessage.mobile_hash == mobile_hash)
    if not whose:
        return []
    query = select(InAppMessage).where(or_(*whose))
    if engagement_service.marketing_opted_out(session, enterprise_ids, mobile_hash):
        query = query.where(InAppMessage.kind != "marketing")
    return list(session.scalars(query.order_by(InAppMessage.created_at.desc()).limit(limit)))
