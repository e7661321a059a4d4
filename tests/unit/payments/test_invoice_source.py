"""The data hub's invoice source: the HTTP adapter against a local server (found, unknown,
provider down), none by default, and the sandbox refused outside development, demo and test."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.local_http import LocalServer

from puhui.core.config import Settings
from puhui.core.sms import SandboxNotAllowed
from puhui.datahub.errors import ProviderUnavailable
from puhui.datahub.invoices import HttpInvoices, InvoiceSettings, SandboxInvoices, build_source

INVOICE = {
    "number": "26332000000000000001",
    "seller_name": "宁波某某原料有限公司",
    "buyer_name": "杭州受托测试有限公司",
    "total_fen": 15_000_000,
    "issued_date": "2026-11-20",
}


def test_the_http_invoice_source_reads_an_invoice_and_says_unknown() -> None:
    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if path == "/invoices/26332000000000000001":
            return 200, INVOICE
        return 404, {"error": "not found"}

    with LocalServer(answer) as server:
        source = HttpInvoices(server.url, "key-9")
        invoice = source.lookup("26332000000000000001")
        assert invoice is not None and invoice.total_fen == 15_000_000
        assert invoice.issued_date == date(2026, 11, 20)
        assert source.lookup("26332000000000000002") is None
        assert server.seen[0].headers["authorization"] == "Bearer key-9"
    with LocalServer(lambda *_: (503, {})) as server, pytest.raises(ProviderUnavailable):
        HttpInvoices(server.url).lookup("1")


def test_no_source_by_default_and_the_sandbox_only_in_development(tmp_path: Path) -> None:
    assert build_source(None, InvoiceSettings()) is None
    demo = Settings(environment="demo", var_dir=tmp_path)
    assert isinstance(build_source(demo, InvoiceSettings(source="sandbox")), SandboxInvoices)
    production = Settings(environment="production", var_dir=tmp_path)
    with pytest.raises(SandboxNotAllowed):
        build_source(production, InvoiceSettings(source="sandbox"))
