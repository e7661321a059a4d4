"""The one interface through which the hub reaches a data provider, and its sandbox adapter.

A `Connector` fetches one source's payload for one subject (a USCC, or a resident ID for a
person) and returns the validated pydantic payload model. `SandboxConnector` answers from the
synthetic world; `puhui.datahub.http.HttpConnector` calls a real provider over HTTP with
timeouts, retries and a circuit breaker. `Connectors` says which connector serves which source
and how long a snapshot of each source may be reused; `build_connectors(DatahubSettings())` builds
it from `PUHUI_DATAHUB_*` settings, so a bank points a source at its provider by configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from puhui.datahub.errors import ProviderBadPayload, SourceNotConfigured, SubjectUnknown
from puhui.datahub.payloads import SourceName, is_person_payload, payload_model
from puhui.datahub.resilience import Backoff, BreakerPolicy

if TYPE_CHECKING:
    from puhui.datahub.sandbox import SandboxProvider


@runtime_checkable
class Connector(Protocol):
    """Fetches payloads of data sources. Implementations raise the hub's provider errors."""

    name: str
    is_sandbox: bool

    def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
        """The payload of `source` about `subject_id`, validated by the source's payload model."""
        ...


def validate_payload(source: SourceName, raw: object) -> BaseModel:
    """`raw` (a payload model instance or decoded JSON) as the source's payload model.

    Raises ProviderBadPayload when it does not fit the schema. An answer that says it is about a
    person (`subject_kind: "person"`) is read by the source's person model where it has one.
    """
    model = payload_model(source, "person" if is_person_payload(raw) else "enterprise")
    if isinstance(raw, model):
        return raw
    try:
        if isinstance(raw, BaseModel):
            return model.model_validate(raw.model_dump())
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ProviderBadPayload(source=source.value) from exc


class SandboxConnector:
    """Answers from the synthetic world (`SandboxProvider`); its payloads say `sandbox=true`."""

    name = "sandbox"
    is_sandbox = True

    def __init__(self, provider: SandboxProvider) -> None:
        self.provider = provider

    @classmethod
    def default(cls) -> SandboxConnector:
        """The process-wide default world (generated on first use, then cached)."""
        from puhui.datahub.sandbox import default_provider

        return cls(default_provider())

    def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
        from puhui.datahub.sandbox import SubjectNotFound

        try:
            raw = self.provider.fetch(source, subject_id)
        except SubjectNotFound as exc:  # its message names the subject: not for the caller
            raise SubjectUnknown(source=source.value) from exc
        return validate_payload(source, raw)


# How long a snapshot may be reused before the provider is asked again.
DEFAULT_TTL: Mapping[SourceName, timedelta] = {
    SourceName.TAX: timedelta(hours=24),
    SourceName.SOCIAL_SECURITY: timedelta(days=7),
    SourceName.HOUSING_FUND: timedelta(days=7),
    SourceName.REGISTRY: timedelta(hours=24),
    SourceName.JUDICIAL: timedelta(hours=24),
    SourceName.UTILITIES: timedelta(days=7),
    SourceName.CREDIT_BUREAU: timedelta(days=7),
}


@dataclass(frozen=True)
class Connectors:
    """Which connector serves each source, and each source's reuse window (TTL)."""

    default: Connector | None
    by_source: Mapping[SourceName, Connector] = field(default_factory=dict)
    ttl: Mapping[SourceName, timedelta] = field(default_factory=lambda: dict(DEFAULT_TTL))

    def for_source(self, source: SourceName) -> Connector:
        connector = self.by_source.get(source, self.default)
        if connector is None:
            raise SourceNotConfigured(source=source.value)
        return connector

    def ttl_for(self, source: SourceName) -> timedelta:
        return self.ttl.get(source, DEFAULT_TTL.get(source, timedelta(hours=24)))

    def as_of(self, day: date) -> Connectors:
        """These connectors as the sources read on ``day`` (post-loan monitoring re-pulls): each
        sandbox connector answers from the world's life after the decision
        (``SandboxProvider.as_of``); real providers answer as of their own now anyway."""

        def moved(connector: Connector) -> Connector:
            if isinstance(connector, SandboxConnector):
                return SandboxConnector(connector.provider.as_of(day))
            return connector

        return replace(
            self,
            default=moved(self.default) if self.default is not None else None,
            by_source={source: moved(c) for source, c in self.by_source.items()},
        )


class DatahubSettings(BaseSettings):
    """`PUHUI_DATAHUB_*`: sandbox by default; a bank points sources at its provider's base URL.

    Example: PUHUI_DATAHUB_HTTP_BASE_URL=https://data.example.cn/api
             PUHUI_DATAHUB_HTTP_SOURCES='["tax", "credit_bureau"]'  (the rest stay on the sandbox)
             PUHUI_DATAHUB_HTTP_PATHS='{"tax": "/v2/tax-reports/{subject_id}"}'
             PUHUI_DATAHUB_TTL_HOURS='{"credit_bureau": 72}'
    With PUHUI_DATAHUB_DEFAULT_PROVIDER=http every source goes to the base URL; with `none`,
    sources not routed to HTTP answer `provider_not_configured`.
    """

    model_config = SettingsConfigDict(env_prefix="PUHUI_DATAHUB_", extra="ignore")

    default_provider: Literal["sandbox", "http", "none"] = "sandbox"
    http_base_url: str = ""
    http_sources: list[SourceName] = Field(default_factory=list)
    http_paths: dict[SourceName, str] = Field(default_factory=dict)
    http_api_key: str = ""
    http_timeout_s: float = 3.0  # float-ok: seconds
    http_retries: int = 2
    http_backoff_base_s: float = 0.2  # float-ok: seconds
    breaker_failures: int = 5
    breaker_cooldown_s: float = 30.0  # float-ok: seconds
    ttl_hours: dict[SourceName, int] = Field(default_factory=dict)


def build_connectors(settings: DatahubSettings | None = None) -> Connectors:
    settings = settings or DatahubSettings()
    ttl = dict(DEFAULT_TTL)
    ttl.update({s: timedelta(hours=h) for s, h in settings.ttl_hours.items()})
    sandbox: Connector | None = (
        SandboxConnector.default() if settings.default_provider == "sandbox" else None
    )
    http: Connector | None = None
    if settings.http_base_url:
        from puhui.datahub.http import DEFAULT_PATHS, HttpConnector

        http = HttpConnector(
            settings.http_base_url,
            {**DEFAULT_PATHS, **settings.http_paths},
            timeout_s=settings.http_timeout_s,
            retries=settings.http_retries,
            backoff=Backoff(base_s=settings.http_backoff_base_s),
            breaker=BreakerPolicy(settings.breaker_failures, settings.breaker_cooldown_s),
            headers={"Authorization": f"Bearer {settings.http_api_key}"}
            if settings.http_api_key
            else None,
        )
    default = http if settings.default_provider == "http" else sandbox
    by_source: dict[SourceName, Connector] = {}
    if http is not None:
        by_source = {s: http for s in settings.http_sources}
    return Connectors(default=default, by_source=by_source, ttl=ttl)
