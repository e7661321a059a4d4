"""Governance of the warning rules (预警规则), the same maker-checker as credit policies: a risk
officer submits a new version (validated by `rules.validate_rules` — shape, signal set,
graph, embedded tests — diffed against the active one, stored immutable as pending approval);
a second risk officer approves it (active; the previous one superseded) or rejects it. A
version can be replayed over the stored observations before approval: the same signal hits
evaluated under it, level by level, against what the active version said.

The first use seeds `rules/default.json` as version 1, active (`active_rules`). The diff is the
credit policies' `Change` / `PolicyDiff` over the document's parts: titles, parameters of each
signal, reason texts, each decision-table row by its `_id`, tests. Never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.decisioning.policy_diff import Change, PolicyDiff
from puhui.risk import rules
from puhui.risk.errors import (
    RulesInvalid,
    RulesNotFound,
    RulesNotPending,
    RulesStale,
    RulesUnchanged,
    SameOfficerRules,
)
from puhui.risk.models import Observation, RulesStatus, RulesVersion
from puhui.risk.signals import SignalHit

# --------------------------------------------------------------------------- diff (pure)


def _rows(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for node in document.get("graph", {}).get("nodes", []):
        for row in (node.get("content") or {}).get("rules", []):
            out[f"{node.get('id')}/{row.get('_id')}"] = dict(row)
    return out


def _diff_maps(
    where: str, old: Mapping[str, Any], new: Mapping[str, Any], out: list[Change]
) -> None:
    for key in old.keys() | new.keys():
        if key not in new:
            out.append(Change("removed", where, key, old=old[key]))
        elif key not in old:
            out.append(Change("added", where, key, new=new[key]))
        elif old[key] != new[key]:
            out.append(Change("changed", where, key, old=old[key], new=new[key]))


def diff_rules(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> PolicyDiff:
    """What changed from `old` (None: nothing before) to `new`, part by part."""
    base = old or {}
    out: list[Change] = []
    heads = ("title_zh", "title_en", "description", "signal_set_version")
    _diff_maps("document", {k: base.get(k) for k in heads if k in base},
               {k: new.get(k) for k in heads if k in new}, out)  # fmt: skip
    _diff_maps("signal_parameters", base.get("signal_parameters", {}),
               new.get("signal_parameters", {}), out)  # fmt: skip
    _diff_maps("reasons", base.get("reasons", {}), new.get("reasons", {}), out)
    _diff_maps("rules", _rows(base), _rows(new), out)
    tests_old = {t["name"]: t for t in base.get("tests", [])}
    tests_new = {t["name"]: t for t in new.get("tests", [])}
    _diff_maps("tests", tests_old, tests_new, out)
    order = {"document": 0, "signal_parameters": 1, "rules": 2, "reasons": 3, "tests": 4}
    return PolicyDiff(tuple(sorted(out, key=lambda c: (order[c.where], c.key))))


# --------------------------------------------------------------------------- lifecycle


def list_rules(session: Session) -> list[RulesVersion]:
    return list(session.scalars(select(RulesVersion).order_by(RulesVersion.version.desc())))


def get_rules(session: Session, version_id: uuid.UUID) -> RulesVersion:
    row = session.get(RulesVersion, version_id)
    if row is None:
        raise RulesNotFound()
    return row


def active_rules_row(session: Session) -> RulesVersion | None:
    return session.scalar(
        select(RulesVersion).where(RulesVersion.status == RulesStatus.ACTIVE.value).limit(1)
    )


def active_rules(session: Session, clock: Clock) -> RulesVersion:
    """The active version; on first use the seed document becomes version 1 (audited)."""
    row = active_rules_row(session)
    if row is not None:
        return row
    document = rules.parse_rules(rules.load_default_rules()).model_dump(mode="json")
    now = clock.now()
    row = RulesVersion(
        name=document["name"],
        version=1,
        status=RulesStatus.ACTIVE.value,
        document=document,
        document_sha256=rules.parse_rules(document).sha256(),
        base_version_id=None,
        diff=diff_rules(None, document).to_dict(),
        note="默认预警规则 / the seed rules",
        submitted_by_id=None,
        submitted_by_name="system",
        submitted_at=now,
        approved_by_name="system",
        approved_at=now,
        activated_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, "risk.rules.seed", "risk_rules_version", row.id,
                 after={"version": 1, "sha256": row.document_sha256})  # fmt: skip
    return row


def submit_rules(
    session: Session, clock: Clock, principal: Principal, document: Mapping[str, Any], note: str
) -> RulesVersion:
    """A new version, pending approval by a second risk officer."""
    issues = rules.validate_rules(dict(document))
    if issues:
        raise RulesInvalid(why="; ".join(issues[:5]))
    doc = rules.parse_rules(document)
    active = active_rules(session, clock)
    if active.document_sha256 == doc.sha256():
        raise RulesUnchanged()
    data = doc.model_dump(mode="json")
    last = session.scalar(select(RulesVersion.version).order_by(RulesVersion.version.desc()))
    row = RulesVersion(
        name=doc.name,
        version=(last or 0) + 1,
        status=RulesStatus.PENDING_APPROVAL.value,
        document=data,
        document_sha256=doc.sha256(),
        base_version_id=active.id,
        diff=diff_rules(active.document, data).to_dict(),
        note=note,
        submitted_by_id=principal.user_id,
        submitted_by_name=principal.username,
        submitted_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(session, "risk.rules.submit", "risk_rules_version", row.id,
                 after={"version": row.version, "sha256": row.document_sha256,
                        "base_version": active.version, "changes": row.diff["counts"]})  # fmt: skip
    return row


def _pending(session: Session, version_id: uuid.UUID) -> RulesVersion:
    row = get_rules(session, version_id)
    if row.status != RulesStatus.PENDING_APPROVAL.value:
        raise RulesNotPending(status=row.status)
    return row


def approve_rules(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> RulesVersion:
    row = _pending(session, version_id)
    if row.submitted_by_id == principal.user_id:
        raise SameOfficerRules()
    active = active_rules(session, clock)
    if active.id != row.base_version_id:
        raise RulesStale()
    now = clock.now()
    active.status = RulesStatus.SUPERSEDED.value
    active.superseded_at = now
    session.flush()  # one active version at a time
    row.status = RulesStatus.ACTIVE.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = now
    row.approval_note = note
    row.activated_at = now
    session.flush()
    audit.record(
        session,
        "risk.rules.approve",
        "risk_rules_version",
        row.id,
        before={"active_version": active.version},
        after={"version": row.version, "sha256": row.document_sha256, "note": note},
    )
    return row


def reject_rules(
    session: Session, clock: Clock, principal: Principal, version_id: uuid.UUID, note: str
) -> RulesVersion:
    row = _pending(session, version_id)
    row.status = RulesStatus.REJECTED.value
    row.approved_by_id = principal.user_id
    row.approved_by_name = principal.username
    row.approved_at = clock.now()
    row.approval_note = note
    audit.record(session, "risk.rules.reject", "risk_rules_version", row.id,
                 after={"version": row.version, "note": note})  # fmt: skip
    return row


# --------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class ReplayRow:
    observation_id: uuid.UUID
    enterprise_id: uuid.UUID
    business_date: Any
    level_then: str | None
    level_now: str | None
    codes_now: list[str]

    @property
    def changed(self) -> bool:
        return self.level_then != self.level_now


def hits_of(observation: Observation) -> list[SignalHit]:
    """The stored signal hits of an observation, as the rules read them."""
    from datetime import date

    return [
        SignalHit(h["code"], date.fromisoformat(h["month"]), h.get("value"), h.get("baseline"),
                  h.get("evidence") or {})
        for h in observation.hits
    ]  # fmt: skip


def replay(session: Session, version_id: uuid.UUID, *, limit: int = 1000) -> list[ReplayRow]:
    """The stored observations (newest first) evaluated under version `version_id`: the level
    they were given then and the level this version gives the same signal hits."""
    document = get_rules(session, version_id).document
    observations = session.scalars(
        select(Observation).order_by(Observation.business_date.desc(), Observation.id).limit(limit)
    )
    out = []
    for obs in observations:
        warning = rules.evaluate_warning(document, hits_of(obs))
        out.append(ReplayRow(obs.id, obs.enterprise_id, obs.business_date, obs.level,
                             warning.level, warning.codes))  # fmt: skip
    return out
