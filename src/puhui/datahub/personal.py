"""Where a person's own housing-fund and social-security records come from (便民查询).

The records are read through the hub like any source (`pull_many`, scope legal_representative,
purpose convenience_query: consent checked, snapshot encrypted, pull logged), with connectors of
their own: the authorities that answer about a person (the housing-fund centre, the social-
insurance bureau) are not the enterprise data providers. `PUHUI_DATAHUB_PERSONAL_*`:

    PUHUI_DATAHUB_PERSONAL_PROVIDER=http
    PUHUI_DATAHUB_PERSONAL_HTTP_BASE_URL=https://gov-data.example.cn/api
    PUHUI_DATAHUB_PERSONAL_HTTP_PATHS='{"housing_fund": "/hf/persons/{subject_id}"}'

The default, `sandbox`, answers from the synthetic world (`sandbox_person.py`) and runs only
when the environment is development, demo or test: anywhere else `build_personal_connectors`
raises, so a production app refuses to start with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.datahub.payloads import SourceName
from puhui.datahub.resilience import Backoff

SOURCES: tuple[SourceName, ...] = (SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY)
SANDBOX_ENVIRONMENTS = frozenset({"development", "demo", "test"})
DEFAULT_PATHS: Mapping[SourceName, str] = {
    SourceName.HOUSING_FUND: "/persons/{subject_id}/housing-fund",
    SourceName.SOCIAL_SECURITY: "/persons/{subject_id}/social-security",
}


class PersonalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_DATAHUB_PERSONAL_", extra="ignore")

    provider: Literal["sandbox", "http"] = "sandbox"
    http_base_url: str = ""
    http_paths: dict[SourceName, str] = Field(default_factory=dict)
    http_api_key: str = ""
    http_timeout_s: float = 3.0  # float-ok: seconds
    http_retries: int = 1


class PersonalSandboxRefused(RuntimeError):
    """The sandbox of a person's records outside development/demo/test (startup error)."""


def check_personal_provider(environment: str, settings: PersonalSettings | None = None) -> None:
    """Refuse (at startup) the sandbox outside development/demo/test, and HTTP without a URL."""
    settings = settings or PersonalSettings()
    if settings.provider == "sandbox" and environment not in SANDBOX_ENVIRONMENTS:
        raise PersonalSandboxRefused(
            f"environment {environment!r} refuses the sandbox of personal housing-fund and "
            "social-security records: set PUHUI_DATAHUB_PERSONAL_PROVIDER=http and "
            "PUHUI_DATAHUB_PERSONAL_HTTP_BASE_URL"
        )
    if settings.provider == "http" and not settings.http_base_url:
        raise PersonalSandboxRefused("PUHUI_DATAHUB_PERSONAL_HTTP_BASE_URL is not set")


def build_personal_connectors(
    environment: str, settings: PersonalSettings | None = None
) -> Connectors:
    """The connectors of a person's own records; the sandbox only in development/demo/test."""
    settings = settings or PersonalSettings()
    check_personal_provider(environment, settings)
    if settings.provider == "sandbox":
        return Connectors(default=SandboxConnector.default())
    from puhui.datahub.http import HttpConnector

    http = HttpConnector(
        settings.http_base_url,
        {**DEFAULT_PATHS, **settings.http_paths},
        timeout_s=settings.http_timeout_s,
        retries=settings.http_retries,
        backoff=Backoff(),
        headers={"Authorization": f"Bearer {settings.http_api_key}"}
        if settings.http_api_key
        else None,
        name="personal-http",
    )
    return Connectors(default=http)
