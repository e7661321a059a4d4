"""A per-client rate limit on the API: 429 problem+json with Retry-After.

GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp per client): each
request moves the client's "theoretical arrival time" on by 1/rate; a request is refused while
that time is more than `burst` intervals ahead of now. One float per client address, no lock
beyond the GIL's atomic dict operations, no write to the database — the limiter sits in front of
every API request, where a row write each time would cost more than the request itself.

Why not slowapi: it decorates each endpoint (every router would change) and brings `limits`
with its own storage layer, for what is twenty lines here. The limit is per server process:
with `--workers N` a client may get up to N times the rate — set `PUHUI_API_RATE_PER_SECOND`
with that in mind (a shared limit would need a shared store, which Puhui does not run).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

_MAX_CLIENTS = 50_000  # forget idle clients beyond this many (a flood of spoofed sources)


class Gcra:
    """Rate `rate` per second with bursts of `burst`; `now` is a monotonic clock in seconds."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.tolerance = self.interval * burst
        self.now = now
        self._tat: dict[str, float] = {}

    def retry_after(self, key: str) -> float:
        """0 when the request may pass (and is counted); else seconds until it may."""
        now = self.now()
        new_tat = max(self._tat.get(key, now), now) + self.interval
        over = new_tat - now - self.tolerance
        if over > 1e-9:  # float sums of the interval: 5 × 0.1 is not quite 0.5
            return over
        if len(self._tat) >= _MAX_CLIENTS and key not in self._tat:
            self._forget_idle(now)
        self._tat[key] = new_tat
        return 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._tat.items() if v <= now]:
            del self._tat[key]


def _problem(seconds: int, zh: bool) -> bytes:
    body = {
        "type": "https://puhui.dev/problems/rate_limited",
        "title": "请求过于频繁" if zh else "Too many requests",
        "status": 429,
        "code": "rate_limited",
        "detail": (
            f"请求过于频繁，请 {seconds} 秒后再试。"
            if zh
            else f"Too many requests from this client; try again in {seconds} seconds."
        ),
    }
    return json.dumps(body, ensure_ascii=False).encode()


class RateLimitMiddleware:
    """Limits requests under `prefix` (the API) per client address."""

    def __init__(
        self, app: ASGIApp, *, limiter: Gcra, prefix: str = "/api/", exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefix = prefix
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in self.exempt:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.retry_after(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        headers = dict(scope.get("headers") or [])
        lang = headers.get(b"accept-language", b"zh").decode("latin-1").lower()
        zh = not lang.startswith("en")
        body = _problem(seconds, zh)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"retry-after", str(seconds).encode()),
                    (b"content-language", b"zh-CN" if zh else b"en"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
