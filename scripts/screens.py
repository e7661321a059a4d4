"""Regenerate the README's screenshots in docs/screens/: a small demo database in a temporary
folder, the server on a free loopback port, Debian's Chromium (never a downloaded browser)
through the applicant's journey at phone width (390 px) and each staff role's home at console
width (1280 px), then the PNGs made small (palette, optimized).

    uv run python scripts/screens.py            # about two minutes
    uv run python scripts/screens.py --keep     # keep the temporary folder (server log, db)
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
ROLES = ("officer", "risk", "manager", "auditor", "admin", "service")
PASSWORD = "Puhui-demo-2026"


_ENV: dict[str, str] = {}  # the demo server's environment (the CLI reads the same database)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def demo_server(var: Path) -> Iterator[str]:
    """`puhui demo --no-serve` (small), then uvicorn on it until the block ends."""
    env = _ENV
    env.update(
        {
            **os.environ,
            "PUHUI_VAR_DIR": str(var),
            "PUHUI_DATABASE_URL": f"sqlite:///{var / 'demo.db'}",
            "PUHUI_DATA_KEY": base64.b64encode(b"s" * 32).decode(),
            "PUHUI_COOKIE_SECURE": "false",
        }
    )
    python = sys.executable
    subprocess.run(
        [python, "-m", "puhui.cli", "demo", "--no-serve", "--enterprises", "60"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    with open(var / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [
                python,
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
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError((var / "server.log").read_text())
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def _shot(page, name: str, *, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    image = Image.open(path).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def _login(page, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{url}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/console/login/second-factor")  # staff: the second factor
    out = subprocess.run(
        [sys.executable, "-m", "puhui.cli", "users", "totp-code", username],
        cwd=ROOT, env=_ENV, check=True, capture_output=True, text=True,
    )  # fmt: skip
    code = re.search(r"\b(\d{6})\b", out.stdout)
    assert code, out.stdout
    page.get_by_label("动态码").fill(code.group(1))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(f"{url}/console/")


def applicant(browser, url: str, journey_url: str) -> None:  # type: ignore[no-untyped-def]
    from puhui.demo.world import journey_firms

    firm = journey_firms()[2]
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(journey_url)
    _shot(page, "m-start")
    page.get_by_label("手机号").fill(firm.mobile)  # the representative's own (three-factor)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(re.compile(r"/m/login/verify$"))
    page.get_by_label("6 位验证码").fill(page.get_by_test_id("sandbox-code").inner_text())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/m/apply$"))
    page.get_by_label("统一社会信用代码").fill(firm.uscc)
    page.get_by_label("法定代表人姓名").fill(firm.rep_name)
    page.get_by_label("法定代表人身份证号").fill(firm.resident_id)
    page.get_by_label("申请金额（元）").fill("200000")
    _shot(page, "m-apply")
    page.get_by_label("我已阅读并同意以上全部授权").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(re.compile(r"/m/applications/"))
    _shot(page, "m-decision")
    context.close()


def staff(browser, url: str) -> str:  # type: ignore[no-untyped-def]
    """Each role's home; the policy editor; the manager's journey URL (for the applicant)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    journey = ""
    for role in ROLES:
        _login(page, url, role)
        _shot(page, f"home-{role}")
        if role == "manager":
            page.goto(f"{url}/console/qr")
            journey = page.get_by_test_id("my-url").inner_text().strip()
        if role == "risk":
            page.goto(f"{url}/console/policies/editor")
            _shot(page, "policy-editor")
    context.close()
    return journey.replace("http://testserver", url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("PUHUI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    OUT.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="puhui-screens-"))
    try:
        with demo_server(var) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            print(f"demo on {url}; writing {OUT.relative_to(ROOT)}/")
            journey = staff(browser, url)
            applicant(browser, url, journey)
            browser.close()
    finally:
        if args.keep:
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
