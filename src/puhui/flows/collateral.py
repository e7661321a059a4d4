"""Collateral across domains: a shortfall after a revaluation becomes a risk alert.

Lending owns the collateral and measures the line's cover (`lending.collateral.revalue`); risk
owns the warning signals and alerts. Lending publishes `CollateralShortfall`; this handler
(subscribed in `puhui.wiring`) evaluates risk's ``collateral_shortfall`` signal on the cover
ratio and raises (or refreshes) the enterprise's alert, orange — red when the cover is below
four fifths of what is needed — with the signal's reason in both languages.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.lending.events import CollateralShortfall
from puhui.risk import service as risk_service
from puhui.risk.alerts import Level
from puhui.risk.signals import SIGNALS, MonthlyObservation

SIGNAL = "collateral_shortfall"
RED_BELOW = 0.8  # float-ok: a ratio of two fen amounts compared with a threshold, not money


def on_shortfall(session: Session, event: CollateralShortfall) -> None:
    definition = SIGNALS[SIGNAL]
    ratio = event.cover_fen / event.required_fen if event.required_fen else 0.0
    month = event.day.replace(day=1)
    hit = definition.detect(
        [MonthlyObservation(month, {"collateral_cover_ratio": ratio})], definition.parameters
    )
    if hit is None:
        return
    level = Level.RED if ratio < RED_BELOW else Level.ORANGE
    risk_service.raise_alert(
        session, FixedClock(event.at), enterprise_id=event.enterprise_id, signal_code=SIGNAL,
        level=level,
        reasons=[{"code": SIGNAL, "zh": definition.reason(hit, "zh"),
                  "en": definition.reason(hit, "en")}],
        evidence={"line": event.line_reference, "line_id": str(event.line_id),
                  "exposure_fen": event.exposure_fen, "cover_fen": event.cover_fen,
                  "required_fen": event.required_fen, "shortfall_fen": event.shortfall_fen,
                  "max_ltv_bp": event.max_ltv_bp},
        day=event.day,
    )  # fmt: skip
