"""Every payments status, kind and break a page shows has a zh-CN and an English label."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from puhui.payments.iso20022 import MessageType
from puhui.payments.models import (
    AccountStatus,
    BreakStatus,
    Direction,
    RunStatus,
    TransferStatus,
    VerificationMethod,
)
from puhui.payments.reconcile import BreakKind
from puhui.payments.states import PaymentKind, PaymentStatus
from puhui.web.labels import CATALOGUE, label

SHOWN: dict[str, type[StrEnum]] = {
    "payment_status": PaymentStatus,
    "payment_kind": PaymentKind,
    "account_status": AccountStatus,
    "verification_method": VerificationMethod,
    "direction": Direction,
    "message_type": MessageType,
    "recon_status": RunStatus,
    "break_status": BreakStatus,
    "break_kind": BreakKind,
    "transfer_status": TransferStatus,
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", sorted(SHOWN))
def test_every_member_has_both_labels(kind: str) -> None:
    for member in SHOWN[kind]:
        zh, en = CATALOGUE[kind][member.value]
        assert CJK.search(zh) and en and not CJK.search(en), f"{kind}.{member.value}"


def test_the_new_ledger_entry_kinds_have_words() -> None:
    for kind in ("payout_hold", "payment_settled", "payment_returned", "drawdown_reversal"):
        assert label("entry_kind", kind, "en") != kind
