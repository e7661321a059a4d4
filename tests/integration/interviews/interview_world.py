"""Factories of the interview tests: an enterprise with a referred application under open
review (rows made directly, as the review queue holds them), and users with tokens."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for

from puhui.core.codes import org_code_check_char, uscc_check_char
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning.models import Application, Decision, Review
from puhui.parties import service as parties_service
from puhui.parties.schemas import EnterpriseCreate

WEBM = b"\x1a\x45\xdf\xa3" + b"\x9f\x42\x86\x81\x01" + b"PLAINTEXT-VIDEO-FRAME" * 4000


def random_uscc(rng: random.Random) -> str:
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "91330100" + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


@dataclass(frozen=True)
class Case:
    enterprise_id: uuid.UUID
    application_id: uuid.UUID
    review_id: uuid.UUID


def referred_case(session: Session, runtime: Runtime) -> Case:
    """An enterprise and a referred application waiting in the review queue."""
    clock = runtime.clock
    now = clock.now()
    rng = random.Random(uuid.uuid4().int)
    enterprise = parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name=f"面谈测试商贸有限公司{rng.randrange(10**6)}",
            uscc=random_uscc(rng),
            industry_section="F",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=100_000_000,
            established_date=date(2018, 3, 1),
            size_class="micro",
        ),
    )
    app = Application(
        reference=f"APP-T-{rng.randrange(10**9):09d}",
        enterprise_id=enterprise.id,
        product_code="SME_FLASH",
        requested_amount_fen=30_000_000,
        requested_term_months=12,
        declared_annual_revenue_fen=None,
        status="referred",
        applicant_user_id=None,
        applicant_role="borrower",
        channel_key="test",
        green_channel=False,
        created_at=now,
        updated_at=now,
        decided_at=now,
    )
    session.add(app)
    session.flush()
    decision = Decision(
        application_id=app.id,
        kind="automated",
        outcome="refer",
        feature_set_version="test",
        features={},
        snapshot_ids=[],
        inputs={},
        rule_hits=[],
        reasons=[],
        result={},
        limit_fen=0,
        decided_by_name="system",
        latency_ms=1,
        decided_at=now,
    )
    session.add(decision)
    session.flush()
    app.latest_decision_id = decision.id
    review = Review(
        application_id=app.id,
        decision_id=decision.id,
        status="open",
        green_channel=False,
        due_at=now + timedelta(hours=24),
        dual_control_above_fen=10**12,
        created_at=now,
    )
    session.add(review)
    session.commit()
    return Case(enterprise.id, app.id, review.id)


def bearer(session: Session, runtime: Runtime, role: Role, **kw: object) -> dict[str, str]:
    user = make_user(session, runtime, role, **kw)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}
