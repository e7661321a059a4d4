"""What each data source answers for one subject: the response schema of every provider.

Seven sources (``SourceName``, defined by consents: what can be consented to). The sandbox
provider builds these from the synthetic world; the HTTP adapters of real providers validate
their responses against the same models, ideally with ``Model.model_validate_json(body)``.

Conventions: field names in English snake_case; money as integer fen (``*_fen``, never a float);
months as ``"YYYY-MM"``; dates as ISO ``YYYY-MM-DD``; monthly series sorted oldest first with no
duplicate month; unknown fields are rejected. Every payload names its ``provider`` and says
whether it is synthetic (``sandbox``) so sandbox data is labelled wherever it shows.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from puhui.consents.sources import SourceName  # consents owns the list of sources
from puhui.datahub.validators import is_valid_mobile, is_valid_resident_id, is_valid_uscc

# ---------------------------------------------------------------------------- field types


def _iso_date(value: Any) -> Any:
    """Accept a ``date`` or an ISO ``YYYY-MM-DD`` string; refuse datetimes and timestamps."""
    if isinstance(value, datetime):
        raise ValueError("expected a date, got a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    raise ValueError("expected an ISO date YYYY-MM-DD")


def _check_uscc(value: str) -> str:
    if not is_valid_uscc(value):
        raise ValueError("not a valid unified social credit code (GB 32100-2015)")
    return value


def _check_resident_id(value: str) -> str:
    if not is_valid_resident_id(value):
        raise ValueError("not a valid resident identity number (GB 11643-1999)")
    return value


def _check_mobile(value: str) -> str:
    if not is_valid_mobile(value):
        raise ValueError("not a mainland mobile number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Fen = Annotated[int, Field(ge=0, strict=True)]
Count = Annotated[int, Field(ge=0, strict=True)]
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Uscc = Annotated[str, AfterValidator(_check_uscc)]
ResidentId = Annotated[str, AfterValidator(_check_resident_id)]
Mobile = Annotated[str, AfterValidator(_check_mobile)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, strict=True)]
RepaymentRecord = Annotated[str, StringConstraints(pattern=r"^[N1-7C/*]{24}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sorted_months(items: list[Any]) -> None:
    months = [item.month for item in items]
    if any(a >= b for a, b in pairwise(months)):
        raise ValueError("months must be strictly increasing (oldest first, no duplicates)")


class SourcePayload(_Model):
    """Fields every source's answer carries."""

    source: SourceName
    provider: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    sandbox: StrictBool = Field(description="true when the data is synthetic")
    subject_id: str
    as_of: IsoDate = Field(description="the provider's data date")

    @model_validator(mode="after")
    def _sandbox_label(self) -> SourcePayload:
        if self.provider == "sandbox" and not self.sandbox:
            raise ValueError("sandbox provider data must carry sandbox=true")
        return self


# ---------------------------------------------------------------------------- tax


class TaxMonth(_Model):
    month: Month
    filed: StrictBool
    invoiced_sales_fen: Fen = Field(description="sales on issued VAT invoices")
    vat_paid_fen: Fen


class TaxPayload(SourcePayload):
    source: Literal[SourceName.TAX] = SourceName.TAX
    subject_id: Uscc
    taxpayer_name: Text
    taxpayer_type: Literal["general", "small_scale"]
    credit_grade: Literal["A", "B", "M", "C", "D"] | None
    credit_grade_year: Annotated[int, Field(ge=2014, le=2100, strict=True)] | None
    months: list[TaxMonth]

    @model_validator(mode="after")
    def _months(self) -> TaxPayload:
        _sorted_months(self.months)
        return self


# ---------------------------------------------------------------------------- social security


class SocialSecurityMonth(_Model):
    month: Month
    insured_headcount: Count


class SocialSecurityPayload(SourcePayload):
    source: Literal[SourceName.SOCIAL_SECURITY] = SourceName.SOCIAL_SECURITY
    subject_id: Uscc
    unit_name: Text
    months: list[SocialSecurityMonth]

    @model_validator(mode="after")
    def _months(self) -> SocialSecurityPayload:
        _sorted_months(self.months)
        return self


# ---------------------------------------------------------------------------- housing fund


class HousingFundMonth(_Model):
    month: Month
    contributors: Count
    amount_fen: Fen = Field(description="employer and employee contributions paid that month")


class HousingFundPayload(SourcePayload):
    source: Literal[SourceName.HOUSING_FUND] = SourceName.HOUSING_FUND
    subject_id: Uscc
    unit_name: Text
    account_opened: StrictBool
    contribution_base_fen: Fen | None = Field(description="average monthly wage base")
    contribution_rate_bp: Annotated[int, Field(ge=500, le=1200, strict=True)] | None = Field(
        description="rate of each side (employer, employee) in basis points"
    )
    months: list[HousingFundMonth]

    @model_validator(mode="after")
    def _months(self) -> HousingFundPayload:
        _sorted_months(self.months)
        if not self.account_opened and any(m.contributors or m.amount_fen for m in self.months):
            raise ValueError("contributions reported without a housing-fund account")
        return self


