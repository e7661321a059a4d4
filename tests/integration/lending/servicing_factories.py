"""Factories of the servicing tests: a real decision row for a renewal to cite."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.core.ids import new_id, reference_from_id
from puhui.decisioning.models import Application, Decision


def decision_for(
    session: Session,
    clock: FixedClock,
    enterprise_id: uuid.UUID,
    *,
    outcome: str = "approve",
    age: timedelta = timedelta(0),
) -> uuid.UUID:
    """A stored decision (and its application) of `enterprise_id`, taken `age` before now."""
    decided_at: datetime = clock.now() - age
    app_id, decision_id = new_id(), new_id()
    session.add(
        Application(
            id=app_id,
            reference=reference_from_id("APP", app_id, decided_at.date()),
            enterprise_id=enterprise_id,
            product_code="xianxihouben",
            requested_amount_fen=3_600_000,
            requested_term_months=6,
            declared_annual_revenue_fen=None,
            status="approved" if outcome == "approve" else "declined",
            applicant_user_id=None,
            applicant_role="credit_officer",
            legal_rep_person_id=None,
            contact_mobile_hash=None,
            manager_user_id=None,
            team_code=None,
            channel_key="renewal",
            green_channel=False,
            latest_decision_id=decision_id,
            credit_line_id=None,
            created_at=decided_at,
            updated_at=decided_at,
            decided_at=decided_at,
        )
    )
    session.flush()
    session.add(
        Decision(
            id=decision_id,
            application_id=app_id,
            kind="automated",
            outcome=outcome,
            feature_set_version="test",
            features={},
            snapshot_ids=[],
            inputs={},
            policy_version_id=None,
            policy_version=None,
            model_id=None,
            model_version=None,
            score_points=None,
            pd_ppm=None,
            grade=None,
            rule_hits=[],
            reasons=[],
            result={"outcome": outcome},
            limit_fen=3_600_000 if outcome == "approve" else 0,
            rate_bp=435,
            term_months=6,
            repayment_method=None,
            credit_line_id=None,
            decided_by_id=None,
            decided_by_name="系统",
            reason_text=None,
            latency_ms=1,
            decided_at=decided_at,
        )
    )
    session.flush()
    return decision_id
