"""Production refuses to start with any sandbox or missing secret: each requirement removed on
its own from an otherwise complete production configuration stops `create_app`."""

from __future__ import annotations

import pytest
from tests.support.production import production_settings

from puhui.core.config import Settings
from puhui.core.runtime import Runtime


def _start(settings: Settings, runtime: Runtime) -> None:
    from puhui.app import create_app

    create_app(Runtime(settings, runtime.clock, runtime.cipher, runtime.engine,
                       runtime.session_factory))  # fmt: skip


def test_a_complete_production_configuration_starts(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start(production_settings(settings, monkeypatch), runtime)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"secret_key": ""}, "PUHUI_SECRET_KEY"),
        ({"sms_channel": "sandbox"}, "sandbox"),
        ({"env:PUHUI_IDENTITY_PROVIDER": "sandbox"}, "sandbox"),
        ({"env:PUHUI_CONTRACT_TSA_URL": ""}, "PUHUI_CONTRACT_SIGNING_CERT"),
    ],
)
def test_production_refuses_each_sandbox_and_missing_secret(
    settings: Settings,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    missing: dict[str, str],
    message: str,
) -> None:
    updates = {k: v for k, v in missing.items() if not k.startswith("env:")}
    production = production_settings(settings, monkeypatch, **updates)
    for key, value in missing.items():
        if key.startswith("env:"):
            monkeypatch.setenv(key[4:], value)
    with pytest.raises(Exception, match=message):
        _start(production, runtime)
