"""The price feed adapter: HTTP against a local server this test starts, and the sandbox
refused outside development, demo and test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from puhui.core.config import Settings
from puhui.core.sms import SandboxNotAllowed
from puhui.receivables.prices import (
    HttpPriceFeed,
    PriceUnavailable,
    SandboxPriceFeed,
    build_price_feed,
)


class _Prices(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        goods = parse_qs(url.query).get("goods", [""])[0]
        if url.path != "/prices" or goods == "unknown":
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"unit_price_fen": 7_123, "as_of": "2026-12-06"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Prices)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_http_feed_reads_the_price_and_refuses_a_bad_answer(server: str) -> None:
    feed = HttpPriceFeed(server)
    quote = feed.quote("copper", "A")
    assert (quote.unit_price_fen, quote.as_of, quote.sandbox) == (7_123, "2026-12-06", False)
    with pytest.raises(PriceUnavailable) as exc:
        feed.quote("unknown", "A")
    assert exc.value.status == 503 and "行情" in exc.value.message("zh")


def test_the_sandbox_feed_is_labelled_and_refused_in_production(tmp_path: Path) -> None:
    assert SandboxPriceFeed().quote("电解铜", "A").source == "沙箱行情 Sandbox prices"
    dev = Settings(environment="test", var_dir=tmp_path)
    assert isinstance(build_price_feed(dev), SandboxPriceFeed)
    prod = Settings(environment="production", var_dir=tmp_path)
    with pytest.raises(SandboxNotAllowed):
        build_price_feed(prod)
    http = Settings(
        environment="production",
        var_dir=tmp_path,
        price_feed="http",
        price_feed_url="http://127.0.0.1:9",
    )
    assert isinstance(build_price_feed(http), HttpPriceFeed)