# ---------------------------------------------------------------------------- a person's own
# housing fund and social security (便民查询: the legal representative's own records, read under
# a `convenience_query` consent; the same sources as the enterprise's, with `subject_kind`
# "person" and a resident ID as the subject)


class PersonContributionMonth(_Model):
    month: Month
    employer_name: Text = Field(description="the unit that paid that month (缴存/参保单位)")
    base_fen: Fen = Field(description="the contribution base (缴费/缴存基数)")
    personal_fen: Fen = Field(description="the person's own contribution")
    employer_fen: Fen = Field(description="the employer's contribution")


class PersonHousingFundMonth(PersonContributionMonth):
    balance_fen: Fen = Field(description="the account balance after that month")


class PersonSocialSecurityPayload(SourcePayload):
    source: Literal[SourceName.SOCIAL_SECURITY] = SourceName.SOCIAL_SECURITY
    subject_kind: Literal["person"] = "person"
    subject_id: ResidentId
    person_name: Text
    insured_city: Text
    months: list[PersonContributionMonth]

    @model_validator(mode="after")
    def _months(self) -> PersonSocialSecurityPayload:
        _sorted_months(self.months)
        return self


class PersonHousingFundPayload(SourcePayload):
    source: Literal[SourceName.HOUSING_FUND] = SourceName.HOUSING_FUND
    subject_kind: Literal["person"] = "person"
    subject_id: ResidentId
    person_name: Text
    account_status: Literal["active", "sealed", "none"] = Field(
        description="正常缴存 / 封存 / no account"
    )
    balance_fen: Fen
    months: list[PersonHousingFundMonth]

    @model_validator(mode="after")
    def _months(self) -> PersonHousingFundPayload:
        _sorted_months(self.months)
        if self.account_status == "none" and (self.months or self.balance_fen):
            raise ValueError("contributions reported without a housing-fund account")
        if self.months and self.months[-1].balance_fen != self.balance_fen:
            raise ValueError("the balance must be the last month's balance")
        return self


# ---------------------------------------------------------------------------- registry


class Shareholder(_Model):
    name: Text
    kind: Literal["person", "enterprise"]
    share_bp: BasisPoints
    uscc: Uscc | None = None


class RegistryChange(_Model):
    change_date: IsoDate
    item: Literal[
        "registered_capital",
        "legal_representative",
        "shareholder",
        "address",
        "business_scope",
        "name",
    ]
    before: str
    after: str


class AbnormalOperation(_Model):
    listed_date: IsoDate
    reason: Text
    authority: Text
    removed_date: IsoDate | None


class RegistryPayload(SourcePayload):
    source: Literal[SourceName.REGISTRY] = SourceName.REGISTRY
    subject_id: Uscc
    name: Text
    legal_representative: Text
    enterprise_type: Literal["limited_liability_company", "joint_stock_company"]
    status: Literal["active", "revoked", "deregistered", "liquidating"]
    established_date: IsoDate
    registered_capital_fen: Fen
    region_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    address: Text
    industry_code: Annotated[str, StringConstraints(pattern=r"^[A-T]$")] = Field(
        description="GB/T 4754-2017 section letter"
    )
    industry_name: Text
    contact_mobile: Mobile | None
    shareholders: list[Shareholder]
    changes: list[RegistryChange]
    abnormal_operations: list[AbnormalOperation]

    @model_validator(mode="after")
    def _consistent(self) -> RegistryPayload:
        if self.shareholders and sum(s.share_bp for s in self.shareholders) != 10_000:
            raise ValueError("shareholdings must add up to 10000 basis points")
        dates = [c.change_date for c in self.changes]
        if dates != sorted(dates):
            raise ValueError("changes must be in date order")
        return self


# ---------------------------------------------------------------------------- judicial


class Lawsuit(_Model):
    case_number: Text
    court: Text
    cause: Text
    role: Literal["defendant", "plaintiff"]
    filed_date: IsoDate
    amount_fen: Fen
    status: Literal["pending", "concluded"]
    concluded_date: IsoDate | None


class EnforcementCase(_Model):
    case_number: Text
    court: Text
    filed_date: IsoDate
    amount_fen: Fen = Field(description="amount to be enforced")
    status: Literal["pending", "concluded"]
    concluded_date: IsoDate | None
    source_case_number: str | None


class DishonestDebtorRecord(_Model):
    """An entry of the list of dishonest judgment debtors (失信被执行人名单)."""

    case_number: Text
    court: Text
    listed_date: IsoDate
    amount_fen: Fen
    circumstance: Text
    performance: Literal["unperformed", "partially_performed"]
    removed_date: IsoDate | None


class JudicialPayload(SourcePayload):
    source: Literal[SourceName.JUDICIAL] = SourceName.JUDICIAL
    subject_id: Uscc
    subject_name: Text
    lawsuits: list[Lawsuit]
    enforcements: list[EnforcementCase]
    dishonest_debtor_records: list[DishonestDebtorRecord]


