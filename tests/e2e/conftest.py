"""End-to-end fixtures: a real server process on a free loopback port and Debian's Chromium
driven by Playwright (never a downloaded browser). Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    # a fake camera for the face check (getUserMedia without a device or a prompt)
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = os.environ.get("PUHUI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "Debian's chromium is missing: run `make test` (it installs it with apt)"
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    db_path: Path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`puhui demo --no-serve` builds a small demo database, then the server runs on it."""
    var = tmp_path_factory.mktemp("e2e-var")
    port = _free_port()
    env = {
        **os.environ,
        "PUHUI_VAR_DIR": str(var),
        "PUHUI_DATABASE_URL": f"sqlite:///{var / 'demo.db'}",
        "PUHUI_DATA_KEY": base64.b64encode(b"e" * 32).decode(),
        "PUHUI_COOKIE_SECURE": "false",
        "PUHUI_DEMO_ENTERPRISES": "60",
    }
    subprocess.run(
        [sys.executable, "-m", "puhui.cli", "demo", "--no-serve", "--enterprises", "60"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = open(var / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "puhui.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded 2-core machine can take a while
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError((var / "server.log").read_text())
    try:
        yield LiveServer(url=url, env=env, process=proc, db_path=var / "demo.db")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    """A page at phone width (iPhone-like 390×844), Chinese locale."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def totp_now(live_server: LiveServer, username: str) -> str:
    """A demo staff member's current authenticator code, from the key the demo enrolled (read
    with the live server's data key) — one step after the last accepted one when that step is
    used up already, since a code counts once."""
    import sqlite3

    import pyotp

    from puhui.core.crypto import FieldCipher

    with sqlite3.connect(live_server.db_path) as conn:
        row = conn.execute(
            "SELECT totp_secret_enc, totp_last_step FROM core_user WHERE username = ?",
            (username,),
        ).fetchone()
    assert row and row[0], f"{username} has no second factor enrolled"
    secret = FieldCipher.from_master(b"e" * 32).decrypt(row[0], "core_user.totp_secret")
    while True:
        now_step = int(time.time()) // 30
        step = max(now_step, (row[1] or 0) + 1)
        if step <= now_step + 1:  # the server accepts one step either side
            return str(pyotp.TOTP(secret).generate_otp(step))
        time.sleep(1)


def enter_code(page, live_server: LiveServer, username: str, base: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """On the second-factor page: type the authenticator's code."""
    page.wait_for_url(f"{base or live_server.url}/console/login/second-factor")
    page.get_by_label("动态码").fill(totp_now(live_server, username))
    page.get_by_role("button", name="验证").click()


def staff_login(page, live_server: LiveServer, username: str, base: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A demo staff member signs in: password, then the second factor (`base`: another name
    of the server, e.g. http://localhost:port for WebAuthn, which refuses IP addresses)."""
    from puhui.demo.world import DEMO_PASSWORD

    url = base or live_server.url
    page.context.clear_cookies()
    page.goto(f"{url}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    enter_code(page, live_server, username, url)
    page.wait_for_url(f"{url}/console/")


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in tests/e2e drives Chromium: `-m "not browser"` leaves them all out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
