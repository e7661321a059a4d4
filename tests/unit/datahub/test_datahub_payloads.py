"""Payload models: strict, realistic response schemas of the seven sources."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from puhui.datahub.payloads import (
    PAYLOAD_MODELS,
    CreditBureauPayload,
    RegistryPayload,
    SourceName,
    TaxPayload,
    payload_model,
)

USCC = "91350100M000100Y43"


def _tax(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "tax",
        "provider": "acme-tax",
        "sandbox": False,
        "subject_id": USCC,
        "as_of": "2026-10-31",
        "taxpayer_name": "福州示例科技有限公司",
        "taxpayer_type": "general",
        "credit_grade": "B",
        "credit_grade_year": 2025,
        "months": [
            {"month": "2026-08", "filed": True, "invoiced_sales_fen": 123456, "vat_paid_fen": 100},
            {"month": "2026-09", "filed": False, "invoiced_sales_fen": 0, "vat_paid_fen": 0},
        ],
    }
    body.update(changes)
    return body


def test_seven_sources_each_with_a_model() -> None:
    assert len(SourceName) == 7
    assert set(PAYLOAD_MODELS) == set(SourceName)
    assert payload_model("tax") is TaxPayload


def test_valid_payload_from_json_and_python() -> None:
    import json

    parsed = TaxPayload.model_validate_json(json.dumps(_tax()))
    assert parsed.as_of == date(2026, 10, 31)
    assert parsed.months[0].invoiced_sales_fen == 123456
    assert TaxPayload.model_validate(_tax()) == parsed


@pytest.mark.parametrize(
    "changes",
    [
        {"subject_id": "91350100M000100Y44"},  # bad check character
        {"credit_grade": "E"},
        {"taxpayer_type": "individual"},
        {"unexpected": 1},  # unknown fields are refused
        {"as_of": "2026-10-31T00:00:00"},  # a date, not a datetime
        {"as_of": 1793404800},  # nor a timestamp
        {"provider": "sandbox", "sandbox": False},  # sandbox data must say so
        {
            "months": [
                {"month": "2026-13", "filed": True, "invoiced_sales_fen": 1, "vat_paid_fen": 0}
            ]
        },
        {
            "months": [
                {"month": "2026-08", "filed": True, "invoiced_sales_fen": 1.5, "vat_paid_fen": 0}
            ]
        },
        {
            "months": [
                {"month": "2026-08", "filed": True, "invoiced_sales_fen": "100", "vat_paid_fen": 0}
            ]
        },
        {
            "months": [
                {"month": "2026-08", "filed": True, "invoiced_sales_fen": -1, "vat_paid_fen": 0}
            ]
        },
        {
            "months": [
                {"month": "2026-08", "filed": "yes", "invoiced_sales_fen": 1, "vat_paid_fen": 0}
            ]
        },
        {
            "months": [
                {"month": "2026-09", "filed": True, "invoiced_sales_fen": 1, "vat_paid_fen": 0},
                {"month": "2026-08", "filed": True, "invoiced_sales_fen": 1, "vat_paid_fen": 0},
            ]
        },
    ],
)
def test_invalid_payloads_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TaxPayload.model_validate(_tax(**changes))


def test_source_discriminator_must_match() -> None:
    with pytest.raises(ValidationError):
        TaxPayload.model_validate(_tax(source="judicial"))


def test_bureau_subject_is_checked_per_kind() -> None:
    summary = {
        "open_accounts": 0,
        "lenders_with_outstanding": 0,
        "outstanding_total_fen": 0,
        "overdue_total_fen": 0,
        "accounts_overdue_now": 0,
        "max_overdue_periods_24m": 0,
        "inquiries_3m": 0,
        "inquiries_6m": 0,
    }
    body = {
        "provider": "pboc",
        "sandbox": False,
        "as_of": "2026-10-31",
        "subject_kind": "person",
        "subject_name": "张伟",
        "report_number": "R1",
        "accounts": [],
        "inquiries": [],
        "summary": summary,
    }
    CreditBureauPayload.model_validate(body | {"subject_id": "11010519491231002X"})
    with pytest.raises(ValidationError):
        CreditBureauPayload.model_validate(body | {"subject_id": USCC})
    with pytest.raises(ValidationError):
        CreditBureauPayload.model_validate(
            body | {"subject_kind": "enterprise", "subject_id": "11010519491231002X"}
        )


def test_registry_shares_must_add_up() -> None:
    body = {
        "provider": "saic",
        "sandbox": False,
        "subject_id": USCC,
        "as_of": "2026-10-31",
        "name": "福州示例科技有限公司",
        "legal_representative": "张伟",
        "enterprise_type": "limited_liability_company",
        "status": "active",
        "established_date": "2018-05-04",
        "registered_capital_fen": 100_000_000,
        "region_code": "350102",
        "address": "福建省福州市鼓楼区人民路1号",
        "industry_code": "I",
        "industry_name": "信息传输、软件和信息技术服务业",
        "contact_mobile": "13812345678",
        "shareholders": [
            {"name": "张伟", "kind": "person", "share_bp": 6000},
            {"name": "李娜", "kind": "person", "share_bp": 4000},
        ],
        "changes": [],
        "abnormal_operations": [],
    }
    RegistryPayload.model_validate(body)
    body["shareholders"] = [{"name": "张伟", "kind": "person", "share_bp": 6000}]
    with pytest.raises(ValidationError):
        RegistryPayload.model_validate(body)