# ---------------------------------------------------------------------------- utilities


class UtilitiesMonth(_Model):
    month: Month
    electricity_kwh: Count
    electricity_bill_fen: Fen
    water_m3: Count
    water_bill_fen: Fen
    paid_on_time: StrictBool


class UtilitiesPayload(SourcePayload):
    source: Literal[SourceName.UTILITIES] = SourceName.UTILITIES
    subject_id: Uscc
    account_holder: Text
    electricity_account_no: Annotated[str, StringConstraints(pattern=r"^\d{10,16}$")]
    water_account_no: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6,16}$")]
    months: list[UtilitiesMonth]

    @model_validator(mode="after")
    def _months(self) -> UtilitiesPayload:
        _sorted_months(self.months)
        return self


# ---------------------------------------------------------------------------- credit bureau

EnterpriseAccountType = Literal[
    "working_capital_loan", "fixed_asset_loan", "trade_finance", "bank_acceptance_bill"
]
PersonAccountType = Literal["credit_card", "personal_business_loan", "mortgage", "consumer_loan"]


class BureauAccount(_Model):
    account_id: Text
    lender: Text
    account_type: EnterpriseAccountType | PersonAccountType
    opened_date: IsoDate
    maturity_date: IsoDate | None
    principal_fen: Fen = Field(description="loan principal, or the credit limit of a card")
    outstanding_fen: Fen
    overdue_amount_fen: Fen
    overdue_periods: Count = Field(description="months currently past due")
    max_overdue_periods_24m: Count
    repayment_status_24m: RepaymentRecord = Field(
        description="oldest month first: N current, 1-7 months overdue, C closed, / not open"
    )
    status: Literal["normal", "overdue", "closed"]


class BureauInquiry(_Model):
    inquiry_date: IsoDate
    institution: Text
    reason: Literal[
        "loan_approval", "credit_card_approval", "guarantee_review", "post_loan_management"
    ]


class BureauSummary(_Model):
    open_accounts: Count
    lenders_with_outstanding: Count
    outstanding_total_fen: Fen
    overdue_total_fen: Fen
    accounts_overdue_now: Count
    max_overdue_periods_24m: Count
    inquiries_3m: Count = Field(description="approval inquiries (loan, card, guarantee), 3 months")
    inquiries_6m: Count


class CreditBureauPayload(SourcePayload):
    source: Literal[SourceName.CREDIT_BUREAU] = SourceName.CREDIT_BUREAU
    subject_kind: Literal["enterprise", "person"]
    subject_name: Text
    report_number: Text
    accounts: list[BureauAccount]
    inquiries: list[BureauInquiry]
    summary: BureauSummary

    @model_validator(mode="after")
    def _subject(self) -> CreditBureauPayload:
        if self.subject_kind == "enterprise":
            _check_uscc(self.subject_id)
        else:
            _check_resident_id(self.subject_id)
        return self


SourcePayloadUnion = Annotated[
    TaxPayload
    | SocialSecurityPayload
    | HousingFundPayload
    | RegistryPayload
    | JudicialPayload
    | UtilitiesPayload
    | CreditBureauPayload,
    Field(discriminator="source"),
]

PAYLOAD_MODELS: dict[SourceName, type[SourcePayload]] = {
    SourceName.TAX: TaxPayload,
    SourceName.SOCIAL_SECURITY: SocialSecurityPayload,
    SourceName.HOUSING_FUND: HousingFundPayload,
    SourceName.REGISTRY: RegistryPayload,
    SourceName.JUDICIAL: JudicialPayload,
    SourceName.UTILITIES: UtilitiesPayload,
    SourceName.CREDIT_BUREAU: CreditBureauPayload,
}


# A person's own records of a source (the subject a resident ID, `subject_kind` "person").
PERSON_PAYLOAD_MODELS: dict[SourceName, type[SourcePayload]] = {
    SourceName.SOCIAL_SECURITY: PersonSocialSecurityPayload,
    SourceName.HOUSING_FUND: PersonHousingFundPayload,
}


def payload_model(
    source: SourceName | str, subject_type: str = "enterprise"
) -> type[SourcePayload]:
    """The response model of ``source`` (accepts the enum or its string value) about an
    enterprise, or about a person (``subject_type="person"``) where a source has a person's own
    model; the credit bureau's one model covers both."""
    source = SourceName(source)
    if subject_type == "person" and source in PERSON_PAYLOAD_MODELS:
        return PERSON_PAYLOAD_MODELS[source]
    return PAYLOAD_MODELS[source]


def is_person_payload(raw: object) -> bool:
    """Whether a provider's answer (a model or decoded JSON) says it is about a person."""
    if isinstance(raw, BaseModel):
        return getattr(raw, "subject_kind", None) == "person"
    return isinstance(raw, dict) and raw.get("subject_kind") == "person"
