"""Decisions as people read them, for every page that shows one (review, enterprise, cockpit,
the applicant's decision): reasons in sentences (`puhui.decisioning.reasons`), the system's
proposal as a table (score and PD, the limit calculation step by step, rule hits by stage),
the note when a limit is below the request, the review's SLA as time left or overdue by, and
people by their display name."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from puhui.core.i18n import Lang
from puhui.core.models import User
from puhui.core.money import format_fen
from puhui.decisioning import reasons as reason_texts
from puhui.reporting.sla import sla_words
from puhui.web.labels import label


def reason_lines(
    inputs: Mapping[str, Any] | None, stored: Sequence[Mapping[str, Any]], lang: Lang
) -> list[str]:
    """A decision's reasons, ranked, as sentences in `lang`."""
    return [
        r.zh if lang == "zh" else r.en for r in reason_texts.from_decision(inputs, list(stored))
    ]


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    note: str = ""


_CALC_STEPS = (
    ("monthly_sales_fen", "月均开票销售额", "Monthly invoiced sales"),
    ("by_sales_fen", "按销售额测算的额度", "Limit by sales"),
    ("requested_fen", "申请金额", "Amount requested"),
    ("product_cap_fen", "产品上限", "Product cap"),
    ("ceiling_room_fen", "单户上限剩余", "Room under the per-borrower ceiling"),
    ("group_room_fen", "集团上限剩余", "Room under the group cap"),
)
_BINDING_STEP = {
    "by_sales": "by_sales_fen",
    "requested": "requested_fen",
    "product_cap": "product_cap_fen",
    "ceiling": "ceiling_room_fen",
    "group_cap": "group_room_fen",
}


def limit_steps(calc: Mapping[str, Any] | None, lang: Lang) -> list[Row]:
    """The limit calculation, step by step: the candidates, the one that binds, the result."""
    if not calc:
        return []
    zh = lang == "zh"
    binding_step = _BINDING_STEP.get(str(calc.get("binding")), "")
    rows = []
    for key, name_zh, name_en in _CALC_STEPS:
        value = calc.get(key)
        if not isinstance(value, int):
            continue
        note = ("取其最低者" if zh else "the lowest: binds") if key == binding_step else ""
        rows.append(Row(name_zh if zh else name_en, format_fen(max(value, 0)), note))
    if isinstance(calc.get("limit_fen"), int):
        rows.append(
            Row(
                "建议额度（取整后）" if zh else "Proposed limit (rounded)",
                format_fen(int(calc["limit_fen"])),
            )
        )
    return rows


def proposal_rows(proposal: Mapping[str, Any], lang: Lang) -> list[Row]:
    """The system's proposal: limit, rate, term, method, grade, score, PD."""
    zh = lang == "zh"
    rows: list[Row] = []
    limit = proposal.get("limit_fen")
    if isinstance(limit, int):
        rows.append(Row("建议额度" if zh else "Proposed limit", format_fen(limit)))
    rate = proposal.get("rate_bp")
    if isinstance(rate, int):
        rows.append(Row("年利率" if zh else "Annual rate", f"{rate / 100:.2f}%"))
    term = proposal.get("term_months")
    if isinstance(term, int):
        rows.append(Row("期限" if zh else "Term", f"{term} {'个月' if zh else 'months'}"))
    method = proposal.get("repayment_method")
    if method:
        rows.append(Row("还款方式" if zh else "Repayment", label("repayment_method", method, lang)))
    if proposal.get("grade"):
        rows.append(Row("评级" if zh else "Grade", str(proposal["grade"])))
    if proposal.get("score_points") is not None:
        rows.append(Row("评分" if zh else "Score", str(proposal["score_points"])))
    pd = proposal.get("pd")
    if isinstance(pd, int | float):
        rows.append(Row("违约概率（PD）" if zh else "Probability of default", f"{pd * 100:.2f}%"))
    return rows


