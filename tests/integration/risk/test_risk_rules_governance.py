"""Warning rules governance (issue 14, item 2): edit → diff → second approval → active, and
replay of stored observations under a version — the same maker-checker as credit policies."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import make_enterprise

from puhui.core.auth import principal_of
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.risk import governance
from puhui.risk.errors import RulesInvalid, RulesStale, RulesUnchanged, SameOfficerRules
from puhui.risk.models import Observation


def _edited(document: dict[str, Any], threshold: int) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc["version"] = doc["version"] + 1
    for node in doc["graph"]["nodes"]:
        for row in (node.get("content") or {}).get("rules", []):
            if row["_id"] == "w_dpd_30":
                row["t_warnings_in_0"] = f"days_past_due_value >= {threshold}"
    return doc


def _observation(session: Session, runtime: Runtime, dpd: int, level: str) -> Observation:
    ent = make_enterprise(session, runtime.clock)  # type: ignore[arg-type]
    obs = Observation(
        enterprise_id=ent.id,
        business_date=date(2026, 11, 23),
        month=date(2026, 10, 1),
        values={"dpd": dpd},
        snapshot_ids=[],
        signal_set_version="test",
        hits=[
            {
                "code": "days_past_due",
                "month": "2026-10-01",
                "value": dpd,
                "baseline": None,
                "evidence": {},
            }
        ],
        level=level,
        reasons=[],
        rules_version=1,
        created_at=runtime.clock.now(),
    )
    session.add(obs)
    session.flush()
    return obs


def test_edit_diff_second_approval_active_and_replay(session: Session, runtime: Runtime) -> None:
    clock = runtime.clock
    maker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    seed = governance.active_rules(session, clock)
    assert seed.version == 1 and seed.status == "active"
    with pytest.raises(RulesUnchanged):
        governance.submit_rules(session, clock, maker, seed.document, "nothing")
    broken = _edited(seed.document, 30)
    broken["reasons"].pop("W_DPD_30")
    with pytest.raises(RulesInvalid):
        governance.submit_rules(session, clock, maker, broken, "broken")

    pending = governance.submit_rules(session, clock, maker, _edited(seed.document, 15), "收紧")
    assert pending.status == "pending_approval" and pending.version == 2
    changes = pending.diff["changes"]
    assert pending.diff["counts"] == {"added": 0, "removed": 0, "changed": 1}
    row = next(c for c in changes if c["where"] == "rules")
    assert row["key"].endswith("w_dpd_30")
    assert row["old"]["t_warnings_in_0"].endswith(">= 30")
    assert row["new"]["t_warnings_in_0"].endswith(">= 15")
    assert governance.active_rules(session, clock).id == seed.id  # not active yet

    stale_base = _observation(session, runtime, 20, "orange")
    replayed = {r.observation_id: r for r in governance.replay(session, pending.id)}
    assert replayed[stale_base.id].level_then == "orange"
    assert replayed[stale_base.id].level_now == "red" and replayed[stale_base.id].changed

    with pytest.raises(SameOfficerRules):
        governance.approve_rules(session, clock, maker, pending.id, "self")
    governance.approve_rules(session, clock, checker, pending.id, "同意")
    active = governance.active_rules(session, clock)
    assert active.id == pending.id and active.status == "active"
    assert seed.status == "superseded"

    # a version submitted on v1 can no longer be approved once v2 is active
    other = governance.submit_rules(session, clock, maker, _edited(seed.document, 20), "x")
    other.base_version_id = seed.id
    with pytest.raises(RulesStale):
        governance.approve_rules(session, clock, checker, other.id, "late")
