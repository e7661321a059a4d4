"""A person's own housing fund and social security (便民查询): the sandbox answers from the
synthetic world, deterministic per person; the hub reads such answers by the person models; the
sandbox is refused outside development/demo/test."""

from __future__ import annotations

import pytest

from puhui.datahub.connectors import validate_payload
from puhui.datahub.payloads import (
    HousingFundPayload,
    PersonHousingFundPayload,
    PersonSocialSecurityPayload,
    SourceName,
    payload_model,
)
from puhui.datahub.personal import (
    PersonalSandboxRefused,
    PersonalSettings,
    check_personal_provider,
)
from puhui.datahub.sandbox import SubjectNotFound, default_provider
from puhui.datahub.sandbox_person import SOCIAL_EMPLOYER_BP, SOCIAL_PERSONAL_BP, UNKNOWN_NAME

HF, SS = SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY
OUTSIDER = "11010519491231002X"  # a valid resident ID the world does not know (the demo's)


def _representative(index: int) -> tuple[str, str, str]:
    """(resident ID, name, enterprise name) of the world's enterprise `index`'s legal rep."""
    world = default_provider().world
    firm = world.enterprises.row(index, named=True)
    rep = world.people.row(firm["legal_rep_person_id"], named=True)
    return rep["resident_id"], rep["name"], firm["name"]


def test_a_representatives_records_come_from_the_enterprise_he_represents() -> None:
    provider = default_provider()
    resident_id, name, employer = _representative(0)
    ss = provider.fetch(SS, resident_id)
    assert isinstance(ss, PersonSocialSecurityPayload)
    assert ss.sandbox and ss.subject_id == resident_id and ss.person_name == name
    assert ss.months and all(m.employer_name == employer for m in ss.months)
    for m in ss.months:
        assert m.personal_fen == (m.base_fen * SOCIAL_PERSONAL_BP + 5_000) // 10_000
        assert m.employer_fen == (m.base_fen * SOCIAL_EMPLOYER_BP + 5_000) // 10_000
    hf = provider.fetch(HF, resident_id)
    assert isinstance(hf, PersonHousingFundPayload) and hf.person_name == name
    for before, after in zip(hf.months, hf.months[1:], strict=False):
        assert after.balance_fen == before.balance_fen + after.personal_fen + after.employer_fen
    if hf.months:
        assert hf.balance_fen == hf.months[-1].balance_fen


def test_records_are_deterministic_per_person_and_differ_between_people() -> None:
    provider = default_provider()
    a, _, _ = _representative(0)
    b, _, _ = _representative(1)
    assert provider.fetch(HF, a) == provider.fetch(HF, a)
    assert provider.fetch(SS, a) != provider.fetch(SS, b)
    outsider = provider.fetch(HF, OUTSIDER)
    assert outsider == provider.fetch(HF, OUTSIDER)
    assert isinstance(outsider, PersonHousingFundPayload) and outsider.person_name == UNKNOWN_NAME
    with pytest.raises(SubjectNotFound):
        provider.fetch(HF, "110105194912310021")  # not a valid resident ID


def test_the_hub_reads_a_person_answer_by_the_person_model() -> None:
    resident_id, _, _ = _representative(2)
    raw = default_provider().fetch(HF, resident_id).model_dump(mode="json")
    assert isinstance(validate_payload(HF, raw), PersonHousingFundPayload)
    uscc = default_provider().world.enterprises.row(2, named=True)["uscc"]
    firm = default_provider().fetch(HF, uscc).model_dump(mode="json")
    assert isinstance(validate_payload(HF, firm), HousingFundPayload)
    assert payload_model(HF, "person") is PersonHousingFundPayload
    assert payload_model(HF) is HousingFundPayload


def test_production_refuses_the_sandbox_of_personal_records() -> None:
    for environment in ("development", "demo", "test"):
        check_personal_provider(environment, PersonalSettings())
    with pytest.raises(PersonalSandboxRefused):
        check_personal_provider("production", PersonalSettings())
    with pytest.raises(PersonalSandboxRefused):
        check_personal_provider("production", PersonalSettings(provider="http"))
    check_personal_provider(
        "production", PersonalSettings(provider="http", http_base_url="https://gov.example.cn")
    )
