"""One vocabulary (issue 21): every member of every StrEnum the pages show has a zh-CN and an
English label in `puhui.web.labels`, and the helpers turn codes into words."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from puhui.assistant.states import AnswerStatus, CallbackStatus, ConversationStatus
from puhui.consents.models import ConsentStatus, Purpose
from puhui.consents.sources import SourceName
from puhui.core.models import Role
from puhui.decisioning.models import (
    ApplicationStatus,
    DecisionKind,
    DecisionOutcome,
    PolicyStatus,
    ReviewStatus,
)
from puhui.engagement.engines import Engine
from puhui.engagement.prescreen import ListKind, OfferStatus
from puhui.engagement.segments import Segment
from puhui.ledger.chart import CHART
from puhui.lending.allocation import Bucket
from puhui.lending.bad_loan_models import WriteOffStatus
from puhui.lending.classification import LoanClass
from puhui.lending.collateral_rules import CollateralKind, CollateralStatus
from puhui.lending.contracts.models import ContractStatus
from puhui.lending.guarantees_rules import CallStatus, CallTrigger, GuaranteeStatus, GuarantorKind
from puhui.lending.models import (
    DrawdownStatus,
    InstalmentStatus,
    LineStatus,
    LoanStatus,
    RepaymentKind,
)
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing.limit_rules import RulesStatus as LimitRulesStatus
from puhui.lending.servicing.pricing import LprStatus
from puhui.lending.servicing.states import ReliefRequestKind, ReliefRequestStatus
from puhui.parties.models import RelationKind, SizeClass
from puhui.receivables.state import CertificateStatus, PartStatus
from puhui.risk.collection_rules import Bucket as CollectionBucket
from puhui.risk.collection_rules import CaseStatus, PromiseStatus
from puhui.web.labels import CATALOGUE, channel_label, entry_kind_label, label

SHOWN: dict[str, type[StrEnum]] = {
    "application_status": ApplicationStatus,
    "event": ApplicationStatus,
    "decision_outcome": DecisionOutcome,
    "decision_kind": DecisionKind,
    "policy_status": PolicyStatus,
    "review_status": ReviewStatus,
    "line_status": LineStatus,
    "loan_status": LoanStatus,
    "instalment_status": InstalmentStatus,
    "drawdown_status": DrawdownStatus,
    "repayment_kind": RepaymentKind,
    "repayment_method": RepaymentMethod,
    "contract_status": ContractStatus,
    "consent_status": ConsentStatus,
    "purpose": Purpose,
    "loan_class": LoanClass,
    "bucket": Bucket,
    "source": SourceName,
    "role": Role,
    "size_class": SizeClass,
    "relation_kind": RelationKind,
    "certificate_status": CertificateStatus,
    "part_status": PartStatus,
    "conversation_status": ConversationStatus,
    "kb_status": AnswerStatus,
    "callback_status": CallbackStatus,
    "relief_kind": ReliefRequestKind,
    "relief_status": ReliefRequestStatus,
    "lpr_status": LprStatus,
    "limit_rules_status": LimitRulesStatus,
    "segment": Segment,
    "list_kind": ListKind,
    "offer_outcome": OfferStatus,
    "batch_engine": Engine,
    "collection_bucket": CollectionBucket,
    "collection_case_status": CaseStatus,
    "promise_status": PromiseStatus,
    "write_off_status": WriteOffStatus,
    "guarantee_status": GuaranteeStatus,
    "guarantor_kind": GuarantorKind,
    "guarantee_call_trigger": CallTrigger,
    "guarantee_call_status": CallStatus,
    "collateral_kind": CollateralKind,
    "collateral_status": CollateralStatus,
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", sorted(SHOWN))
def test_every_member_has_both_labels(kind: str) -> None:
    for member in SHOWN[kind]:
        pair = CATALOGUE[kind].get(member.value)
        assert pair is not None, f"{kind}.{member.value} has no label"
        zh, en = pair
        assert CJK.search(zh), f"{kind}.{member.value}: zh label {zh!r}"
        assert en and not CJK.search(en) and en != member.value, f"{kind}.{member.value}: {en!r}"


def test_every_ledger_account_and_industry_section_has_both_labels() -> None:
    for code in CHART:
        assert label("account", code, "zh") != code and label("account", code, "en") != code
    for letter in "ABCDEFGHIJKLMNOPQRST":
        assert CJK.search(label("industry", letter, "zh"))
        assert label("industry", letter, "en") != letter


def test_entry_kinds_with_a_qualifier() -> None:
    assert entry_kind_label("repayment:prepayment", "zh") == "提前还款"
    assert entry_kind_label("reversal:drawdown", "en") == "Reversal: Drawdown"


def test_channels_in_words_with_the_managers_name() -> None:
    names = {"01a24c00-0000-7000-8000-000000000001": "张经理"}
    key = "manager:01a24c00-0000-7000-8000-000000000001"
    assert channel_label(key, names, "zh") == "客户经理推荐 · 张经理"
    assert channel_label(key, names, "en") == "Referred by 张经理"
    assert channel_label("direct:330100", {}, "en") == "Self-service"


def test_an_unknown_code_comes_back_as_itself() -> None:
    assert label("line_status", "brand_new", "zh") == "brand_new"
    assert label("line_status", None, "zh") == ""
