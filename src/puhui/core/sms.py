"""The SMS channel (短信通道): an HTTP gateway adapter, or the sandbox, chosen by settings.

`PUHUI_SMS_CHANNEL=http` sends through `HttpSmsGateway` (a POST of JSON to
`PUHUI_SMS_GATEWAY_URL` with `Authorization: Bearer PUHUI_SMS_GATEWAY_KEY` and the outbox
message id as `Idempotency-Key`, so a retry after a crash is not delivered twice by a gateway
that honours it). `PUHUI_SMS_CHANNEL=sandbox` (the default) keeps messages in memory
(`outbox.SandboxSmsChannel`, labelled 沙箱 / sandbox): it is allowed only when
`PUHUI_ENVIRONMENT` is development, demo or test. `refuse_sandbox_outside_development` stops
the application's start-up otherwise (finding 1 of issue 15: the sandbox stayed the default in
production and pages printed the code, so anyone could sign in as any mobile number).

The gateway's request body:
``{"message_id": "...", "to": "13800138000", "topic": "contract.sign_otp", "text": "..."}``;
a 2xx answer may carry ``{"id": "<gateway reference>"}``. 5xx, 429 and network errors are
retryable (`ChannelError(retryable=True)`); any other 4xx is final.
"""

from __future__ import annotations

from typing import Any

import httpx

from puhui.core.clock import Clock
from puhui.core.config import Settings
from puhui.core.crypto import FieldCipher
from puhui.core.outbox import (
    SMS,
    Channel,
    ChannelError,
    Delivery,
    OutgoingMessage,
    SandboxSmsChannel,
)

# Environments where a sandbox adapter (SMS, identity, OCR) may run.
SANDBOX_ENVIRONMENTS = frozenset({"development", "demo", "test"})


class SandboxNotAllowed(RuntimeError):
    """A sandbox adapter was configured where only real ones may run (production)."""


def sandbox_allowed(settings: Settings) -> bool:
    return settings.environment in SANDBOX_ENVIRONMENTS


def refuse_sandbox_outside_development(settings: Settings, what: str) -> None:
    """Raise SandboxNotAllowed when `what` (a sandbox adapter) is configured outside
    development, demo and test."""
    if not sandbox_allowed(settings):
        raise SandboxNotAllowed(
            f"{what}: the sandbox is configured but PUHUI_ENVIRONMENT="
            f"{settings.environment!r}; sandboxes run only in "
            f"{', '.join(sorted(SANDBOX_ENVIRONMENTS))}. Configure the real adapter."
        )


class HttpSmsGateway:
    """An SMS gateway over HTTP (httpx). One POST per message; see the module docstring."""

    name = SMS

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout_s: float = 5.0,  # float-ok: seconds
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url:
            raise ValueError("the SMS gateway needs a URL (PUHUI_SMS_GATEWAY_URL)")
        self.url = url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)

    def send(self, message: OutgoingMessage) -> Delivery:
        body: dict[str, Any] = {
            "message_id": str(message.id),
            "to": message.recipient,
            "topic": message.topic,
            "text": message.body,
        }
        try:
            response = self._client.post(
                self.url, json=body, headers={"Idempotency-Key": str(message.id)}
            )
        except httpx.HTTPError as exc:  # timeouts and connection errors: try again later
            raise ChannelError(
                f"SMS gateway unreachable: {type(exc).__name__}", retryable=True
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ChannelError(f"SMS gateway busy: {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise ChannelError(f"SMS gateway refused the message: {response.status_code}")
        try:
            ref = str(response.json().get("id") or message.id)
        except ValueError:
            ref = str(message.id)
        return Delivery(provider_ref=f"gateway:{ref}")

    def close(self) -> None:
        self._client.close()


def build_channels(settings: Settings, cipher: FieldCipher, clock: Clock) -> dict[str, Channel]:
    """The outbox's channels from settings; the sandbox only where it is allowed."""
    if settings.sms_channel == "http":
        gateway = HttpSmsGateway(
            settings.sms_gateway_url,
            settings.sms_gateway_key,
            timeout_s=settings.sms_gateway_timeout_s,
        )
        return {SMS: gateway}
    refuse_sandbox_outside_development(settings, "SMS channel (PUHUI_SMS_CHANNEL)")
    return {SMS: SandboxSmsChannel(cipher=cipher, clock=clock)}


def is_sandbox(channel: object) -> bool:
    return isinstance(channel, SandboxSmsChannel)