def hits_by_stage(
    hits: Iterable[Mapping[str, Any]],
    lang: Lang,
    texts: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[tuple[str, list[str]]]:
    """Rule hits grouped by stage, in stage order: (stage label, ["text (CODE) → action", …]);
    `texts` are the policy's reason texts by code ({"zh", "en"})."""
    grouped: dict[str, list[str]] = {}
    for hit in hits:
        stage = str(hit.get("stage", ""))
        code = str(hit.get("code", ""))
        action = label("decision_outcome", hit.get("action"), lang)
        text = (texts or {}).get(code) or {}
        words = str(text.get(lang, "")) if isinstance(text, Mapping) else ""
        named = (
            f"{words}（{code}）"
            if words and lang == "zh"
            else f"{words} ({code})"
            if words
            else code
        )
        grouped.setdefault(stage, []).append(f"{named} → {action}")
    return [(label("stage", stage, lang), codes) for stage, codes in grouped.items()]


def limit_note(
    requested_fen: int, limit_fen: int, calc: Mapping[str, Any] | None, lang: Lang
) -> str | None:
    """Why an approved limit is below the request, or None when it is not."""
    if limit_fen <= 0 or limit_fen >= requested_fen:
        return None
    binding = str((calc or {}).get("binding") or "")
    why = label("binding", binding, lang) if binding else ""
    asked, got = format_fen(requested_fen), format_fen(limit_fen)
    if lang == "zh":
        reason = f"，依据为{why}" if why else ""
        return (
            f"批准额度 {got} 低于申请金额 {asked}{reason}。"
            "额度按经营情况测算，并受产品和单户上限约束。"
        )
    reason = f"; it is set by the {why}" if why else ""
    return (
        f"The approved limit {got} is below the {asked} requested{reason}. Limits follow the "
        "business's sales and are capped by the product and per-borrower ceilings."
    )


def sla_text(minutes_left: int, closed: bool, lang: Lang) -> str:
    """The review's SLA: "还剩 5 小时 12 分钟" / "已超时 29 天 19 小时" (never -42906 分钟);
    the wording is `reporting.sla`'s, the same on every page."""
    zh, en = sla_words(minutes_left, closed)
    return zh if lang == "zh" else en


def display_names(session: Session, keys: Iterable[object]) -> dict[str, str]:
    """Display names of users by username and by id (as text), for the names stored on rows."""
    wanted = {str(k) for k in keys if k}
    if not wanted:
        return {}
    ids = []
    for key in wanted:
        try:
            ids.append(uuid.UUID(key))
        except ValueError:
            continue
    query = select(User.id, User.username, User.display_name).where(
        or_(User.username.in_(wanted), User.id.in_(ids))
    )
    rows = session.execute(query).all()
    names: dict[str, str] = {}
    for user_id, username, display in rows:
        shown = display or username
        if username in wanted or str(user_id) in wanted:
            names[username] = shown
            names[str(user_id)] = shown
    return names


def schedule_rows(schedule: Sequence[Any], prepaid: Sequence[Any], settled: bool) -> list[Any]:
    """The schedule a page shows: the live rows; for a settled loan also the instalments its
    final prepayment replaced (status ``prepaid``), so it never shows an empty schedule."""
    live = [r for r in schedule if getattr(r, "status", "") != "superseded"]
    if not settled:
        return list(schedule)
    shown = {getattr(r, "seq", None) for r in live if getattr(r, "principal_fen", 0)}
    extra = [
        {
            "seq": p.seq,
            "due_date": p.due_date,
            "principal_fen": p.principal_fen,
            "interest_fen": p.interest_fen,
            "status": "prepaid",
        }
        for p in prepaid
        if p.seq not in shown
    ]
    rows: list[Any] = [
        r for r in live if getattr(r, "principal_fen", 0) or getattr(r, "interest_fen", 0)
    ]
    return sorted(rows + extra, key=lambda r: r["seq"] if isinstance(r, dict) else r.seq)


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d") if at else ""
