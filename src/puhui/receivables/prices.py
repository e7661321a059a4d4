"""Market prices of pledged goods — an adapter: ``HttpPriceFeed`` asks a price service over
HTTP; ``SandboxPriceFeed`` (沙箱) answers from a fixed table and runs only in development, demo
and test (production refuses to start with it, like every sandbox).

HTTP contract: ``GET {url}/prices?goods=<kind>&grade=<grade>`` → 200
``{"unit_price_fen": int, "as_of": "YYYY-MM-DD"}`` (price per unit of the receipt, fen); any
other answer is :class:`PriceUnavailable` (503).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import httpx

from puhui.core.config import Settings
from puhui.core.errors import DomainError
from puhui.core.sms import refuse_sandbox_outside_development


class PriceUnavailable(DomainError):
    code = "receivables.price_unavailable"
    status = 503
    title_zh = "行情价格暂不可用"
    title_en = "Market price unavailable"
    message_zh = "暂时取不到{goods}的行情价格，请稍后再试。"
    message_en = "The market price of {goods} is unavailable; try again later."


@dataclass(frozen=True)
class Quote:
    unit_price_fen: int
    as_of: str
    source: str
    sandbox: bool


class PriceFeed(Protocol):
    sandbox: bool

    def quote(self, goods: str, grade: str) -> Quote: ...


class SandboxPriceFeed:
    """A fixed table by keyword of the goods (per kg unless the goods say otherwise)."""

    sandbox = True
    name = "沙箱行情 Sandbox prices"
    TABLE: ClassVar[dict[str, int]] = {
        "铜": 6_800,
        "copper": 6_800,
        "铝": 1_950,
        "aluminium": 1_950,
        "钢": 380,
        "steel": 380,
        "大豆": 420,
        "soybean": 420,
        "棉": 1_550,
        "cotton": 1_550,
    }
    DEFAULT = 1_000

    def quote(self, goods: str, grade: str) -> Quote:
        lowered = goods.lower()
        price = next((p for k, p in self.TABLE.items() if k in lowered), self.DEFAULT)
        if grade.upper().startswith("B"):
            price = price * 95 // 100
        return Quote(price, "2026-12-07", self.name, True)


class HttpPriceFeed:
    sandbox = False

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,  # float-ok: seconds, not money
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url:
            raise ValueError("the price feed needs a URL (PUHUI_PRICE_FEED_URL)")
        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def quote(self, goods: str, grade: str) -> Quote:
        try:
            response = self._client.get(
                f"{self.url}/prices", params={"goods": goods, "grade": grade}
            )
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            body = None
        price = body.get("unit_price_fen") if isinstance(body, dict) else None
        if type(price) is not int or price <= 0:
            raise PriceUnavailable(goods=goods)
        return Quote(price, str(body.get("as_of", "")), self.url, False)  # type: ignore[union-attr]


def build_price_feed(settings: Settings) -> PriceFeed:
    """The feed the settings name (``PUHUI_PRICE_FEED``: sandbox or http)."""
    if settings.price_feed == "http":
        return HttpPriceFeed(settings.price_feed_url)
    refuse_sandbox_outside_development(settings, "price feed (PUHUI_PRICE_FEED)")
    return SandboxPriceFeed()
