"""A real HTTP data provider for the HttpConnector tests: uvicorn serving a small Starlette app
on a free 127.0.0.1 port in a background thread.

Routes, by the first path segment (the "mode"), then `/{source}/{subject_id}`:
  ok        a valid payload (the sandbox world's, relabelled as a real provider's)
  slow      sleeps longer than the client's timeout, then answers
  flaky     answers 500 `flaky_failures` times per source, then a valid payload
  down      always 500
  malformed a 200 whose body is not JSON
  invalid   a 200 with JSON that does not fit the payload schema
  missing   404
  switch    behaves like the mode in `server.switch` (changed by a test)
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from puhui.datahub.payloads import SourceName
from puhui.datahub.sandbox import default_provider

SLOW_S = 0.6


@dataclass
class ProviderServer:
    url: str = ""
    hits: Counter[str] = field(default_factory=Counter)
    request_ids: list[str] = field(default_factory=list)
    flaky_failures: int = 2
    switch: str = "ok"
    _flaky_seen: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.hits.clear()
        self.request_ids.clear()
        self._flaky_seen.clear()
        self.switch = "ok"

    def payload(self, source: str, subject_id: str) -> dict[str, Any]:
        data = default_provider().fetch(SourceName(source), subject_id).model_dump(mode="json")
        return {**data, "provider": "acme-data", "sandbox": False}

    async def handle(self, request: Request) -> Response:
        mode = request.path_params["mode"]
        source = request.path_params["source"]
        subject_id = request.path_params["subject_id"]
        self.hits[mode] += 1
        self.request_ids.append(request.headers.get("x-request-id", ""))
        if mode == "switch":
            mode = self.switch
        if mode == "slow":
            await asyncio.sleep(SLOW_S)
        elif mode == "flaky":
            self._flaky_seen[source] += 1
            if self._flaky_seen[source] <= self.flaky_failures:
                return PlainTextResponse("upstream exploded", status_code=500)
        elif mode == "down":
            return PlainTextResponse("service unavailable", status_code=503)
        elif mode == "malformed":
            return PlainTextResponse('{"source": "tax", "months": [', media_type="application/json")
        elif mode == "invalid":
            body = self.payload(source, subject_id)
            body["months"] = [{"month": "2026-13", "filed": "maybe"}]
            return JSONResponse(body)
        elif mode == "missing":
            return JSONResponse({"error": "no such subject"}, status_code=404)
        return JSONResponse(self.payload(source, subject_id))


def start_server() -> tuple[ProviderServer, uvicorn.Server, threading.Thread]:
    default_provider()  # build the world now, not inside a request racing the client's timeout
    state = ProviderServer()
    app = Starlette(routes=[Route("/{mode}/{source}/{subject_id}", state.handle)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test provider server did not start")
        time.sleep(0.01)
    state.url = f"http://127.0.0.1:{port}"
    return state, server, thread
