"""Fixtures of the data hub tests: a sandbox-world enterprise registered in Puhui (with its legal
representative), and connectors that answer from that world."""

from __future__ import annotations

import pytest
from datahub_world import WorldFirm, register_world_firm
from sqlalchemy.orm import Session

from puhui.core.runtime import Runtime
from puhui.datahub.connectors import Connectors, SandboxConnector


@pytest.fixture
def firm(session: Session, runtime: Runtime) -> WorldFirm:
    return register_world_firm(session, runtime, 0)


@pytest.fixture
def other_firm(session: Session, runtime: Runtime) -> WorldFirm:
    return register_world_firm(session, runtime, 1)


@pytest.fixture(scope="session")
def sandbox() -> SandboxConnector:
    return SandboxConnector.default()


@pytest.fixture
def connectors(sandbox: SandboxConnector) -> Connectors:
    return Connectors(default=sandbox)
