"""Tax invoices one by one (发票查验): the data hub's invoice source, used to check the invoice
an entrusted payment (受托支付) names.

The hub's `tax` source holds the tax bureau's monthly aggregates; an invoice-level lookup is a
separate service (the tax bureau's invoice verification, or a provider in front of it), so it
is its own adapter here, off unless configured (`PUHUI_DATAHUB_INVOICES_SOURCE`):

* `none` (default) — no invoice source: an invoice number is recorded as evidence, unchecked;
* `sandbox` (沙箱; development, demo and test only) — an in-process register: tests and the
  demo issue invoices into it (`SandboxInvoices.issue`), any other number is unknown;
* `http` — `GET {url}/invoices/{number}` (httpx, bearer key): 200 with JSON
  `{"number", "seller_name", "buyer_name", "total_fen", "issued_date"}`, 404 unknown.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.core.config import Settings
from puhui.core.sms import refuse_sandbox_outside_development
from puhui.datahub.errors import ProviderUnavailable


@dataclass(frozen=True)
class Invoice:
    number: str
    seller_name: str
    buyer_name: str
    total_fen: int  # 价税合计
    issued_date: date


class InvoiceSource(Protocol):
    name: str
    is_sandbox: bool

    def lookup(self, number: str) -> Invoice | None:
        """The invoice, or None when the tax bureau does not know the number."""
        ...


@dataclass
class SandboxInvoices:
    """An in-process invoice register (沙箱)."""

    name: str = "sandbox"
    is_sandbox: bool = True
    invoices: dict[str, Invoice] = field(default_factory=dict)

    def issue(self, invoice: Invoice) -> Invoice:
        self.invoices[invoice.number] = invoice
        return invoice

    def lookup(self, number: str) -> Invoice | None:
        return self.invoices.get(number)


class HttpInvoices:
    """An invoice verification provider over HTTP."""

    name = "http"
    is_sandbox = False

    def __init__(self, base_url: str, api_key: str = "", timeout_s: float = 3.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_s = timeout_s  # float-ok: seconds

    def lookup(self, number: str) -> Invoice | None:
        try:
            response = httpx.get(
                f"{self.base_url}/invoices/{number}", headers=self.headers, timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(source="invoices", reason=type(exc).__name__) from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderUnavailable(source="invoices", reason=f"HTTP {response.status_code}")
        body = response.json()
        return Invoice(
            number=str(body["number"]),
            seller_name=str(body["seller_name"]),
            buyer_name=str(body["buyer_name"]),
            total_fen=int(body["total_fen"]),
            issued_date=date.fromisoformat(str(body["issued_date"])),
        )


class InvoiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_DATAHUB_INVOICES_", extra="ignore")

    source: Literal["none", "sandbox", "http"] = "none"
    url: str = ""
    api_key: str = ""
    timeout_s: float = 3.0  # float-ok: seconds


_lock = threading.Lock()
_source: InvoiceSource | None = None
_built = False
_override: list[InvoiceSource | None] = []


def build_source(
    core: Settings | None, settings: InvoiceSettings | None = None
) -> InvoiceSource | None:
    settings = settings or InvoiceSettings()
    if settings.source == "http":
        return HttpInvoices(settings.url, settings.api_key, settings.timeout_s)
    if settings.source == "sandbox":
        refuse_sandbox_outside_development(
            core or Settings(), "invoice source (PUHUI_DATAHUB_INVOICES_SOURCE)"
        )
        return SandboxInvoices()
    return None


def configure(core: Settings) -> InvoiceSource | None:
    """Build the process's invoice source at start-up: production refuses the sandbox here."""
    global _source, _built
    with _lock:
        _source, _built = build_source(core), True
        return _source


def get_source() -> InvoiceSource | None:
    """The process's invoice source (`use_source`'s while one is in use); None: no source."""
    global _source, _built
    with _lock:
        if _override:
            return _override[-1]
        if not _built:
            _source, _built = build_source(None), True
        return _source


@contextmanager
def use_source(source: InvoiceSource | None) -> Iterator[InvoiceSource | None]:
    """Tests and the demo: run with `source` as the process's invoice source."""
    with _lock:
        _override.append(source)
    try:
        yield source
    finally:
        with _lock:
            _override.pop()
