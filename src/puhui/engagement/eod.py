"""Engagement's end of day (a recorded job ``engagement_eod`` of :mod:`puhui.jobs.runner`,
run after the lending end of day, like ``receivables_eod``), for one business date:

1. ``segments``     the daily segmentation (``service.run_segments``: memberships entered and
                    left, counts; once per date);
2. ``conversions``  campaigns' funnel: enterprises that applied from a campaign and have drawn
                    since (``campaigns.record_drawdowns``, once per campaign and enterprise);
3. ``tasks``        the workbench's and the remote queue's new call tasks
                    (``workbench.build_tasks``,
                    at most one open task per enterprise and source);
4. ``contract_reminders``  contract-to-sign notices for lines approved but not signed
                    (``notices.contract_reminders``: the first evening, then 3 and 7 days on).

Re-running a date changes nothing (the runner records the completed run; each step is
idempotent on its own). ``puhui engagement eod --date D``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.engagement import campaigns, notices, workbench
from puhui.engagement import service as engagement_service
from puhui.jobs.runner import Batch, RunResult, Step, run_job

JOB_NAME = "engagement_eod"


@dataclass
class EngagementStep:
    """One step whose whole day's work is one batch: ``work(session)`` -> the counted figure."""

    name: str
    work: Callable[[Session], int]

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        n = self.work(session)
        return Batch(None, items=n, totals={self.name: n})


def _segments(session: Session, clock: Clock, day: date) -> int:
    run = engagement_service.run_segments(session, clock, day)
    return sum(int(c.get("members", 0)) for c in run.counts.values())


def eod_steps(clock: Clock, day: date, cipher: FieldCipher | None = None) -> list[Step]:
    steps: list[Step] = [
        EngagementStep("segments", lambda s: _segments(s, clock, day)),
        EngagementStep("conversions", lambda s: campaigns.record_drawdowns(s, clock)),
        EngagementStep("tasks", lambda s: workbench.build_tasks(s, clock, day)),
    ]
    if cipher is not None:  # the notices reach the representative's mobile (decrypted)
        steps.append(
            EngagementStep(
                "contract_reminders", lambda s: notices.contract_reminders(s, clock, cipher, day)
            )
        )
    return steps


def run_eod(
    factory: sessionmaker[Session], clock: Clock, day: date, cipher: FieldCipher | None = None
) -> RunResult:
    """Run (or resume) engagement's day job for ``day`` as a recorded run."""
    return run_job(factory, clock, JOB_NAME, day, eod_steps(clock, day, cipher))


def run_after_eod(rt: Any, day: date) -> RunResult:
    """Engagement's daily job right after `puhui eod run` (``lending.cli.AFTER_JOBS``): the same
    recorded job as `puhui engagement eod`, so running both on one date runs it once."""
    return run_eod(rt.session_factory, rt.clock, day, rt.cipher)
