"""Single sign-on against a minimal OpenID Connect provider the test starts on a loopback port:
discovery, the authorize redirect, the token endpoint (PKCE checked) answering an RS256 ID token
signed with a key made by `cryptography`, and the JWKS."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.models import Role, User
from puhui.core.runtime import Runtime

CLIENT_ID, CLIENT_SECRET = "puhui-console", "s3cret-of-the-client"


@dataclass
class Directory:
    """What the provider will say about the next person who signs in."""

    now: Callable[[], int]
    claims: dict[str, Any] = field(default_factory=dict)
    wrong_nonce: bool = False
    codes: dict[str, dict[str, str]] = field(default_factory=dict)


def _serve(directory: Directory) -> tuple[ThreadingHTTPServer, str, RSAKey]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = RSAKey.import_key(pem, {"kid": "k1", "use": "sig", "alg": "RS256"})

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": issuer,
                        "authorization_endpoint": f"{issuer}/authorize",
                        "token_endpoint": f"{issuer}/token",
                        "jwks_uri": f"{issuer}/jwks",
                    }
                )
            elif url.path == "/jwks":
                self._json({"keys": [key.as_dict(private=False)]})
            elif url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                assert q["client_id"] == CLIENT_ID and q["code_challenge_method"] == "S256"
                code = secrets.token_urlsafe(16)
                directory.codes[code] = q
                back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            asked = directory.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                self.headers.get("Authorization") != f"Basic {basic}"
                or asked is None
                or challenge != asked["code_challenge"]
                or form.get("redirect_uri") != asked["redirect_uri"]
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            now = directory.now()
            claims = {
                "iss": issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": "forged" if directory.wrong_nonce else asked["nonce"],
                **directory.claims,
            }
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            self._json({"access_token": "at", "token_type": "Bearer", "id_token": token})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, issuer, key


@pytest.fixture
def directory(runtime: Runtime) -> Iterator[tuple[Directory, TestClient]]:
    from puhui.app import create_app

    found = Directory(now=lambda: int(runtime.clock.now().timestamp()))
    server, issuer, _ = _serve(found)
    runtime.settings = runtime.settings.model_copy(
        update={
            "oidc_issuer": issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_role_map": {"puhui-credit": "credit_officer", "puhui-risk": "risk_officer"},
        }
    )
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        yield found, client
    server.shutdown()


def _sign_in(client: TestClient) -> httpx.Response:
    """The browser's trip: Puhui → the directory's authorize → back to the callback."""
    start = client.get("/console/login/sso", follow_redirects=False)
    assert start.status_code == 303
    at_directory = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_directory.status_code == 302
    back = urlparse(at_directory.headers["location"])
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_the_login_page_offers_the_directory_when_configured(
    directory: tuple[Directory, TestClient],
) -> None:
    assert "使用行内统一认证登录" in directory[1].get("/console/login").text


def test_without_a_directory_there_is_no_offer(client: TestClient) -> None:
    assert "使用行内统一认证登录" not in client.get("/console/login").text
    assert client.get("/console/login/sso", follow_redirects=False).status_code == 404


def test_a_directory_sign_in_maps_the_group_to_a_role(
    directory: tuple[Directory, TestClient], session: Session
) -> None:
    found, client = directory
    found.claims = {
        "sub": "E1024",
        "preferred_username": "li.wei",
        "name": "李伟",
        "groups": ["all-staff", "puhui-credit"],
        "amr": ["pwd", "otp"],
    }
    done = _sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 200 and "审批员" in home.text and "李伟" in home.text
    user = session.scalar(select(User).where(User.username == "li.wei"))
    assert user is not None and user.role == Role.CREDIT_OFFICER.value
    assert user.external_subject is not None and user.external_subject.endswith("|E1024")
    # the directory moves them to risk: the next sign-in follows
    found.claims["groups"] = ["puhui-risk"]
    client.cookies.clear()
    assert _sign_in(client).status_code == 303
    session.refresh(user)
    assert user.role == Role.RISK_OFFICER.value


def test_without_the_directory_s_second_factor_puhui_asks_for_its_own(
    directory: tuple[Directory, TestClient],
) -> None:
    found, client = directory
    found.claims = {"sub": "E2048", "groups": ["puhui-credit"], "amr": ["pwd"]}
    done = _sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/console/login/enrol"
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_no_mapped_group_no_entry(directory: tuple[Directory, TestClient]) -> None:
    found, client = directory
    found.claims = {"sub": "E4096", "groups": ["all-staff"], "amr": ["otp"]}
    refused = _sign_in(client)
    assert refused.status_code == 403 and "没有对应的普惠角色" in refused.text


def test_a_token_for_another_login_is_refused(directory: tuple[Directory, TestClient]) -> None:
    found, client = directory
    found.claims = {"sub": "E8192", "groups": ["puhui-credit"], "amr": ["otp"]}
    found.wrong_nonce = True
    refused = _sign_in(client)
    assert refused.status_code == 401 and "统一认证" in refused.text
    # a callback with a state this browser never sent is refused too
    forged = client.get("/console/login/sso/callback?code=x&state=y", follow_redirects=False)
    assert forged.status_code == 401
