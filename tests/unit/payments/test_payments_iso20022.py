"""ISO 20022 messages: every message built validates against its official schema, reads back
to what was written, and a broken document is caught by the schema."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.payments import iso20022 as iso
from puhui.payments.iso20022 import Entry, Instruction, MessageType, Party, StatusLine, TxStatus

AT = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
DAY = date(2026, 12, 7)
BANK = Party("普惠银行", "900000000001", "313100000013")
SUPPLIER = Party("杭州某某供应商有限公司", "6222000011112222", "102100099996")


def _payout(e2e: str = "E2E-1", fen: int = 123_456) -> Instruction:
    return Instruction(e2e, fen, BANK, SUPPLIER, "放款 DRW-2026-000001")


def _all_messages() -> dict[MessageType, bytes]:
    debit = Instruction("E2E-2", 50_00, SUPPLIER, BANK, "还款", "MD-1", date(2026, 1, 5))
    entries = [
        Entry("E2E-1", 123_456, False, DAY, reference="BK1"),
        Entry("E2E-1", 123_456, True, DAY, reversal=True, reference="BK2", reason="AC04"),
    ]
    statement = iso.Statement("S1", BANK.account, DAY, 0, 0, tuple(entries))
    return {
        MessageType.PAIN_001: iso.build_pain001("M1", AT, "普惠", DAY, [_payout(), _payout("E2")]),
        MessageType.PAIN_008: iso.build_pain008("M2", AT, "普惠", DAY, [debit]),
        MessageType.PAIN_002: iso.build_pain002(
            "M3", AT, "M1", MessageType.PAIN_001, [StatusLine("E2E-1", TxStatus.REJECTED, "AC04")]
        ),
        MessageType.CAMT_054: iso.build_camt054("M4", AT, BANK.account, entries),
        MessageType.CAMT_053: iso.build_camt053("M5", AT, statement),
    }


@pytest.mark.parametrize("kind", list(MessageType))
def test_every_message_validates_against_its_iso_schema(kind: MessageType) -> None:
    xml = _all_messages()[kind]
    assert iso.message_type_of(xml) is kind
    assert iso.schema_errors(xml) == []


def test_the_schema_catches_a_broken_document() -> None:
    xml = _all_messages()[MessageType.PAIN_001].replace(b"<NbOfTxs>2</NbOfTxs>", b"")
    assert iso.schema_errors(xml, MessageType.PAIN_001) != []
    bad_amount = _all_messages()[MessageType.PAIN_001].replace(b"1234.56", b"12.345.6", 1)
    assert iso.schema_errors(bad_amount) != []


def test_initiations_read_back() -> None:
    read = iso.parse_initiation(_all_messages()[MessageType.PAIN_001])
    assert read.message_id == "M1"
    assert read.items[0] == _payout()
    debit = iso.parse_initiation(_all_messages()[MessageType.PAIN_008]).items[0]
    assert (debit.debtor, debit.creditor, debit.mandate_id) == (SUPPLIER, BANK, "MD-1")


def test_reports_and_statements_read_back() -> None:
    messages = _all_messages()
    assert iso.parse_pain002(messages[MessageType.PAIN_002]) == (
        "M1",
        [StatusLine("E2E-1", TxStatus.REJECTED, "AC04")],
    )
    notes = iso.parse_camt054(messages[MessageType.CAMT_054])
    assert [(e.credit, e.reversal, e.reason) for e in notes] == [
        (False, False, ""),
        (True, True, "AC04"),
    ]
    statement = iso.parse_camt053(messages[MessageType.CAMT_053])
    assert statement.account == BANK.account and statement.day == DAY
    assert [e.amount_fen for e in statement.entries] == [123_456, 123_456]


@settings(max_examples=30, deadline=None)
@given(fen=st.integers(min_value=1, max_value=10**13))
def test_amounts_survive_the_round_trip_in_yuan(fen: int) -> None:
    xml = iso.build_pain001("M", AT, "普惠", DAY, [_payout(fen=fen)])
    assert iso.parse_initiation(xml).items[0].amount_fen == fen
