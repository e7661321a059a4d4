"""One Settings object for the whole application (PUHUI_* environment variables, optional TOML)."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    default_language: str = "zh-CN"
    cookie_secure: bool = True
    environment: str = Field(default="development")
    # Units of work (requests holding a database session) one server worker runs at once; the
    # others wait without a thread. 0: four fifths of the thread pool. Fewer, on a small
    # machine, keeps threads from contending for the interpreter while they hold row locks.
    units_of_work: int = Field(default=0, ge=0)
    # Request bodies (core/hardening.py): above the limit a request is refused with 413 before
    # it is read; paths starting with one of `upload_paths` (photos, recordings) may send more.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    upload_max_body_bytes: int = Field(default=8_000_000, ge=1024)
    upload_paths: list[str] = Field(
        default_factory=lambda: ["/api/v1/contracts/verify", "/m/identity", "/api/v1/interviews"]
    )

    def resolved_var_dir(self) -> Path:
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.var_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(**_toml_defaults())
