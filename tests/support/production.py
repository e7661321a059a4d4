"""Settings for a production start-up in tests: everything production demands (a secret key,
audit keys outside the database, a real SMS gateway, identity provider, payment rail, personal
records provider and price feed) present, so that a
test about one requirement can remove just that one and see its own refusal."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from puhui.core.config import Settings


def production_settings(
    base: Settings, monkeypatch: pytest.MonkeyPatch, **updates: Any
) -> Settings:
    """`base` as production. The gateway and provider URLs point at a closed port: a test that
    sends through them starts its own server and overrides them."""
    var = base.resolved_var_dir()
    monkeypatch.setenv("PUHUI_IDENTITY_PROVIDER", "http")
    monkeypatch.setenv("PUHUI_IDENTITY_BASE_URL", "http://127.0.0.1:9/identity")
    monkeypatch.setenv("PUHUI_PAYMENTS_RAIL", "iso20022_http")  # issue 16: no sandbox rail
    monkeypatch.setenv("PUHUI_PAYMENTS_RAIL_URL", "http://127.0.0.1:9/rail")
    monkeypatch.setenv("PUHUI_DATAHUB_PERSONAL_PROVIDER", "http")  # issue 19: 便民查询
    monkeypatch.setenv("PUHUI_DATAHUB_PERSONAL_HTTP_BASE_URL", "http://127.0.0.1:9/personal")
    for name, value in {  # the bank's seal: named (files loaded at the first signing)
        "SIGNING_CERT": var / "bank-signer.pem",
        "SIGNING_KEY": var / "bank-signer.key",
        "TRUST_ROOT": var / "bank-root.pem",
        "TSA_URL": "http://127.0.0.1:9/tsa",
    }.items():
        monkeypatch.setenv(f"PUHUI_CONTRACT_{name}", str(value))
    values: dict[str, Any] = {
        "environment": "production",
        "secret_key": base64.b64encode(b"s" * 48).decode(),
        "audit_key": base64.b64encode(b"k" * 32).decode(),
        "audit_signing_key_file": var / "production-audit-signing.key",
        "sms_channel": "http",
        "sms_gateway_url": "http://127.0.0.1:9/sms",
        "sms_gateway_key": "test",
        "price_feed": "http",  # issue 20: the warehouse receipts' market prices
        "price_feed_url": "http://127.0.0.1:9/prices",
    }
    values.update(updates)
    return base.model_copy(update=values)
