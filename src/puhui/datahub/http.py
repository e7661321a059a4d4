"""A connector to a real data provider over HTTP (httpx), behind the same interface as the sandbox.

Per call: the source's circuit breaker is asked first (open → `CircuitOpen`, the provider is not
called); then an idempotent GET with a timeout, retried with exponential backoff and jitter on
timeouts, connection errors and 5xx only; then the JSON body is validated by the source's payload
model. Errors: `ProviderTimeout` (504), `ProviderUnavailable` (502, connection error or 5xx after
the retries), `ProviderBadPayload` (502, not JSON or not the schema), `SubjectUnknown` (404),
`ProviderRejected` (502, another 4xx). Timeouts, unavailability and bad payloads count as failures
of the breaker; any other answer shows the provider is up and closes it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from puhui.core.errors import DomainError
from puhui.datahub.connectors import validate_payload
from puhui.datahub.errors import (
    CircuitOpen,
    ProviderBadPayload,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    SourceNotConfigured,
    SubjectUnknown,
)
from puhui.datahub.payloads import SourceName
from puhui.datahub.resilience import (
    Backoff,
    BreakerPolicy,
    CircuitBreaker,
    Retryable,
    retry_call,
)

# Path templates per source, relative to the base URL; `{subject_id}` is URL-quoted.
DEFAULT_PATHS: Mapping[SourceName, str] = {s: f"/{s.value}/{{subject_id}}" for s in SourceName}

_BREAKER_FAILURES = (ProviderTimeout, ProviderUnavailable, ProviderBadPayload)


class HttpConnector:
    is_sandbox = False

    def __init__(
        self,
        base_url: str,
        source_paths: Mapping[SourceName, str] | None = None,
        *,
        timeout_s: float = 3.0,  # float-ok: seconds
        retries: int = 2,
        backoff: Backoff | None = None,
        breaker: BreakerPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        name: str = "http",
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.source_paths = dict(DEFAULT_PATHS if source_paths is None else source_paths)
        self.retries = retries
        self.backoff = backoff or Backoff()
        self.policy = breaker or BreakerPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._breakers: dict[SourceName, CircuitBreaker] = {}
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s),
            headers={"Accept": "application/json", **(headers or {})},
            transport=transport,
            follow_redirects=False,
        )

    def breaker(self, source: SourceName) -> CircuitBreaker:
        """The circuit breaker of one source (each source fails on its own)."""
        found = self._breakers.get(source)
        if found is None:
            found = self._breakers.setdefault(
                source, CircuitBreaker(self.policy, monotonic=self._monotonic)
            )
        return found

    def close(self) -> None:
        self._client.close()

    def _url(self, source: SourceName, subject_id: str) -> str:
        template = self.source_paths.get(source)
        if template is None:
            raise SourceNotConfigured(source=source.value)
        return template.format(subject_id=quote(subject_id, safe=""))

    def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
        url = self._url(source, subject_id)
        breaker = self.breaker(source)
        if not breaker.allow():
            raise CircuitOpen(source=source.value, retry_after_s=math.ceil(breaker.retry_after_s()))
        try:
            response = retry_call(
                lambda: self._attempt(source, url, request_id),
                retries=self.retries,
                backoff=self.backoff,
                sleep=self._sleep,
                rng=self._rng,
            )
            payload = self._decode(source, response)
        except _BREAKER_FAILURES:
            breaker.record_failure()
            raise
        except DomainError:
            breaker.record_success()  # the provider answered: it is up
            raise
        except BaseException:
            breaker.record_failure()
            raise
        breaker.record_success()
        return payload

    def _attempt(self, source: SourceName, url: str, request_id: str) -> httpx.Response:
        try:
            response = self._client.get(url, headers={"X-Request-Id": request_id})
        except httpx.TimeoutException as exc:
            raise Retryable(ProviderTimeout(source=source.value)) from exc
        except httpx.TransportError as exc:
            raise Retryable(
                ProviderUnavailable(source=source.value, reason=type(exc).__name__)
            ) from exc
        if response.status_code >= 500:
            raise Retryable(
                ProviderUnavailable(source=source.value, reason=f"HTTP {response.status_code}")
            )
        return response

    def _decode(self, source: SourceName, response: httpx.Response) -> BaseModel:
        if response.status_code == 404:
            raise SubjectUnknown(source=source.value)
        if response.status_code >= 300:
            raise ProviderRejected(source=source.value, http_status=response.status_code)
        try:
            body = response.json()
        except ValueError as exc:
            raise ProviderBadPayload(source=source.value) from exc
        return validate_payload(source, body)
