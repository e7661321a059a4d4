"""Fixtures of the decisioning tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

_keys = itertools.count()


@pytest.fixture
def apply(client: TestClient) -> Callable[..., Any]:
    """POST /api/v1/applications with a fresh idempotency key."""

    def _apply(body: dict[str, Any], headers: dict[str, str], **kw: Any) -> Any:
        key = kw.pop("key", None) or f"test-key-{next(_keys)}"
        return client.post(
            "/api/v1/applications", json=body, headers={**headers, "Idempotency-Key": key}, **kw
        )

    return _apply
