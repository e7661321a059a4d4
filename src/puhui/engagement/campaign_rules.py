"""Campaign rules, pure (no database, no I/O): statuses and their transitions, channels, the
safe audience filter, quiet hours, the frequency cap, SMS templates and call outcome codes.

Used by :mod:`puhui.engagement.campaigns` (the service) and the console pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from puhui.core.clock import SHANGHAI


class CampaignStatus(StrEnum):
    """draft → approved (by a second person: marketing compliance) → sent; a draft or an
    approved campaign may be cancelled."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    CANCELLED = "cancelled"


CAMPAIGN_TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.APPROVED, CampaignStatus.CANCELLED}),
    CampaignStatus.APPROVED: frozenset({CampaignStatus.SENT, CampaignStatus.CANCELLED}),
    CampaignStatus.SENT: frozenset(),
    CampaignStatus.CANCELLED: frozenset(),
}


STATUS_LABELS: dict[CampaignStatus, tuple[str, str]] = {
    CampaignStatus.DRAFT: ("草稿", "draft"),
    CampaignStatus.APPROVED: ("已审批", "approved"),
    CampaignStatus.SENT: ("已发送", "sent"),
    CampaignStatus.CANCELLED: ("已取消", "cancelled"),
}


def can_move(current: str, to: CampaignStatus) -> bool:
    return to in CAMPAIGN_TRANSITIONS[CampaignStatus(current)]


class CampaignChannel(StrEnum):
    SMS = "sms"  # through the outbox, with a template
    IN_APP = "in_app"  # a message in the enterprise's /m inbox
    CALL = "call"  # a call task for the manager or the remote service team


class AudienceKind(StrEnum):
    SEGMENT = "segment"  # the current members of a daily segment
    PRESCREEN = "prescreen"  # the open offers of a pre-screening run (pre-approved list)
    FILTER = "filter"  # a safe filter over the enterprises' facts (never raw SQL)


class CallTeam(StrEnum):
    MANAGER = "manager"  # the enterprise's customer manager
    REMOTE = "remote"  # the remote service team (远程客服)


class TouchStatus(StrEnum):
    """What became of one enterprise in one campaign send."""

    SENT = "sent"
    DEFERRED = "deferred"  # quiet hours: sent at the next 08:00
    OPTED_OUT = "opted_out"  # marketing opt-out, honoured at the moment of sending
    CAPPED = "capped"  # the frequency cap across campaigns was reached
    NO_CONTACT = "no_contact"  # no registered mobile


class CallOutcome(StrEnum):
    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    NO_ANSWER = "no_answer"
    CALL_BACK = "call_back"
    WRONG_NUMBER = "wrong_number"
    GUIDED = "guided"  # the remote team guided the customer to finish online (指导完成线上提款)
    OPT_OUT = "opt_out"  # the customer asked for no more marketing
    RESOLVED = "resolved"  # closed by the end of day: the customer finished on their own


# ----------------------------------------------------------------------------- quiet hours

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)


def quiet_until(now: datetime) -> datetime | None:
    """None when an SMS may go now; else the moment the quiet hours (21:00–08:00 Asia/Shanghai)
    end, as an aware datetime."""
    local = now.astimezone(SHANGHAI)
    t = local.time()
    if QUIET_UNTIL <= t < QUIET_FROM:
        return None
    day = local.date() if t < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=SHANGHAI)


# ----------------------------------------------------------------------------- frequency cap

CAP_WINDOW_DAYS = 30


def cap_reached(sent_at: list[datetime], now: datetime, cap: int) -> bool:
    """Has the enterprise had ``cap`` marketing touches in the last 30 days (all campaigns)?"""
    since = now - timedelta(days=CAP_WINDOW_DAYS)
    return sum(1 for t in sent_at if t > since) >= cap


# ----------------------------------------------------------------------------- safe filter

FILTER_FIELDS: dict[str, str] = {
    # field -> how it compares with the enterprise's facts (engagement.service.segment_facts)
    "segment": "in_segment",
    "size_class": "eq",
    "min_active_limit_fen": "ge:active_limit_fen",
    "max_active_limit_fen": "le:active_limit_fen",
    "max_dpd": "le:max_dpd",
    "no_line": "no_line",
}


class FilterInvalid(ValueError):
    pass


@dataclass(frozen=True)
class AudienceFilter:
    """A custom audience as named conditions (AND), validated: unknown fields are refused."""

    conditions: dict[str, Any]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> AudienceFilter:
        clean: dict[str, Any] = {}
        for key, value in raw.items():
            if value in (None, ""):
                continue
            if key not in FILTER_FIELDS:
                raise FilterInvalid(key)
            if key.endswith("_fen") or key == "max_dpd":
                try:
                    clean[key] = int(value)
                except (TypeError, ValueError) as exc:
                    raise FilterInvalid(key) from exc
            elif key == "no_line":
                clean[key] = value in (True, "1", "true", "on")
            else:
                clean[key] = str(value)
        return cls(clean)

    def matches(self, facts: dict[str, Any], segments: set[str]) -> bool:
        for key, value in self.conditions.items():
            how = FILTER_FIELDS[key]
            if how == "in_segment" and value not in segments:
                return False
            if how == "eq" and facts.get(key) != value:
                return False
            if how == "no_line" and value and (facts.get("active_limit_fen") or 0) > 0:
                return False
            if how.startswith(("ge:", "le:")):
                have = facts.get(how[3:]) or 0
                if (how[:2] == "ge" and have < value) or (how[:2] == "le" and have > value):
                    return False
        return True


# ----------------------------------------------------------------------------- templates

PLACEHOLDER = re.compile(r"\{(\w+)\}")
TEMPLATE_FIELDS = frozenset({"name", "link", "limit_yuan"})
OPT_OUT_SUFFIX = "拒收请回T"


class TemplateInvalid(ValueError):
    pass


def check_template(text: str) -> None:
    unknown = set(PLACEHOLDER.findall(text)) - TEMPLATE_FIELDS
    if unknown or not text.strip():
        raise TemplateInvalid(", ".join(sorted(unknown)) or "empty")


def render_template(text: str, values: dict[str, str]) -> str:
    """Fill the placeholders ({name}, {link}, {limit_yuan}); a marketing SMS always ends with
    the way to opt out (拒收请回T)."""
    check_template(text)
    body = PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
    return body if body.endswith(OPT_OUT_SUFFIX) else f"{body} {OPT_OUT_SUFFIX}"
