"""The periodic rail job: a recorded job run per slot that submits waiting payments in batches
and applies the bank's answers; killed mid-run it resumes from the last committed batch (no
payment sent twice), and a completed slot is not run again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import assert_books, fund, make_enterprise
from tests.integration.payments.payments_factories import payout, verified_account

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.payments import rail_job
from puhui.payments import service as payments
from puhui.payments.config import PaymentSettings
from puhui.payments.rails import SandboxRail, use_rail


class CrashingRail(SandboxRail):
    """A sandbox rail whose caller's process dies at the second submission (while `crash`)."""

    crash: bool = True

    def submit(self, xml: bytes) -> bytes:
        if self.crash and self.submissions >= 1:
            raise RuntimeError("killed")
        return super().submit(xml)


def test_the_rail_job_sends_in_batches_resumes_after_a_crash_and_runs_a_slot_once(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock).id
    fund(session, clock, ent, 100_000_00)
    account = verified_account(session, clock, runtime.cipher, ent)
    sent = [payout(session, clock, account, 1_000_00 * (i + 1)) for i in range(3)]
    session.commit()
    settings = PaymentSettings(rail_job_batch=2, rail_job_slot_minutes=10)
    assert rail_job.slot_of(clock, 10) == "1000"  # 02:00 UTC is 10:00 in Shanghai

    crashing = CrashingRail()
    with use_rail(crashing), pytest.raises(RuntimeError):
        rail_job.run_due(runtime.session_factory, clock, runtime.cipher, crashing, settings)
    session.expire_all()
    assert [p.status for p in sent] == ["accepted", "accepted", "created"]  # batch 1 committed

    rail = crashing
    rail.crash = False  # the job runs again
    clock.set(clock.now() + timedelta(minutes=10))
    with use_rail(rail):
        results = rail_job.run_due(runtime.session_factory, clock, runtime.cipher, rail, settings)
    assert [(r.job, r.attempts) for r in results] == [
        ("payments.rails.1000", 2),  # the unfinished slot first, resumed
        ("payments.rails.1010", 1),
    ]
    session.expire_all()
    assert [p.status for p in sent] == ["settled"] * 3
    assert [p.submissions for p in sent] == [1, 1, 1]  # nothing sent twice
    assert results[0].total("sent") == 3 and results[1].total("sent") == 0  # 2 before the crash
    with use_rail(rail):
        again = rail_job.run_due(runtime.session_factory, clock, runtime.cipher, rail, settings)
    assert again[0].already_completed
    assert_books(session)
    assert payments.balance_of(session, payments.PAYOUT_CLEARING) == 0
