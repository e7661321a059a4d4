"""Champion/challenger in a credit policy: which model decides, which shadows. Pure.

`PolicyDocument.models` holds a `ModelChoice`; a document without it lets the scorecard decide
alone (and keeps its old SHA-256). `scorecard` is the champion scorecard of model `sme-pd`,
`challenger` the champion of `sme-pd-challenger` (LightGBM), both in the model registry
(`puhui.decisioning.scoring`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

ModelRole = Literal["scorecard", "challenger"]


class ModelChoice(BaseModel):
    """Champion/challenger: the model that decides and the one that shadows (if any)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decides: ModelRole = "scorecard"
    shadow: ModelRole | None = None

    @model_validator(mode="after")
    def _distinct(self) -> ModelChoice:
        if self.shadow is not None and self.shadow == self.decides:
            raise ValueError("the shadow model must differ from the deciding model")
        return self

    @property
    def roles(self) -> tuple[ModelRole, ...]:
        return (self.decides,) if self.shadow is None else (self.decides, self.shadow)
