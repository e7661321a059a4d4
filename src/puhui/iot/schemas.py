"""Request and response models of the collateral-watch API (`/api/v1/collateral`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from puhui.core.types import Fen, PositiveFen, SafeText
from puhui.iot.models import SensorKind

Ref = Annotated[SafeText, Field(min_length=1, max_length=64)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")


class SensorIn(_In):
    sensor_id: Ref
    kind: SensorKind
    stale_after_s: int = Field(300, ge=10, le=86_400)


class Fence(_In):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_m: int = Field(ge=1, le=100_000)


class Range(_In):
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low >= self.high:
            raise ValueError("low must be below high")
        return self


class LotWatch(_In):
    """Start watching a pledged lot: what it is, its terms, where it must stay, its sensors."""

    collateral_ref: Ref
    enterprise_id: uuid.UUID
    line_id: uuid.UUID | None = None
    site: Ref
    goods_kind: Annotated[SafeText, Field(min_length=1, max_length=64)]
    unit: Annotated[SafeText, Field(min_length=1, max_length=8)]
    quantity: int = Field(gt=0, le=10**12)
    unit_price_fen: PositiveFen
    haircut_bp: int = Field(ge=0, lt=10_000)
    required_cover_fen: Fen
    tolerance_bp: int = Field(200, ge=0, lt=10_000)
    fence: Fence
    temperature: Range | None = None
    humidity: Range | None = None
    sensors: list[SensorIn] = Field(min_length=1, max_length=50)


class LotRelease(_In):
    quantity: int = Field(gt=0, le=10**12)
    required_cover_fen: Fen | None = None


class SensorOut(_Out):
    sensor_id: str
    kind: str
    stale_after_s: int
    last_seen_at: datetime | None
    active: bool


class LotOut(_Out):
    id: uuid.UUID
    collateral_ref: str
    enterprise_id: uuid.UUID
    line_id: uuid.UUID | None
    site: str
    goods_kind: str
    unit: str
    status: str
    baseline_quantity: int
    expected_quantity: int
    tolerance_bp: int
    unit_price_fen: int
    price_source: str
    haircut_bp: int
    required_cover_fen: int
    live_value_fen: int | None
    last_quantity: float | None
    last_lat: float | None
    last_lon: float | None
    last_temp: float | None
    last_humidity: float | None
    last_reading_at: datetime | None
    firing: list[str]
    created_at: datetime
    stopped_at: datetime | None


class LotDetailOut(LotOut):
    sensors: list[SensorOut]


class ReadingOut(BaseModel):
    measured_at: datetime
    kind: str
    value: float
