"""Champion/challenger and segment models in a credit policy: which model decides, which
shadows, and which segment of applicants a dedicated model decides for. Pure.

`PolicyDocument.models` holds a `ModelChoice`; a document without it lets the scorecard decide
alone (and keeps its old SHA-256). `scorecard` is the champion scorecard of model `sme-pd`,
`challenger` the champion of `sme-pd-challenger` (LightGBM), both in the model registry
(`puhui.decisioning.scoring`).

Segment models (issue 22, item 5): `segments` is an ordered list of `SegmentRule`s; the first
rule an application matches (industry section, size class, new or returning borrower) names the
registry model that takes the deciding scorecard's place for it. A rule whose model has no
promoted champion is passed over, and an application no rule matches is decided by the
fallback, the policy's own `decides` model. `segment_of` derives the applicant's segment from
the registry's industry code and the decision's features; the size class is a simplified
reading of the 2011 SME classification (工信部联企业〔2011〕300号): micro below 20 insured staff or
3 million yuan of invoiced sales a year, medium from 300 staff or 20 million yuan, small between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

ModelRole = Literal["scorecard", "challenger"]
SizeClass = Literal["micro", "small", "medium"]

MICRO_HEADCOUNT, MEDIUM_HEADCOUNT = 20, 300
MICRO_SALES_FEN, MEDIUM_SALES_FEN = 300_000_000, 2_000_000_000  # 3 and 20 million yuan


@dataclass(frozen=True)
class Segment:
    """What a segment rule looks at: industry section, size class, returning borrower."""

    industry: str | None
    size: SizeClass | None
    returning: bool


def size_class(headcount: Any, sales_12m_fen: Any) -> SizeClass | None:
    """The simplified SME size class from insured headcount and 12 months of invoiced sales."""
    if headcount is None and sales_12m_fen is None:
        return None
    staff = float(headcount) if headcount is not None else 0.0
    sales = float(sales_12m_fen) if sales_12m_fen is not None else 0.0
    if staff < MICRO_HEADCOUNT and sales < MICRO_SALES_FEN:
        return "micro"
    if staff >= MEDIUM_HEADCOUNT or sales >= MEDIUM_SALES_FEN:
        return "medium"
    return "small"


def segment_of(industry_code: str | None, features: Mapping[str, Any]) -> Segment:
    """The applicant's segment: the registry's industry section, the size class from the
    decision's features, returning when Puhui already has credit lines for the borrower."""
    exposure = features.get("borrower_exposure_fen") or 0
    return Segment(
        industry=industry_code or None,
        size=size_class(features.get("headcount_now"), features.get("sales_12m_fen")),
        returning=bool(exposure and float(exposure) > 0),
    )


class SegmentRule(BaseModel):
    """Applications matching every given condition are decided by `model_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    model_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    industries: tuple[str, ...] = ()  # GB/T 4754 sections; empty: any
    sizes: tuple[SizeClass, ...] = ()  # empty: any
    returning: bool | None = None  # None: new and returning alike

    def matches(self, segment: Segment) -> bool:
        if self.industries and segment.industry not in self.industries:
            return False
        if self.sizes and segment.size not in self.sizes:
            return False
        return self.returning is None or self.returning == segment.returning


class ModelChoice(BaseModel):
    """Champion/challenger: the model that decides and the one that shadows (if any); segment
    rules, first match wins, with the deciding model as the fallback."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decides: ModelRole = "scorecard"
    shadow: ModelRole | None = None
    segments: tuple[SegmentRule, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> ModelChoice:
        if self.shadow is not None and self.shadow == self.decides:
            raise ValueError("the shadow model must differ from the deciding model")
        names = [r.name for r in self.segments]
        if len(names) != len(set(names)):
            raise ValueError("segment names must be unique")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and not self.segments:
            data.pop("segments", None)  # documents without segments keep their SHA-256
        return data

    @property
    def roles(self) -> tuple[ModelRole, ...]:
        return (self.decides,) if self.shadow is None else (self.decides, self.shadow)

    def rules_for(self, segment: Segment | None) -> list[SegmentRule]:
        """The rules the segment matches, in the policy's order (the first available decides)."""
        if segment is None:
            return []
        return [r for r in self.segments if r.matches(segment)]
