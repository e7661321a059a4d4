"""One Settings object for the whole application (PUHUI_* environment variables, optional TOML)."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _toml_defaults() -> dict[str, Any]:
    """Values from the TOML file named by PUHUI_CONFIG_FILE (optional), under [puhui]."""
    path = os.environ.get("PUHUI_CONFIG_FILE")
    if not path:
        return {}
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    section = data.get("puhui", data)
    return dict(section) if isinstance(section, dict) else {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUHUI_", extra="ignore")

    database_url: str = "sqlite:///./var/puhui.db"
    var_dir: Path = Path("./var")
    # Secret for signing cookies. When empty, a random one is generated and kept in var_dir.
    secret_key: str = ""
    # 32-byte AES key (base64) for personal data at rest, or a key file path. Never in the repo.
    data_key: str = ""
    data_key_file: Path | None = None
    token_ttl_minutes: int = 480
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # a console session ends after this long without a request (and after token_ttl_minutes)
    session_idle_minutes: int = 60
    # API requests per second per client address (0: no limit), and the burst allowed
    api_rate_per_second: float = Field(default=20.0, ge=0)
    api_rate_burst: int = Field(default=200, ge=1)
    # WebAuthn relying party (security keys): host name and origin; empty: from the request
    webauthn_rp_id: str = ""
    webauthn_origin: str = ""
    # single sign-on with the bank's directory (OpenID Connect); off while the issuer is empty
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid profile groups"
    oidc_group_claim: str = "groups"
    oidc_role_map: dict[str, str] = Field(default_factory=dict)  # directory group -> role
    oidc_redirect_uri: str = ""  # empty: <this server>/console/login/sso/callback
    default_language: str = "zh-CN"
    cookie_secure: bool = True
    environment: str = Field(default="development")
    # Units of work (requests holding a database session) one server worker runs at once; the
    # others wait without a thread. 0: four fifths of the thread pool. Fewer, on a small
    # machine, keeps threads from contending for the interpreter while they hold row locks.
    units_of_work: int = Field(default=0, ge=0)
    # The audit chain's HMAC key (32 bytes, base64) or key file, kept outside the database;
    # in development/demo/test a key file is created under var_dir. Required in production.
    audit_key: str = ""
    audit_key_file: Path | None = None
    # Ed25519 seed (base64) of the key that signs audit checkpoints; var_dir in development.
    audit_signing_key_file: Path | None = None
    # Where the latest signed audit checkpoint is exported (outside the database).
    audit_anchor_file: Path | None = None
    # A signed checkpoint every N audit rows (and on `puhui audit checkpoint`).
    audit_checkpoint_every: int = Field(default=100, ge=1)
    # Data at rest and keyed hashes: "aes" (AES-256-GCM, HMAC-SHA256) or "sm" (SM4-GCM, SM3).
    crypto_suite: str = Field(default="aes", pattern="^(aes|sm)$")
    # Retention per data class, in days (PIPL art. 19; `puhui retention run` destroys what is
    # older). The audit trail is kept. Credit files: 5 years (anti-money-laundering law).
    retention_snapshot_days: int = Field(default=1825, ge=1)
    retention_capture_days: int = Field(default=90, ge=1)  # identity selfies, licence photos
    retention_recording_days: int = Field(default=1825, ge=1)  # video interviews
    retention_conversation_days: int = Field(default=365, ge=1)
    retention_otp_days: int = Field(default=30, ge=1)
    retention_session_days: int = Field(default=90, ge=1)  # tokens, sign-in attempts
    retention_message_days: int = Field(default=180, ge=1)  # sent or expired SMS (outbox)

    # Video interviews: ICE servers for WebRTC as a JSON list of RTCIceServer objects (empty:
    # host candidates only, enough on one network), the largest recording accepted for upload
    # (under /console/interviews/{id}/recording) and how long a recording is kept.
    interview_ice_servers: str = ""
    interview_recording_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    interview_recording_retention_days: int = Field(default=1825, ge=1)
    # Engagement's batch engine (issue 18): "embedded" (polars, in process) or "spark" (the
    # same pre-screening on Apache Spark at spark_master: local[2], or spark://host:7077).
    batch_engine: Literal["embedded", "spark"] = "embedded"
    spark_master: str = "local[2]"
    # The IoT collateral watch (puhui.iot, issue 20): the MQTT broker the readings arrive on.
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    # Campaigns (issue 18): marketing touches per enterprise in any 30 days, across campaigns.
    campaign_cap_per_30_days: int = Field(default=2, ge=1)
    # The SMS channel (core/sms.py): "sandbox" (development/demo/test only) or "http".
    sms_channel: Literal["sandbox", "http"] = "sandbox"
    sms_gateway_url: str = ""
    sms_gateway_key: str = ""
    sms_gateway_timeout_s: float = 5.0  # float-ok: seconds
    # Market prices of pledged warehouse goods (receivables/prices.py): "sandbox" (development/
    # demo/test only) or "http" (GET {price_feed_url}/prices); the haircut on them in bp.
    price_feed: Literal["sandbox", "http"] = "sandbox"
    price_feed_url: str = ""
    receipt_haircut_bp: int = Field(default=3000, ge=0, le=9999)
    # bad-loan accounting (lending/nonaccrual.py, provision_rules.py): non-accrual from this
    # many days past due; reverse the accrued-unpaid interest at entry (else keep it in income);
    # provision rates in basis points per class, best first (正常,关注,次级,可疑,损失)
    non_accrual_from_dpd: int = Field(default=90, ge=1)
    non_accrual_reverse: bool = True
    provision_rates_bp: str = "100,200,2500,5000,10000"
    # Request bodies (core/hardening.py): above the limit a request is refused with 413 before
    # it is read; paths starting with one of `upload_paths` (photos, recordings) may send more.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    upload_max_body_bytes: int = Field(default=8_000_000, ge=1024)
    upload_paths: list[str] = Field(
        default_factory=lambda: ["/api/v1/contracts/verify", "/m/identity", "/api/v1/interviews"]
    )
    # The service assistant: train the intent recogniser in a background thread when the app
    # starts (else the first chat message of a process waits the 15-40 s it takes).
    assistant_warm_start: bool = False

    # Drawdowns (lending/drawdowns.py): a line with a loan more than this many days past due
    # refuses new drawdowns (0: from the first day past due).
    drawdown_overdue_grace_days: int = Field(default=0, ge=0)

    # Servicing (docs/servicing.md): a renewal needs an approved decision at most this old;
    # relief requests on loans of at least this principal need a second officer (maker-checker).
    renewal_decision_valid_days: int = Field(default=30, ge=1, le=365)
    relief_checker_above_fen: int = Field(default=100_000_000, ge=0)

    def resolved_var_dir(self) -> Path:
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.var_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(**_toml_defaults())
