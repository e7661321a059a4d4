"""HTTP and service contracts of the parties domain. Validation errors carry stable codes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from puhui.core import codes
from puhui.core.types import (
    Fen,
    PlausibleDate,
    SafeText,
    is_plausible_birth_date,
    today_in_shanghai,
)
from puhui.parties.models import RelationKind, SizeClass

GBT4754_SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and post"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water conservancy, environment and public facilities"),
    "O": ("居民服务、修理和其他服务业", "Resident services, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration and social organisations"),
    "T": ("国际组织", "International organisations"),
}


def _uscc(value: str) -> str:
    value = codes.normalize_uscc(value)
    if not codes.is_valid_uscc(value):
        raise PydanticCustomError("uscc_invalid", "invalid unified social credit code")
    return value


def _resident_id(value: str) -> str:
    value = codes.normalize_resident_id(value)
    if not codes.is_valid_resident_id(value):
        raise PydanticCustomError("resident_id_invalid", "invalid resident ID number")
    born = codes.resident_id_birth_date(value)
    if born is None or not is_plausible_birth_date(born, today_in_shanghai()):
        raise PydanticCustomError("birth_date_implausible", "implausible birth date")
    return value


def _mobile(value: str) -> str:
    value = codes.normalize_mobile(value)
    if not codes.is_valid_mobile(value):
        raise PydanticCustomError("mobile_invalid", "invalid mobile number")
    return value


def _industry(value: str) -> str:
    value = value.strip().upper()
    if value not in GBT4754_SECTIONS:
        raise PydanticCustomError("industry_invalid", "invalid GB/T 4754 section")
    return value


def _region(value: str) -> str:
    if len(value) != 6 or not value.isdigit():
        raise PydanticCustomError("region_invalid", "invalid region code")
    return value


USCC = Annotated[str, AfterValidator(_uscc)]
ResidentId = Annotated[str, AfterValidator(_resident_id)]
Mobile = Annotated[str, AfterValidator(_mobile)]
IndustrySection = Annotated[str, AfterValidator(_industry)]
RegionCode = Annotated[str, AfterValidator(_region)]


class EnterpriseRecord(Protocol):
    """An enterprise as other domains read what the parties service returns (the row
    satisfies it; parties' ORM class is no other domain's contract)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...
    @property
    def uscc(self) -> str: ...
    @property
    def region_code(self) -> str: ...
    @property
    def region_name(self) -> str: ...
    @property
    def size_class(self) -> str: ...


class PersonRecord(Protocol):
    """A person as other domains read what the parties service returns (identifiers stay
    encrypted in the row; ask parties' service for anything more)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def name(self) -> str: ...


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SafeText = Field(min_length=2, max_length=200)
    uscc: USCC
    industry_section: IndustrySection
    region_code: RegionCode
    region_name: SafeText = Field(min_length=1, max_length=100)
    registered_capital_fen: Fen
    established_date: PlausibleDate
    size_class: SizeClass
    branch: SafeText | None = Field(default=None, max_length=64)


class EnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    uscc: str
    industry_section: str
    region_code: str
    region_name: str
    registered_capital_fen: int
    established_date: date
    size_class: str
    branch: str | None
    created_at: datetime


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SafeText = Field(min_length=1, max_length=100)
    resident_id: ResidentId
    mobile: Mobile


class PersonOut(BaseModel):
    """A person as shown: identifiers masked."""

    id: uuid.UUID
    name: str
    resident_id: str
    mobile: str
    masked: bool = True


class RelationshipCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RelationKind
    person_id: uuid.UUID | None = None
    related_enterprise_id: uuid.UUID | None = None
    share_pct: SafeText | None = Field(
        default=None, max_length=16, description="shareholding in percent, e.g. '35.5'"
    )


class RelationshipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    enterprise_id: uuid.UUID
    kind: str
    person_id: uuid.UUID | None
    related_enterprise_id: uuid.UUID | None
    share_bp: int | None
    created_at: datetime
