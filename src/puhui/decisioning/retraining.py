"""Retraining from the bank's own outcomes (issue 22, item 7).

The training set is the book: every automated decision with the features it was decided on,
labelled by what the credit line's loans did afterwards (read through the lending service):

* **bad** = 90 or more days past due, a loan classified substandard or worse (which the
  five-category rules reach at 90+ dpd), or written off (the write-off status of slice R2;
  absent, it simply never matches);
* **good** = approved, drawn, and none of that once the **performance window** (12 months
  from the decision) is complete at the as-of date;
* an approved loan whose window is not complete and that is not bad yet is left out (an
  immature loan is not a good one), and so are lines never drawn (no outcome).

**Reject inference** (optional, off by default): `hard_cutoff` counts a declined application
whose PD was at least `reject_pd` as bad and leaves the other declines out. It keeps the
declined high-risk tail in the sample, at the price of trusting the old model there; with it
off, the new model learns only from the applicants the old one let through (selection bias),
which the validation report states.

For the demo and tests (`environment` development/demo/test only) `outcomes="sandbox"` labels
each decision with the sandbox world's own 12-month outcome of the enterprise (沙箱 outcomes):
the demo book is a month old and no window is complete yet. Production refuses it.

`retrain(...)` fits the scorecard on the set exactly as production training does (honest CV),
writes it to the registry with a validation report and a reference profile for monitoring,
and records a `ModelCandidate` (submitted): a second officer approves it, it runs in shadow,
and only then is it promoted (`model_ops`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import SHANGHAI, Clock
from puhui.core.ids import new_id
from puhui.decisioning.features import CATEGORICAL_MODEL_FEATURES, MODEL_FEATURES
from puhui.decisioning.model_ops_errors import NotEnoughOutcomes, SandboxOutcomesRefused
from puhui.decisioning.model_ops_models import CandidateStatus, ModelCandidate
from puhui.decisioning.models import Application, Decision, DecisionKind
from puhui.lending import service as lending_service

BAD_DPD = 90
BAD_CLASSES = frozenset({"substandard", "doubtful", "loss"})
WRITTEN_OFF = "written_off"
MIN_ROWS, MIN_BADS = 200, 20
RejectInference = Literal["none", "hard_cutoff"]
Outcomes = Literal["book", "sandbox"]


@dataclass(frozen=True)
class Performance:
    max_dpd: int
    classification: str
    written_off: bool

    @property
    def bad(self) -> bool:
        return self.written_off or self.max_dpd >= BAD_DPD or self.classification in BAD_CLASSES


@dataclass(frozen=True)
class BookRow:
    decided_on: date
    features: Mapping[str, Any]
    approved: bool
    pd: float | None
    performance: Performance | None  # None: no loan drawn (no outcome)
    sandbox_bad: bool | None = None  # the sandbox world's outcome (demo/test only)


def label(
    row: BookRow,
    as_of: date,
    *,
    window_months: int = 12,
    reject_inference: RejectInference = "none",
    reject_pd: float = 0.2,
    outcomes: Outcomes = "book",
) -> int | None:
    """1 bad, 0 good, None left out (see the module docstring)."""
    if outcomes == "sandbox":
        return None if row.sandbox_bad is None else int(row.sandbox_bad)
    if not row.approved:
        if reject_inference == "hard_cutoff" and row.pd is not None and row.pd >= reject_pd:
            return 1
        return None
    if row.performance is None:
        return None
    if row.performance.bad:
        return 1
    return 0 if add_months(row.decided_on, window_months) <= as_of else None


def training_frame(
    rows: Sequence[BookRow], as_of: date, **rules: Any
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The labelled rows as a model frame (MODEL_FEATURES + `bad`) and the counts left out."""
    labels = [label(r, as_of, **rules) for r in rows]
    kept = [(r, y) for r, y in zip(rows, labels, strict=True) if y is not None]
    data: dict[str, Any] = {}
    for name in MODEL_FEATURES:
        values = [r.features.get(name) for r, _ in kept]
        if name in CATEGORICAL_MODEL_FEATURES:
            data[name] = pl.Series(name, [None if v is None else str(v) for v in values],
                                   dtype=pl.String)  # fmt: skip
        else:
            data[name] = pl.Series(name, [None if v is None else float(v) for v in values],
                                   dtype=pl.Float64)  # fmt: skip
    data["bad"] = pl.Series("bad", [y for _, y in kept], dtype=pl.Int64)
    counts = {
        "decisions": len(rows),
        "rows": len(kept),
        "bads": sum(y for _, y in kept if y),
        "left_out": len(rows) - len(kept),
    }
    return pl.DataFrame(data), counts


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clipped to the month's end)."""
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


# --------------------------------------------------------------------------- the book


def performance_of(session: Session, line_id: Any) -> Performance | None:
    """The worst of a credit line's loans (None when nothing was drawn)."""
    loans = lending_service.list_loans(session, line_id=line_id)
    if not loans:
        return None
    worst = max(loans, key=lambda loan: loan.dpd)
    classes = [str(loan.classification) for loan in loans]
    bad_class = next((c for c in classes if c in BAD_CLASSES), worst.classification)
    return Performance(
        max_dpd=max(loan.dpd for loan in loans),
        classification=str(bad_class),
        written_off=any(str(loan.status) == WRITTEN_OFF for loan in loans),
    )


