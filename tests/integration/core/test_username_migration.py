"""The staff-auth migration rewrites applicants' `m<mobile>` usernames into keyed hashes (the
number kept encrypted) and its downgrade restores them — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Boolean, String, Uuid, column, table, text
from tests.conftest import _fresh_pg_database

from puhui.core import auth
from puhui.core.config import get_settings
from puhui.core.crypto import FieldCipher
from puhui.core.db import UTCDateTime, make_engine
from puhui.core.migrate import downgrade, upgrade

BEFORE = "9a6f3c1d2e47"
KEY = b"m" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    base = request.getfixturevalue("postgres_base_url")
    return _fresh_pg_database(base, f"puhui_migrate_{uuid.uuid4().hex[:8]}")


def test_mobile_usernames_are_hashed_and_restored(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUHUI_DATA_KEY", base64.b64encode(KEY).decode())
    get_settings.cache_clear()
    try:
        upgrade(fresh_url, BEFORE)
        engine = make_engine(fresh_url)
        users = table(
            "core_user",
            *(column(n, String()) for n in ("username", "display_name", "role", "password_hash")),
            column("id", Uuid()),
            column("is_active", Boolean()),
            column("created_at", UTCDateTime()),
        )
        with engine.begin() as conn:
            for name in ("m13912345678", "officer"):
                conn.execute(
                    users.insert().values(
                        id=uuid.uuid4(),
                        username=name,
                        display_name=name,
                        role="borrower",
                        password_hash="x",
                        is_active=True,
                        created_at=datetime(2026, 12, 1, tzinfo=UTC),
                    )
                )
        upgrade(fresh_url)
        cipher = FieldCipher.from_master(KEY)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT username, mobile_enc FROM core_user")).all())
        assert set(rows) == {auth.mobile_username(cipher, "13912345678"), "officer"}
        hashed = auth.mobile_username(cipher, "13912345678")
        assert cipher.decrypt(bytes(rows[hashed]), "core_user.mobile") == "13912345678"
        assert rows["officer"] is None
        downgrade(fresh_url, BEFORE)
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT username FROM core_user")).scalars())
        assert names == {"m13912345678", "officer"}
        engine.dispose()
    finally:
        get_settings.cache_clear()
