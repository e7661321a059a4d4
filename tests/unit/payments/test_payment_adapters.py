"""The real adapters speak HTTP (tested against a local server): the ISO 20022 gateway rail and
the account-name check; the sandbox rail behind the HTTP rail clears exactly as in process; the
sandbox is refused outside development, demo and test."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.local_http import LocalServer

from puhui.core.config import Settings
from puhui.core.sms import SandboxNotAllowed
from puhui.payments import accounts, rails
from puhui.payments import iso20022 as iso
from puhui.payments.rails import HttpRail, RailTimeout, SandboxRail

AT = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
BANK = iso.Party("普惠银行", "900000000001", "313100000013")
SUPPLIER = iso.Party("某某供应商", "6222000011112222", "102100099996")


def _pain001(e2e: str = "E2E-H1") -> bytes:
    item = iso.Instruction(e2e, 12_300, BANK, SUPPLIER, "货款")
    return iso.build_pain001("MSG-H1", AT, "普惠", date(2026, 12, 7), [item])


def test_the_http_rail_sends_the_xml_and_reads_the_banks_answers() -> None:
    bank = SandboxRail()

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if method == "POST" and path == "/iso20022/messages":
            assert headers["content-type"] == "application/xml"
            assert headers["idempotency-key"] == "MSG-H1"
            return 200, {"report": bank.submit(body).decode()}
        if path.startswith("/iso20022/inbox"):
            return 200, {"messages": [m.decode() for m in bank.poll(date(2026, 12, 7))]}
        return 200, {"statement": bank.statement(date(2026, 12, 7)).decode()}

    with LocalServer(answer) as server:
        rail = HttpRail(server.url, "key-1")
        report = rail.submit(_pain001())
        assert iso.parse_pain002(report)[1][0].status is iso.TxStatus.ACCEPTED
        kinds = [iso.message_type_of(m) for m in rail.poll(date(2026, 12, 7))]
        assert iso.MessageType.CAMT_054 in kinds
        statement = iso.parse_camt053(rail.statement(date(2026, 12, 7)))
        assert [e.end_to_end_id for e in statement.entries] == ["E2E-H1"]
        assert server.seen[0].headers["authorization"] == "Bearer key-1"


def test_a_5xx_or_no_answer_is_a_timeout() -> None:
    with LocalServer(lambda *_: (503, {"error": "busy"})) as server, pytest.raises(RailTimeout):
        HttpRail(server.url, "k").submit(_pain001())
    with pytest.raises(RailTimeout):
        HttpRail("http://127.0.0.1:9", "k", timeout_s=0.5).submit(_pain001())


def test_the_http_name_check() -> None:
    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        asked = json.loads(body)
        return 200, {"match": asked["holder_name"] == "某某供应商", "reason": "name_mismatch"}

    with LocalServer(answer) as server:
        check = accounts.HttpNameCheck(server.url, "k")
        assert check.check("某某供应商", "6222000011112222", "102100099996").match
        assert not check.check("别人", "6222000011112222", "102100099996").match


def test_production_refuses_the_sandbox_rail_and_verifier() -> None:
    production = Settings(environment="production")
    with pytest.raises(SandboxNotAllowed):
        rails.build_rail(production)
    with pytest.raises(SandboxNotAllowed):
        accounts.build_name_check(production)
    assert rails.build_rail(Settings(environment="test")).sandbox