def book_rows(
    session: Session, *, sandbox_outcome: Callable[[Any], bool | None] | None = None
) -> list[BookRow]:
    """Every automated decision of the book with its performance (and, for the demo, the
    sandbox world's outcome of the enterprise, by enterprise id)."""
    query = (
        select(Decision, Application.enterprise_id)
        .join(Application, Application.id == Decision.application_id)
        .where(Decision.kind == DecisionKind.AUTOMATED.value)
        .order_by(Decision.decided_at, Decision.id)
    )
    out = []
    for decision, enterprise_id in session.execute(query):
        score = (decision.inputs or {}).get("score") or {}
        line = decision.credit_line_id
        out.append(
            BookRow(
                decided_on=decision.decided_at.astimezone(SHANGHAI).date(),
                features=decision.features,
                approved=decision.outcome == "approve",
                pd=score.get("pd"),
                performance=performance_of(session, line) if line is not None else None,
                sandbox_bad=None if sandbox_outcome is None else sandbox_outcome(enterprise_id),
            )
        )
    return out


# --------------------------------------------------------------------------- retrain


@dataclass(frozen=True)
class Retrained:
    candidate: ModelCandidate
    counts: dict[str, int]
    cv_auc: float


def retrain(
    session: Session,
    clock: Clock,
    principal: Principal,
    registry_root: Path,
    rows: Sequence[BookRow],
    *,
    as_of: date,
    model_id: str = "sme-pd",
    version: str | None = None,
    window_months: int = 12,
    reject_inference: RejectInference = "none",
    outcomes: Outcomes = "book",
    min_rows: int = MIN_ROWS,
    min_bads: int = MIN_BADS,
    params: Any = None,  # scorecards.scorecard.TrainingParams; production's defaults when None
) -> Retrained:
    """Fit, validate and register a new version; record it as a submitted candidate."""
    from puhui.decisioning.world_training import train_world_scorecard
    from puhui.scorecards.monitoring import reference_profile
    from puhui.scorecards.registry import FileModelRegistry
    from puhui.scorecards.report import render_report_html
    from puhui.scorecards.validation import build_validation_report

    frame, counts = training_frame(
        rows, as_of, window_months=window_months, reject_inference=reject_inference,
        outcomes=outcomes,
    )  # fmt: skip
    if counts["rows"] < min_rows or counts["bads"] < min_bads:
        raise NotEnoughOutcomes(rows=counts["rows"], bads=counts["bads"], min_rows=min_rows,
                                min_bads=min_bads)  # fmt: skip
    now = clock.now()
    version = version or f"r{now.astimezone(SHANGHAI):%Y%m%d%H%M%S}"
    source = "沙箱表现 sandbox outcomes" if outcomes == "sandbox" else "own book"
    artifact = train_world_scorecard(
        frame.rename({"bad": "default_12m"}), seed=1, created_at=now, model_id=model_id,
        version=version, params=params,
        description=f"retrained on {source}: {counts['rows']} decisions, {counts['bads']} bad, "
        f"as of {as_of}, {window_months}-month window, reject inference {reject_inference}",
    )  # fmt: skip
    y = frame["bad"].to_numpy()
    scored = artifact.score_frame(frame)
    report = build_validation_report(
        artifact, frame, y, dataset=f"{source}, as of {as_of} (in-sample; CV AUC is honest)",
        created_at=now, reference_data=frame, reference_name="training sample",
        extra={"as_of": str(as_of), "window_months": window_months,
               "reject_inference": reject_inference, **counts},
    )  # fmt: skip
    registry = FileModelRegistry(registry_root)
    registry.save(artifact, report=report, report_html=render_report_html(report))
    profile = reference_profile(model_id, version, scored.points.tolist(), scored.pd.tolist())
    save_reference(registry_root, profile)
    cv_auc = float(artifact.training.get("cv_auc") or 0.0)
    candidate = ModelCandidate(
        id=new_id(), model_id=model_id, version=version, status=CandidateStatus.SUBMITTED.value,
        training={**counts, "as_of": str(as_of), "window_months": window_months,
                  "reject_inference": reject_inference, "outcomes": outcomes,
                  "cv_auc": round(cv_auc, 4), "bad_rate": round(float(np.mean(y)), 4)},
        maker_id=principal.user_id, maker_name=principal.display_name or "system",
        created_at=now,
    )  # fmt: skip
    session.add(candidate)
    session.flush()
    return Retrained(candidate, counts, cv_auc)


def save_reference(registry_root: Path, profile: Any) -> None:
    import json

    folder = registry_root / profile.model_id / profile.version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reference.json").write_text(json.dumps(profile.to_dict(), indent=2), "utf-8")


def sandbox_outcomes(session: Session, environment: str) -> Callable[[Any], bool | None]:
    """The sandbox world's 12-month outcome of an enterprise, by its id (demo/test only)."""
    from puhui.datahub.sandbox import SubjectNotFound, default_provider
    from puhui.parties import service as parties_service

    if environment not in ("development", "demo", "test"):
        raise SandboxOutcomesRefused()
    provider = default_provider()
    defaults = provider.world.outcomes["default_12m"].to_list()

    def outcome(enterprise_id: Any) -> bool | None:
        uscc = parties_service.get_enterprise(session, enterprise_id).uscc
        try:
            return bool(defaults[provider.enterprise_id(uscc)])
        except SubjectNotFound:  # an enterprise the sandbox world does not know: no outcome
            return None

    return outcome
