"""Shared fixtures: databases (SQLite and PostgreSQL, schema built by the migrations), rolled-back
sessions, an app client bound to the test transaction, a fixed clock, users and tokens."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit, auth
from puhui.core.clock import FixedClock
from puhui.core.config import Settings
from puhui.core.db import make_engine
from puhui.core.migrate import upgrade
from puhui.core.models import Role
from puhui.core.runtime import Runtime, build_runtime
from puhui.wiring import wire

wire()  # the composition root's event handlers, as `create_app` and the CLI subscribe them

TEST_KEY = base64.b64encode(b"k" * 32).decode()
PASSWORD = "Test-password-1"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    url = os.environ.get("PUHUI_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    from tests.support.pgcluster import start_cluster

    cluster = start_cluster()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _fresh_pg_database(base_url: str, name: str) -> str:
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


_pg_cache: dict[str, str] = {}


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> str:
    if "url" not in _pg_cache:
        base = request.getfixturevalue("postgres_base_url")
        url = _fresh_pg_database(base, f"puhui_test_{_worker()}")
        upgrade(url)
        _pg_cache["url"] = url
    return _pg_cache["url"]


_engines: dict[str, Engine] = {}


def _engine_for(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Every test that uses the database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Engine:
    return _engine_for(db_url)


@pytest.fixture(scope="session")
def pg_commit_url(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL database of its own for the tests that commit for real.

    The shared test database (``pg_url``) only ever sees transactions that are rolled back, so
    a bank-wide figure (the loan-loss reserve, say) read by one test never includes the rows
    another test committed.
    """
    if "commit" not in _pg_cache:
        base = request.getfixturevalue("postgres_base_url")
        url = _fresh_pg_database(base, f"puhui_commit_{_worker()}")
        upgrade(url)
        _pg_cache["commit"] = url
    return _pg_cache["commit"]


@pytest.fixture
def pg_engine(pg_commit_url: str) -> Engine:
    """PostgreSQL only, for concurrency tests that commit for real (use unique keys)."""
    return _engine_for(pg_commit_url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        var_dir=tmp_path,
        data_key=TEST_KEY,
        secret_key="test-secret",
        cookie_secure=True,
        # the per-client API rate limit is off here: every test client is one address making
        # requests as fast as it can; tests/integration/core/test_rate_limit.py turns it on
        api_rate_per_second=0,
    )


@pytest.fixture
def bound(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory bound to one outer transaction that is rolled back after the test.

    Commits inside the code under test become SAVEPOINT releases, so the test sees them and
    nothing survives the test.
    """
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield factory
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def runtime(
    settings: Settings, clock: FixedClock, engine: Engine, bound: sessionmaker[Session]
) -> Runtime:
    return build_runtime(settings, clock=clock, engine=engine, session_factory=bound)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    s = runtime.session_factory()
    audit.set_clock(s, runtime.clock)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from puhui.app import create_app

    return create_app(runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def make_user(
    session: Session,
    runtime: Runtime,
    role: Role,
    *,
    enterprise_ids: list[uuid.UUID] | None = None,
    username: str | None = None,
):  # type: ignore[no-untyped-def]
    user = auth.create_user(
        session,
        runtime.clock,
        username=username or f"{role.value}-{uuid.uuid4().hex[:8]}",
        password=PASSWORD,
        role=role,
        enterprise_ids=enterprise_ids or [],
    )
    session.commit()
    return user


def enrol_totp(session: Session, runtime: Runtime, user) -> str:  # type: ignore[no-untyped-def]
    """Enrol a staff user in the second factor with a fresh key; returns the key."""
    import pyotp

    from puhui.core import mfa

    secret = pyotp.random_base32()
    mfa.enrol_with_secret(session, runtime.clock, runtime.cipher, user, secret)
    session.commit()
    return secret


def totp_code(runtime: Runtime, secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator shows now (on the test clock); `steps_ahead=1` gives the next
    30-second step's code, which is still accepted — for a second login in the same step."""
    from datetime import timedelta

    from puhui.core import mfa

    return mfa.current_code(secret, runtime.clock.now() + timedelta(seconds=30 * steps_ahead))


def token_for(session: Session, runtime: Runtime, user) -> str:  # type: ignore[no-untyped-def]
    token, _ = auth.issue_token(session, runtime.clock, user, 60)
    session.commit()
    return token


@pytest.fixture
def headers_for(session: Session, runtime: Runtime):  # type: ignore[no-untyped-def]
    """headers_for(role) -> Authorization headers of a fresh user with that role."""
    cache: dict[str, dict[str, str]] = {}

    def _make(role: Role, enterprise_ids: list[uuid.UUID] | None = None) -> dict[str, str]:
        key = f"{role.value}:{enterprise_ids}"
        if key not in cache:
            ids = [uuid.UUID(str(e)) for e in enterprise_ids or []]
            user = make_user(session, runtime, role, enterprise_ids=ids)
            cache[key] = {"Authorization": f"Bearer {token_for(session, runtime, user)}"}
        return cache[key]

    return _make
