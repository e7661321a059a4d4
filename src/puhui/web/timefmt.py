"""Times on a page: every timestamp in China time (Asia/Shanghai) with the zone said, whatever
the server's zone. Stored times are UTC (`*_at`); a page never shows them as UTC. Pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from puhui.core.clock import SHANGHAI

ZONE_LABEL = {"zh": "北京时间", "en": "China time"}


def to_shanghai(value: datetime | str) -> datetime:
    """A stored time (aware, naive UTC as SQLite returns it, or an ISO string such as the
    receivables log's `2026-11-23T02:00:00Z`) in Asia/Shanghai."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(SHANGHAI)


def format_local(value: datetime | str | None, lang: str = "zh", *, seconds: bool = False) -> str:
    """`2026-11-23 10:00 北京时间` / `2026-11-23 10:00 China time`; empty for no time."""
    if value is None or value == "":
        return ""
    local = to_shanghai(value)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{text} {ZONE_LABEL['en' if lang == 'en' else 'zh']}"


@pass_context
def local_time(context: Any, value: datetime | str | None, seconds: bool = False) -> Markup:
    """Jinja filter `local_time`: a <time> element (machine-readable UTC in `datetime`, the zone
    in its title) showing `format_local` in the page's language."""
    if value is None or value == "":
        return Markup("")
    lang = str(context.get("lang", "zh"))
    utc = to_shanghai(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = format_local(value, lang, seconds=seconds)
    return Markup('<time datetime="{}" title="Asia/Shanghai (UTC+8)">{}</time>').format(
        utc, escape(shown)
    )
