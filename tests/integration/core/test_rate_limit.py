"""The API's per-client rate limit: 429 problem+json with Retry-After; other clients and the
console are not affected."""

from __future__ import annotations

from fastapi.testclient import TestClient

from puhui.core.runtime import Runtime


def test_the_api_answers_429_with_retry_after(runtime: Runtime) -> None:
    from puhui.app import create_app

    runtime.settings = runtime.settings.model_copy(
        update={"api_rate_per_second": 0.5, "api_rate_burst": 3}
    )
    app = create_app(runtime)
    with TestClient(app, base_url="https://testserver", client=("192.0.2.1", 1)) as c:
        answers = [c.get("/api/v1/me").status_code for _ in range(3)]
        assert answers == [401, 401, 401]  # passed the limiter, refused by the guard
        r = c.get("/api/v1/me", headers={"Accept-Language": "en"})
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["retry-after"] == "2"
        body = r.json()
        assert body["code"] == "rate_limited" and body["status"] == 429
        assert "Too many requests" in body["detail"]
        assert c.get("/console/login").status_code == 200  # pages are not limited
        assert c.get("/healthz").status_code == 200
    with TestClient(app, base_url="https://testserver", client=("192.0.2.2", 1)) as other:
        assert other.get("/api/v1/me").status_code == 401
